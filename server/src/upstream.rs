//! Where users' Kite clients connect, and the login directory over the user registry.

use crate::auth::UserDirectory;
use engine::users::{User, UserRegistry};
use engine::Upstream;
use futures_util::future::BoxFuture;
use kite_sim::Sandbox;
use std::sync::Arc;

/// The embedded sandbox: every user's app is registered with it before their login, so the Kite
/// login round trip runs with their own api_key and secret, as on Kite.
pub struct SandboxUpstream(pub Arc<Sandbox>);

impl Upstream for SandboxUpstream {
    fn rest_root(&self) -> Option<String> {
        Some(self.0.http_url())
    }

    fn ticker_url(&self) -> String {
        self.0.ws_url()
    }

    fn prepare_login(&self, user: &User, redirect_url: &str) {
        use engine::users::ExposeSecret;
        self.0.register_app(
            user.api_key(),
            user.api_secret().expose_secret(),
            redirect_url,
        );
    }
}

/// Kite itself, or another Kite-compatible root (a separately run sandbox).
pub struct KiteUpstream {
    pub rest_root: Option<String>,
    pub ticker_url: String,
}

impl Upstream for KiteUpstream {
    fn rest_root(&self) -> Option<String> {
        self.rest_root.clone()
    }

    fn ticker_url(&self) -> String {
        self.ticker_url.clone()
    }
}

/// Who may log in: the registry's users, by their registered email.
pub struct RegistryDirectory(pub UserRegistry);

impl UserDirectory for RegistryDirectory {
    fn email_of<'a>(&'a self, zerodha_id: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            self.0
                .get(zerodha_id)
                .await
                .ok()
                .map(|u| u.email().to_string())
        })
    }
}
