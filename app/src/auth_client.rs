//! The browser's calls to the login and session endpoints (`/auth/*`, `/api/kite/session`).
//!
//! Plain JSON over `fetch` rather than server functions: the server owns these routes (they set and
//! clear the HttpOnly session cookie) and their replies are a fixed contract. Every reply, good or bad,
//! becomes a typed value; a body that is not the JSON expected is an [`AuthFailure`], never a panic.
//! On the server the calls are absent in effect: they answer [`codes::UNAVAILABLE`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Failure codes: the server's own (`code` in its JSON) and three of ours.
pub mod codes {
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const INVALID_CODE: &str = "invalid_code";
    pub const CODE_LOCKED: &str = "code_locked";
    pub const NOT_LOGGED_IN: &str = "not_logged_in";
    pub const SESSION_EXPIRED: &str = "session_expired";
    /// The request never got an answer (offline, server down, aborted).
    pub const NETWORK: &str = "network";
    /// A success status with a body that is not the expected JSON.
    pub const BAD_RESPONSE: &str = "bad_response";
    /// Called outside the browser (server-side rendering).
    pub const UNAVAILABLE: &str = "unavailable";
}

/// Where the Kite login starts when the server has not said (the contract's fixed path).
pub const KITE_LOGIN_PATH: &str = "/kite/login";

/// Why a call failed: the HTTP status (0 when there was no answer), the machine code and a message
/// fit to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.message, self.status, self.code)
    }
}

impl std::error::Error for AuthFailure {}

impl AuthFailure {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// No valid session (missing or expired): the caller should send the user to the login page.
    pub fn is_logged_out(&self) -> bool {
        self.status == 401 && self.code != codes::INVALID_CODE
    }
}

/// `POST /auth/otp/request`'s reply (the same whether or not the ID and email match).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CodeSent {
    pub sent: bool,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionUser {
    pub zerodha_id: String,
}

/// A logged-in session: `POST /auth/otp/verify`'s and `GET /auth/session`'s reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub user: SessionUser,
    /// When the session ends, Unix milliseconds.
    pub expires_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// `GET /api/kite/session`: whether this user's Kite access token is present and valid.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KiteSession {
    pub connected: bool,
    #[serde(default)]
    pub kite_user_id: Option<String>,
    #[serde(default)]
    pub expires_ms: Option<i64>,
    #[serde(default = "kite_login_path")]
    pub login_url: String,
}

fn kite_login_path() -> String {
    KITE_LOGIN_PATH.to_string()
}

#[derive(Serialize)]
struct CodeRequest<'a> {
    zerodha_id: &'a str,
    email: &'a str,
}

#[derive(Serialize)]
struct CodeVerify<'a> {
    zerodha_id: &'a str,
    code: &'a str,
}

/// The error body every auth and API route answers with; each field optional so that a proxy's HTML
/// error page or an older server still gives a usable failure.
#[derive(Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Turns a status and body into the typed reply or the failure the user should see.
pub fn parse_reply<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, AuthFailure> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|_| {
            AuthFailure::new(
                status,
                codes::BAD_RESPONSE,
                "The server sent an unexpected reply; try again.",
            )
        });
    }
    let err: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let code = err
        .code
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| default_code(status).to_string());
    let message = err
        .message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| default_message(status).to_string());
    Err(AuthFailure {
        status,
        code,
        message,
    })
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => codes::INVALID_REQUEST,
        401 => codes::NOT_LOGGED_IN,
        423 => codes::CODE_LOCKED,
        429 => codes::RATE_LIMITED,
        _ => codes::BAD_RESPONSE,
    }
}

fn default_message(status: u16) -> &'static str {
    match status {
        400 => "Check the Zerodha ID and email and try again.",
        401 => "Not logged in.",
        423 => "Too many wrong codes; ask for a new code.",
        429 => "Too many attempts; wait a minute and try again.",
        500..=599 => "The server had a problem; try again.",
        _ => "The server sent an unexpected reply; try again.",
    }
}

/// Asks for a login code to be mailed to the user.
pub async fn request_code(zerodha_id: &str, email: &str) -> Result<CodeSent, AuthFailure> {
    let body = to_json(&CodeRequest { zerodha_id, email })?;
    call(Method::Post, "/auth/otp/request", Some(body)).await
}

/// Trades the mailed code for a session; the server sets the session cookie on success.
pub async fn verify_code(zerodha_id: &str, code: &str) -> Result<Session, AuthFailure> {
    let body = to_json(&CodeVerify { zerodha_id, code })?;
    call(Method::Post, "/auth/otp/verify", Some(body)).await
}

/// Ends the session and clears its cookie.
pub async fn logout() -> Result<LoggedOut, AuthFailure> {
    call(Method::Post, "/auth/logout", None).await
}

/// Who is logged in, if anyone.
pub async fn session() -> Result<Session, AuthFailure> {
    call(Method::Get, "/auth/session", None).await
}

/// Whether the logged-in user's Kite access token is present and valid.
pub async fn kite_session() -> Result<KiteSession, AuthFailure> {
    call(Method::Get, "/api/kite/session", None).await
}

fn to_json(body: &impl Serialize) -> Result<String, AuthFailure> {
    serde_json::to_string(body).map_err(|e| AuthFailure::new(0, codes::BAD_RESPONSE, e.to_string()))
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[cfg(feature = "hydrate")]
async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<T, AuthFailure> {
    use gloo_net::http::Request;
    let network = |e: gloo_net::Error| {
        AuthFailure::new(
            0,
            codes::NETWORK,
            format!("The server could not be reached: {e}"),
        )
    };
    let builder = match method {
        Method::Get => Request::get(path),
        Method::Post => Request::post(path),
    }
    .header("Accept", "application/json");
    let request = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json)
            .map_err(network)?,
        None => builder.build().map_err(network)?,
    };
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let text = response.text().await.map_err(network)?;
    parse_reply(status, &text)
}

#[cfg(not(feature = "hydrate"))]
async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<T, AuthFailure> {
    let _ = (method, body);
    Err(AuthFailure::new(
        0,
        codes::UNAVAILABLE,
        format!("{path} is called from the browser only."),
    ))
}

/// Whether `path` (a URL path, possibly with query or fragment) is the login page.
pub fn is_login_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/') == "/login"
}

/// Where to go after logging in: `next` if it is a path on this site, else `/`.
///
/// Only a path that starts with one `/` is taken. `//host`, `/\host` (browsers read `\` as `/`),
/// schemes, and control characters (the URL parser drops tabs and newlines, so `/\t/host` would
/// become `//host`) are refused, so the login page cannot be made to send someone elsewhere. The
/// login page itself is refused too, so that logging in never loops back to it.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.chars().any(|c| c == '\\' || c.is_control())
                && !is_login_path(p) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The mailed code as the server expects it (6 ASCII digits), forgiving spaces and dashes pasted
/// with it; `None` if it cannot be one.
pub fn normalize_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// A Zerodha ID and email as typed, trimmed (the ID upper-cased, as the server stores it), or the
/// message to show when one is plainly missing. The server does the full check.
pub fn login_request(zerodha_id: &str, email: &str) -> Result<(String, String), &'static str> {
    let id = zerodha_id.trim().to_ascii_uppercase();
    let email = email.trim().to_string();
    if id.is_empty() {
        return Err("Enter your Zerodha ID.");
    }
    if !email.contains('@') {
        return Err("Enter the email address registered for this ID.");
    }
    Ok((id, email))
}

/// A full page load of `path` (browser only): after login and logout, so that every feed and cached
/// page starts again under the new session.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_bodies_parse_into_their_types() {
        let sent: CodeSent = parse_reply(
            200,
            r#"{"sent":true,"message":"If the ID and email match, a code was sent."}"#,
        )
        .unwrap();
        assert!(sent.sent);
        assert_eq!(sent.message, "If the ID and email match, a code was sent.");

        let s: Session = parse_reply(
            200,
            r#"{"user":{"zerodha_id":"DEMO01"},"expires_ms":1790000000000}"#,
        )
        .unwrap();
        assert_eq!(s.user.zerodha_id, "DEMO01");
        assert_eq!(s.expires_ms, 1_790_000_000_000);

        let k: KiteSession = parse_reply(
            200,
            r#"{"connected":false,"kite_user_id":null,"expires_ms":null,"login_url":"/kite/login"}"#,
        )
        .unwrap();
        assert!(!k.connected);
        assert_eq!(k.kite_user_id, None);
        assert_eq!(k.login_url, "/kite/login");

        let k: KiteSession = parse_reply(
            200,
            r#"{"connected":true,"kite_user_id":"DEMO01","expires_ms":5}"#,
        )
        .unwrap();
        assert_eq!(k.kite_user_id.as_deref(), Some("DEMO01"));
        assert_eq!(k.expires_ms, Some(5));
        assert_eq!(k.login_url, KITE_LOGIN_PATH, "missing login_url falls back");

        let out: LoggedOut = parse_reply(200, r#"{"logged_out":true}"#).unwrap();
        assert!(out.logged_out);
    }

    #[test]
    fn error_bodies_keep_the_servers_code_and_message() {
        let e = parse_reply::<Session>(
            401,
            r#"{"error":"Unauthorized","code":"invalid_code","message":"The code is wrong or has expired."}"#,
        )
        .unwrap_err();
        assert_eq!(e.status, 401);
        assert_eq!(e.code, codes::INVALID_CODE);
        assert_eq!(e.message, "The code is wrong or has expired.");
        assert!(!e.is_logged_out(), "a wrong code is not a lost session");

        let e = parse_reply::<CodeSent>(
            429,
            r#"{"code":"rate_limited","message":"Too many code requests; wait a little and try again."}"#,
        )
        .unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (429, codes::RATE_LIMITED));
        assert!(e.message.starts_with("Too many code requests"));

        let e = parse_reply::<Session>(401, r#"{"code":"session_expired"}"#).unwrap_err();
        assert_eq!(e.code, codes::SESSION_EXPIRED);
        assert_eq!(e.message, "Not logged in.");
        assert!(e.is_logged_out());
    }

    #[test]
    fn bad_bodies_become_failures_not_panics() {
        let e = parse_reply::<Session>(200, "<html>proxy page</html>").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (200, codes::BAD_RESPONSE));
        let e = parse_reply::<Session>(200, r#"{"user":{}}"#).unwrap_err();
        assert_eq!(e.code, codes::BAD_RESPONSE);
        let e = parse_reply::<CodeSent>(423, "").unwrap_err();
        assert_eq!(e.code, codes::CODE_LOCKED);
        assert_eq!(e.message, "Too many wrong codes; ask for a new code.");
        // A field of the wrong type spoils only itself: the status still picks the code.
        let e = parse_reply::<CodeSent>(400, r#"{"code":7,"message":"x"}"#).unwrap_err();
        assert_eq!(e.code, codes::INVALID_REQUEST);
        let e = parse_reply::<CodeSent>(502, "Bad Gateway").unwrap_err();
        assert_eq!(e.status, 502);
        assert_eq!(e.message, "The server had a problem; try again.");
        let e = parse_reply::<CodeSent>(400, r#"{"code":" ","message":""}"#).unwrap_err();
        assert_eq!(e.code, codes::INVALID_REQUEST);
        assert_eq!(e.message, "Check the Zerodha ID and email and try again.");
    }

    #[test]
    fn next_must_be_a_path_on_this_site() {
        assert_eq!(safe_next(Some("/orders")), "/orders");
        assert_eq!(
            safe_next(Some("/options?u=NIFTY#chain")),
            "/options?u=NIFTY#chain"
        );
        assert_eq!(safe_next(Some("/")), "/");
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "",
            " /orders",
            "/login",
            "/login/?next=/orders",
            "/login#x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        // Only the login page itself, not a page whose name starts with it.
        assert_eq!(safe_next(Some("/logins")), "/logins");
    }

    #[test]
    fn login_path_ignores_trailing_slash_query_and_fragment() {
        assert!(is_login_path("/login"));
        assert!(is_login_path("/login/"));
        assert!(is_login_path("/login?next=/orders"));
        assert!(!is_login_path("/"));
        assert!(!is_login_path("/login/extra"));
        assert!(!is_login_path("/options"));
    }

    #[test]
    fn codes_are_six_digits_forgiving_spaces_and_dashes() {
        assert_eq!(normalize_code("123456").as_deref(), Some("123456"));
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("12345"), None);
        assert_eq!(normalize_code("1234567"), None);
        assert_eq!(normalize_code("12345a"), None);
        assert_eq!(
            normalize_code("١٢٣٤٥٦"),
            None,
            "non-ASCII digits are refused"
        );
    }

    #[test]
    fn login_request_trims_and_upper_cases_the_id() {
        assert_eq!(
            login_request(" demo01 ", " demo@sandbox.local "),
            Ok(("DEMO01".to_string(), "demo@sandbox.local".to_string()))
        );
        assert_eq!(
            login_request("  ", "demo@sandbox.local"),
            Err("Enter your Zerodha ID.")
        );
        assert!(login_request("DEMO01", "demo").is_err());
    }

    #[test]
    fn outside_the_browser_calls_fail_typed() {
        let e = ready(session()).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (0, codes::UNAVAILABLE));
        let e = ready(request_code("DEMO01", "demo@sandbox.local")).unwrap_err();
        assert_eq!(e.code, codes::UNAVAILABLE);
    }

    /// Polls a future that is ready on first poll (the non-browser `call`), without a runtime.
    fn ready<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the non-browser call never waits"),
        }
    }
}
