//! The sandbox: a wire-compatible Kite Connect simulator that runs on loopback.
//!
//! It is the product's default when no Kite credentials are configured, so a new user sees a live market
//! at once, and every test of the Kite path runs against it over real sockets. Two listeners, as Kite
//! has two hosts: the ticker WebSocket (served at `/`) and an HTTP side (admin and fault injection now,
//! the REST API later).
#![forbid(unsafe_code)]

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod charges;
pub mod codec;
pub mod gtt_book;
pub mod history;
pub mod instruments;
pub mod market;
pub mod rest;
pub mod state;
pub mod ticker;
pub mod universe;

pub use state::ConnectionInfo;

use market::{Market, MarketConfig};
use state::{Shared, Snapshot};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::info;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub api_key: String,
    pub market: MarketConfig,
    /// How often the market moves.
    pub step_interval: Duration,
    pub heartbeat_interval: Duration,
    pub max_connections_per_key: usize,
    /// `127.0.0.1:0` picks a free port.
    pub http_addr: SocketAddr,
    pub ws_addr: SocketAddr,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: "sandbox_api_key".into(),
            market: MarketConfig::default(),
            step_interval: Duration::from_millis(250),
            heartbeat_interval: ticker::DEFAULT_HEARTBEAT,
            max_connections_per_key: 3,
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ws_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A running sandbox. Dropping it stops its tasks.
pub struct Sandbox {
    shared: Arc<Shared>,
    http_addr: SocketAddr,
    ws_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    pub async fn start(config: SandboxConfig) -> std::io::Result<Self> {
        let now = std::time::SystemTime::now();
        let today = history::ist_now(now).date();
        let universe = instruments::Universe::build(today, config.market.seed)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let unix = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let market = Market::with_universe(config.market.clone(), &universe, unix);
        let by_token: Arc<HashMap<_, _>> = Arc::new(
            market
                .quotes()
                .iter()
                .enumerate()
                .map(|(i, q)| (q.token, i))
                .collect(),
        );
        let by_symbol: Arc<HashMap<_, _>> = Arc::new(
            market
                .quotes()
                .iter()
                .enumerate()
                .map(|(i, q)| ((q.exchange, q.symbol.clone()), i))
                .collect(),
        );
        let first = Snapshot {
            quotes: market.quotes().to_vec(),
            changed: Vec::new(),
            by_token: by_token.clone(),
            by_symbol: by_symbol.clone(),
        };
        let ws_listener = TcpListener::bind(config.ws_addr).await?;
        let http_listener = TcpListener::bind(config.http_addr).await?;
        let ws_addr = ws_listener.local_addr()?;
        let http_addr = http_listener.local_addr()?;
        let step = config.step_interval;
        let history = history::History::from_universe(config.market.seed, &universe);
        let shared = Shared::new(config, first, state::MarketData { universe, history });

        let stepper = {
            let shared = shared.clone();
            tokio::spawn(async move { run_market(market, shared, by_token, by_symbol, step).await })
        };
        let ws_app = axum::Router::new()
            .route("/", axum::routing::get(ticker::upgrade))
            .with_state(shared.clone());
        let ws_task = tokio::spawn(async move {
            let _ = axum::serve(ws_listener, ws_app).await;
        });
        let http_app = admin::router(shared.clone());
        let http_task = tokio::spawn(async move {
            let _ = axum::serve(http_listener, http_app).await;
        });
        info!(%ws_addr, %http_addr, "sandbox started");
        Ok(Self {
            shared,
            http_addr,
            ws_addr,
            tasks: vec![stepper, ws_task, http_task],
        })
    }

    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// A session for the demo user without the browser leg: an access token valid for REST and the
    /// ticker.
    pub fn mint_access_token(&self) -> String {
        self.mint_session(auth::DEMO_USER).access_token
    }

    /// A session for `user_id` on the default app.
    pub fn mint_session(&self, user_id: &str) -> auth::SessionInfo {
        state::lock(&self.shared.auth).mint(&self.shared.config.api_key, user_id)
    }

    pub fn revoke_access_token(&self, token: &str) {
        state::lock(&self.shared.auth).revoke(token);
    }

    /// The default app's secret (the sandbox's own, not a real one).
    pub fn api_secret(&self) -> String {
        state::lock(&self.shared.auth)
            .app(&self.shared.config.api_key)
            .map(|a| a.api_secret.clone())
            .unwrap_or_default()
    }

    /// Where the login page redirects for the default app.
    pub fn set_redirect_url(&self, url: impl Into<String>) {
        let _ = state::lock(&self.shared.auth)
            .set_redirect_url(&self.shared.config.api_key, url.into());
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    pub fn ticker_connections(&self) -> Vec<ConnectionInfo> {
        self.shared.connections()
    }

    /// Fault: drop every ticker socket and refuse new ones for `refuse_for`.
    pub fn drop_ticker_connections(&self, refuse_for: Duration) {
        self.shared.faults.drop_connections(refuse_for);
    }

    /// Fault: keep ticker sockets open but silent for `duration`.
    pub fn stall_ticker(&self, duration: Duration) {
        self.shared.faults.stall(duration);
    }

    /// The instruments the sandbox streams.
    pub fn instruments(&self) -> Vec<model::WatchInstrument> {
        universe::watch_instruments()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn run_market(
    mut market: Market,
    shared: Arc<Shared>,
    by_token: Arc<HashMap<model::InstrumentToken, usize>>,
    by_symbol: Arc<HashMap<(model::Exchange, Arc<str>), usize>>,
    step: Duration,
) {
    let mut interval = tokio::time::interval(step);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        let changed = market.step(now);
        let quotes = market.quotes();
        let quote_of = |t: model::InstrumentToken| by_token.get(&t).map(|&i| quotes[i].clone());
        let filled = state::lock(&shared.accounts).on_market(&quote_of, now as i64);
        for (user, order) in filled {
            shared.post_order_update(&user, &order);
        }
        shared.publish(Snapshot {
            quotes: market.quotes().to_vec(),
            changed,
            by_token: by_token.clone(),
            by_symbol: by_symbol.clone(),
        });
        shared.fire_gtts();
    }
}
