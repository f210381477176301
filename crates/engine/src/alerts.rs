//! A user's alerts: raised from broker postbacks (fills, rejections), ticker state changes (feed lost
//! and restored, session expired) and the kill switch; pushed as toasts on `/ws/live` and kept, newest
//! first, for the Alerts list. Postbacks cover orders placed from anywhere on the account (Kite web,
//! another app), not only the engine's own.

use model::broker::{OrderPostback, OrderStatus};
use model::trading::KillSwitchState;
use model::{Alert, AlertKind, LiveMessage, TickerState};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// Alerts kept per user.
pub const KEEP: usize = 200;

pub struct Alerts {
    next: AtomicU64,
    recent: Mutex<VecDeque<Alert>>,
    live: broadcast::Sender<LiveMessage>,
    feed: Mutex<FeedWatch>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Alerts {
    pub fn new(live: broadcast::Sender<LiveMessage>) -> Self {
        Self {
            // Ids keep increasing across restarts (the browser drops an id it has seen): they start at
            // the start time in µs, below 2^53 so JavaScript reads them exactly.
            next: AtomicU64::new(now_ms().saturating_mul(1000).max(1)),
            recent: Mutex::new(VecDeque::new()),
            live,
            feed: Mutex::new(FeedWatch::default()),
        }
    }

    /// Records the alert and pushes it to the user's dashboards.
    pub fn raise(&self, kind: AlertKind, title: impl Into<String>, message: impl Into<String>) {
        let alert = Alert {
            id: self.next.fetch_add(1, Ordering::Relaxed),
            at_ms: now_ms(),
            kind,
            level: kind.level(),
            title: title.into(),
            message: message.into(),
        };
        {
            let mut r = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            r.push_front(alert.clone());
            r.truncate(KEEP);
        }
        let _ = self.live.send(LiveMessage::Alert { alert });
    }

    /// Newest first.
    pub fn recent(&self) -> Vec<Alert> {
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn on_postback(&self, raw: &serde_json::Value) {
        // Read in place: the trading service parses the same postback, no copy is needed for this.
        if let Ok(p) = <OrderPostback as serde::Deserialize>::deserialize(raw) {
            if let Some((kind, title, message)) = postback_alert(&p) {
                self.raise(kind, title, message);
            }
        }
    }

    pub fn on_ticker(&self, state: &TickerState) {
        let got = self
            .feed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .on_state(state);
        if let Some((kind, title, message)) = got {
            self.raise(kind, title, message);
        }
    }

    pub fn on_kill_switch(&self, k: &KillSwitchState) {
        let (kind, title, message) = kill_switch_alert(k);
        self.raise(kind, title, message);
    }
}

type Raised = (AlertKind, String, String);

/// Fills and rejections; other updates (open, partial fills, cancels the trader asked for) are not
/// alerts.
pub fn postback_alert(p: &OrderPostback) -> Option<Raised> {
    let o = &p.order;
    let what = format!(
        "{}:{} {} {}",
        o.exchange,
        o.tradingsymbol,
        o.transaction_type.as_str(),
        o.quantity
    );
    match o.status {
        OrderStatus::Complete => Some((
            AlertKind::Fill,
            "Order filled".into(),
            format!("{what} @ ₹{:.2}", o.average_price),
        )),
        OrderStatus::Rejected => Some((
            AlertKind::Rejection,
            "Order rejected".into(),
            format!(
                "{what}: {}",
                o.status_message
                    .as_deref()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or("no reason given by the broker")
            ),
        )),
        _ => None,
    }
}

pub fn kill_switch_alert(k: &KillSwitchState) -> Raised {
    let reason = k.reason.clone().unwrap_or_default();
    if !k.active {
        return (
            AlertKind::KillSwitch,
            "Kill switch reset".into(),
            "Orders are allowed again.".into(),
        );
    }
    if reason.to_ascii_lowercase().contains("loss") {
        return (
            AlertKind::RiskHalt,
            "Trading halted".into(),
            format!("{reason}: every order cancelled and every position squared off."),
        );
    }
    (
        AlertKind::KillSwitch,
        "Kill switch fired".into(),
        if reason.is_empty() {
            "Every order cancelled and every position squared off.".into()
        } else {
            format!("{reason}: every order cancelled and every position squared off.")
        },
    )
}

/// Turns ticker states into one "lost" alert per outage and one "restored" when it ends.
#[derive(Debug, Default)]
pub struct FeedWatch {
    connected_once: bool,
    lost: bool,
    expired: bool,
}

impl FeedWatch {
    pub fn on_state(&mut self, s: &TickerState) -> Option<Raised> {
        match s {
            TickerState::Connected => {
                self.connected_once = true;
                self.expired = false;
                if std::mem::take(&mut self.lost) {
                    return Some((
                        AlertKind::FeedRestored,
                        "Market feed restored".into(),
                        "Live prices are flowing again.".into(),
                    ));
                }
                None
            }
            TickerState::Reconnecting { attempt, .. } if self.connected_once && !self.lost => {
                self.lost = true;
                Some((
                    AlertKind::FeedLost,
                    "Market feed lost".into(),
                    format!("Reconnecting (attempt {attempt}); prices on screen are stale."),
                ))
            }
            TickerState::AuthFailed { .. } if !self.expired => {
                self.expired = true;
                self.lost = self.connected_once;
                Some((
                    AlertKind::SessionExpired,
                    "Kite session expired".into(),
                    "Connect Kite again; strategies, journal and settings are kept.".into(),
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postback(status: &str, message: Option<&str>) -> OrderPostback {
        let v = serde_json::json!({
            "order_id": "1", "status": status, "status_message": message,
            "order_timestamp": "2026-11-27 10:00:00", "variety": "regular", "exchange": "NSE",
            "tradingsymbol": "INFY", "instrument_token": 408065, "order_type": "MARKET",
            "transaction_type": "BUY", "validity": "DAY", "product": "MIS", "quantity": 5,
            "price": 0, "trigger_price": 0, "average_price": 1500.25, "filled_quantity": 5,
            "pending_quantity": 0, "cancelled_quantity": 0, "disclosed_quantity": 0,
            "placed_by": "DEMO01", "unfilled_quantity": 0
        });
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn fills_and_rejections_are_alerts_and_nothing_else_is() {
        let (k, _, m) = postback_alert(&postback("COMPLETE", None)).unwrap();
        assert_eq!(
            (k, m.as_str()),
            (AlertKind::Fill, "NSE:INFY BUY 5 @ ₹1500.25")
        );
        let (k, _, m) = postback_alert(&postback("REJECTED", Some("Insufficient funds"))).unwrap();
        assert_eq!(k, AlertKind::Rejection);
        assert!(m.ends_with(": Insufficient funds"), "{m}");
        let (_, _, m) = postback_alert(&postback("REJECTED", Some(" "))).unwrap();
        assert!(m.ends_with("no reason given by the broker"));
        assert!(postback_alert(&postback("OPEN", None)).is_none());
        assert!(postback_alert(&postback("UPDATE", None)).is_none());
    }

    #[test]
    fn one_lost_and_one_restored_per_outage() {
        let mut w = FeedWatch::default();
        let rec = |a| TickerState::Reconnecting {
            attempt: a,
            retry_in_ms: 100,
        };
        // Reconnecting before ever connecting is the start, not an outage.
        assert!(w.on_state(&TickerState::Connecting).is_none());
        assert!(w.on_state(&rec(1)).is_none());
        assert!(w.on_state(&TickerState::Connected).is_none());
        assert_eq!(w.on_state(&rec(1)).unwrap().0, AlertKind::FeedLost);
        assert!(w.on_state(&rec(2)).is_none());
        assert_eq!(
            w.on_state(&TickerState::Connected).unwrap().0,
            AlertKind::FeedRestored
        );
        assert!(w.on_state(&TickerState::Connected).is_none());
        let expired = TickerState::AuthFailed {
            reason: "403".into(),
        };
        assert_eq!(w.on_state(&expired).unwrap().0, AlertKind::SessionExpired);
        assert!(w.on_state(&expired).is_none());
        assert_eq!(
            w.on_state(&TickerState::Connected).unwrap().0,
            AlertKind::FeedRestored
        );
    }

    #[test]
    fn kept_newest_first_and_pushed_live() {
        let (tx, mut rx) = broadcast::channel(8);
        let a = Alerts::new(tx);
        a.raise(AlertKind::Fill, "a", "1");
        a.on_kill_switch(&KillSwitchState {
            active: true,
            since_ms: Some(1),
            reason: Some("daily loss limit breached".into()),
            flattened_ms: None,
        });
        let r = a.recent();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].kind, AlertKind::RiskHalt);
        assert!(r[0].id > r[1].id);
        assert!(matches!(rx.try_recv().unwrap(), LiveMessage::Alert { .. }));
        for i in 0..KEEP + 10 {
            a.raise(AlertKind::Fill, "x", i.to_string());
        }
        assert_eq!(a.recent().len(), KEEP);
    }
}
