//! Login by one-time code and server-side sessions (issue #5).
//!
//! `POST /auth/otp/request {zerodha_id, email}` always answers the same 200 (or 429 when rate
//! limited): whether the pair matched a registered user is decided after the reply, in a background
//! task, so neither body, status nor timing tells an ID exists. A match gets a 6-digit code by mail,
//! valid 5 minutes, single use, locked after 5 wrong tries. `POST /auth/otp/verify {zerodha_id, code}`
//! exchanges it for a session cookie; `POST /auth/logout` ends the session; [`CurrentUser`] is the
//! extractor other routes use. [`router`] needs no other state than [`AuthState`].
//!
//! Wiring: merge `auth::router().with_state(auth_state)`, and add `CookieManagerLayer` on any other
//! router whose handlers take [`CurrentUser`] (this router carries its own).

pub mod gate;
pub mod mail;
pub mod origin;
pub mod otp;
pub mod session;
pub mod store;

pub use mail::{MailError, Mailer};
pub use session::{CurrentUser, SessionRejection, COOKIE_NAME};
pub use store::AuthStore;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use engine::Db;
use futures_util::future::BoxFuture;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use otp::{OtpCode, OtpKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use session::{id_hash, presented_id, SessionId};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{ChallengeRow, SessionRow};
use tower_cookies::{CookieManagerLayer, Cookies, Key};
use tracing::{error, info, warn};

/// Who may log in: the registered email of a Zerodha ID. The lead implements it over the user
/// registry; `None` for an unknown or disabled ID.
pub trait UserDirectory: Send + Sync + 'static {
    fn email_of<'a>(&'a self, zerodha_id: &'a str) -> BoxFuture<'a, Option<String>>;
}

/// Lifetimes, attempt limit and rate limits of the login flow.
#[derive(Debug, Clone)]
pub struct AuthLimits {
    /// How long a code stays valid.
    pub otp_ttl: Duration,
    /// Wrong codes (attempts, counting the right one) before a challenge locks.
    pub max_attempts: u32,
    /// How long a session lasts from login.
    pub session_ttl: Duration,
    /// Code requests per Zerodha ID (whether it exists or not).
    pub otp_per_id: Quota,
    /// Code requests per client IP.
    pub otp_per_ip: Quota,
}

impl Default for AuthLimits {
    /// 5-minute codes, 5 attempts, 12-hour sessions; 3 requests per ID then one per 5 minutes;
    /// 10 per IP then one per 30 s.
    fn default() -> Self {
        Self {
            otp_ttl: Duration::from_secs(5 * 60),
            max_attempts: 5,
            session_ttl: Duration::from_secs(12 * 3600),
            otp_per_id: quota(Duration::from_secs(300), 3),
            otp_per_ip: quota(Duration::from_secs(30), 10),
        }
    }
}

/// One cell per `period`, up to `burst` at once (a zero `period` or `burst` is raised to the least
/// meaningful value rather than refused: this is configuration, not input).
pub fn quota(period: Duration, burst: u32) -> Quota {
    let period = period.max(Duration::from_nanos(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

struct Limiters {
    per_id: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<String>,
}

/// Everything the auth routes need. Cheap to clone.
#[derive(Clone)]
pub struct AuthState {
    pub db: Db,
    pub directory: Arc<dyn UserDirectory>,
    pub mailer: Mailer,
    /// Encrypts and authenticates the session cookie; also keys the code hashes.
    pub cookie_key: Key,
    pub limits: AuthLimits,
    /// Mark the cookie `Secure` (the site is served over https).
    pub secure_cookies: bool,
    limiters: Arc<Limiters>,
    otp_key: OtpKey,
}

impl AuthState {
    pub fn new(
        db: Db,
        directory: Arc<dyn UserDirectory>,
        mailer: Mailer,
        cookie_key: Key,
        limits: AuthLimits,
        secure_cookies: bool,
    ) -> Self {
        let limiters = Arc::new(Limiters {
            per_id: RateLimiter::keyed(limits.otp_per_id),
            per_ip: RateLimiter::keyed(limits.otp_per_ip),
        });
        let otp_key = OtpKey::derive(&cookie_key);
        Self {
            db,
            directory,
            mailer,
            cookie_key,
            limits,
            secure_cookies,
            limiters,
            otp_key,
        }
    }

    pub fn store(&self) -> AuthStore {
        AuthStore::new(self.db.clone())
    }
}

/// The auth routes: `POST /auth/otp/request`, `POST /auth/otp/verify`, `POST /auth/logout`,
/// `GET /auth/session` (who is logged in). Cross-site POSTs are refused (403).
pub fn router() -> Router<AuthState> {
    Router::new()
        .route("/auth/otp/request", post(request_otp))
        .route("/auth/otp/verify", post(verify_otp))
        .route("/auth/logout", post(logout))
        .route("/auth/session", get(session_info))
        .layer(middleware::from_fn(origin::same_origin_only))
        .layer(CookieManagerLayer::new())
}

/// Loads the 64-byte cookie key from `path`, creating it (random, mode 0600) when missing, so that
/// sessions survive a restart.
pub fn load_or_create_key(path: &Path) -> Result<Key, KeyFileError> {
    match std::fs::read(path) {
        Ok(bytes) => Key::try_from(bytes.as_slice()).map_err(|_| KeyFileError::Short {
            path: path.display().to_string(),
            len: bytes.len(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Key::generate();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| KeyFileError::Io {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let io = |source| KeyFileError::Io {
                path: path.display().to_string(),
                source,
            };
            let mut f = opts.open(path).map_err(io)?;
            std::io::Write::write_all(&mut f, key.master()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(source) => Err(KeyFileError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or write the session key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the session key {path} has {len} bytes; it needs at least 64")]
    Short { path: String, len: usize },
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The JSON error of every auth reply: `{error, code, message}` (`error` is the status's reason).
pub(crate) fn api_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "code": code,
        "message": message,
    });
    (status, Json(body)).into_response()
}

fn internal() -> Response {
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong; try again.",
    )
}

fn rate_limited(wait: Duration) -> Response {
    let mut r = api_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many code requests; wait a little and try again.",
    );
    let secs = wait.as_secs().max(1);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The client's address from the connection (serve with
/// `into_make_service_with_connect_info::<SocketAddr>()`); without it, all clients share one bucket.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A Zerodha user ID as typed: trimmed, upper-cased; 2 to 10 ASCII letters and digits (the registry's rule).
pub fn normalize_zerodha_id(raw: &str) -> Option<String> {
    let id = raw.trim().to_ascii_uppercase();
    let ok = (2..=10).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(id)
}

fn bad_request(message: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, "invalid_request", message)
}

#[derive(Deserialize)]
struct OtpRequest {
    zerodha_id: String,
    email: String,
}

#[derive(Deserialize)]
struct OtpVerify {
    zerodha_id: String,
    code: String,
}

/// The one reply to every accepted code request.
pub const OTP_SENT_MESSAGE: &str = "If the ID and email match, a code was sent.";

async fn request_otp(State(st): State<AuthState>, ip: ClientIp, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<OtpRequest>(&body) else {
        return bad_request("Expected JSON {\"zerodha_id\", \"email\"}.");
    };
    let Some(id) = normalize_zerodha_id(&req.zerodha_id) else {
        return bad_request("A Zerodha ID is 2 to 10 letters and digits.");
    };
    let email = req.email.trim().to_string();
    if email.len() > 254 || !email.contains('@') {
        return bad_request("Enter the email address registered for this ID.");
    }
    let ip_key =
        ip.0.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    let clock = DefaultClock::default();
    if let Err(not_until) = st.limiters.per_ip.check_key(&ip_key) {
        warn!(ip = %ip_key, "login code requests rate limited (IP)");
        return rate_limited(not_until.wait_time_from(clock.now()));
    }
    if let Err(not_until) = st.limiters.per_id.check_key(&id) {
        warn!(zerodha_id = %id, "login code requests rate limited (ID)");
        return rate_limited(not_until.wait_time_from(clock.now()));
    }
    // Everything that depends on whether the ID exists happens after the reply.
    tokio::spawn(issue_code(st, id, email));
    (
        StatusCode::OK,
        Json(json!({"sent": true, "message": OTP_SENT_MESSAGE})),
    )
        .into_response()
}

/// Checks the pair against the directory and, on a match, stores a fresh challenge and mails it.
async fn issue_code(st: AuthState, id: String, email: String) {
    let now = now_ms();
    let store = st.store();
    if let Err(e) = store.purge_expired(now).await {
        error!(error = %e, "purging expired sessions and codes failed");
    }
    let registered = st.directory.email_of(&id).await;
    // The mail goes to the registered address, never to the one typed (they differ in case only).
    let to = match registered {
        Some(r) if r.trim().eq_ignore_ascii_case(&email) => r.trim().to_string(),
        other => {
            info!(zerodha_id = %id, known = other.is_some(), "login code not sent: no such ID and email");
            return;
        }
    };
    let code = OtpCode::generate();
    let salt = OtpKey::salt();
    let row = ChallengeRow {
        code_hash: st.otp_key.hash(&salt, &id, code.expose()),
        salt,
        zerodha_id: id.clone(),
        created_ms: now,
        expires_ms: now.saturating_add(ms(st.limits.otp_ttl)),
        attempts: 0,
        consumed_ms: None,
    };
    if let Err(e) = store.put_challenge(&row).await {
        error!(zerodha_id = %id, error = %e, "storing the login code failed; none sent");
        return;
    }
    if let Err(e) = st.mailer.send_otp(&to, &id, &code, st.limits.otp_ttl).await {
        error!(zerodha_id = %id, error = %e, "mailing the login code failed");
    }
}

fn wrong_code() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "The code is wrong or has expired.",
    )
}

fn locked() -> Response {
    api_error(
        StatusCode::LOCKED,
        "code_locked",
        "Too many wrong codes: ask for a new one.",
    )
}

#[derive(Serialize)]
struct UserView<'a> {
    zerodha_id: &'a str,
}

async fn verify_otp(State(st): State<AuthState>, cookies: Cookies, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<OtpVerify>(&body) else {
        return bad_request("Expected JSON {\"zerodha_id\", \"code\"}.");
    };
    let Some(id) = normalize_zerodha_id(&req.zerodha_id) else {
        return bad_request("A Zerodha ID is 2 to 10 letters and digits.");
    };
    let code = req.code.trim();
    let store = st.store();
    let now = now_ms();
    let row = match store.challenge(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return wrong_code(),
        Err(e) => {
            error!(error = %e, "reading the login challenge failed");
            return internal();
        }
    };
    if row.consumed_ms.is_some() || row.expires_ms <= now {
        return wrong_code();
    }
    let max = i64::from(st.limits.max_attempts);
    if row.attempts >= max {
        return locked();
    }
    match store.take_attempt(&id, row.created_ms, max).await {
        Ok(true) => {}
        // Spent or consumed by a concurrent request in between.
        Ok(false) => return locked(),
        Err(e) => {
            error!(error = %e, "counting the login attempt failed");
            return internal();
        }
    }
    if !otp::well_formed(code) || !st.otp_key.matches(&row.code_hash, &row.salt, &id, code) {
        warn!(zerodha_id = %id, attempt = row.attempts + 1, "wrong login code");
        return if row.attempts + 1 >= max {
            locked()
        } else {
            wrong_code()
        };
    }
    match store.consume(&id, row.created_ms, now).await {
        Ok(true) => {}
        Ok(false) => return wrong_code(),
        Err(e) => {
            error!(error = %e, "consuming the login code failed");
            return internal();
        }
    }
    // Rotation: whatever session this browser had ends; the login gets a new id.
    if let Some(old) = presented_id(&cookies, &st.cookie_key) {
        if let Err(e) = store.delete_session(&id_hash(&old)).await {
            error!(error = %e, "deleting the previous session failed");
            return internal();
        }
    }
    let sid = SessionId::generate();
    let session = SessionRow {
        id_hash: id_hash(sid.expose()),
        user_id: id.clone(),
        created_ms: now,
        expires_ms: now.saturating_add(ms(st.limits.session_ttl)),
    };
    if let Err(e) = store.insert_session(&session).await {
        error!(error = %e, "storing the session failed");
        return internal();
    }
    cookies.private(&st.cookie_key).add(session::session_cookie(
        &sid,
        st.limits.session_ttl,
        st.secure_cookies,
    ));
    info!(zerodha_id = %id, "logged in");
    Json(json!({
        "user": UserView { zerodha_id: &id },
        "expires_ms": session.expires_ms,
    }))
    .into_response()
}

async fn logout(State(st): State<AuthState>, cookies: Cookies) -> Response {
    if let Some(id) = presented_id(&cookies, &st.cookie_key) {
        match st.store().delete_session(&id_hash(&id)).await {
            Ok(existed) => info!(existed, "logged out"),
            Err(e) => {
                error!(error = %e, "deleting the session failed");
                return internal();
            }
        }
    }
    cookies
        .private(&st.cookie_key)
        .remove(session::removal_cookie(st.secure_cookies));
    Json(json!({"logged_out": true})).into_response()
}

async fn session_info(user: CurrentUser) -> Response {
    Json(json!({
        "user": UserView { zerodha_id: &user.user_id },
        "expires_ms": user.expires_ms,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/session.key");
        let first = load_or_create_key(&path).unwrap();
        let again = load_or_create_key(&path).unwrap();
        assert_eq!(first.master(), again.master());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, [7u8; 10]).unwrap();
        assert!(matches!(
            load_or_create_key(&path),
            Err(KeyFileError::Short { len: 10, .. })
        ));
    }

    #[test]
    fn zerodha_ids_are_normalized_or_refused() {
        assert_eq!(normalize_zerodha_id(" ab1234 ").as_deref(), Some("AB1234"));
        assert_eq!(normalize_zerodha_id("A"), None);
        assert_eq!(normalize_zerodha_id("AB 1234"), None);
        assert_eq!(
            normalize_zerodha_id("ABCDEFGHIJ").as_deref(),
            Some("ABCDEFGHIJ")
        );
        assert_eq!(normalize_zerodha_id("ABCDEFGHIJK"), None);
        assert_eq!(normalize_zerodha_id("ÅB1234"), None);
    }
}
