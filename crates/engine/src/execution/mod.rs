//! The execution engine: turns a decision to trade into orders at the broker, one [`Executor`] per
//! user over that user's [`KiteClient`] and [`Journal`].
//!
//! The rules, each where it is implemented:
//! * every order is journalled as `Pending` under a fresh tag *before* it is sent, and a tag already
//!   journalled is never sent ([`working`]);
//! * MARKET is never sent: a marketable LIMIT at the touch moved by a slippage band ([`pricing`]);
//! * a working order is chased to the new touch, then cancelled or re-priced at a deadline
//!   ([`working`]);
//! * fills come from the broker's trades and are journalled once per trade id; order state comes
//!   from postbacks and polls and only moves forward ([`sync`]);
//! * baskets fill BUY legs first and unwind filled legs when one fails ([`basket`]);
//! * reconciliation adopts what the broker has and never re-sends what it has not ([`reconcile`]);
//! * the kill switch's tools, cancel everything and square everything off ([`account`]).

mod account;
mod basket;
pub mod broker_state;
mod error;
pub mod pricing;
mod reconcile;
mod sync;
mod touches;
mod working;

pub use account::KillReport;
pub use error::ExecError;
pub use reconcile::ReconcileReport;

use crate::journal::Journal;
use kite::KiteClient;
use model::broker::{Product, TransactionType};
use model::trading::{FillRecord, OrderRecord};
use model::Exchange;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// What to do with the unfilled remainder of an order at its fill deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutAction {
    /// Cancel the remainder; the filled part is kept.
    Cancel,
    /// Move it to the new touch ± band once more and wait one more `fill_timeout`, then cancel.
    Reprice,
}

#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// How far through the touch a marketable limit is priced, in percent (0.5 = 0.5 %).
    pub slippage_band_pct: f64,
    /// A marketable order not filled after this long is moved to the new touch.
    pub chase_every: Duration,
    /// Most price modifications while chasing.
    pub max_modifications: u32,
    /// How long an order may work before its remainder is cancelled or re-priced.
    pub fill_timeout: Duration,
    pub on_timeout: TimeoutAction,
    /// How often the poller reconciles the journal with the broker.
    pub poll_every: Duration,
    /// Ask the broker's margin calculator before every order, refusing what the funds cannot carry.
    pub check_margin: bool,
    /// Tick used by [`Executor::flatten`], which knows positions but not their instruments' ticks.
    /// 0.05 is a multiple of every equity and F&O tick on NSE/BSE (0.01 and 0.05).
    pub flatten_tick: f64,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            slippage_band_pct: 0.5,
            chase_every: Duration::from_secs(1),
            max_modifications: 3,
            fill_timeout: Duration::from_secs(10),
            on_timeout: TimeoutAction::Cancel,
            poll_every: Duration::from_secs(2),
            check_margin: false,
            flatten_tick: 0.05,
        }
    }
}

/// One order to execute.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub strategy_id: Option<i64>,
    /// Set by [`Executor::submit_basket`] for its legs.
    pub basket: Option<String>,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: TransactionType,
    pub quantity: u32,
    pub product: Product,
    /// `None` = marketable (a LIMIT through the touch, chased); `Some` = this limit, rounded to the
    /// tick and never moved.
    pub limit: Option<f64>,
    pub tick_size: f64,
}

/// A journalled change, for `/ws/live`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    Order(OrderRecord),
    Fill(FillRecord),
}

/// Executes one user's orders. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

struct Inner {
    kite: KiteClient,
    journal: Journal,
    config: ExecConfig,
    events: broadcast::Sender<ExecEvent>,
    /// Tags journalled by this process whose placement reply has not come back yet: reconciliation
    /// leaves them alone, or it would call an order in flight "never sent".
    in_flight: Mutex<HashSet<String>>,
    /// Serialises this executor's read-modify-write order updates. The journal's update runs a
    /// deferred transaction (read, then write), which SQLite in WAL mode refuses with SQLITE_BUSY at
    /// once, without waiting, when another connection wrote in between; one at a time avoids that
    /// among our own tasks (chasers, poller, postbacks, flatten legs).
    order_writes: tokio::sync::Mutex<()>,
    /// Recent touches and circuit limits, so most orders need no quote request.
    touches: touches::Touches,
    /// Set while the kill switch is active: strategies' orders are refused at the last moment before
    /// they are sent (closing orders without a strategy, the kill switch's own, still go).
    halted: std::sync::atomic::AtomicBool,
}

impl Executor {
    pub fn new(kite: KiteClient, journal: Journal, config: ExecConfig) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                kite,
                journal,
                config,
                events,
                in_flight: Mutex::new(HashSet::new()),
                order_writes: tokio::sync::Mutex::new(()),
                touches: touches::Touches::default(),
                halted: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Refuses (or allows again) every strategy order not yet sent.
    pub fn set_halted(&self, on: bool) {
        self.inner
            .halted
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn halted(&self) -> bool {
        self.inner.halted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every journalled change from now on.
    pub fn events(&self) -> broadcast::Receiver<ExecEvent> {
        self.inner.events.subscribe()
    }

    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    pub fn config(&self) -> &ExecConfig {
        &self.inner.config
    }

    /// A full-mode tick of `key` (`EXCH:SYMBOL`): its best bid and ask price the next marketable
    /// limit on it without a quote request.
    pub fn on_tick(&self, key: &str, tick: &model::Tick) {
        self.inner.touches.on_tick(key, tick);
    }

    /// Quotes every `EXCH:SYMBOL` of `keys` in one request and keeps their touches and circuit
    /// limits, so orders on all of them go out without a quote each (Kite allows one quote
    /// request per second).
    pub async fn prime_quotes(&self, keys: &[String]) -> Result<(), ExecError> {
        if keys.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let quotes = self.kite().quote(&refs).await?;
        for (k, q) in &quotes {
            self.inner.touches.on_quote(k, q);
        }
        Ok(())
    }

    /// Whether a fresh ticked touch of `key` is known (no quote needed to price an order on it).
    pub(crate) fn has_touch(&self, key: &str) -> bool {
        self.inner
            .touches
            .get(key, TransactionType::Buy, false)
            .is_some()
    }

    fn kite(&self) -> &KiteClient {
        &self.inner.kite
    }

    fn emit(&self, e: ExecEvent) {
        // No receiver is not an error: nobody is watching.
        let _ = self.inner.events.send(e);
    }

    /// Reconciles every `poll_every`, for as long as the handle is not aborted. Postbacks are fast
    /// but may be missed (a reconnect); the poll makes the journal right eventually.
    pub fn spawn_poller(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(me.inner.config.poll_every);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = me.reconcile().await {
                    tracing::warn!(error = %e, "reconciliation failed; trying again next poll");
                }
            }
        })
    }
}

/// Marks a tag as in flight for as long as it lives.
struct InFlight {
    inner: Arc<Inner>,
    tag: String,
}

impl InFlight {
    fn new(inner: &Arc<Inner>, tag: &str) -> Self {
        lock(&inner.in_flight).insert(tag.to_string());
        Self {
            inner: inner.clone(),
            tag: tag.to_string(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.inner.in_flight).remove(&self.tag);
    }
}

/// A poisoned set of tags is still a set of tags.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
