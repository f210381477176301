//! The browser's end of `/ws/oi`: the latest open-interest summary of each tracked underlying, as
//! signals the Options page reads. Opened the first time the page is shown, then kept for the tab.

use crate::live::LinkState;
use leptos::prelude::*;
use model::live::ClientMessage;
use model::options::{OiMessage, OiSummary, Underlying};

#[derive(Clone, Copy)]
pub struct OiFeed {
    pub link: RwSignal<LinkState>,
    pub tracking: RwSignal<Vec<Underlying>>,
    pub summaries: RwSignal<Vec<OiSummary>>,
    /// Summaries received, so tests and the page can see pushes arriving.
    pub updates: RwSignal<u64>,
    opened: StoredValue<bool>,
}

impl Default for OiFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl OiFeed {
    pub fn new() -> Self {
        Self {
            link: RwSignal::new(LinkState::Connecting),
            tracking: RwSignal::new(Vec::new()),
            summaries: RwSignal::new(Vec::new()),
            updates: RwSignal::new(0),
            opened: StoredValue::new(false),
        }
    }

    /// The latest summary of `u`, if one has arrived.
    pub fn summary(&self, u: Underlying) -> Option<OiSummary> {
        self.summaries
            .with(|all| all.iter().find(|s| s.underlying == u).cloned())
    }

    /// Applies one server message; returns the reply to send, if any.
    pub fn on_message(&self, text: &str) -> Option<String> {
        match serde_json::from_str::<OiMessage>(text).ok()? {
            OiMessage::Summary { summary } => {
                self.summaries.update(|all| {
                    match all.iter_mut().find(|s| s.underlying == summary.underlying) {
                        Some(slot) => *slot = summary,
                        None => all.push(summary),
                    }
                });
                self.updates.update(|n| *n += 1);
                None
            }
            OiMessage::Tracking { underlyings } => {
                self.tracking.set(underlyings);
                None
            }
            OiMessage::Ping { nonce } => serde_json::to_string(&ClientMessage::Pong { nonce }).ok(),
        }
    }

    /// Opens the socket once (browser only).
    pub fn connect(self) {
        if self.opened.get_value() {
            return;
        }
        self.opened.set_value(true);
        crate::ws::open(crate::ws::Handlers {
            path: "/ws/oi",
            // Summaries come every 2 s while tracking; pings every 15 s otherwise.
            silence_ms: 40_000.0,
            on_link: Box::new(move |state| self.link.set(state)),
            on_text: Box::new(move |text| self.on_message(text)),
        });
    }
}
