//! Kite's market-data WebSocket (SPEC §12): a client that stays connected and keeps its subscriptions.

pub mod backoff;
pub mod client;
pub mod parse;
pub mod subscriptions;

pub use backoff::Backoff;
pub use client::{TickerClient, TickerError, TickerEvent, TickerHandle};
pub use subscriptions::Subscriptions;

use std::fmt;
use std::time::Duration;

/// The pair that authorises a ticker connection. `Debug` hides the token: it must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub api_key: String,
    pub access_token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct TickerConfig {
    /// `wss://ws.kite.trade` for the real API, the sandbox's `ws://127.0.0.1:PORT` otherwise.
    pub url: String,
    pub credentials: Credentials,
    pub backoff: Backoff,
    /// With no frame at all (heartbeats included) for this long, the socket is presumed dead.
    pub read_timeout: Duration,
    pub connect_timeout: Duration,
}

impl TickerConfig {
    pub fn new(url: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            url: url.into(),
            credentials,
            backoff: Backoff::default(),
            read_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
        }
    }
}
