//! What every request handler can reach.

use axum::extract::FromRef;
use engine::EngineHub;
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
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
