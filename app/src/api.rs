//! Server functions the dashboard calls. They run on the server with the engine hub in context.

use leptos::prelude::*;
use model::{ServerStatus, WatchRow};

#[cfg(feature = "ssr")]
fn hub() -> Result<std::sync::Arc<engine::EngineHub>, ServerFnError> {
    use_context::<std::sync::Arc<engine::EngineHub>>()
        .ok_or_else(|| ServerFnError::new("engine hub missing from context"))
}

/// Mode, ticker state, subscriptions and uptime for the status bar.
#[server]
pub async fn get_status() -> Result<ServerStatus, ServerFnError> {
    Ok(hub()?.status(&engine::UserId::default_user()))
}

/// The market-watch rows with their latest ticks.
#[server]
pub async fn get_watchlist() -> Result<Vec<WatchRow>, ServerFnError> {
    let hub = hub()?;
    let engine = hub
        .get(&engine::UserId::default_user())
        .ok_or_else(|| ServerFnError::new("the trading engine is not running"))?;
    Ok(engine.watch_rows())
}
