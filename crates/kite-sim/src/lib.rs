//! The sandbox: a wire-compatible Kite Connect simulator that runs on loopback.
//!
//! It is the product's default when no Kite credentials are configured, so a new user sees a live market
//! at once, and every test of the Kite path runs against it over real sockets. Two listeners, as Kite
//! has two hosts: the ticker WebSocket (served at `/`) and an HTTP side (Kite's REST routes at the root,
//! admin and fault injection under `/admin`).
//!
//! The exchange side: orders pass Kite's synchronous checks ([`rules`]), then live in per-user order
//! books ([`accounts`]) that match against the market's five-level depth ([`matching`]), on a clock
//! that can run fast or stay open at night ([`clock`]), written through to SQLite when a data
//! directory is configured ([`store`]).
#![forbid(unsafe_code)]

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod charges;
pub mod clock;
pub mod codec;
pub mod gtt_book;
pub mod history;
pub mod instruments;
pub mod lifecycle;
pub mod market;
pub mod matching;
pub mod order_book;
pub mod positions;
pub mod rest;
pub mod rules;
pub mod state;
pub mod store;
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
    /// Speed, start instant and the `stay_open` switch of the sandbox's clock.
    pub clock: clock::ClockConfig,
    /// Where accounts are stored (SQLite file inside); `None` keeps them in memory only.
    pub data_dir: Option<std::path::PathBuf>,
    /// Random REST failures from the start (also settable at `POST /admin/rest/random`).
    pub random_faults: Option<rest::faults::RandomFaultConfig>,
    /// Option strikes listed on each side of the at-the-money strike, per chain: sizes the universe (the
    /// dump and what the ticker streams) for load tests. Default [`instruments::STRIKES_EACH_SIDE`];
    /// at most [`instruments::MAX_STRIKES_EACH_SIDE`], beyond which `Sandbox::start` fails.
    pub strikes_each_side: u32,
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
            clock: clock::ClockConfig::default(),
            data_dir: None,
            random_faults: None,
            strikes_each_side: instruments::STRIKES_EACH_SIDE,
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
        let universe =
            instruments::Universe::build_sized(today, config.market.seed, config.strikes_each_side)
                .map_err(std::io::Error::other)?;
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
        let (store, loaded) = match &config.data_dir {
            Some(dir) => {
                let (store, loaded) = store::Store::open(dir)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                (Some(store), Some(loaded))
            }
            None => (None, None),
        };
        let random_faults = config.random_faults.clone();
        let shared = Shared::new(
            config,
            first,
            state::MarketData { universe, history },
            store,
        );
        state::lock(&shared.rest_faults).set_random(random_faults);
        if let Some(loaded) = loaded {
            let mut accounts = state::lock(&shared.accounts);
            for a in loaded.accounts {
                accounts.restore(a);
            }
            state::lock(&shared.gtts).restore(loaded.gtts);
        }

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

    /// Sets the default app's secret (the standalone sandbox's `--api-secret`).
    pub fn set_api_secret(&self, secret: impl Into<String>) {
        let mut auth = state::lock(&self.shared.auth);
        let redirect_url = auth
            .app(&self.shared.config.api_key)
            .and_then(|a| a.redirect_url.clone());
        auth.register_app(auth::App {
            api_key: self.shared.config.api_key.clone(),
            api_secret: secret.into(),
            redirect_url,
        });
    }

    /// Registers (or updates) another Kite app: each trader has their own api_key and secret, and the
    /// login page redirects to `redirect_url` for it.
    pub fn register_app(&self, api_key: &str, api_secret: &str, redirect_url: &str) {
        state::lock(&self.shared.auth).register_app(auth::App {
            api_key: api_key.to_string(),
            api_secret: api_secret.to_string(),
            redirect_url: Some(redirect_url.to_string()),
        });
    }

    /// Makes `user_id` log in only with `password` (other ids still log in with any).
    pub fn register_user(&self, user_id: &str, password: &str) {
        state::lock(&self.shared.auth).register_user(user_id, password);
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

    /// Moves the market one step now, outside its interval, and returns once the step's orders are
    /// matched (tests use a long interval and step by hand).
    pub async fn step_market(&self) {
        let before = self.shared.steps_done();
        self.shared.step_now.notify_one();
        while self.shared.steps_done() == before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Gaps an NSE stock's price by `percent` (−1.0 = down 1 %) and steps the market, so resting orders
    /// meet the new depth at once. `false` for a symbol that is not a stock or a percent at or below −100.
    pub async fn jump_price(&self, symbol: &str, percent: f64) -> bool {
        let snap = self.shared.latest();
        let Some(i) = self.shared.find_listing(&snap, "NSE", symbol) else {
            return false;
        };
        let factor = 1.0 + percent / 100.0;
        if !(market::is_stock(i) && factor.is_finite() && factor > 0.0) {
            return false;
        }
        state::lock(&self.shared.jumps).push((i, factor));
        self.step_market().await;
        true
    }

    /// Changes the sandbox clock: speed multiplier, the open switch, and/or the current instant (Unix s).
    pub fn set_clock(&self, speed: Option<f64>, stay_open: Option<bool>, at: Option<i64>) {
        state::lock(&self.shared.clock).set(speed, stay_open, at);
    }

    /// The sandbox clock's current Unix time.
    pub fn clock_now(&self) -> i64 {
        self.shared.now()
    }

    /// The broker's truth for one account, read in process: no rate limit, no injected REST fault
    /// (a test or the chaos runner checks the product against it while faults hit the REST side).
    pub fn account_view(&self, user_id: &str) -> AccountView {
        let snap = self.shared.latest();
        let last = |t| snap.index_of(t).map(|i| snap.quotes[i].last as f64 / 100.0);
        let lookup = |s: &str| self.shared.lookup_symbol(&snap, s);
        let mut accounts = state::lock(&self.shared.accounts);
        let a = accounts.account_mut(&user_id.to_uppercase(), &lookup);
        AccountView {
            orders: a.orders(),
            trades: a.trades(),
            positions: a.positions(&last),
        }
    }

    /// The instruments the sandbox streams.
    pub fn instruments(&self) -> Vec<model::WatchInstrument> {
        universe::watch_instruments()
    }
}

/// One account as the exchange sees it ([`Sandbox::account_view`]).
#[derive(Debug, Clone)]
pub struct AccountView {
    pub orders: Vec<model::broker::Order>,
    pub trades: Vec<model::broker::Trade>,
    pub positions: model::broker::Positions,
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
        tokio::select! {
            _ = interval.tick() => {}
            _ = shared.step_now.notified() => {}
        }
        let now = shared.now();
        for (i, factor) in std::mem::take(&mut *state::lock(&shared.jumps)) {
            market.jump(i, factor);
        }
        let changed = market.step(now.clamp(0, u32::MAX as i64) as u32);
        let quotes = market.quotes();
        let quote_of = |t: model::InstrumentToken| by_token.get(&t).map(|&i| quotes[i].clone());
        state::lock(&shared.accounts).on_market(&quote_of, now, clock::in_hours(now));
        shared.settle();
        shared.publish(Snapshot {
            quotes: market.quotes().to_vec(),
            changed,
            by_token: by_token.clone(),
            by_symbol: by_symbol.clone(),
        });
        shared.fire_gtts();
        shared.step_finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use instruments::{Universe, UniverseError, MAX_STRIKES_EACH_SIDE, STRIKES_EACH_SIDE};
    use tokio_tungstenite::tungstenite::Message;

    fn sized(strikes_each_side: u32) -> SandboxConfig {
        SandboxConfig {
            strikes_each_side,
            step_interval: Duration::from_secs(3600),
            ..SandboxConfig::default()
        }
    }

    #[test]
    fn default_config_lists_the_default_strikes() {
        assert_eq!(
            SandboxConfig::default().strikes_each_side,
            STRIKES_EACH_SIDE
        );
    }

    #[tokio::test]
    async fn a_sized_sandbox_serves_and_streams_the_bigger_universe() {
        let sb = Sandbox::start(sized(80)).await.unwrap();
        let dump = reqwest::get(format!("{}/instruments", sb.http_url()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let today = sb.shared.data.universe.today();
        let expected = Universe::build_sized(today, MarketConfig::default().seed, 80).unwrap();
        let default = Universe::build(today, MarketConfig::default().seed).unwrap();
        assert_eq!(dump, expected.to_csv(None));
        assert!(expected.instruments().len() > default.instruments().len() + 2_000);
        // The market prices every derivative of the sized universe, so the ticker can stream it.
        let snap = sb.shared.latest();
        for i in expected.instruments().iter().filter(|i| i.is_derivative()) {
            assert!(snap.index_of(i.token).is_some(), "{}", i.tradingsymbol);
        }
    }

    #[tokio::test]
    async fn too_many_strikes_fail_the_start() {
        let err = Sandbox::start(sized(MAX_STRIKES_EACH_SIDE + 1))
            .await
            .err()
            .expect("refused");
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<UniverseError>());
        assert_eq!(
            inner,
            Some(&UniverseError::TooManyStrikes(MAX_STRIKES_EACH_SIDE + 1))
        );
    }

    /// Kite's cap of 3,000 instruments per connection holds once the universe is bigger than that.
    #[tokio::test]
    async fn one_connection_holds_at_most_3000_instruments() {
        let sb = Sandbox::start(sized(80)).await.unwrap();
        let streamed: Vec<u32> = sb
            .shared
            .latest()
            .quotes
            .iter()
            .map(|q| q.token.0)
            .collect();
        assert!(streamed.len() > ticker::MAX_INSTRUMENTS_PER_CONNECTION);
        let url = format!(
            "{}/?api_key={}&access_token={}",
            sb.ws_url(),
            sb.api_key(),
            sb.mint_access_token()
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let msg = serde_json::json!({"a": "subscribe", "v": streamed}).to_string();
        ws.send(Message::Text(msg.into())).await.unwrap();
        let error = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    return Some(t.to_string());
                }
            }
            None
        })
        .await
        .unwrap()
        .expect("an error message");
        assert!(error.contains("Subscription limit of 3000"), "{error}");
        let held: Vec<usize> = sb
            .ticker_connections()
            .iter()
            .map(|c| c.subscriptions.len())
            .collect();
        assert_eq!(held, vec![ticker::MAX_INSTRUMENTS_PER_CONNECTION]);
    }
}
