//! Server functions the dashboard calls. They run on the server with the engine manager in context
//! and act for the user the session gate resolved (never for a user named in the arguments).

use leptos::prelude::*;
use model::account::Fetched;
use model::analysis::{ScanResults, ScanStarted, ScanStatus};
use model::broker::Candle;
use model::broker::{Holding, Margins, Order, Positions, Profile, Trade};
use model::options::{OiSummary, OptionChain, Underlying};
use model::{ServerStatus, WatchRow};

/// The logged-in user of this request, as the server's session gate put it in the request.
#[cfg(feature = "ssr")]
pub fn current_user() -> Result<engine::UserId, ServerFnError> {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<engine::UserId>().cloned())
        .ok_or_else(|| ServerFnError::new("Log in to continue."))
}

#[cfg(feature = "ssr")]
fn manager() -> Result<std::sync::Arc<engine::EngineManager>, ServerFnError> {
    use_context::<std::sync::Arc<engine::EngineManager>>()
        .ok_or_else(|| ServerFnError::new("engine manager missing from context"))
}

/// The logged-in user's engine, started on first use.
#[cfg(feature = "ssr")]
pub async fn user_engine() -> Result<std::sync::Arc<engine::UserEngine>, ServerFnError> {
    let user = current_user()?;
    manager()?
        .engine(&user)
        .await
        .map_err(|e| ServerFnError::new(format!("the trading engine could not start: {e}")))
}

/// Mode, ticker state, subscriptions and uptime for the status bar.
#[server]
pub async fn get_status() -> Result<ServerStatus, ServerFnError> {
    user_engine().await?;
    Ok(manager()?.hub().status(&current_user()?))
}

/// The market-watch rows with their latest ticks.
#[server]
pub async fn get_watchlist() -> Result<Vec<WatchRow>, ServerFnError> {
    let engine = user_engine().await?;
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
    let engine = user_engine().await?;
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

/// The option chain of `underlying` for `expiry` (`YYYY-MM-DD`; nearest when absent).
#[server]
pub async fn get_option_chain(
    underlying: Underlying,
    expiry: Option<String>,
) -> Result<OptionChain, ServerFnError> {
    user_engine()
        .await?
        .option_chain(underlying, expiry)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// Starts the OI tracker for every supported underlying (idempotent) and returns what it has.
#[server]
pub async fn start_oi_tracker() -> Result<Vec<OiSummary>, ServerFnError> {
    let engine = user_engine().await?;
    engine.oi_tracker().start(&Underlying::ALL).await;
    Ok(engine.oi_tracker().summaries())
}

#[server]
pub async fn get_scan_status() -> Result<ScanStatus, ServerFnError> {
    Ok(user_engine().await?.scanner().status())
}

/// Starts a scan in the background unless one is running.
#[server]
pub async fn start_scan() -> Result<ScanStarted, ServerFnError> {
    Ok(user_engine().await?.scanner().start())
}

/// The last finished scan, if any.
#[server]
pub async fn get_scan_results() -> Result<Option<ScanResults>, ServerFnError> {
    Ok(user_engine().await?.scanner().results())
}

/// Daily candles of `symbol` for the chart (from the scanner's cache, fetched when missing).
#[server]
pub async fn get_candles(symbol: String, days: u32) -> Result<Vec<Candle>, ServerFnError> {
    user_engine()
        .await?
        .scanner()
        .candles(&symbol, days)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// The user's recent alerts, newest first (the Alerts list; new ones arrive on `/ws/live`).
#[server]
pub async fn get_alerts() -> Result<Vec<model::Alert>, ServerFnError> {
    Ok(user_engine().await?.alerts())
}

/// Health of the server, its database, and this user's feed and Kite session (the Health page).
#[server]
pub async fn get_health() -> Result<model::Health, ServerFnError> {
    let user = current_user()?;
    Ok(manager()?.health(Some(&user)).await)
}

#[cfg(feature = "ssr")]
fn alert_email_error(e: engine::ManagerError) -> ServerFnError {
    ServerFnError::new(format!("the alert email setting is unavailable: {e}"))
}

/// The user's "email me my alerts" setting (off until they turn it on).
#[server]
pub async fn get_alert_email() -> Result<model::AlertEmailSetting, ServerFnError> {
    manager()?
        .alert_email(&current_user()?)
        .await
        .map_err(alert_email_error)
}

/// Turns the user's alert mails on or off; returns the setting as stored.
#[server]
pub async fn set_alert_email(enabled: bool) -> Result<model::AlertEmailSetting, ServerFnError> {
    manager()?
        .set_alert_email(&current_user()?, enabled)
        .await
        .map_err(alert_email_error)
}
