//! The browser's end of `/ws/live`: one socket per tab, reconnecting with backoff, feeding reactive
//! signals. Each market-watch row owns a signal, so a tick re-renders only its own row.

use leptos::prelude::*;
use model::{ClientMessage, InstrumentToken, LiveMessage, Tick, TickerState};
use std::collections::HashMap;

/// State of the browser's own socket to our server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected,
    /// Socket lost; next try in `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    /// Several tries failed in a row; still retrying, less often.
    Offline {
        retry_in_ms: u64,
    },
}

/// After this many failed tries in a row the badge says offline rather than reconnecting.
pub const OFFLINE_AFTER: u32 = 5;

/// What the badge shows: the browser link first, then (when that is up) the upstream ticker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// Stable keyword for styling and tests: connected, connecting, reconnecting, offline.
    pub state: &'static str,
    pub text: String,
}

pub fn badge(link: &LinkState, ticker: Option<&TickerState>) -> Badge {
    let secs = |ms: u64| (ms as f64 / 1000.0).max(0.1);
    match link {
        LinkState::Connecting => Badge {
            state: "connecting",
            text: "Connecting…".into(),
        },
        LinkState::Reconnecting {
            attempt,
            retry_in_ms,
        } => Badge {
            state: "reconnecting",
            text: format!(
                "Reconnecting (try {attempt}, in {:.1}s)",
                secs(*retry_in_ms)
            ),
        },
        LinkState::Offline { retry_in_ms } => Badge {
            state: "offline",
            text: format!("Offline — retrying in {:.0}s", secs(*retry_in_ms)),
        },
        LinkState::Connected => match ticker {
            Some(TickerState::Connected) => Badge {
                state: "connected",
                text: "Live".into(),
            },
            Some(TickerState::Reconnecting {
                attempt,
                retry_in_ms,
            }) => Badge {
                state: "reconnecting",
                text: format!(
                    "Feed reconnecting (try {attempt}, in {:.1}s)",
                    secs(*retry_in_ms)
                ),
            },
            Some(TickerState::AuthFailed { .. }) => Badge {
                state: "offline",
                text: "Feed offline — Kite session expired, log in again".into(),
            },
            Some(TickerState::Stopped) => Badge {
                state: "offline",
                text: "Feed stopped".into(),
            },
            Some(TickerState::Connecting) | None => Badge {
                state: "connecting",
                text: "Feed connecting…".into(),
            },
        },
    }
}

/// Reconnect delay for the browser socket: 0.5 s doubling to 10 s, with jitter from the clock.
pub fn retry_delay_ms(attempt: u32, jitter_seed: u64) -> u64 {
    let ceiling = (500u64 << attempt.saturating_sub(1).min(5)).min(10_000);
    ceiling / 2 + jitter_seed % (ceiling / 2 + 1)
}

#[derive(Clone, Copy)]
pub struct LiveFeed {
    pub link: RwSignal<LinkState>,
    pub ticker: RwSignal<Option<TickerState>>,
    /// The latest tick per instrument, one signal each, shared by every view that shows it. Reference
    /// counted rather than owned by a component, so a page can come and go without breaking the feed.
    rows: StoredValue<HashMap<InstrumentToken, ArcRwSignal<Option<Tick>>>>,
    pub ticks_seen: RwSignal<u64>,
    /// Signals, orders, positions and the kill switch for the trading pages.
    pub trading: crate::trading_feed::TradingFeed,
    /// Alerts pushed since the page loaded, newest first (at most [`MAX_ALERTS`]): toasts read them.
    pub alerts: RwSignal<Vec<model::Alert>>,
}

/// Alerts kept in the tab's memory.
pub const MAX_ALERTS: usize = 200;

/// Adds `alert` in front unless its id is already there; keeps at most [`MAX_ALERTS`].
pub fn push_alert(all: &mut Vec<model::Alert>, alert: model::Alert) {
    if all.iter().any(|a| a.id == alert.id) {
        return;
    }
    all.insert(0, alert);
    all.truncate(MAX_ALERTS);
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveFeed {
    pub fn new() -> Self {
        Self {
            link: RwSignal::new(LinkState::Connecting),
            ticker: RwSignal::new(None),
            rows: StoredValue::new(HashMap::new()),
            ticks_seen: RwSignal::new(0),
            trading: crate::trading_feed::TradingFeed::new(),
            alerts: RwSignal::new(Vec::new()),
        }
    }

    /// The live signal of `token`'s latest tick (created on first use).
    pub fn signal_for(&self, token: InstrumentToken) -> ArcRwSignal<Option<Tick>> {
        if let Some(s) = self.rows.with_value(|m| m.get(&token).cloned()) {
            return s;
        }
        let s = ArcRwSignal::new(None);
        self.rows.update_value(|m| {
            m.insert(token, s.clone());
        });
        s
    }

    pub fn badge(&self) -> Badge {
        badge(&self.link.get(), self.ticker.get().as_ref())
    }

    /// Applies one server message; returns the reply to send, if any.
    pub fn on_message(&self, text: &str) -> Option<String> {
        let msg: LiveMessage = serde_json::from_str(text).ok()?;
        match msg {
            LiveMessage::Tick { tick } => {
                if let Some(row) = self.rows.with_value(|m| m.get(&tick.token).cloned()) {
                    row.set(Some(tick));
                }
                self.ticks_seen.update(|n| *n += 1);
                None
            }
            LiveMessage::Ticker { ticker } => {
                self.ticker.set(Some(ticker));
                None
            }
            LiveMessage::Ping { nonce } => {
                serde_json::to_string(&ClientMessage::Pong { nonce }).ok()
            }
            LiveMessage::Heartbeat { .. } => None,
            LiveMessage::Alert { alert } => {
                self.alerts.update(|all| push_alert(all, alert));
                None
            }
            // Trading events: the trading pages read these (see `trading_feed`).
            trading @ (LiveMessage::Signal { .. }
            | LiveMessage::Order { .. }
            | LiveMessage::Position { .. }
            | LiveMessage::KillSwitch { .. }) => {
                self.trading.apply(trading);
                None
            }
        }
    }

    /// Opens the socket (browser only; on the server this does nothing).
    pub fn connect(self) {
        crate::ws::open(crate::ws::Handlers {
            path: "/ws/live",
            // The server sends a heartbeat every second.
            silence_ms: 5_000.0,
            on_link: Box::new(move |state| self.link.set(state)),
            on_text: Box::new(move |text| self.on_message(text)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_prefers_link_then_ticker() {
        let up = LinkState::Connected;
        assert_eq!(badge(&up, Some(&TickerState::Connected)).state, "connected");
        let b = badge(
            &up,
            Some(&TickerState::Reconnecting {
                attempt: 2,
                retry_in_ms: 1500,
            }),
        );
        assert_eq!(b.state, "reconnecting");
        assert!(b.text.contains("try 2"));
        let down = LinkState::Reconnecting {
            attempt: 1,
            retry_in_ms: 400,
        };
        assert_eq!(
            badge(&down, Some(&TickerState::Connected)).state,
            "reconnecting"
        );
        assert_eq!(
            badge(&LinkState::Offline { retry_in_ms: 9000 }, None).state,
            "offline"
        );
        let expired = TickerState::AuthFailed {
            reason: "403".into(),
        };
        assert_eq!(badge(&up, Some(&expired)).state, "offline");
    }

    #[test]
    fn retry_delay_grows_with_jitter_and_caps() {
        for seed in [0u64, 7, 123_456_789] {
            let d1 = retry_delay_ms(1, seed);
            assert!((250..=500).contains(&d1), "{d1}");
            let d9 = retry_delay_ms(9, seed);
            assert!((5_000..=10_000).contains(&d9), "{d9}");
        }
        assert_ne!(retry_delay_ms(3, 1), retry_delay_ms(3, 2));
    }

    #[test]
    fn trading_messages_reach_the_trading_feed() {
        let owner = Owner::new();
        owner.with(|| {
            let feed = LiveFeed::new();
            let text = r#"{"type":"position","position":{"exchange":"NSE","tradingsymbol":"INFY","product":"MIS","quantity":-5,"average_price":1500.0,"last_price":1490.0,"realised":0.0,"unrealised":50.0}}"#;
            assert_eq!(feed.on_message(text), None);
            let positions = feed.trading.positions.get_untracked();
            assert_eq!(positions.len(), 1);
            assert_eq!(positions[0].quantity, -5);
            assert_eq!(feed.trading.events.get_untracked(), 1);
            // Ticks do not count as trading events.
            feed.on_message(r#"{"type":"heartbeat","server_time_ms":1}"#);
            assert_eq!(feed.trading.events.get_untracked(), 1);
        });
    }
}
