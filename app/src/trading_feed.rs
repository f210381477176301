//! The trading events of `/ws/live` (signals, the engine's orders, its positions, the kill switch) as
//! signals the trading pages read. Pages seed them from a server function on load and the socket keeps
//! them current, so a page shows the same list whether it was open when an event came or not.
//!
//! The merge rules are plain functions so they are tested without a browser.

use leptos::prelude::*;
use model::trading::{KillSwitchState, OrderRecord, PositionRow, RiskVerdict, SignalEvent};
use model::LiveMessage;

/// Signals kept in memory: the Signals page loads 200, and a busy day must not grow the tab forever.
pub const MAX_SIGNALS: usize = 500;
/// Orders kept in memory, newest first.
pub const MAX_ORDERS: usize = 500;

#[derive(Clone, Copy)]
pub struct TradingFeed {
    /// Newest first, unique by id.
    pub signals: RwSignal<Vec<SignalEvent>>,
    /// Newest first (by creation), unique by tag.
    pub orders: RwSignal<Vec<OrderRecord>>,
    /// One row per exchange, symbol and product.
    pub positions: RwSignal<Vec<PositionRow>>,
    /// `None` until the server told us (by a push or a page load).
    pub kill_switch: RwSignal<Option<KillSwitchState>>,
    /// Trading messages received over the socket, so pages and tests can see pushes arriving.
    pub events: RwSignal<u64>,
}

impl Default for TradingFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl TradingFeed {
    pub fn new() -> Self {
        Self {
            signals: RwSignal::new(Vec::new()),
            orders: RwSignal::new(Vec::new()),
            positions: RwSignal::new(Vec::new()),
            kill_switch: RwSignal::new(None),
            events: RwSignal::new(0),
        }
    }

    /// Applies a trading message; returns false (and changes nothing) for any other kind.
    pub fn apply(&self, msg: LiveMessage) -> bool {
        match msg {
            LiveMessage::Signal { signal } => {
                self.signals.update(|all| merge_signals(all, vec![signal]));
            }
            LiveMessage::Order { order } => {
                self.orders.update(|all| upsert_order(all, order));
            }
            LiveMessage::Position { position } => {
                self.positions.update(|all| upsert_position(all, position));
            }
            LiveMessage::KillSwitch { kill_switch } => self.kill_switch.set(Some(kill_switch)),
            _ => return false,
        }
        self.events.update(|n| *n += 1);
        true
    }

    /// Adds signals read from the server (any order) to what the socket already brought.
    pub fn seed_signals(&self, loaded: Vec<SignalEvent>) {
        self.signals.update(|all| merge_signals(all, loaded));
    }

    /// Adds orders read from the journal; a pushed update newer than the journal's row is kept.
    pub fn seed_orders(&self, loaded: Vec<OrderRecord>) {
        self.orders.update(|all| {
            for o in loaded {
                upsert_order(all, o);
            }
        });
    }

    /// Replaces the positions with the server's list: the engine's book is the authority, and a
    /// position closed while no page listened must disappear.
    pub fn seed_positions(&self, loaded: Vec<PositionRow>) {
        self.positions.set(loaded);
    }
}

/// Merges `new` into `all` (newest first, unique by id, capped at [`MAX_SIGNALS`]).
pub fn merge_signals(all: &mut Vec<SignalEvent>, new: Vec<SignalEvent>) {
    for s in new {
        match all.iter_mut().find(|x| x.id == s.id) {
            Some(slot) => *slot = s,
            None => all.push(s),
        }
    }
    all.sort_by(|a, b| b.ts_ms.cmp(&a.ts_ms).then(b.id.cmp(&a.id)));
    all.truncate(MAX_SIGNALS);
}

/// Whether `new` may replace `old` for the same tag: status only moves forward, and within a rank
/// the later update wins (a partial fill growing, or a terminal state the broker corrected).
pub fn supersedes(new: &OrderRecord, old: &OrderRecord) -> bool {
    let (rn, ro) = (new.status.rank(), old.status.rank());
    rn > ro || (rn == ro && new.updated_ms >= old.updated_ms)
}

/// Inserts or updates one order by tag, keeping newest-created first.
pub fn upsert_order(all: &mut Vec<OrderRecord>, order: OrderRecord) {
    match all.iter_mut().find(|o| o.tag == order.tag) {
        Some(slot) => {
            if supersedes(&order, slot) {
                *slot = order;
            }
        }
        None => {
            all.push(order);
            all.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.tag.cmp(&a.tag)));
            all.truncate(MAX_ORDERS);
        }
    }
}

/// Inserts or replaces one position (same exchange, symbol and product).
pub fn upsert_position(all: &mut Vec<PositionRow>, p: PositionRow) {
    match all.iter_mut().find(|x| {
        x.exchange == p.exchange && x.tradingsymbol == p.tradingsymbol && x.product == p.product
    }) {
        Some(slot) => *slot = p,
        None => all.push(p),
    }
}

/// The verdict as one short line: `approved 10`, `reduced to 4: exposure cap`, `rejected: halted`.
pub fn verdict_text(v: &RiskVerdict) -> String {
    match v {
        RiskVerdict::Approved { quantity } => format!("approved {quantity}"),
        RiskVerdict::Reduced { quantity, reason } => format!("reduced to {quantity}: {reason}"),
        RiskVerdict::Rejected { reason } => format!("rejected: {reason}"),
    }
}

/// Stable keyword of a verdict for styling and tests.
pub fn verdict_class(v: &RiskVerdict) -> &'static str {
    match v {
        RiskVerdict::Approved { .. } => "approved",
        RiskVerdict::Reduced { .. } => "reduced",
        RiskVerdict::Rejected { .. } => "rejected",
    }
}

/// Epoch milliseconds as Indian traders read them (IST): `28 Nov 15:29:58`.
pub fn ist_time(ms: u64) -> String {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST offset is in range");
    match i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
    {
        Some(t) => t.with_timezone(&ist).format("%d %b %H:%M:%S").to_string(),
        None => "—".into(),
    }
}

/// Milliseconds since the epoch now: the browser's clock there, the system's on the server.
pub fn now_ms() -> u64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// A server function's error as the user should read it: the server's own message without the
/// transport's "error running server function" prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::broker::{Product, TransactionType};
    use model::trading::{ExecStatus, SignalSide};
    use model::Exchange;

    fn signal(id: i64, ts_ms: u64) -> SignalEvent {
        SignalEvent {
            id,
            ts_ms,
            strategy_id: 1,
            kind: "ema_crossover".into(),
            instrument: "NSE:INFY".into(),
            side: SignalSide::Buy,
            strength: 1.0,
            reason: "fast above slow".into(),
            verdict: RiskVerdict::Approved { quantity: 5 },
        }
    }

    fn order(tag: &str, status: ExecStatus, created_ms: u64, updated_ms: u64) -> OrderRecord {
        OrderRecord {
            tag: tag.into(),
            order_id: Some("1".into()),
            strategy_id: Some(1),
            basket: None,
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".into(),
            side: TransactionType::Buy,
            product: Product::Mis,
            quantity: 10,
            filled_quantity: 0,
            price: Some(1500.0),
            average_price: 0.0,
            status,
            message: None,
            modifications: 0,
            created_ms,
            updated_ms,
        }
    }

    fn position(sym: &str, product: Product, quantity: i64) -> PositionRow {
        PositionRow {
            exchange: Exchange::Nse,
            tradingsymbol: sym.into(),
            product,
            quantity,
            average_price: 100.0,
            last_price: 101.0,
            realised: 0.0,
            unrealised: quantity as f64,
        }
    }

    #[test]
    fn signals_are_newest_first_unique_and_capped() {
        let mut all = vec![signal(2, 200)];
        merge_signals(
            &mut all,
            vec![signal(1, 100), signal(3, 300), signal(2, 200)],
        );
        let ids: Vec<i64> = all.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![3, 2, 1]);
        let many: Vec<SignalEvent> = (0..MAX_SIGNALS as i64 + 20)
            .map(|i| signal(i + 10, 1_000 + i as u64))
            .collect();
        merge_signals(&mut all, many);
        assert_eq!(all.len(), MAX_SIGNALS);
        assert_eq!(all[0].id, MAX_SIGNALS as i64 + 29);
    }

    #[test]
    fn orders_only_move_forward() {
        let mut all = Vec::new();
        upsert_order(&mut all, order("a", ExecStatus::Open, 10, 10));
        let mut part = order("a", ExecStatus::PartiallyFilled, 10, 20);
        part.filled_quantity = 4;
        upsert_order(&mut all, part);
        // A late "open" must not take the order back.
        upsert_order(&mut all, order("a", ExecStatus::Open, 10, 30));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, ExecStatus::PartiallyFilled);
        assert_eq!(all[0].filled_quantity, 4);
        // Within a rank the newer update wins; an older one is ignored.
        let mut more = order("a", ExecStatus::PartiallyFilled, 10, 40);
        more.filled_quantity = 7;
        upsert_order(&mut all, more);
        let mut stale = order("a", ExecStatus::PartiallyFilled, 10, 35);
        stale.filled_quantity = 5;
        upsert_order(&mut all, stale);
        assert_eq!(all[0].filled_quantity, 7);
        upsert_order(&mut all, order("a", ExecStatus::Filled, 10, 50));
        assert_eq!(all[0].status, ExecStatus::Filled);
        upsert_order(&mut all, order("b", ExecStatus::Pending, 60, 60));
        upsert_order(&mut all, order("c", ExecStatus::Pending, 5, 5));
        let tags: Vec<&str> = all.iter().map(|o| o.tag.as_str()).collect();
        assert_eq!(tags, vec!["b", "a", "c"]);
    }

    #[test]
    fn positions_are_keyed_by_symbol_and_product() {
        let mut all = Vec::new();
        upsert_position(&mut all, position("INFY", Product::Mis, 10));
        upsert_position(&mut all, position("INFY", Product::Cnc, 3));
        upsert_position(&mut all, position("INFY", Product::Mis, 0));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].quantity, 0);
        assert_eq!(all[1].quantity, 3);
    }

    #[test]
    fn feed_applies_only_trading_messages() {
        let owner = Owner::new();
        owner.with(|| {
            let feed = TradingFeed::new();
            assert!(!feed.apply(LiveMessage::Heartbeat { server_time_ms: 1 }));
            assert_eq!(feed.events.get_untracked(), 0);
            let msg: LiveMessage = serde_json::from_str(
                r#"{"type":"kill_switch","kill_switch":{"active":true,"since_ms":5,"reason":"manual","flattened_ms":null}}"#,
            )
            .unwrap();
            assert!(feed.apply(msg));
            let ks = feed.kill_switch.get_untracked().unwrap();
            assert!(ks.active);
            assert_eq!(ks.reason.as_deref(), Some("manual"));
            assert!(feed.apply(LiveMessage::Signal {
                signal: signal(9, 900)
            }));
            feed.seed_signals(vec![signal(9, 900), signal(8, 800)]);
            assert_eq!(feed.signals.get_untracked().len(), 2);
            assert!(feed.apply(LiveMessage::Order {
                order: order("t", ExecStatus::Filled, 1, 9)
            }));
            feed.seed_orders(vec![order("t", ExecStatus::Open, 1, 2)]);
            assert_eq!(
                feed.orders.get_untracked()[0].status,
                ExecStatus::Filled,
                "an older journal row must not undo a pushed fill"
            );
            feed.apply(LiveMessage::Position {
                position: position("INFY", Product::Mis, 5),
            });
            feed.seed_positions(vec![]);
            assert!(feed.positions.get_untracked().is_empty());
            assert_eq!(feed.events.get_untracked(), 4);
        });
    }

    #[test]
    fn verdicts_and_times_read_plainly() {
        assert_eq!(
            verdict_text(&RiskVerdict::Reduced {
                quantity: 4,
                reason: "exposure cap".into()
            }),
            "reduced to 4: exposure cap"
        );
        assert_eq!(
            verdict_class(&RiskVerdict::Rejected { reason: "x".into() }),
            "rejected"
        );
        // 2026-11-28 10:00:00 UTC is 15:30 IST.
        assert_eq!(ist_time(1_795_860_000_000), "28 Nov 15:30:00");
        assert_eq!(
            error_text(&ServerFnError::new("bad param fast")),
            "bad param fast"
        );
    }
}
