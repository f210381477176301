//! The sandbox's Kite apps, users and tokens: the login flow's request tokens (single use, a few minutes)
//! and the access tokens that REST calls and ticker connections present.

use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The sandbox's default app: what the product uses when no real Kite credentials are configured.
pub const DEFAULT_API_KEY: &str = "sandbox_api_key";
pub const DEFAULT_API_SECRET: &str = "sandbox_api_secret";
/// The demo trader every sandbox has.
pub const DEMO_USER: &str = "DEMO01";
/// How long a request token from the login redirect stays usable.
pub const REQUEST_TOKEN_TTL: Duration = Duration::from_secs(300);

/// A registered Kite Connect app.
#[derive(Debug, Clone)]
pub struct App {
    pub api_key: String,
    pub api_secret: String,
    /// Where the login page sends the browser with the request token.
    pub redirect_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub api_key: String,
    pub user_id: String,
    pub access_token: String,
    pub public_token: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("Invalid `api_key`.")]
    UnknownApp,
    #[error("Token is invalid or has expired.")]
    BadRequestToken,
    #[error("Invalid checksum.")]
    BadChecksum,
}

struct RequestToken {
    api_key: String,
    user_id: String,
    issued: Instant,
}

#[derive(Default)]
pub struct Auth {
    apps: HashMap<String, App>,
    request_tokens: HashMap<String, RequestToken>,
    sessions: HashMap<String, SessionInfo>,
    /// Traders who need a password (the standalone sandbox's `--user-id/--password`); any other id
    /// logs in with any password, as a practice account.
    passwords: HashMap<String, String>,
}

pub fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub fn checksum(api_key: &str, token: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(api_key.as_bytes());
    h.update(token.as_bytes());
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Auth {
    pub fn new(default_api_key: &str) -> Self {
        let mut a = Self::default();
        a.register_app(App {
            api_key: default_api_key.to_string(),
            api_secret: DEFAULT_API_SECRET.to_string(),
            redirect_url: None,
        });
        a
    }

    pub fn register_app(&mut self, app: App) {
        self.apps.insert(app.api_key.clone(), app);
    }

    pub fn app(&self, api_key: &str) -> Option<&App> {
        self.apps.get(api_key)
    }

    pub fn set_redirect_url(&mut self, api_key: &str, url: String) -> Result<(), AuthError> {
        let app = self.apps.get_mut(api_key).ok_or(AuthError::UnknownApp)?;
        app.redirect_url = Some(url);
        Ok(())
    }

    /// From now on `user_id` (case-insensitive, as the login form upper-cases it) logs in only with
    /// `password`.
    pub fn register_user(&mut self, user_id: &str, password: &str) {
        self.passwords
            .insert(user_id.to_uppercase(), password.to_string());
    }

    /// Whether the login form's password opens `user_id`: registered users need theirs, others any.
    pub fn password_ok(&self, user_id: &str, password: &str) -> bool {
        self.passwords
            .get(&user_id.to_uppercase())
            .is_none_or(|p| p == password)
    }

    /// After the login form: a single-use token for the app to exchange.
    pub fn issue_request_token(
        &mut self,
        api_key: &str,
        user_id: &str,
    ) -> Result<String, AuthError> {
        if !self.apps.contains_key(api_key) {
            return Err(AuthError::UnknownApp);
        }
        let now = Instant::now();
        self.request_tokens
            .retain(|_, t| now.duration_since(t.issued) < REQUEST_TOKEN_TTL);
        let token = random_token(32);
        self.request_tokens.insert(
            token.clone(),
            RequestToken {
                api_key: api_key.to_string(),
                user_id: user_id.to_string(),
                issued: now,
            },
        );
        Ok(token)
    }

    /// `POST /session/token`: checks the app, the token (unused, fresh, same app) and the checksum.
    pub fn exchange(
        &mut self,
        api_key: &str,
        request_token: &str,
        checksum_hex: &str,
    ) -> Result<SessionInfo, AuthError> {
        let app = self.apps.get(api_key).ok_or(AuthError::UnknownApp)?;
        let expected = checksum(api_key, request_token, &app.api_secret);
        let fresh = self
            .request_tokens
            .get(request_token)
            .is_some_and(|t| t.api_key == api_key && t.issued.elapsed() < REQUEST_TOKEN_TTL);
        if !fresh {
            return Err(AuthError::BadRequestToken);
        }
        if !expected.eq_ignore_ascii_case(checksum_hex) {
            return Err(AuthError::BadChecksum);
        }
        // Single use: gone once exchanged.
        let t = self
            .request_tokens
            .remove(request_token)
            .ok_or(AuthError::BadRequestToken)?;
        Ok(self.mint(api_key, &t.user_id))
    }

    /// A session without the browser leg (tests and the embedded default).
    pub fn mint(&mut self, api_key: &str, user_id: &str) -> SessionInfo {
        let info = SessionInfo {
            api_key: api_key.to_string(),
            user_id: user_id.to_string(),
            access_token: random_token(32),
            public_token: random_token(32),
        };
        self.sessions
            .insert(info.access_token.clone(), info.clone());
        info
    }

    /// The user behind a key/token pair, if the pair is valid.
    pub fn check(&self, api_key: &str, access_token: &str) -> Option<&SessionInfo> {
        self.sessions
            .get(access_token)
            .filter(|s| s.api_key == api_key)
    }

    /// Ends every session of `user_id` (the daily expiry, for one user). Returns how many ended.
    pub fn revoke_user(&mut self, user_id: &str) -> usize {
        let before = self.sessions.len();
        self.sessions.retain(|_, s| s.user_id != user_id);
        before - self.sessions.len()
    }

    pub fn revoke(&mut self, access_token: &str) -> bool {
        self.sessions.remove(access_token).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_flow_tokens() {
        let mut a = Auth::new(DEFAULT_API_KEY);
        let rt = a.issue_request_token(DEFAULT_API_KEY, DEMO_USER).unwrap();
        let bad = a.exchange(DEFAULT_API_KEY, &rt, "00");
        assert_eq!(bad, Err(AuthError::BadChecksum));
        let sum = checksum(DEFAULT_API_KEY, &rt, DEFAULT_API_SECRET);
        let s = a.exchange(DEFAULT_API_KEY, &rt, &sum).unwrap();
        assert_eq!(s.user_id, DEMO_USER);
        assert_eq!(
            a.check(DEFAULT_API_KEY, &s.access_token)
                .map(|s| s.user_id.as_str()),
            Some(DEMO_USER)
        );
        assert!(a.check("other", &s.access_token).is_none());
        // Reuse fails.
        assert_eq!(
            a.exchange(DEFAULT_API_KEY, &rt, &sum),
            Err(AuthError::BadRequestToken)
        );
        assert!(a.revoke(&s.access_token));
        assert!(a.check(DEFAULT_API_KEY, &s.access_token).is_none());
        assert_eq!(
            a.issue_request_token("nope", DEMO_USER),
            Err(AuthError::UnknownApp)
        );
    }

    #[test]
    fn registered_users_need_their_password() {
        let mut a = Auth::new(DEFAULT_API_KEY);
        assert!(
            a.password_ok("ZZ9999", "anything"),
            "practice ids take any password"
        );
        a.register_user("ab1234", "s3cret");
        assert!(a.password_ok("AB1234", "s3cret"));
        assert!(a.password_ok("ab1234", "s3cret"));
        assert!(!a.password_ok("AB1234", "wrong"));
        assert!(!a.password_ok("AB1234", ""));
        assert!(a.password_ok("ZZ9999", ""));
    }
}
