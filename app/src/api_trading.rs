//! Server functions of the trading pages: each is one call on the user's `TradingService`.
//!
//! Arguments travel as JSON rather than form fields because they hold maps and tagged enums
//! (strategy parameters, `KillSwitchAction`) that URL encoding cannot carry faithfully.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use model::trading::{
    AddStrategy, BacktestProgress, BacktestRequest, JournalReport, KillSwitchAction,
    KillSwitchState, LiveStatus, PositionRow, RiskLimits, RiskStatus, SignalEvent, StrategyConfig,
    StrategyId, StrategyKindInfo, StrategyRow,
};

#[cfg(feature = "ssr")]
async fn engine() -> Result<std::sync::Arc<engine::UserEngine>, ServerFnError> {
    crate::api::user_engine().await
}

/// The engine's error as the page shows it (it explains bad parameters, limits, a halted engine).
#[cfg(feature = "ssr")]
fn failed(e: engine::EngineError) -> ServerFnError {
    ServerFnError::new(e.to_string())
}

/// Strategy kinds the engine knows, with their parameters and defaults.
#[server(input = Json)]
pub async fn get_strategy_kinds() -> Result<Vec<StrategyKindInfo>, ServerFnError> {
    Ok(engine().await?.trading().kinds())
}

#[server(input = Json)]
pub async fn get_strategies() -> Result<Vec<StrategyRow>, ServerFnError> {
    engine().await?.trading().strategies().await.map_err(failed)
}

/// Adds a strategy; the engine validates kind, instrument and parameters.
#[server(input = Json)]
pub async fn create_strategy(req: AddStrategy) -> Result<StrategyConfig, ServerFnError> {
    engine()
        .await?
        .trading()
        .add_strategy(req)
        .await
        .map_err(failed)
}

#[server(input = Json)]
pub async fn remove_strategy(id: StrategyId) -> Result<(), ServerFnError> {
    engine()
        .await?
        .trading()
        .remove_strategy(id)
        .await
        .map_err(failed)
}

/// Sets `enabled` (flips it when `None`).
#[server(input = Json)]
pub async fn toggle_strategy(
    id: StrategyId,
    enabled: Option<bool>,
) -> Result<StrategyConfig, ServerFnError> {
    engine()
        .await?
        .trading()
        .toggle_strategy(id, enabled)
        .await
        .map_err(failed)
}

#[server(input = Json)]
pub async fn get_live_status() -> Result<LiveStatus, ServerFnError> {
    Ok(engine().await?.trading().live_status())
}

#[server(input = Json)]
pub async fn start_live() -> Result<LiveStatus, ServerFnError> {
    engine().await?.trading().start_live().await.map_err(failed)
}

#[server(input = Json)]
pub async fn stop_live() -> Result<LiveStatus, ServerFnError> {
    engine().await?.trading().stop_live().await.map_err(failed)
}

/// The latest `limit` signals, newest first.
#[server(input = Json)]
pub async fn get_signals(limit: u32) -> Result<Vec<SignalEvent>, ServerFnError> {
    engine()
        .await?
        .trading()
        .signals(limit)
        .await
        .map_err(failed)
}

#[server(input = Json)]
pub async fn get_risk_status() -> Result<RiskStatus, ServerFnError> {
    engine()
        .await?
        .trading()
        .risk_status()
        .await
        .map_err(failed)
}

/// Saves new limits; the engine rejects inconsistent ones with a reason.
#[server(input = Json)]
pub async fn set_risk_limits(limits: RiskLimits) -> Result<RiskStatus, ServerFnError> {
    engine()
        .await?
        .trading()
        .set_risk_limits(limits)
        .await
        .map_err(failed)
}

/// Fires or resets the kill switch.
#[server(input = Json)]
pub async fn kill_switch(action: KillSwitchAction) -> Result<KillSwitchState, ServerFnError> {
    engine()
        .await?
        .trading()
        .kill_switch(action)
        .await
        .map_err(failed)
}

/// P&L by strategy, instrument and day, the cumulative curve, and the latest `limit` fills and orders.
#[server(input = Json)]
pub async fn get_journal(limit: u32) -> Result<JournalReport, ServerFnError> {
    engine()
        .await?
        .trading()
        .journal(limit)
        .await
        .map_err(failed)
}

/// The engine's own positions (from its fills, reconciled with the broker).
#[server(input = Json)]
pub async fn get_trading_positions() -> Result<Vec<PositionRow>, ServerFnError> {
    engine().await?.trading().positions().await.map_err(failed)
}

/// Starts a backtest in the background; follow it with [`get_backtest_progress`].
#[server(input = Json)]
pub async fn start_backtest(req: BacktestRequest) -> Result<(), ServerFnError> {
    engine()
        .await?
        .trading()
        .start_backtest(req)
        .await
        .map_err(failed)
}

#[server(input = Json)]
pub async fn get_backtest_progress() -> Result<BacktestProgress, ServerFnError> {
    Ok(engine().await?.trading().backtest_progress())
}
