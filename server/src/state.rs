//! What every request handler can reach.

use axum::extract::FromRef;
use engine::{Db, EngineHub};
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub hub: Arc<EngineHub>,
    pub live_ping: Duration,
    /// The Kite app secret for the login exchange (the sandbox's own in sandbox mode). Never logged.
    pub kite_secret: Option<Arc<String>>,
    /// The engine database (`<DATA_DIR>/kite-agent.db`): candle cache now, more later.
    pub db: Db,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
