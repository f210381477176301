//! State shared by the sandbox's sockets: the latest market snapshot, credentials, live connections and
//! injected faults.

use crate::accounts::{Accounts, Listing, SimError};
use crate::auth::Auth;
use crate::market::Quote;
use crate::rest::faults::RestFaults;
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
    connections: Mutex<HashMap<u64, ConnectionInfo>>,
    next_connection: AtomicU64,
    self_ref: Mutex<Option<std::sync::Weak<Shared>>>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig, first: Snapshot, data: MarketData) -> Arc<Self> {
        let (changes, _) = broadcast::channel(64);
        let auth = Mutex::new(Auth::new(&config.api_key));
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

    /// Places an order for `user_id` against the current market.
    pub fn place_order(&self, user_id: &str, p: &OrderParams) -> Result<OrderId, SimError> {
        let snap = self.latest();
        let idx = self
            .find_listing(&snap, p.exchange.as_str(), &p.tradingsymbol)
            .ok_or_else(|| SimError::input("Invalid `tradingsymbol`."))?;
        let q = &snap.quotes[idx];
        if q.is_index {
            return Err(SimError::input("Indices cannot be traded."));
        }
        let listing = Listing {
            token: q.token,
            exchange: p.exchange,
            symbol: &q.symbol,
            tick_paise: EQUITY_TICK_PAISE as i64,
            lot_size: q.lot_size,
            quote: q,
        };
        let available = crate::rest::user::equity_margins(self, user_id).net;
        let lookup = |s: &str| self.lookup_symbol(&snap, s);
        let id = lock(&self.accounts).place(
            user_id,
            p,
            listing,
            available,
            crate::accounts::now_unix(),
            &lookup,
        )?;
        self.post_latest(user_id, &id);
        Ok(id)
    }

    /// Fires the GTTs the market has reached and places their orders, recording each outcome.
    pub fn fire_gtts(&self) {
        let snap = self.latest();
        let last = |t| snap.index_of(t).map(|i| snap.quotes[i].last as f64 / 100.0);
        let fired = lock(&self.gtts).check(&last);
        for f in fired {
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

    /// Posts the latest state of one of the user's orders.
    pub fn post_latest(&self, user_id: &str, id: &OrderId) {
        let latest = lock(&self.accounts)
            .account(user_id)
            .and_then(|a| a.order_history(id))
            .and_then(|mut h| h.pop());
        if let Some(o) = latest {
            self.post_order_update(user_id, &o);
        }
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
