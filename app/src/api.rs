//! Server functions the dashboard calls. They run on the server with the engine hub in context.

use leptos::prelude::*;
use model::account::Fetched;
use model::analysis::{ScanResults, ScanStarted, ScanStatus};
use model::broker::Candle;
use model::broker::{Holding, Margins, Order, Positions, Profile, Trade};
use model::options::{OiSummary, OptionChain, Underlying};
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

/// Runs a Kite call for the current user and sorts the outcome into data, an expired session or a
/// failure the page can show.
#[cfg(feature = "ssr")]
async fn fetch<T, F, Fut>(call: F) -> Result<Fetched<T>, ServerFnError>
where
    F: FnOnce(kite::KiteClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, kite::KiteError>>,
{
    let hub = hub()?;
    let engine = hub
        .get(&engine::UserId::default_user())
        .ok_or_else(|| ServerFnError::new("the trading engine is not running"))?;
    Ok(match call(engine.kite().clone()).await {
        Ok(v) => Fetched::Ok(v),
        Err(e) if e.is_session_expired() || matches!(e, kite::KiteError::NotLoggedIn) => {
            Fetched::SessionExpired {
                login_url: model::account::KITE_LOGIN_PATH.to_string(),
            }
        }
        Err(e) => Fetched::Failed {
            message: e.to_string(),
        },
    })
}

#[server]
pub async fn get_profile() -> Result<Fetched<Profile>, ServerFnError> {
    fetch(|k| async move { k.profile().await }).await
}

#[server]
pub async fn get_margins() -> Result<Fetched<Margins>, ServerFnError> {
    fetch(|k| async move { k.margins().await }).await
}

#[server]
pub async fn get_orders() -> Result<Fetched<Vec<Order>>, ServerFnError> {
    fetch(|k| async move { k.orders().await }).await
}

/// One order's history (every state, oldest first) and its trades.
#[server]
pub async fn get_order_detail(
    order_id: String,
) -> Result<Fetched<(Vec<Order>, Vec<Trade>)>, ServerFnError> {
    fetch(|k| async move {
        let id = model::broker::OrderId(order_id);
        let history = k.order_history(&id).await?;
        let trades = k.order_trades(&id).await?;
        Ok((history, trades))
    })
    .await
}

#[server]
pub async fn get_positions() -> Result<Fetched<Positions>, ServerFnError> {
    fetch(|k| async move { k.positions().await }).await
}

#[server]
pub async fn get_holdings() -> Result<Fetched<Vec<Holding>>, ServerFnError> {
    fetch(|k| async move { k.holdings().await }).await
}

#[cfg(feature = "ssr")]
fn user_engine() -> Result<std::sync::Arc<engine::UserEngine>, ServerFnError> {
    hub()?
        .get(&engine::UserId::default_user())
        .ok_or_else(|| ServerFnError::new("the trading engine is not running"))
}

/// The option chain of `underlying` for `expiry` (`YYYY-MM-DD`; nearest when absent).
#[server]
pub async fn get_option_chain(
    underlying: Underlying,
    expiry: Option<String>,
) -> Result<OptionChain, ServerFnError> {
    user_engine()?
        .option_chain(underlying, expiry)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Starts the OI tracker for every supported underlying (idempotent) and returns what it has.
#[server]
pub async fn start_oi_tracker() -> Result<Vec<OiSummary>, ServerFnError> {
    let engine = user_engine()?;
    engine.oi_tracker().start(&Underlying::ALL).await;
    Ok(engine.oi_tracker().summaries())
}

#[server]
pub async fn get_scan_status() -> Result<ScanStatus, ServerFnError> {
    Ok(user_engine()?.scanner().status())
}

/// Starts a scan in the background unless one is running.
#[server]
pub async fn start_scan() -> Result<ScanStarted, ServerFnError> {
    Ok(user_engine()?.scanner().start())
}

/// The last finished scan, if any.
#[server]
pub async fn get_scan_results() -> Result<Option<ScanResults>, ServerFnError> {
    Ok(user_engine()?.scanner().results())
}

/// Daily candles of `symbol` for the chart (from the scanner's cache, fetched when missing).
#[server]
pub async fn get_candles(symbol: String, days: u32) -> Result<Vec<Candle>, ServerFnError> {
    user_engine()?
        .scanner()
        .candles(&symbol, days)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}
