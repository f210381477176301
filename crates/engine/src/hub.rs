//! The hub: every user's engine, looked up by user id. One process serves many traders, and nothing of
//! one user's engine is reachable through another's id.

use crate::user_engine::UserEngine;
use model::{ServerStatus, TickerState, TradingMode};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// A user's id. Until logins exist (issue: multi-user) there is one user, [`UserId::default_user`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn default_user() -> Self {
        Self("default".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Facts about the process that every status report carries.
#[derive(Debug, Clone)]
pub struct HubInfo {
    pub mode: TradingMode,
    pub sandbox_url: Option<String>,
    pub version: String,
}

pub struct EngineHub {
    info: HubInfo,
    started: Instant,
    engines: RwLock<HashMap<UserId, Arc<UserEngine>>>,
}

impl EngineHub {
    pub fn new(info: HubInfo) -> Self {
        Self {
            info,
            started: Instant::now(),
            engines: RwLock::new(HashMap::new()),
        }
    }

    pub fn mode(&self) -> TradingMode {
        self.info.mode
    }

    pub fn insert(&self, engine: Arc<UserEngine>) {
        self.engines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(engine.user().clone(), engine);
    }

    pub fn get(&self, user: &UserId) -> Option<Arc<UserEngine>> {
        self.engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .cloned()
    }

    /// Takes the user's engine out of the hub; it stops once the last request or socket using it ends.
    pub fn remove(&self, user: &UserId) -> Option<Arc<UserEngine>> {
        self.engines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(user)
    }

    pub fn user_ids(&self) -> Vec<UserId> {
        self.engines
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    pub fn users(&self) -> usize {
        self.engines.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn info(&self) -> &HubInfo {
        &self.info
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Status as seen by `user`: process facts plus that user's engine.
    pub fn status(&self, user: &UserId) -> ServerStatus {
        let mut s = ServerStatus {
            mode: self.info.mode,
            ticker: TickerState::Stopped,
            subscribed: 0,
            uptime_secs: self.started.elapsed().as_secs(),
            ticks_received: 0,
            version: self.info.version.clone(),
            sandbox_url: self.info.sandbox_url.clone(),
        };
        if let Some(e) = self.get(user) {
            e.fill_status(&mut s);
        }
        s
    }
}
