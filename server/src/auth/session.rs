//! Server-side sessions behind a private cookie. The cookie (`kta_session`, encrypted and
//! authenticated with the server's key) holds a random 256-bit id; the database holds only the
//! SHA-256 of that id, the user and the expiry. Logging out deletes the row, so a copied cookie dies
//! with it; each login mints a new id.

use super::{api_error, store::SessionRow, AuthState};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tower_cookies::cookie::{time, SameSite};
use tower_cookies::{Cookie, Cookies};
use tracing::error;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "kta_session";

/// A fresh session id: 32 bytes from the OS generator, base64url. Redacted `Debug`.
pub struct SessionId(String);

impl SessionId {
    pub fn generate() -> Self {
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        Self(URL_SAFE_NO_PAD.encode(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// What the `sessions` table is keyed by: hex SHA-256 of the id as it travels in the cookie. The id
/// has 256 random bits, so an unsalted fast hash is enough to make a leaked table useless.
pub fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The cookie carrying `id`: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
/// POSTs), Secure when the site is served over https, Path=/, and no longer-lived than the session.
pub fn session_cookie(
    id: &SessionId,
    max_age: std::time::Duration,
    secure: bool,
) -> Cookie<'static> {
    let secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    Cookie::build((COOKIE_NAME, id.expose().to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(time::Duration::seconds(secs))
        .build()
}

/// The cookie that removes the session cookie (same name and path, so the browser matches it).
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE_NAME, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

/// The session id in the request's cookie, if there is one that decrypts and authenticates.
/// A tampered or foreign cookie reads as absent.
pub fn presented_id(cookies: &Cookies, key: &tower_cookies::Key) -> Option<String> {
    cookies
        .private(key)
        .get(COOKIE_NAME)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The logged-in user of a request: its session cookie decrypts, names a stored session, and that
/// session has not expired. Otherwise the request is refused with 401 and a JSON error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// The Zerodha user ID the session belongs to.
    pub user_id: String,
    /// When the session ends (ms since the epoch, UTC).
    pub expires_ms: i64,
}

/// Why there is no current user.
#[derive(Debug)]
pub enum SessionRejection {
    /// No cookie, or one that does not decrypt (tampered, or from another key).
    Missing,
    /// A well-formed cookie whose session is gone (logged out, rotated) or past its expiry.
    Expired,
    /// The cookie layer is missing or the database failed: a server fault, not the client's.
    Internal,
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            SessionRejection::Missing => api_error(
                StatusCode::UNAUTHORIZED,
                "not_logged_in",
                "Log in to continue.",
            ),
            SessionRejection::Expired => api_error(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "Your session has ended; log in again.",
            ),
            SessionRejection::Internal => api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The session could not be checked.",
            ),
        }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AuthState: FromRef<S>,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = AuthState::from_ref(state);
        let cookies = Cookies::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| {
                error!(msg, "CurrentUser used without the CookieManagerLayer");
                SessionRejection::Internal
            })?;
        let id = presented_id(&cookies, &auth.cookie_key).ok_or(SessionRejection::Missing)?;
        let row = auth.store().session(&id_hash(&id)).await.map_err(|e| {
            error!(error = %e, "session lookup failed");
            SessionRejection::Internal
        })?;
        match row {
            Some(SessionRow {
                user_id,
                expires_ms,
                ..
            }) if expires_ms > super::now_ms() => Ok(CurrentUser {
                user_id,
                expires_ms,
            }),
            _ => Err(SessionRejection::Expired),
        }
    }
}
