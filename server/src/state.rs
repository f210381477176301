//! What every request handler can reach.

use crate::auth::AuthState;
use axum::extract::FromRef;
use engine::{Db, EngineManager};
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Every logged-in user's engine, started on first use from the user registry.
    pub engines: Arc<EngineManager>,
    /// Logins, sessions and the session cookie's key.
    pub auth: AuthState,
    pub live_ping: Duration,
    /// The engine database (`<DATA_DIR>/kite-agent.db`).
    pub db: Db,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

impl FromRef<AppState> for AuthState {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}
