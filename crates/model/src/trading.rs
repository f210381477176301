//! The trading engine's nouns as the dashboard and the API see them: strategies, signals, orders the
//! engine placed, positions, risk limits and their usage, the kill switch, the journal's P&L, and
//! backtest reports.
//!
//! Money is in rupees as `f64` here because these are reports; the execution engine rounds every price
//! it sends to the instrument's tick in paise before it leaves the process.

use crate::broker::{Product, TransactionType};
use crate::Exchange;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Row id of a configured strategy (per user; ids are never reused).
pub type StrategyId = i64;

/// What kind of instrument a strategy trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyFamily {
    /// One instrument, bar signals (EMA crossover, VWAP breakout, mean reversion, RSI, SMA crossover).
    Equity,
    /// A multi-leg option structure on an index, entered and exited as one basket.
    Options,
}

/// Describes one strategy kind for the "add" form: its name, family, parameters with defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyKindInfo {
    /// Registry name, e.g. `ema_crossover`, `iron_condor`.
    pub kind: String,
    /// Human label, e.g. "EMA crossover".
    pub label: String,
    pub family: StrategyFamily,
    /// Parameter name → default value as text (the form's initial values).
    pub params: BTreeMap<String, String>,
}

/// A strategy the user added: what it runs on and with which parameters. Persisted per user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyConfig {
    pub id: StrategyId,
    /// Registry name (`ema_crossover`, `iron_condor`, ...).
    pub kind: String,
    /// `EXCHANGE:SYMBOL` for equity strategies (`NSE:INFY`), the underlying for option ones (`NIFTY`).
    pub instrument: String,
    /// Parameters as `k → v` text, validated by the engine's parser when added.
    pub params: BTreeMap<String, String>,
    /// Live bar length in seconds (bars are built from ticks); 60 by default.
    pub bar_seconds: u32,
    pub product: Product,
    /// Fixed quantity (shares, or lots for options); `0` = size by the risk manager (risk per trade).
    pub quantity: u32,
    pub enabled: bool,
    pub created_ms: u64,
}

/// `POST /api/strategies/add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddStrategy {
    pub kind: String,
    pub instrument: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub bar_seconds: Option<u32>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(default)]
    pub quantity: Option<u32>,
}

/// `POST /api/strategies/remove`, `POST /api/strategies/toggle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyRef {
    pub id: StrategyId,
    /// For toggle: the state wanted; `None` flips it.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A strategy with how it is doing, for the Strategies page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyRow {
    pub config: StrategyConfig,
    pub pnl: PnlRow,
    pub signals: u64,
    pub last_signal: Option<SignalEvent>,
}

/// Whether the engine is trading (strategies fed and orders placed) for this user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub running: bool,
    pub since_ms: Option<u64>,
    pub strategies_enabled: usize,
}

/// Direction a strategy asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSide {
    Buy,
    Sell,
    /// Close whatever the strategy holds.
    Exit,
}

/// What the risk manager decided about a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RiskVerdict {
    /// Orders may go out for this quantity (shares, or lots for options).
    Approved {
        quantity: u32,
    },
    /// Reduced to fit a limit.
    Reduced {
        quantity: u32,
        reason: String,
    },
    Rejected {
        reason: String,
    },
}

/// A strategy's signal and its fate, as journalled and shown on the Signals page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalEvent {
    pub id: i64,
    pub ts_ms: u64,
    pub strategy_id: StrategyId,
    pub kind: String,
    pub instrument: String,
    pub side: SignalSide,
    pub strength: f64,
    pub reason: String,
    pub verdict: RiskVerdict,
}

/// Where an order the engine placed stands. Moves forward only: a late or repeated update never
/// takes an order back (see [`ExecStatus::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecStatus {
    /// Journalled with its tag, not yet acknowledged by the broker (or the reply was lost).
    Pending,
    /// Accepted by the broker, nothing filled.
    Open,
    /// Some quantity filled, the rest still working.
    PartiallyFilled,
    Filled,
    /// Cancelled (possibly after a partial fill: see `filled_quantity`).
    Cancelled,
    Rejected,
}

impl ExecStatus {
    /// Order of progress; terminal states share the top rank.
    pub fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Open => 1,
            Self::PartiallyFilled => 2,
            Self::Filled | Self::Cancelled | Self::Rejected => 3,
        }
    }

    pub fn is_terminal(self) -> bool {
        self.rank() == 3
    }
}

/// An order the engine placed (one row per tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The engine's unique tag (Kite `tag`, ≤ 20 alphanumerics); the idempotency key.
    pub tag: String,
    pub order_id: Option<String>,
    pub strategy_id: Option<StrategyId>,
    /// Orders of one multi-leg basket share this id.
    pub basket: Option<String>,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: TransactionType,
    pub product: Product,
    pub quantity: u32,
    pub filled_quantity: u32,
    /// Limit price sent (the engine sends marketable LIMITs, never bare MARKETs).
    pub price: Option<f64>,
    pub average_price: f64,
    pub status: ExecStatus,
    /// The broker's reason on a rejection, or the engine's on a cancel.
    pub message: Option<String>,
    /// Price modifications made while chasing.
    pub modifications: u32,
    pub created_ms: u64,
    pub updated_ms: u64,
}

/// One fill (a Kite trade) as journalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillRecord {
    pub trade_id: String,
    pub order_id: String,
    pub tag: String,
    pub strategy_id: Option<StrategyId>,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: TransactionType,
    pub quantity: u32,
    pub price: f64,
    /// Zerodha charges attributed to this fill.
    pub charges: f64,
    pub ts_ms: u64,
}

/// A net position as the engine tracks it (from its own fills, reconciled with the broker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionRow {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub product: Product,
    /// Signed: long > 0, short < 0.
    pub quantity: i64,
    pub average_price: f64,
    pub last_price: f64,
    pub realised: f64,
    pub unrealised: f64,
}

/// Hard limits the risk manager enforces between every signal and every order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskLimits {
    /// Capital the percentages refer to, in rupees.
    pub capital: f64,
    /// Realised + MTM loss for the day (rupees, positive) at which trading halts and the kill switch
    /// fires.
    pub daily_loss_limit: f64,
    /// Risk per trade as % of capital: quantity = risk / (ATR × `atr_stop_multiple`).
    pub risk_per_trade_pct: f64,
    pub atr_stop_multiple: f64,
    /// Largest absolute exposure in one instrument (rupees).
    pub max_instrument_exposure: f64,
    /// Largest absolute exposure of one strategy (rupees).
    pub max_strategy_exposure: f64,
    /// Largest sum of absolute exposures (rupees).
    pub max_gross_exposure: f64,
    pub max_open_positions: u32,
    pub max_orders_per_minute: u32,
    /// Ask the broker's margin calculator before each order.
    pub check_margin: bool,
}

impl Default for RiskLimits {
    fn default() -> Self {
        Self {
            capital: 1_000_000.0,
            daily_loss_limit: 20_000.0,
            risk_per_trade_pct: 0.5,
            atr_stop_multiple: 2.0,
            max_instrument_exposure: 200_000.0,
            max_strategy_exposure: 300_000.0,
            max_gross_exposure: 800_000.0,
            max_open_positions: 10,
            max_orders_per_minute: 30,
            check_margin: true,
        }
    }
}

/// How much of each limit is in use now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskUsage {
    pub realised_pnl: f64,
    pub unrealised_pnl: f64,
    /// realised + unrealised − charges.
    pub day_pnl: f64,
    pub gross_exposure: f64,
    /// The largest single-instrument exposure and its instrument.
    pub max_instrument_exposure: f64,
    pub max_instrument: Option<String>,
    pub open_positions: u32,
    pub orders_last_minute: u32,
}

/// The kill switch: once fired, every open order is cancelled, every position squared off, and no
/// order goes out until a person resets it. Survives restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KillSwitchState {
    pub active: bool,
    pub since_ms: Option<u64>,
    pub reason: Option<String>,
    /// Set once the account was seen flat after firing.
    pub flattened_ms: Option<u64>,
}

/// `GET /api/risk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskStatus {
    pub limits: RiskLimits,
    pub usage: RiskUsage,
    pub kill_switch: KillSwitchState,
    /// Why trading is halted (daily loss breached), if it is.
    pub halted: Option<String>,
}

/// `POST /api/risk/kill-switch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum KillSwitchAction {
    Fire {
        #[serde(default)]
        reason: Option<String>,
    },
    Reset,
}

/// P&L of one group (an instrument, a strategy, a day, or everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PnlRow {
    pub key: String,
    pub realised: f64,
    pub unrealised: f64,
    pub charges: f64,
    /// realised + unrealised − charges.
    pub net: f64,
    pub fills: u64,
    pub buy_quantity: u64,
    pub sell_quantity: u64,
}

/// `GET /api/journal`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalReport {
    pub total: PnlRow,
    pub by_instrument: Vec<PnlRow>,
    pub by_strategy: Vec<PnlRow>,
    /// Oldest day first; `key` is `YYYY-MM-DD` (IST).
    pub by_day: Vec<PnlRow>,
    /// Cumulative net P&L after each fill, oldest first: (ts_ms, cumulative).
    pub cumulative: Vec<(u64, f64)>,
    /// Newest first, at most the request's limit.
    pub fills: Vec<FillRecord>,
    pub orders: Vec<OrderRecord>,
}

/// A backtest asked for from the dashboard: a strategy over the cached daily candles of one symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRequest {
    pub kind: String,
    /// `EXCHANGE:SYMBOL`.
    pub instrument: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    pub cash: f64,
    /// Zerodha charges when true, else `commission` as a fraction of traded value.
    pub zerodha: bool,
    #[serde(default)]
    pub commission: f64,
    #[serde(default)]
    pub slippage: f64,
}

/// One closed trade of a backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestTrade {
    pub size: i64,
    pub entry_time: String,
    pub exit_time: String,
    pub entry_price: f64,
    pub exit_price: f64,
    pub pnl: f64,
    pub return_pct: f64,
}

/// Progress and outcome of a dashboard backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BacktestProgress {
    Idle,
    Running { done: u64, total: u64 },
    Done { report: Box<BacktestReportView> },
    Failed { message: String },
}

/// A backtest's result for charts and tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReportView {
    pub kind: String,
    pub instrument: String,
    /// Headline statistics in display order: (label, value).
    pub stats: Vec<(String, f64)>,
    /// Bar dates (`YYYY-MM-DD`) and equity after each bar.
    pub dates: Vec<String>,
    pub equity: Vec<f64>,
    /// Drawdown from the running peak after each bar, in % (≤ 0).
    pub drawdown_pct: Vec<f64>,
    pub trades: Vec<BacktestTrade>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_only_moves_forward_by_rank() {
        assert!(ExecStatus::Pending.rank() < ExecStatus::Open.rank());
        assert!(ExecStatus::Open.rank() < ExecStatus::PartiallyFilled.rank());
        assert!(ExecStatus::Filled.is_terminal() && ExecStatus::Rejected.is_terminal());
        assert!(!ExecStatus::PartiallyFilled.is_terminal());
    }

    #[test]
    fn kill_switch_action_is_tagged() {
        let a: KillSwitchAction = serde_json::from_str(r#"{"action":"fire"}"#).unwrap();
        assert_eq!(a, KillSwitchAction::Fire { reason: None });
        let r: KillSwitchAction = serde_json::from_str(r#"{"action":"reset"}"#).unwrap();
        assert_eq!(r, KillSwitchAction::Reset);
    }
}
