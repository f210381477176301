//! State shared by the sandbox's sockets: the latest market snapshot, credentials, live connections and
//! injected faults.

use crate::accounts::{Accounts, Listing, SimError};
use crate::auth::Auth;
use crate::clock::Clock;
use crate::instruments::InstrumentType;
use crate::market::Quote;
use crate::rest::faults::RestFaults;
use crate::rules;
use crate::store::Store;
use crate::universe::EQUITY_TICK_PAISE;
use crate::SandboxConfig;
use model::broker::{OrderId, OrderParams};
use model::Exchange;
use model::{InstrumentToken, Mode};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The market after one step, and which quotes that step changed.
#[derive(Debug)]
pub struct Snapshot {
    pub quotes: Vec<Quote>,
    pub changed: Vec<usize>,
    pub(crate) by_token: Arc<HashMap<InstrumentToken, usize>>,
    pub(crate) by_symbol: Arc<HashMap<(Exchange, Arc<str>), usize>>,
}

impl Snapshot {
    pub fn index_of(&self, t: InstrumentToken) -> Option<usize> {
        self.by_token.get(&t).copied()
    }
}

/// One live ticker connection as the admin API reports it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConnectionInfo {
    pub id: u64,
    pub api_key: String,
    pub subscriptions: BTreeMap<InstrumentToken, Mode>,
}

/// Faults a test or a trader can inject to see how clients cope.
#[derive(Default)]
pub struct Faults {
    kill: Mutex<Option<watch::Sender<u64>>>,
    refuse_until: Mutex<Option<Instant>>,
    stall_until: Mutex<Option<Instant>>,
}

impl Faults {
    fn sender(&self) -> watch::Sender<u64> {
        lock(&self.kill)
            .get_or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    pub fn kill_signal(&self) -> watch::Receiver<u64> {
        self.sender().subscribe()
    }

    /// Drops every ticker socket now and refuses new ones for `refuse_for`.
    pub fn drop_connections(&self, refuse_for: Duration) {
        *lock(&self.refuse_until) = Some(Instant::now() + refuse_for);
        self.sender().send_modify(|g| *g += 1);
    }

    /// Keeps sockets open but sends nothing (not even heartbeats) for `duration`.
    pub fn stall(&self, duration: Duration) {
        *lock(&self.stall_until) = Some(Instant::now() + duration);
    }

    pub fn refusing(&self) -> bool {
        lock(&self.refuse_until).is_some_and(|t| Instant::now() < t)
    }

    pub fn stalled(&self) -> bool {
        lock(&self.stall_until).is_some_and(|t| Instant::now() < t)
    }
}

/// The sandbox's reference data: the instrument universe and its history.
pub struct MarketData {
    pub universe: crate::instruments::Universe,
    pub history: crate::history::History,
}

pub struct Shared {
    pub data: MarketData,
    pub config: SandboxConfig,
    pub faults: Faults,
    latest: Mutex<Arc<Snapshot>>,
    changes: broadcast::Sender<Arc<Snapshot>>,
    pub auth: Mutex<Auth>,
    pub accounts: Mutex<Accounts>,
    pub gtts: Mutex<crate::gtt_book::GttBook>,
    /// Order postbacks as ticker text messages: (user id, JSON text).
    pub order_updates: broadcast::Sender<(String, Arc<String>)>,
    pub rest_faults: Mutex<RestFaults>,
    /// The sandbox's clock: market hours, timestamps, AMO release.
    pub clock: Mutex<Clock>,
    /// Where accounts are written through, when a data directory is configured.
    pub store: Option<Store>,
    /// Wakes the market task for an immediate step (tests, `POST /admin/market/step`).
    pub step_now: tokio::sync::Notify,
    /// Price gaps (quote index, factor) applied at the start of the next market step.
    pub jumps: Mutex<Vec<(usize, f64)>>,
    steps: AtomicU64,
    connections: Mutex<HashMap<u64, ConnectionInfo>>,
    next_connection: AtomicU64,
    self_ref: Mutex<Option<std::sync::Weak<Shared>>>,
}

impl Shared {
    pub(crate) fn new(
        config: SandboxConfig,
        first: Snapshot,
        data: MarketData,
        store: Option<Store>,
    ) -> Arc<Self> {
        let (changes, _) = broadcast::channel(64);
        let auth = Mutex::new(Auth::new(&config.api_key));
        let clock = Mutex::new(Clock::new(&config.clock));
        let shared = Arc::new(Self {
            data,
            config,
            faults: Faults::default(),
            latest: Mutex::new(Arc::new(first)),
            changes,
            auth,
            accounts: Mutex::new(Accounts::default()),
            gtts: Mutex::new(Default::default()),
            order_updates: broadcast::channel(1024).0,
            rest_faults: Mutex::new(RestFaults::default()),
            clock,
            store,
            step_now: tokio::sync::Notify::new(),
            jumps: Mutex::new(Vec::new()),
            steps: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            self_ref: Mutex::new(None),
        });
        *lock(&shared.self_ref) = Some(Arc::downgrade(&shared));
        shared
    }

    pub fn latest(&self) -> Arc<Snapshot> {
        lock(&self.latest).clone()
    }

    pub(crate) fn publish(&self, snap: Snapshot) {
        let snap = Arc::new(snap);
        *lock(&self.latest) = snap.clone();
        let _ = self.changes.send(snap);
    }

    pub fn subscribe_changes(&self) -> broadcast::Receiver<Arc<Snapshot>> {
        self.changes.subscribe()
    }

    /// The user a key/token pair belongs to, if the pair is valid.
    pub fn user_for(&self, api_key: &str, access_token: &str) -> Option<String> {
        lock(&self.auth)
            .check(api_key, access_token)
            .map(|s| s.user_id.clone())
    }

    /// The quote index of `exchange:symbol`, if the sandbox lists it.
    pub fn find_listing(&self, snap: &Snapshot, exchange: &str, symbol: &str) -> Option<usize> {
        let exchange = exchange.parse::<Exchange>().ok()?;
        let symbol: Arc<str> = Arc::from(symbol.replace('+', " "));
        snap.by_symbol.get(&(exchange, symbol)).copied()
    }

    /// Token and last price of an NSE symbol.
    pub fn lookup_symbol(&self, snap: &Snapshot, symbol: &str) -> Option<(InstrumentToken, f64)> {
        let i = self.find_listing(snap, "NSE", symbol)?;
        Some((snap.quotes[i].token, snap.quotes[i].last as f64 / 100.0))
    }

    pub(crate) fn step_finished(&self) {
        self.steps.fetch_add(1, Ordering::Release);
    }

    /// Market steps completed since start.
    pub fn steps_done(&self) -> u64 {
        self.steps.load(Ordering::Acquire)
    }

    /// The sandbox clock's current Unix time.
    pub fn now(&self) -> i64 {
        lock(&self.clock).now()
    }

    /// The check data of a listed, tradable instrument.
    fn instrument_rules(&self, snap: &Snapshot, q: &Quote) -> rules::Instrument {
        let inst = self.data.universe.find(q.exchange, &q.symbol);
        let kind = match inst.map(|i| i.instrument_type) {
            Some(InstrumentType::Fut) => rules::Kind::Future,
            Some(InstrumentType::Ce | InstrumentType::Pe) => rules::Kind::Option,
            _ => rules::Kind::Equity,
        };
        let underlying = inst
            .and_then(|i| i.underlying)
            .and_then(|u| snap.index_of(InstrumentToken(u.index_token())))
            .map(|i| &snap.quotes[i]);
        rules::Instrument {
            exchange: q.exchange,
            tick_paise: inst
                .map(|i| i.tick_size)
                .filter(|t| *t > 0)
                .unwrap_or(EQUITY_TICK_PAISE),
            lot_size: q.lot_size.max(1),
            freeze_quantity: inst.and_then(|i| i.freeze_quantity()),
            kind,
            close: q.close,
            underlying_close: underlying.map(|u| u.close),
            last: q.last,
        }
    }

    /// Lower and upper circuit limits of a quote, in paise (what LIMIT prices are checked against).
    pub fn circuit_limits(&self, snap: &Snapshot, q: &Quote) -> (u32, u32) {
        let r = self.instrument_rules(snap, q);
        rules::circuit(r.kind, r.close, r.underlying_close, r.tick_paise)
    }

    /// What the order book needs to know about a quote's instrument.
    fn listing_of<'a>(&self, snap: &Snapshot, q: &'a Quote, is_option: bool) -> Listing<'a> {
        let underlying_last = self
            .data
            .universe
            .find(q.exchange, &q.symbol)
            .and_then(|i| i.underlying)
            .and_then(|u| snap.index_of(InstrumentToken(u.index_token())))
            .map(|i| snap.quotes[i].last as f64 / 100.0);
        Listing {
            token: q.token,
            exchange: q.exchange,
            symbol: &q.symbol,
            lot_size: q.lot_size,
            is_option,
            underlying_last,
            quote: q,
        }
    }

    /// Margin `quantity` of a quote's instrument blocks at `price`: the order book's own rule
    /// ([`crate::accounts::unit_margin`]), so the calculators and the book agree. Also whether it is an
    /// option.
    pub fn margin_required(
        &self,
        snap: &Snapshot,
        q: &Quote,
        product: model::broker::Product,
        side: model::broker::TransactionType,
        price: f64,
        quantity: u32,
    ) -> (f64, bool) {
        let is_option = self.instrument_rules(snap, q).kind == rules::Kind::Option;
        let listing = self.listing_of(snap, q, is_option);
        (
            crate::accounts::unit_margin(&listing, product, side, price) * quantity as f64,
            is_option,
        )
    }

    /// The tradable quote an order names.
    fn tradable<'a>(&self, snap: &'a Snapshot, p: &OrderParams) -> Result<&'a Quote, SimError> {
        let idx = self
            .find_listing(snap, p.exchange.as_str(), &p.tradingsymbol)
            .ok_or_else(|| SimError::input("Invalid `tradingsymbol`."))?;
        let q = &snap.quotes[idx];
        if q.is_index {
            return Err(SimError::input("Indices cannot be traded."));
        }
        if p.exchange != q.exchange {
            return Err(SimError::input("Invalid `tradingsymbol`."));
        }
        Ok(q)
    }

    /// Places an order for `user_id` against the current market: Kite's synchronous checks, then the
    /// order book.
    pub fn place_order(&self, user_id: &str, p: &OrderParams) -> Result<OrderId, SimError> {
        self.place_tagged(user_id, p, &[])
    }

    fn place_tagged(
        &self,
        user_id: &str,
        p: &OrderParams,
        system_tags: &[String],
    ) -> Result<OrderId, SimError> {
        let snap = self.latest();
        let q = self.tradable(&snap, p)?;
        let (now, session) = {
            let clock = lock(&self.clock);
            let now = clock.now();
            (now, clock.session(now))
        };
        let inst = self.instrument_rules(&snap, q);
        rules::check(p, &inst, session)?;
        let listing = self.listing_of(&snap, q, inst.kind == rules::Kind::Option);
        let available = crate::rest::user::equity_margins(self, user_id).net;
        let lookup = |s: &str| self.lookup_symbol(&snap, s);
        let id = lock(&self.accounts).place(
            user_id,
            p,
            listing,
            available,
            now,
            session == crate::clock::Session::Open,
            system_tags,
            &lookup,
        )?;
        self.settle();
        Ok(id)
    }

    /// `autoslice=true` (SPEC §5.6): a quantity above the freeze limit is placed as slices of at most
    /// the freeze quantity, each its own order tagged `autoslice` and `autoslice:<parent id>`. A slice
    /// the funds cannot cover is refused on its own with `MarginException`; the others go ahead.
    pub fn place_autoslice(
        &self,
        user_id: &str,
        p: &OrderParams,
    ) -> Result<model::broker::AutosliceResponse, SimError> {
        use model::broker::{AutosliceChild, AutosliceError, AutosliceResponse, ErrorType};
        let snap = self.latest();
        let q = self.tradable(&snap, p)?;
        let inst = self.instrument_rules(&snap, q);
        let lot = inst.lot_size.max(1);
        let Some(freeze) = inst.freeze_quantity else {
            return Err(SimError::input(
                "Autoslice is only for F&O orders above the exchange freeze quantity.",
            ));
        };
        if p.quantity <= freeze {
            return Err(SimError::input(format!(
                "Quantity should be greater than or equal to {} for order slicing.",
                freeze + lot
            )));
        }
        let slice = (freeze / lot * lot).max(lot);
        let parent = lock(&self.accounts).reserve_id();
        let tags = vec!["autoslice".to_string(), format!("autoslice:{parent}")];
        let mut children = Vec::new();
        let mut left = p.quantity;
        while left > 0 {
            let qty = left.min(slice);
            left -= qty;
            let child = OrderParams {
                quantity: qty,
                autoslice: None,
                ..p.clone()
            };
            let listing = self.listing_of(&snap, q, inst.kind == rules::Kind::Option);
            let ref_price = p
                .price
                .unwrap_or(q.asks[0].price.max(q.last) as f64 / 100.0);
            let product = child.product;
            let need =
                crate::accounts::unit_margin(&listing, product, child.transaction_type, ref_price)
                    * qty as f64;
            let available = crate::rest::user::equity_margins(self, user_id).net;
            let outcome = if need > available {
                Err(SimError::new(
                    ErrorType::MarginException,
                    format!(
                        "Insufficient funds. Required margin is {need:.2} but available margin is {available:.2}."
                    ),
                ))
            } else {
                self.place_tagged(user_id, &child, &tags)
            };
            children.push(match outcome {
                Ok(order_id) => AutosliceChild::Placed { order_id },
                Err(e) => AutosliceChild::Failed {
                    error: AutosliceError {
                        code: e.status,
                        error_type: e.error_type,
                        message: e.message,
                        data: None,
                    },
                },
            });
        }
        Ok(AutosliceResponse {
            order_id: parent,
            children,
        })
    }

    /// Posts every queued order update and hands every queued change to the store.
    pub fn settle(&self) {
        let out = lock(&self.accounts).drain();
        if let Some(store) = &self.store {
            store.write(out.changes);
        }
        for (user, order) in out.posts {
            self.post_order_update(&user, &order);
        }
    }

    /// Waits until every change so far is stored (a no-op without a store).
    pub async fn flush(&self) {
        if let Some(store) = &self.store {
            store.flush().await;
        }
    }

    /// Writes a user's GTTs through to the store.
    pub fn persist_gtts(&self, user_id: &str) {
        if let Some(store) = &self.store {
            let list = lock(&self.gtts).of_user(user_id);
            store.write_gtts(user_id, list);
        }
    }

    /// Clears a user's account, in memory and in the store.
    pub fn reset_account(&self, user_id: &str) {
        lock(&self.accounts).reset(user_id);
        lock(&self.gtts).remove_user(user_id);
        if let Some(store) = &self.store {
            store.reset(user_id);
        }
    }

    /// Fires the GTTs the market has reached and places their orders, recording each outcome.
    pub fn fire_gtts(&self) {
        let snap = self.latest();
        let last = |t| snap.index_of(t).map(|i| snap.quotes[i].last as f64 / 100.0);
        let fired = lock(&self.gtts).check(&last);
        for f in &fired {
            let placed = self.place_order(&f.user_id, &f.order);
            let now = crate::accounts::ist(crate::accounts::now_unix());
            let mut book = lock(&self.gtts);
            let Some(g) = book.get_mut(&f.user_id, f.id) else {
                continue;
            };
            g.updated_at = now;
            if let Some(o) = g.orders.get_mut(f.leg) {
                let (status, order_id, reason) = match placed {
                    Ok(id) => ("success".to_string(), id.0, String::new()),
                    Err(e) => ("failed".to_string(), String::new(), e.message),
                };
                o.result = Some(model::broker::GttResult {
                    account_id: f.user_id.clone(),
                    exchange: o.exchange,
                    tradingsymbol: o.tradingsymbol.clone(),
                    validity: model::broker::Validity::Day,
                    product: o.product,
                    order_type: o.order_type,
                    transaction_type: o.transaction_type,
                    quantity: o.quantity,
                    price: o.price,
                    meta: "{}".into(),
                    timestamp: Some(now),
                    triggered_at: f.price,
                    order_result: model::broker::GttOrderResult {
                        status,
                        order_id,
                        rejection_reason: reason,
                    },
                });
            }
            drop(book);
            self.persist_gtts(&f.user_id);
        }
    }

    /// Sends the current state of `order` to its owner's ticker sockets as Kite's `order` message: the
    /// order plus `user_id`, `unfilled_quantity`, `app_id` and the postback checksum
    /// (SHA-256 of order_id ‖ order_timestamp ‖ api_secret).
    pub fn post_order_update(&self, user_id: &str, order: &model::broker::Order) {
        let secret = lock(&self.auth)
            .app(&self.config.api_key)
            .map(|a| a.api_secret.clone())
            .unwrap_or_default();
        let ts = order
            .order_timestamp
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let postback = model::broker::OrderPostback {
            user_id: user_id.to_string(),
            app_id: 1,
            checksum: crate::auth::checksum(&order.order_id.0, &ts, &secret),
            unfilled_quantity: order.pending_quantity,
            order: order.clone(),
        };
        let text = serde_json::json!({ "type": "order", "data": postback }).to_string();
        let _ = self
            .order_updates
            .send((user_id.to_string(), Arc::new(text)));
    }

    pub fn rest_faults_take_place_delay(&self) -> Option<Duration> {
        lock(&self.rest_faults).take_place_delay()
    }

    /// Registers a connection unless the key already has the maximum number open.
    pub fn register_connection(&self, api_key: &str) -> Option<ConnectionGuard> {
        let mut conns = lock(&self.connections);
        let open = conns.values().filter(|c| c.api_key == api_key).count();
        if open >= self.config.max_connections_per_key {
            return None;
        }
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        conns.insert(
            id,
            ConnectionInfo {
                id,
                api_key: api_key.to_string(),
                subscriptions: BTreeMap::new(),
            },
        );
        let shared = lock(&self.self_ref).as_ref()?.upgrade()?;
        Some(ConnectionGuard { id, shared })
    }

    pub fn connections(&self) -> Vec<ConnectionInfo> {
        let mut v: Vec<_> = lock(&self.connections).values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    }
}

/// Removes its connection from the registry when the socket task ends, however it ends.
pub struct ConnectionGuard {
    id: u64,
    shared: Arc<Shared>,
}

impl ConnectionGuard {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn set_subscriptions(&self, subs: &BTreeMap<InstrumentToken, Mode>) {
        if let Some(c) = lock(&self.shared.connections).get_mut(&self.id) {
            c.subscriptions = subs.clone();
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        lock(&self.shared.connections).remove(&self.id);
    }
}
