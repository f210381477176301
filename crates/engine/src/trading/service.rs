//! [`TradingService`]: one user's live trading.
//!
//! Flow: ticks → runner threads (bars, strategy) → signals → risk manager → journal + dashboard →
//! execution engine → broker; executor events (order changes, fills) → journal, risk, dashboard.
//! Signals are handled one at a time per user, so the risk manager sees every order before the next
//! signal is judged. The kill switch has its own path and lock: it never waits for a strategy.

use super::backtest_job::{self, Job, Progress};
use super::intent::{order_for, target_position};
use super::options_runner::{self, OptionsRunner};
use super::runner::{Runner, RunnerInput, RunnerSignal};
use crate::db::Db;
use crate::error::EngineError;
use crate::execution::{ExecConfig, ExecEvent, Executor, OrderRequest};
use crate::hub::UserId;
use crate::instruments::InstrumentStore;
use crate::journal::{now_ms, Journal};
use crate::options::ChainSource;
use crate::risk::{OrderIntent, RiskManager};
use crate::strategy::{family_of, strategy_kinds, Strategy, StrategySpec};
use kite::{KiteClient, TickerHandle};
use model::broker::{Instrument, OrderPostback, Product};
use model::trading::{
    AddStrategy, BacktestProgress, BacktestRequest, ExecStatus, JournalReport, KillSwitchAction,
    KillSwitchState, LiveStatus, PositionRow, RiskStatus, RiskVerdict, SignalEvent, StrategyConfig,
    StrategyFamily, StrategyId, StrategyKindInfo, StrategyRow,
};
use model::{Exchange, InstrumentToken, LiveMessage, Mode, Tick};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tracing::{info, info_span, warn, Instrument as _};

/// Settings of the trading part of an engine.
#[derive(Debug, Clone)]
pub struct TradingConfig {
    pub exec: ExecConfig,
    /// How often option structures look at their chain.
    pub chain_every: Duration,
    /// How long the kill switch waits to see the account flat.
    pub flat_wait: Duration,
}

impl Default for TradingConfig {
    fn default() -> Self {
        Self {
            exec: ExecConfig::default(),
            chain_every: Duration::from_secs(5),
            flat_wait: Duration::from_secs(5),
        }
    }
}

/// A strategy running live.
struct Active {
    config: StrategyConfig,
    /// The traded instrument (equity strategies); option structures pick theirs from the chain.
    instrument: Option<Instrument>,
    runner: Option<Runner>,
    options: Option<OptionsRunner>,
}

#[derive(Default)]
struct LiveState {
    running: bool,
    since_ms: Option<u64>,
    active: HashMap<StrategyId, Active>,
    /// Instrument token → strategies fed by it.
    feeds: HashMap<InstrumentToken, Vec<StrategyId>>,
    poller: Option<tokio::task::JoinHandle<()>>,
}

/// Net position per (strategy, instrument), from the journalled fills.
#[derive(Default)]
struct Book {
    net: HashMap<(Option<StrategyId>, String), i64>,
}

pub struct TradingService {
    user: UserId,
    kite: KiteClient,
    journal: Journal,
    executor: Executor,
    risk: Mutex<RiskManager>,
    live: broadcast::Sender<LiveMessage>,
    ticker: TickerHandle,
    dumps: Arc<InstrumentStore>,
    chains: ChainSource,
    db: Db,
    config: TradingConfig,
    state: Mutex<LiveState>,
    book: Mutex<Book>,
    /// Last price per `EXCH:SYMBOL` of every instrument traded or held.
    marks: Mutex<HashMap<String, f64>>,
    /// Token → `EXCH:SYMBOL` for the instruments whose prices matter (traded, held).
    marked: Mutex<HashMap<InstrumentToken, String>>,
    signals_tx: mpsc::UnboundedSender<RunnerSignal>,
    backtest: Progress,
    kill_lock: tokio::sync::Mutex<()>,
    firing: AtomicBool,
    /// The service's own `Arc`, for tasks it spawns on itself.
    me: std::sync::OnceLock<Weak<TradingService>>,
    restored: tokio::sync::OnceCell<()>,
    /// The kill switch as last journalled (the risk manager enforces it; this adds when the
    /// account was seen flat).
    kill: Mutex<KillSwitchState>,
    custom_ids: std::sync::atomic::AtomicU64,
    /// The broker's positions as last pushed to the dashboards.
    last_positions: Mutex<HashMap<String, PositionRow>>,
    refreshing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `EXCH:SYMBOL`.
pub fn key(exchange: Exchange, symbol: &str) -> String {
    format!("{}:{symbol}", exchange.as_str())
}

fn invalid(e: impl std::fmt::Display) -> EngineError {
    EngineError::Invalid(e.to_string())
}

impl TradingService {
    /// Builds the service and starts its background loops. The journal's risk limits, kill switch
    /// and positions are restored by [`TradingService::ready`], which every entry point awaits
    /// first (and which starts at once in the background), so no order can go out before the
    /// kill switch state is known.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        user: UserId,
        kite: KiteClient,
        ticker: TickerHandle,
        dumps: Arc<InstrumentStore>,
        chains: ChainSource,
        db: Db,
        live: broadcast::Sender<LiveMessage>,
        config: TradingConfig,
    ) -> Arc<Self> {
        let journal = Journal::new(db.clone(), user.clone());
        // The defaults are valid limits; `ready` replaces them with the stored ones.
        let risk = RiskManager::new(model::trading::RiskLimits::default())
            .expect("the default risk limits are valid");
        let executor = Executor::new(kite.clone(), journal.clone(), config.exec.clone());
        let (signals_tx, signals_rx) = mpsc::unbounded_channel();
        let svc = Arc::new(Self {
            user: user.clone(),
            kite,
            journal,
            executor,
            risk: Mutex::new(risk),
            live,
            ticker,
            dumps,
            chains,
            db,
            config,
            state: Mutex::new(LiveState::default()),
            book: Mutex::new(Book::default()),
            marks: Mutex::new(HashMap::new()),
            marked: Mutex::new(HashMap::new()),
            signals_tx,
            backtest: Arc::new(Mutex::new(BacktestProgress::Idle)),
            kill_lock: tokio::sync::Mutex::new(()),
            firing: AtomicBool::new(false),
            me: std::sync::OnceLock::new(),
            restored: tokio::sync::OnceCell::new(),
            kill: Mutex::new(KillSwitchState::default()),
            custom_ids: std::sync::atomic::AtomicU64::new(0),
            last_positions: Mutex::new(HashMap::new()),
            refreshing: AtomicBool::new(false),
        });
        let _ = svc.me.set(Arc::downgrade(&svc));
        let span = info_span!("trading", user = %user);
        let w = Arc::downgrade(&svc);
        tokio::spawn(signal_loop(w, signals_rx).instrument(span.clone()));
        let w = Arc::downgrade(&svc);
        let events = svc.executor.events();
        tokio::spawn(exec_loop(w, events).instrument(span.clone()));
        let w = Arc::downgrade(&svc);
        tokio::spawn(flush_loop(w).instrument(span.clone()));
        let w = Arc::downgrade(&svc);
        tokio::spawn(
            async move {
                if let Some(s) = w.upgrade() {
                    if let Err(e) = s.ready().await {
                        warn!(error = %e, "restoring the trading state failed");
                    }
                    // Orders left working by a previous run (or placed while it was down) are
                    // brought up to date before anything else trades.
                    if s.kite.has_session() {
                        if let Err(e) = s.executor.reconcile().await {
                            warn!(error = %e, "reconciliation at start failed");
                        }
                    }
                }
            }
            .instrument(span),
        );
        svc
    }

    /// Restores risk limits, the kill switch and positions from the journal, once.
    pub async fn ready(&self) -> Result<(), EngineError> {
        self.restored
            .get_or_try_init(|| async {
                let limits = self.journal.risk_limits().await?;
                let kill = self.journal.kill_switch().await?;
                {
                    let mut risk = lock(&self.risk);
                    risk.set_limits(limits).map_err(invalid)?;
                    if kill.active {
                        risk.fire_kill_switch(
                            kill.reason.clone().unwrap_or_else(|| "kill switch".into()),
                            kill.since_ms.unwrap_or_else(now_ms),
                        );
                    }
                }
                self.executor.set_halted(kill.active);
                *lock(&self.kill) = kill;
                self.restore_positions().await?;
                self.restore_approvals().await
            })
            .await
            .map(|_| ())
    }

    /// The user's journal (CSV export, tests).
    pub fn journal_db(&self) -> &Journal {
        &self.journal
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// Rebuilds per-strategy positions and the risk manager's book from the journal: earlier days'
    /// fills give positions only, today's also count toward the day's P&L.
    async fn restore_positions(&self) -> Result<(), EngineError> {
        let fills = self.journal.all_fills().await?;
        let today = crate::scanner::history::ist_now().date();
        let ist = crate::scanner::history::ist();
        let mut risk = lock(&self.risk);
        let mut book = lock(&self.book);
        let mut rolled = false;
        for f in &fills {
            let day = chrono::DateTime::from_timestamp_millis(f.ts_ms as i64)
                .map(|t| t.with_timezone(&ist).date_naive());
            if !rolled && day.is_some_and(|d| d >= today) {
                risk.new_day();
                rolled = true;
            }
            let k = key(f.exchange, &f.tradingsymbol);
            if let Err(e) = risk.on_fill(&k, f.strategy_id, f.side, f.quantity, f.price, f.charges)
            {
                warn!(error = %e, trade = %f.trade_id, "fill not counted by the risk manager");
            }
            *book.net.entry((f.strategy_id, k)).or_default() += signed(f.side, f.quantity);
        }
        if !rolled {
            risk.new_day();
        }
        Ok(())
    }

    /// The last minute's approved intents (from the journalled signals) count toward the
    /// orders-per-minute limit after a restart. A basket's signal counts once here, though its
    /// legs counted one each before.
    async fn restore_approvals(&self) -> Result<(), EngineError> {
        let since = now_ms().saturating_sub(crate::risk::WINDOW_MS);
        let times: Vec<u64> = self
            .journal
            .signals(10_000)
            .await?
            .into_iter()
            .take_while(|s| s.ts_ms > since)
            .filter(|s| !matches!(s.verdict, RiskVerdict::Rejected { .. }))
            .map(|s| s.ts_ms)
            .collect();
        if !times.is_empty() {
            info!(count = times.len(), "approvals of the last minute restored");
        }
        lock(&self.risk).restore_approvals(times);
        Ok(())
    }

    // ---- strategies -------------------------------------------------------------------------

    pub fn kinds(&self) -> Vec<StrategyKindInfo> {
        strategy_kinds()
    }

    pub async fn strategies(&self) -> Result<Vec<StrategyRow>, EngineError> {
        self.ready().await?;
        let marks = lock(&self.marks).clone();
        let mut rows = Vec::new();
        for config in self.journal.strategies().await? {
            let pnl = self.journal.strategy_pnl(config.id, &marks).await?;
            let signals = self.journal.signal_count(config.id).await?;
            let last_signal = self.journal.last_signal(config.id).await?;
            rows.push(StrategyRow {
                config,
                pnl,
                signals,
                last_signal,
            });
        }
        Ok(rows)
    }

    /// Validates the kind, parameters and instrument, stores the strategy, and starts it when live
    /// trading is on.
    pub async fn add_strategy(&self, req: AddStrategy) -> Result<StrategyConfig, EngineError> {
        self.ready().await?;
        let family = family_of(&req.kind).ok_or_else(|| {
            EngineError::Invalid(format!(
                "unknown strategy {:?}; accepted: {}",
                req.kind,
                strategy_kinds()
                    .iter()
                    .map(|k| k.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let pairs: Vec<String> = req.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let product = req.product.unwrap_or(match family {
            StrategyFamily::Equity => Product::Mis,
            StrategyFamily::Options => Product::Nrml,
        });
        let instrument = req.instrument.trim().to_uppercase();
        match family {
            StrategyFamily::Equity => {
                StrategySpec::parse(&req.kind, &pairs)
                    .and_then(|s| s.build().map(|_| ()))
                    .map_err(invalid)?;
                self.resolve(&instrument).await?;
                if !matches!(product, Product::Mis | Product::Cnc | Product::Nrml) {
                    return Err(EngineError::Invalid(format!(
                        "product must be MIS, CNC or NRML, got {}",
                        product.as_str()
                    )));
                }
            }
            StrategyFamily::Options => {
                options_runner::validate(&req.kind, &pairs, &instrument)?;
                if !matches!(product, Product::Mis | Product::Nrml) {
                    return Err(EngineError::Invalid(format!(
                        "option structures trade MIS or NRML, got {}",
                        product.as_str()
                    )));
                }
            }
        }
        let bar_seconds = req.bar_seconds.unwrap_or(60);
        if bar_seconds == 0 || bar_seconds > 86_400 {
            return Err(EngineError::Invalid(format!(
                "bar_seconds must be 1..=86400, got {bar_seconds}"
            )));
        }
        let config = StrategyConfig {
            id: 0,
            kind: req.kind.trim().to_string(),
            instrument,
            params: req.params,
            bar_seconds,
            product,
            quantity: req.quantity.unwrap_or(0),
            enabled: true,
            created_ms: now_ms(),
        };
        let config = self.journal.add_strategy(&config).await?;
        info!(id = config.id, kind = %config.kind, instrument = %config.instrument, "strategy added");
        if self.is_running() {
            self.activate(config.clone()).await?;
        }
        Ok(config)
    }

    pub async fn remove_strategy(&self, id: StrategyId) -> Result<(), EngineError> {
        if !self.journal.remove_strategy(id).await? {
            return Err(EngineError::Invalid(format!("no strategy {id}")));
        }
        self.deactivate(id);
        Ok(())
    }

    pub async fn toggle_strategy(
        &self,
        id: StrategyId,
        enabled: Option<bool>,
    ) -> Result<StrategyConfig, EngineError> {
        let current = self
            .journal
            .strategy(id)
            .await?
            .ok_or_else(|| EngineError::Invalid(format!("no strategy {id}")))?;
        let want = enabled.unwrap_or(!current.enabled);
        let config = self
            .journal
            .set_strategy_enabled(id, want)
            .await?
            .ok_or_else(|| EngineError::Invalid(format!("no strategy {id}")))?;
        if self.is_running() {
            if want {
                self.activate(config.clone()).await?;
            } else {
                self.deactivate(id);
            }
        }
        Ok(config)
    }

    /// `EXCH:SYMBOL` → today's instrument row.
    pub async fn resolve(&self, instrument: &str) -> Result<Instrument, EngineError> {
        let (exchange, symbol) = instrument.split_once(':').ok_or_else(|| {
            EngineError::Invalid(format!(
                "instrument must be EXCHANGE:SYMBOL (e.g. NSE:INFY), got {instrument:?}"
            ))
        })?;
        let exchange: Exchange = exchange
            .parse()
            .map_err(|_| EngineError::UnknownSymbol(instrument.to_string()))?;
        let dump = self.dumps.get(&self.kite, exchange).await?;
        dump.iter()
            .find(|i| i.tradingsymbol == symbol)
            .cloned()
            .ok_or_else(|| EngineError::UnknownSymbol(instrument.to_string()))
    }

    fn mark_instrument(&self, i: &Instrument) {
        lock(&self.marked).insert(i.instrument_token, key(i.exchange, &i.tradingsymbol));
    }

    async fn activate(&self, config: StrategyConfig) -> Result<(), EngineError> {
        let id = config.id;
        if lock(&self.state).active.contains_key(&id) {
            return Ok(());
        }
        let pairs: Vec<String> = config
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let active = match family_of(&config.kind) {
            Some(StrategyFamily::Equity) => {
                let instrument = self.resolve(&config.instrument).await?;
                let strategy = StrategySpec::parse(&config.kind, &pairs)
                    .and_then(|s| s.build())
                    .map_err(invalid)?;
                let runner =
                    Runner::spawn(id, strategy, config.bar_seconds, self.signals_tx.clone())
                        .map_err(|e| {
                            EngineError::Invalid(format!("cannot start strategy {id}: {e}"))
                        })?;
                self.mark_instrument(&instrument);
                self.ticker
                    .subscribe(&[instrument.instrument_token], Mode::Full);
                Active {
                    config,
                    instrument: Some(instrument),
                    runner: Some(runner),
                    options: None,
                }
            }
            Some(StrategyFamily::Options) => {
                let runner = options_runner::spawn(
                    id,
                    &config,
                    &pairs,
                    self.chains.clone(),
                    self.config.chain_every,
                    self.self_weak(),
                )?;
                Active {
                    config,
                    instrument: None,
                    runner: None,
                    options: Some(runner),
                }
            }
            None => {
                return Err(EngineError::Invalid(format!(
                    "unknown strategy {}",
                    config.kind
                )))
            }
        };
        let mut st = lock(&self.state);
        if let (Some(_), Some(i)) = (&active.runner, &active.instrument) {
            st.feeds.entry(i.instrument_token).or_default().push(id);
        }
        st.active.insert(id, active);
        Ok(())
    }

    /// Runs an embedder's own [`Strategy`] live on `instrument` (`EXCH:SYMBOL`) until live
    /// trading stops. Not persisted (it cannot be rebuilt from a stored configuration); its id is
    /// negative so it never meets a journal id. Its signals go through the same risk manager and
    /// execution engine as every other.
    pub async fn add_custom_strategy(
        &self,
        instrument: &str,
        strategy: Box<dyn Strategy>,
        bar_seconds: u32,
        product: Product,
        quantity: u32,
    ) -> Result<StrategyId, EngineError> {
        self.ready().await?;
        let instrument_row = self.resolve(instrument).await?;
        let id = -(self.custom_ids.fetch_add(1, Ordering::SeqCst) as StrategyId) - 1;
        let config = StrategyConfig {
            id,
            kind: strategy.name().to_string(),
            instrument: instrument.to_string(),
            params: Default::default(),
            bar_seconds,
            product,
            quantity,
            enabled: true,
            created_ms: now_ms(),
        };
        let runner = Runner::spawn(id, strategy, bar_seconds, self.signals_tx.clone())
            .map_err(|e| EngineError::Invalid(format!("cannot start strategy {id}: {e}")))?;
        self.mark_instrument(&instrument_row);
        self.ticker
            .subscribe(&[instrument_row.instrument_token], Mode::Full);
        let mut st = lock(&self.state);
        st.feeds
            .entry(instrument_row.instrument_token)
            .or_default()
            .push(id);
        st.active.insert(
            id,
            Active {
                config,
                instrument: Some(instrument_row),
                runner: Some(runner),
                options: None,
            },
        );
        Ok(id)
    }

    fn deactivate(&self, id: StrategyId) {
        let mut st = lock(&self.state);
        if let Some(a) = st.active.remove(&id) {
            if let Some(i) = &a.instrument {
                if let Some(list) = st.feeds.get_mut(&i.instrument_token) {
                    list.retain(|x| *x != id);
                }
            }
            if let Some(o) = a.options {
                o.stop();
            }
        }
    }

    fn self_weak(&self) -> Weak<Self> {
        self.me.get().cloned().unwrap_or_default()
    }

    fn strong(&self) -> Option<Arc<Self>> {
        self.me.get().and_then(Weak::upgrade)
    }

    // ---- live on/off ------------------------------------------------------------------------

    fn is_running(&self) -> bool {
        lock(&self.state).running
    }

    pub fn live_status(&self) -> LiveStatus {
        let st = lock(&self.state);
        LiveStatus {
            running: st.running,
            since_ms: st.since_ms,
            strategies_enabled: st.active.len(),
        }
    }

    /// Reconciles with the broker, then starts every enabled strategy. Refused while the kill
    /// switch is active.
    pub async fn start_live(&self) -> Result<LiveStatus, EngineError> {
        self.ready().await?;
        if lock(&self.kill).active {
            return Err(EngineError::Invalid(
                "the kill switch is active: reset it before starting live trading".into(),
            ));
        }
        if let Err(e) = self.executor.reconcile().await {
            warn!(error = %e, "reconciliation before going live failed");
        }
        {
            let mut st = lock(&self.state);
            if st.running {
                drop(st);
                return Ok(self.live_status());
            }
            st.running = true;
            st.since_ms = Some(now_ms());
            st.poller = Some(self.executor.spawn_poller());
        }
        for config in self.journal.strategies().await? {
            if config.enabled {
                if let Err(e) = self.activate(config.clone()).await {
                    warn!(id = config.id, error = %e, "strategy not started");
                    let _ = self
                        .journal
                        .insert_risk_event("strategy_failed", &format!("{}: {e}", config.id))
                        .await;
                }
            }
        }
        info!("live trading started");
        Ok(self.live_status())
    }

    /// Stops feeding strategies (orders already working keep being reconciled by the next start or
    /// the kill switch).
    pub async fn stop_live(&self) -> Result<LiveStatus, EngineError> {
        {
            let mut st = lock(&self.state);
            st.running = false;
            st.since_ms = None;
            for (_, a) in st.active.drain() {
                if let Some(o) = a.options {
                    o.stop();
                }
            }
            st.feeds.clear();
            if let Some(p) = st.poller.take() {
                p.abort();
            }
        }
        info!("live trading stopped");
        Ok(self.live_status())
    }

    // ---- ticks and postbacks -----------------------------------------------------------------

    /// Every tick of the user's ticker: marks prices and feeds the strategies listening to it.
    pub fn on_tick(&self, tick: &Tick) {
        let k = lock(&self.marked).get(&tick.token).cloned();
        if let Some(k) = k {
            if tick.last_price > 0.0 && tick.last_price.is_finite() {
                self.executor.on_tick(&k, tick);
                lock(&self.marks).insert(k.clone(), tick.last_price);
                let _ = lock(&self.risk).on_price(&k, tick.last_price);
                self.check_daily_loss();
            }
        }
        let st = lock(&self.state);
        if !st.running {
            return;
        }
        if let Some(ids) = st.feeds.get(&tick.token) {
            for id in ids {
                if let Some(r) = st.active.get(id).and_then(|a| a.runner.as_ref()) {
                    r.feed(RunnerInput::Tick(Box::new(*tick)));
                }
            }
        }
    }

    /// An order postback from the ticker (`type: order`).
    pub async fn on_order_update(&self, data: serde_json::Value) {
        match serde_json::from_value::<OrderPostback>(data) {
            Ok(p) => self.executor.on_order_update(&p.order).await,
            Err(e) => warn!(error = %e, "unreadable order postback"),
        }
    }

    /// After the ticker reconnects: postbacks may have been missed, so ask the broker.
    pub async fn on_reconnect(&self) {
        if let Err(e) = self.executor.reconcile().await {
            warn!(error = %e, "reconciliation after reconnect failed");
        }
    }

    // ---- signals -----------------------------------------------------------------------------

    async fn on_signal(&self, s: RunnerSignal) {
        if let Err(e) = self.ready().await {
            warn!(error = %e, "signal dropped: the trading state could not be restored");
            return;
        }
        let (config, instrument) = {
            let st = lock(&self.state);
            match st.active.get(&s.strategy_id) {
                Some(Active {
                    config,
                    instrument: Some(i),
                    ..
                }) if st.running => (config.clone(), i.clone()),
                _ => return,
            }
        };
        let k = key(instrument.exchange, &instrument.tradingsymbol);
        let lot = instrument.lot_size.max(1);
        let now = now_ms();
        let current = lock(&self.book)
            .net
            .get(&(Some(config.id), k.clone()))
            .copied()
            .unwrap_or(0);
        let (verdict, order) = {
            let mut risk = lock(&self.risk);
            let size = if config.quantity > 0 {
                config.quantity.saturating_mul(lot)
            } else {
                let atr = s.atr.unwrap_or(s.price * 0.01);
                risk.size(&k, Some(config.id), s.price, atr, lot)
            };
            let target = target_position(s.side, size, config.product);
            match order_for(current, target) {
                None => (
                    RiskVerdict::Rejected {
                        reason: format!("no order: already at the target position ({current})"),
                    },
                    None,
                ),
                Some((_, 0)) => (
                    RiskVerdict::Rejected {
                        reason: "position size is 0 (risk per trade too small for one lot)".into(),
                    },
                    None,
                ),
                Some((side, qty)) => {
                    let intent = OrderIntent {
                        strategy_id: Some(config.id),
                        instrument: k.clone(),
                        side,
                        quantity: qty,
                        price: s.price,
                        lot_size: lot,
                    };
                    let v = risk.check(&intent, now);
                    let q = match &v {
                        RiskVerdict::Approved { quantity }
                        | RiskVerdict::Reduced { quantity, .. } => *quantity,
                        RiskVerdict::Rejected { .. } => 0,
                    };
                    (v, (q > 0).then_some((side, q)))
                }
            }
        };
        let mut req = order.map(|(side, quantity)| OrderRequest {
            strategy_id: Some(config.id),
            basket: None,
            exchange: instrument.exchange,
            tradingsymbol: instrument.tradingsymbol.clone(),
            side,
            quantity,
            product: config.product,
            limit: None,
            tick_size: if instrument.tick_size > 0.0 {
                instrument.tick_size
            } else {
                0.05
            },
        });
        // The broker's margin calculator, for orders that add to a position, when the limits ask.
        let mut verdict = verdict;
        let check = lock(&self.risk).limits().check_margin;
        if let Some(r) = req
            .as_ref()
            .filter(|r| check && !super::intent::only_reduces(current, r.side, r.quantity))
        {
            if let Err(e) = self.executor.check_margin(r, s.price).await {
                lock(&self.risk).release(&k, Some(config.id), r.side, r.quantity);
                verdict = RiskVerdict::Rejected {
                    reason: e.to_string(),
                };
                req = None;
            }
        }
        let mut event = SignalEvent {
            id: 0,
            ts_ms: now,
            strategy_id: config.id,
            kind: config.kind.clone(),
            instrument: k.clone(),
            side: s.side,
            strength: s.strength,
            reason: s.reason.clone(),
            verdict: verdict.clone(),
        };
        match self.journal.insert_signal(&event).await {
            Ok(id) => event.id = id,
            Err(e) => warn!(error = %e, "signal not journalled"),
        }
        if let RiskVerdict::Rejected { reason } = &verdict {
            let _ = self
                .journal
                .insert_risk_event("rejected", &format!("strategy {} {k}: {reason}", config.id))
                .await;
        }
        let _ = self.live.send(LiveMessage::Signal { signal: event });
        let Some(req) = req else {
            return;
        };
        let (side, quantity) = (req.side, req.quantity);
        // The order works (chased, timed out) in its own task: the next signal is judged at once,
        // against the quantity this one reserved with the risk manager.
        let Some(me) = self.strong() else { return };
        let span = info_span!("order", strategy = config.id, instrument = %k);
        tokio::spawn(
            async move {
                // The kill switch may have fired since the risk manager approved this intent:
                // nothing new goes out once it is active. Checked here as well as in the executor
                // (which closes the last gap) so a refused intent spends none of the rate-limited
                // REST budget the kill switch's own requests need.
                if lock(&me.kill).active {
                    lock(&me.risk).release(&k, Some(config.id), side, quantity);
                    let _ = me
                        .journal
                        .insert_risk_event(
                            "blocked",
                            &format!(
                                "strategy {} {k}: the kill switch fired before sending",
                                config.id
                            ),
                        )
                        .await;
                    return;
                }
                if let Err(e) = me.executor.submit(req).await {
                    warn!(error = %e, "order not placed");
                    // Journalled orders release their reservation through their terminal event;
                    // one refused before journalling must release it here.
                    if e.before_journal() {
                        lock(&me.risk).release(&k, Some(config.id), side, quantity);
                    }
                    let _ = me
                        .journal
                        .insert_risk_event(
                            "order_failed",
                            &format!("strategy {} {k}: {e}", config.id),
                        )
                        .await;
                }
            }
            .instrument(span),
        );
    }

    fn on_exec_event(&self, ev: ExecEvent) {
        match ev {
            ExecEvent::Order(order) => {
                if order.status.is_terminal() && order.filled_quantity < order.quantity {
                    let k = key(order.exchange, &order.tradingsymbol);
                    lock(&self.risk).release(
                        &k,
                        order.strategy_id,
                        order.side,
                        order.quantity - order.filled_quantity,
                    );
                }
                if order.status == ExecStatus::Rejected {
                    info!(tag = %order.tag, message = ?order.message, "order rejected");
                }
                let _ = self.live.send(LiveMessage::Order { order });
            }
            ExecEvent::Fill(f) => {
                let k = key(f.exchange, &f.tradingsymbol);
                let counted = lock(&self.risk).on_fill(
                    &k,
                    f.strategy_id,
                    f.side,
                    f.quantity,
                    f.price,
                    f.charges,
                );
                if let Err(e) = counted {
                    warn!(error = %e, trade = %f.trade_id, "fill not counted by the risk manager");
                }
                *lock(&self.book)
                    .net
                    .entry((f.strategy_id, k.clone()))
                    .or_default() += signed(f.side, f.quantity);
                lock(&self.marks).entry(k.clone()).or_insert(f.price);
                self.check_daily_loss();
                self.refresh_positions_soon();
            }
        }
    }

    /// Fires the kill switch once when the day's loss reaches the limit.
    fn check_daily_loss(&self) {
        let halted = {
            let risk = lock(&self.risk);
            if risk.needs_kill_switch() {
                risk.halted()
            } else {
                None
            }
        };
        let Some(reason) = halted else {
            return;
        };
        if self.firing.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(me) = self.strong() else {
            self.firing.store(false, Ordering::SeqCst);
            return;
        };
        tokio::spawn(async move {
            let r = me
                .kill_switch(KillSwitchAction::Fire {
                    reason: Some(reason),
                })
                .await;
            if let Err(e) = r {
                warn!(error = %e, "kill switch after the daily loss limit failed");
            }
            me.firing.store(false, Ordering::SeqCst);
        });
    }

    // ---- risk and kill switch ----------------------------------------------------------------

    pub async fn risk_status(&self) -> Result<RiskStatus, EngineError> {
        self.ready().await?;
        let risk = lock(&self.risk);
        Ok(RiskStatus {
            limits: risk.limits().clone(),
            usage: risk.usage(now_ms()),
            kill_switch: lock(&self.kill).clone(),
            halted: risk.halted(),
        })
    }

    pub async fn set_risk_limits(
        &self,
        limits: model::trading::RiskLimits,
    ) -> Result<RiskStatus, EngineError> {
        self.ready().await?;
        lock(&self.risk)
            .set_limits(limits.clone())
            .map_err(invalid)?;
        self.journal.set_risk_limits(&limits).await?;
        let _ = self
            .journal
            .insert_risk_event(
                "limits_changed",
                &serde_json::to_string(&limits).unwrap_or_default(),
            )
            .await;
        self.risk_status().await
    }

    /// Fire: blocks every new order at once, cancels every open order and squares off every
    /// position of the account, then waits (up to `flat_wait`) to see the account flat. Reset:
    /// allows orders again. Either way the state is journalled first, so it survives a restart.
    pub async fn kill_switch(
        &self,
        action: KillSwitchAction,
    ) -> Result<KillSwitchState, EngineError> {
        self.ready().await?;
        let _one = self.kill_lock.lock().await;
        match action {
            KillSwitchAction::Fire { reason } => {
                let now = now_ms();
                let reason = reason.unwrap_or_else(|| "fired from the dashboard".into());
                lock(&self.risk).fire_kill_switch(reason.clone(), now);
                let mut state = KillSwitchState {
                    active: true,
                    since_ms: Some(now),
                    reason: Some(reason.clone()),
                    flattened_ms: None,
                };
                *lock(&self.kill) = state.clone();
                self.executor.set_halted(true);
                self.journal.set_kill_switch(&state).await?;
                let _ = self
                    .journal
                    .insert_risk_event("kill_switch_fired", &reason)
                    .await;
                let _ = self.live.send(LiveMessage::KillSwitch {
                    kill_switch: state.clone(),
                });
                warn!(%reason, "kill switch fired");
                // Its requests use the share of Kite's rate limits kept free of background reads.
                kite::urgent(self.flatten_after_kill()).await;
                let flat = kite::urgent(self.wait_flat()).await;
                let flat = flat || kite::urgent(self.flatten_thoroughly()).await;
                if flat {
                    state.flattened_ms = Some(now_ms());
                    self.books_flat();
                    *lock(&self.kill) = state.clone();
                    self.journal.set_kill_switch(&state).await?;
                    let _ = self.live.send(LiveMessage::KillSwitch {
                        kill_switch: state.clone(),
                    });
                }
                Ok(state)
            }
            KillSwitchAction::Reset => {
                lock(&self.risk).reset_kill_switch();
                self.executor.set_halted(false);
                let state = KillSwitchState::default();
                *lock(&self.kill) = state.clone();
                self.journal.set_kill_switch(&state).await?;
                let _ = self
                    .journal
                    .insert_risk_event("kill_switch_reset", "")
                    .await;
                let _ = self.live.send(LiveMessage::KillSwitch {
                    kill_switch: state.clone(),
                });
                info!("kill switch reset");
                Ok(state)
            }
        }
    }

    /// The kill switch's fast path: cancels and square-offs side by side.
    async fn flatten_after_kill(&self) {
        match self.executor.kill_now().await {
            Ok(r) => {
                info!(
                    cancelled = r.cancelled,
                    squared = r.squared,
                    "kill switch: orders sent"
                );
                for f in &r.failures {
                    warn!(failure = %f, "kill switch");
                }
            }
            Err(e) => warn!(error = %e, "kill switch: cancel/square-off failed"),
        }
    }

    /// When something resisted the fast path (a refused cancel, a remainder left): the thorough
    /// one, order by order, round after round. Whether the account ended flat.
    async fn flatten_thoroughly(&self) -> bool {
        if let Err(e) = self.executor.cancel_all().await {
            warn!(error = %e, "kill switch: cancelling open orders failed");
        }
        if let Err(e) = self.executor.flatten().await {
            warn!(error = %e, "kill switch: squaring off failed");
        }
        self.wait_flat().await
    }

    /// The account is flat: so is every book. The kill switch's square-offs carry no strategy, so
    /// without this a strategy would still think it holds what was closed for it, and positions
    /// the engine never opened (a person's) would linger as their mirror image.
    fn books_flat(&self) {
        let mut book = lock(&self.book);
        let mut risk = lock(&self.risk);
        for ((sid, k), q) in book.net.iter_mut() {
            if *q != 0 {
                if let Err(e) = risk.restore_position(k, *sid, 0, 0.0) {
                    warn!(error = %e, instrument = %k, "risk book not reset");
                }
                *q = 0;
            }
        }
        // Fills the kill switch made on positions it never saw as the engine's.
        for k in lock(&self.marks).keys() {
            let _ = risk.restore_position(k, None, 0, 0.0);
        }
        drop(risk);
        drop(book);
        self.refresh_positions_soon();
    }

    /// Polls the broker until no position is open and no order is working.
    async fn wait_flat(&self) -> bool {
        let deadline = tokio::time::Instant::now() + self.config.flat_wait;
        loop {
            if self.account_flat().await.unwrap_or(false) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            // Two reads per look, within Kite's 10 requests/s shared with the order work.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn account_flat(&self) -> Result<bool, kite::KiteError> {
        let positions = self.kite.positions().await?;
        if positions.net.iter().any(|p| p.quantity != 0) {
            return Ok(false);
        }
        let orders = self.kite.orders().await?;
        Ok(orders.iter().all(|o| o.status.is_terminal()))
    }

    // ---- reports -----------------------------------------------------------------------------

    pub async fn signals(&self, limit: u32) -> Result<Vec<SignalEvent>, EngineError> {
        Ok(self.journal.signals(limit).await?)
    }

    pub async fn journal(&self, limit: u32) -> Result<JournalReport, EngineError> {
        self.ready().await?;
        let marks = lock(&self.marks).clone();
        Ok(self.journal.report(limit, &marks).await?)
    }

    /// The account's net positions as the broker holds them (the engine's own and any other),
    /// with its P&L figures: the one view that is right after a kill switch squared off positions
    /// the engine never opened.
    pub async fn positions(&self) -> Result<Vec<PositionRow>, EngineError> {
        self.ready().await?;
        let rows = self.broker_positions().await?;
        *lock(&self.last_positions) = rows
            .iter()
            .map(|r| (key(r.exchange, &r.tradingsymbol), r.clone()))
            .collect();
        Ok(rows)
    }

    async fn broker_positions(&self) -> Result<Vec<PositionRow>, EngineError> {
        let net = self.kite.positions().await?.net;
        Ok(net
            .into_iter()
            .map(|p| PositionRow {
                exchange: p.exchange,
                tradingsymbol: p.tradingsymbol,
                product: p.product,
                quantity: p.quantity,
                average_price: p.average_price,
                last_price: p.last_price,
                realised: p.realised,
                unrealised: p.unrealised,
            })
            .collect())
    }

    /// After fills: reads the broker's positions once (coalescing a burst of fills) and pushes
    /// the rows that changed to the dashboards.
    fn refresh_positions_soon(&self) {
        if self.refreshing.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(me) = self.strong() else {
            self.refreshing.store(false, Ordering::SeqCst);
            return;
        };
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            me.refreshing.store(false, Ordering::SeqCst);
            match me.broker_positions().await {
                Ok(rows) => {
                    let mut last = lock(&me.last_positions);
                    for r in rows {
                        let k = key(r.exchange, &r.tradingsymbol);
                        if last.get(&k).map(|o| o.quantity) != Some(r.quantity) {
                            let _ = me.live.send(LiveMessage::Position {
                                position: r.clone(),
                            });
                        }
                        last.insert(k, r);
                    }
                }
                Err(e) => warn!(error = %e, "positions refresh failed"),
            }
        });
    }

    // ---- backtests ---------------------------------------------------------------------------

    /// Starts a backtest in the background; one at a time per user.
    pub async fn start_backtest(&self, req: BacktestRequest) -> Result<(), EngineError> {
        if matches!(
            backtest_job::get(&self.backtest),
            BacktestProgress::Running { .. }
        ) {
            return Err(EngineError::Invalid("a backtest is already running".into()));
        }
        if family_of(&req.kind) != Some(StrategyFamily::Equity) {
            return Err(EngineError::Invalid(format!(
                "backtests run the equity strategies; {:?} is not one",
                req.kind
            )));
        }
        let instrument = self.resolve(&req.instrument.trim().to_uppercase()).await?;
        let job = Job::validate(req)?;
        backtest_job::set(
            &self.backtest,
            BacktestProgress::Running { done: 0, total: 1 },
        );
        let kite = self.kite.clone();
        let cache = self.db.candles();
        let progress = self.backtest.clone();
        tokio::spawn(
            job.run(kite, cache, instrument.instrument_token, progress)
                .instrument(info_span!("backtest", user = %self.user)),
        );
        Ok(())
    }

    pub fn backtest_progress(&self) -> BacktestProgress {
        backtest_job::get(&self.backtest)
    }

    pub(super) fn send_live(&self, m: LiveMessage) {
        let _ = self.live.send(m);
    }

    pub(super) fn risk_lock(&self) -> MutexGuard<'_, RiskManager> {
        lock(&self.risk)
    }

    pub(super) fn is_active(&self, id: StrategyId) -> bool {
        let st = lock(&self.state);
        st.running && st.active.contains_key(&id)
    }
}

fn signed(side: model::broker::TransactionType, qty: u32) -> i64 {
    match side {
        model::broker::TransactionType::Buy => i64::from(qty),
        model::broker::TransactionType::Sell => -i64::from(qty),
    }
}

async fn signal_loop(svc: Weak<TradingService>, mut rx: mpsc::UnboundedReceiver<RunnerSignal>) {
    while let Some(s) = rx.recv().await {
        let Some(svc) = svc.upgrade() else { break };
        let span = info_span!("signal", strategy = s.strategy_id);
        svc.on_signal(s).instrument(span).await;
    }
}

async fn exec_loop(svc: Weak<TradingService>, mut rx: broadcast::Receiver<ExecEvent>) {
    loop {
        match rx.recv().await {
            Ok(ev) => {
                let Some(svc) = svc.upgrade() else { break };
                svc.on_exec_event(ev);
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!(
                    skipped = n,
                    "execution events lagged; positions are rebuilt from the journal"
                );
                let Some(svc) = svc.upgrade() else { break };
                *lock(&svc.book) = Book::default();
                if let Err(e) = svc.restore_positions().await {
                    warn!(error = %e, "rebuilding positions failed");
                }
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// Closes bars of quiet instruments every second.
async fn flush_loop(svc: Weak<TradingService>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let Some(svc) = svc.upgrade() else { break };
        let now = chrono::Utc::now().timestamp();
        let st = lock(&svc.state);
        if !st.running {
            continue;
        }
        for a in st.active.values() {
            if let Some(r) = &a.runner {
                r.feed(RunnerInput::Flush(now));
            }
        }
    }
}
