//! State shared by the sandbox's sockets: the latest market snapshot, credentials, live connections and
//! injected faults.

use crate::market::Quote;
use crate::SandboxConfig;
use model::{InstrumentToken, Mode};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
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

pub struct Shared {
    pub config: SandboxConfig,
    pub faults: Faults,
    latest: Mutex<Arc<Snapshot>>,
    changes: broadcast::Sender<Arc<Snapshot>>,
    access_tokens: Mutex<HashSet<String>>,
    connections: Mutex<HashMap<u64, ConnectionInfo>>,
    next_connection: AtomicU64,
    self_ref: Mutex<Option<std::sync::Weak<Shared>>>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig, first: Snapshot) -> Arc<Self> {
        let (changes, _) = broadcast::channel(64);
        let shared = Arc::new(Self {
            config,
            faults: Faults::default(),
            latest: Mutex::new(Arc::new(first)),
            changes,
            access_tokens: Mutex::new(HashSet::new()),
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

    pub fn add_access_token(&self, token: String) {
        lock(&self.access_tokens).insert(token);
    }

    pub fn revoke_access_token(&self, token: &str) {
        lock(&self.access_tokens).remove(token);
    }

    pub fn accepts(&self, api_key: &str, access_token: &str) -> bool {
        api_key == self.config.api_key && lock(&self.access_tokens).contains(access_token)
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
