//! One user's engine: their ticker connection, their market watch, their live fan-out, and the
//! analytics over their Kite session (option chains, OI tracker, scanner).

use crate::db::Db;
use crate::error::EngineError;
use crate::hub::UserId;
use crate::instruments::InstrumentStore;
use crate::market_watch::MarketWatch;
use crate::options::{ChainSource, OiBase, OiTracker, DEFAULT_RATE};
use crate::scanner::Scanner;
use crate::trading::{TradingConfig, TradingService};
use kite::ticker::Credentials;
use kite::{KiteClient, KiteError, TickerClient, TickerConfig, TickerEvent, TickerHandle};
use model::options::{OptionChain, Underlying};
use model::{LiveMessage, Mode, ServerStatus, Tick, TickerState, WatchInstrument, WatchRow};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, mpsc};
use tracing::{info_span, warn, Instrument};

/// Capacity of the per-user live channel. A dashboard that falls this far behind skips to the latest
/// state (it re-reads the whole watch) rather than slowing the engine.
const LIVE_CAPACITY: usize = 4096;

/// Settings of the analytics part of an engine.
#[derive(Debug, Clone)]
pub struct AnalyticsConfig {
    /// Risk-free rate (continuously compounded) for IV and greeks; default 6.5 %.
    pub rate: f64,
    /// NSE symbols the scanner scans; default the NIFTY 50.
    pub universe: Vec<String>,
    /// Live trading: execution, option-structure cadence, kill switch wait.
    pub trading: TradingConfig,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            rate: DEFAULT_RATE,
            universe: crate::scanner::universe::nifty_50(),
            trading: TradingConfig::default(),
        }
    }
}

pub struct UserEngine {
    user: UserId,
    kite: KiteClient,
    ticker: TickerHandle,
    watch: RwLock<MarketWatch>,
    live: broadcast::Sender<LiveMessage>,
    ticks_received: AtomicU64,
    reconnects: AtomicU64,
    db: Db,
    chains: ChainSource,
    oi: OiTracker,
    scanner: Scanner,
    trading: Arc<TradingService>,
    alerts: Arc<crate::alerts::Alerts>,
}

impl UserEngine {
    /// Connects the user's ticker, subscribes the watch list in full mode and starts the event loop,
    /// with the default analytics settings.
    pub fn start(
        user: UserId,
        kite: KiteClient,
        ticker: TickerConfig,
        instruments: Vec<WatchInstrument>,
        db: Db,
    ) -> Arc<Self> {
        Self::start_with(
            user,
            kite,
            ticker,
            instruments,
            db,
            AnalyticsConfig::default(),
        )
    }

    /// [`UserEngine::start`] with explicit analytics settings.
    pub fn start_with(
        user: UserId,
        kite: KiteClient,
        ticker: TickerConfig,
        instruments: Vec<WatchInstrument>,
        db: Db,
        config: AnalyticsConfig,
    ) -> Arc<Self> {
        let (handle, events) = TickerClient::spawn(ticker);
        let watch = MarketWatch::new(instruments);
        handle.subscribe(&watch.tokens(), Mode::Full);
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        let dumps = Arc::new(InstrumentStore::new());
        let chains = ChainSource::new(
            kite.clone(),
            dumps.clone(),
            Arc::new(OiBase::new()),
            config.rate,
        );
        let oi = OiTracker::new(chains.clone(), handle.clone());
        let scanner = Scanner::new(kite.clone(), db.candles(), dumps.clone(), config.universe);
        let trading = TradingService::new(
            user.clone(),
            kite.clone(),
            handle.clone(),
            dumps,
            chains.clone(),
            db.clone(),
            live.clone(),
            config.trading,
        );
        let alerts = Arc::new(crate::alerts::Alerts::new(live.clone()));
        tokio::spawn(relay_kill_switch(Arc::downgrade(&alerts), live.subscribe()));
        let engine = Arc::new(Self {
            user: user.clone(),
            kite,
            ticker: handle,
            watch: RwLock::new(watch),
            live,
            ticks_received: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            db,
            chains,
            oi,
            scanner,
            trading,
            alerts,
        });
        let e = Arc::downgrade(&engine);
        tokio::spawn(
            async move { run(e, events).await }.instrument(info_span!("engine", user = %user)),
        );
        engine
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub fn ticker_state(&self) -> TickerState {
        self.ticker.state()
    }

    pub fn ticker(&self) -> &TickerHandle {
        &self.ticker
    }

    /// The user's Kite REST client (their own session and rate limits).
    pub fn kite(&self) -> &KiteClient {
        &self.kite
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The option chain of `underlying` for `expiry` (`YYYY-MM-DD`; the nearest when `None`).
    pub async fn option_chain(
        &self,
        underlying: Underlying,
        expiry: Option<String>,
    ) -> Result<OptionChain, EngineError> {
        self.chains.chain(underlying, expiry).await
    }

    pub fn oi_tracker(&self) -> &OiTracker {
        &self.oi
    }

    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Live trading: strategies, risk, execution, journal, kill switch, backtests.
    pub fn trading(&self) -> &Arc<TradingService> {
        &self.trading
    }

    /// Finishes a Kite login: exchanges the request token for a session and hands the new access
    /// token to both the REST client and the ticker, which reconnects with it. The session (with its
    /// token) goes back to the caller to be stored; it is never logged.
    pub async fn complete_login(
        &self,
        request_token: &str,
        api_secret: &str,
    ) -> Result<model::broker::Session, KiteError> {
        let session = self
            .kite
            .generate_session(request_token, api_secret)
            .await?;
        self.ticker.set_credentials(Credentials {
            api_key: self.kite.api_key().to_string(),
            access_token: session.access_token.clone(),
        });
        Ok(session)
    }

    pub fn subscribed(&self) -> usize {
        self.ticker.subscribed_count()
    }

    /// Times the ticker lost its connection and started reconnecting.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    pub fn ticks_received(&self) -> u64 {
        self.ticks_received.load(Ordering::Relaxed)
    }

    /// The user's recent alerts, newest first.
    pub fn alerts(&self) -> Vec<model::Alert> {
        self.alerts.recent()
    }

    /// A receiver of this user's live messages from now on.
    pub fn live(&self) -> broadcast::Receiver<LiveMessage> {
        self.live.subscribe()
    }

    pub fn latest_ticks(&self) -> Vec<Tick> {
        self.read_watch().ticks()
    }

    pub fn watch_rows(&self) -> Vec<WatchRow> {
        self.read_watch().rows()
    }

    fn read_watch(&self) -> std::sync::RwLockReadGuard<'_, MarketWatch> {
        self.watch.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Fills the engine's part of the server status.
    pub fn fill_status(&self, status: &mut ServerStatus) {
        status.ticker = self.ticker_state();
        status.subscribed = self.subscribed();
        status.ticks_received = self.ticks_received();
    }

    fn on_event(&self, ev: TickerEvent) {
        match ev {
            TickerEvent::Ticks(ticks) => {
                self.ticks_received
                    .fetch_add(ticks.len() as u64, Ordering::Relaxed);
                // Option legs of the OI tracker feed the tracker only: they are not watch rows and
                // would flood the dashboards' live channel. Index ticks feed both.
                for t in &ticks {
                    self.oi.on_tick(t);
                    self.trading.on_tick(t);
                }
                let merged: Vec<Tick> = {
                    let mut w = self.watch.write().unwrap_or_else(|p| p.into_inner());
                    ticks
                        .into_iter()
                        .filter(|t| !self.oi.is_leg(t.token))
                        .map(|t| w.apply(t))
                        .collect()
                };
                for tick in merged {
                    let _ = self.live.send(LiveMessage::Tick { tick });
                }
            }
            TickerEvent::State(ticker) => {
                self.alerts.on_ticker(&ticker);
                if matches!(ticker, TickerState::Reconnecting { .. }) {
                    self.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                if ticker == TickerState::Connected {
                    // Postbacks may have been missed while disconnected.
                    let t = self.trading.clone();
                    tokio::spawn(async move { t.on_reconnect().await });
                }
                let _ = self.live.send(LiveMessage::Ticker { ticker });
            }
            TickerEvent::Error(e) => warn!(error = %e, "ticker error"),
            TickerEvent::Order(data) => {
                self.alerts.on_postback(&data);
                let t = self.trading.clone();
                tokio::spawn(async move { t.on_order_update(data).await });
            }
            TickerEvent::Notice(_) => {}
        }
    }
}

impl Drop for UserEngine {
    fn drop(&mut self) {
        self.ticker.shutdown();
    }
}

/// The kill switch is the trading service's: its pushes become alerts here, while the alerts live.
async fn relay_kill_switch(
    alerts: std::sync::Weak<crate::alerts::Alerts>,
    mut live: broadcast::Receiver<LiveMessage>,
) {
    loop {
        match live.recv().await {
            Ok(LiveMessage::KillSwitch { kill_switch }) => match alerts.upgrade() {
                Some(a) => a.on_kill_switch(&kill_switch),
                None => return,
            },
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                if alerts.strong_count() == 0 {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn run(engine: std::sync::Weak<UserEngine>, mut events: mpsc::Receiver<TickerEvent>) {
    while let Some(ev) = events.recv().await {
        let Some(engine) = engine.upgrade() else {
            break;
        };
        engine.on_event(ev);
    }
}
