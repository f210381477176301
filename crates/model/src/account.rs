//! What the dashboard's account pages receive: the data, or why there is none. A Kite session that
//! expired is its own case, because the page then offers to log in again rather than showing an error.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "data", rename_all = "snake_case")]
pub enum Fetched<T> {
    Ok(T),
    /// Kite refused the session (daily expiry, logout): log in at `login_url`.
    SessionExpired {
        login_url: String,
    },
    /// The broker or the network failed; `message` says how.
    Failed {
        message: String,
    },
}

impl<T> Fetched<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        match self {
            Self::Ok(t) => Fetched::Ok(f(t)),
            Self::SessionExpired { login_url } => Fetched::SessionExpired { login_url },
            Self::Failed { message } => Fetched::Failed { message },
        }
    }
}

/// Where the dashboard sends a trader to (re)connect Kite.
pub const KITE_LOGIN_PATH: &str = "/kite/login";
