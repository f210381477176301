//! Alerts a trader must see at once: fills, rejections, the kill switch and risk halts, an expired Kite
//! session, a lost or restored feed. Pushed on `/ws/live` as `{"type":"alert","alert":{…}}` (toasts)
//! and kept per user for the Alerts list (`GET /api/alerts`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An order filled completely.
    Fill,
    /// The broker rejected an order (the message carries its reason).
    Rejection,
    /// The risk manager halted trading (daily loss limit).
    RiskHalt,
    /// The kill switch fired or was reset.
    KillSwitch,
    /// Kite no longer accepts the session: reconnect Kite.
    SessionExpired,
    /// The market feed dropped or went silent.
    FeedLost,
    /// The market feed is back.
    FeedRestored,
}

/// How loudly to show it: `Critical` toasts stay until dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Increasing per user, across restarts, so the browser can drop duplicates.
    pub id: u64,
    pub at_ms: u64,
    pub kind: AlertKind,
    pub level: AlertLevel,
    pub title: String,
    pub message: String,
}

impl AlertKind {
    /// The level each kind is shown at.
    pub fn level(self) -> AlertLevel {
        match self {
            AlertKind::Fill | AlertKind::FeedRestored => AlertLevel::Info,
            AlertKind::Rejection | AlertKind::FeedLost => AlertLevel::Warning,
            AlertKind::RiskHalt | AlertKind::KillSwitch | AlertKind::SessionExpired => {
                AlertLevel::Critical
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_serialise_with_snake_case_kinds() {
        let a = Alert {
            id: 3,
            at_ms: 1,
            kind: AlertKind::Rejection,
            level: AlertKind::Rejection.level(),
            title: "Order rejected".into(),
            message: "NSE:INFY BUY 5: insufficient funds".into(),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["kind"], "rejection");
        assert_eq!(v["level"], "warning");
        assert_eq!(serde_json::from_value::<Alert>(v).unwrap(), a);
        assert!(AlertKind::KillSwitch.level() > AlertKind::FeedLost.level());
    }
}

/// `GET|POST /api/alerts/email`: whether the user's alerts are also mailed (off until they turn it
/// on), and the registered address they go to (the one their login codes go to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEmailSetting {
    pub enabled: bool,
    pub email: String,
}
