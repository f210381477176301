//! What the server says about itself: trading mode and the state of its market-data connection.

use serde::{Deserialize, Serialize};

/// Where orders and market data go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// The embedded simulator: no real money.
    Sandbox,
    /// Zerodha's real Kite Connect API.
    Live,
}

/// State of the upstream ticker connection, as shown by the dashboard's badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TickerState {
    Connecting,
    Connected,
    /// Lost the socket; the next attempt is `retry_in_ms` away.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    /// Credentials were refused (expired token): retrying cannot help until the user logs in again.
    AuthFailed {
        reason: String,
    },
    Stopped,
}

impl TickerState {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting { .. } => "reconnecting",
            Self::AuthFailed { .. } => "auth failed",
            Self::Stopped => "stopped",
        }
    }
}

/// Reply of `GET /api/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub mode: TradingMode,
    pub ticker: TickerState,
    pub subscribed: usize,
    pub uptime_secs: u64,
    pub ticks_received: u64,
    pub version: String,
    /// Base URL of the embedded sandbox's HTTP side (sandbox mode only), for practice tools and tests.
    pub sandbox_url: Option<String>,
}

/// Reply of `GET /api/health`: the process, its database, and (for a logged-in caller) their own feed
/// and Kite session. Nothing about other users beyond the number of engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `degraded` when the database fails or the caller's feed is down.
    pub status: String,
    pub mode: TradingMode,
    pub version: String,
    pub uptime_secs: u64,
    pub engines: usize,
    pub database: ComponentHealth,
    pub user: Option<UserHealth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentHealth {
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserHealth {
    pub zerodha_id: String,
    pub ticker: TickerState,
    pub kite_connected: bool,
    pub ticks_received: u64,
    pub subscribed: usize,
}
