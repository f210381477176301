//! The HTTP core shared by every endpoint: headers, the JSON envelope, typed errors, rate limits and
//! retries for reads.

use super::error::{KiteError, Result};
use super::limits::{Class, Limiter, RateLimits};
use model::broker::ErrorType;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tracing::{debug, warn};

/// Kite's REST root.
pub const KITE_API_ROOT: &str = "https://api.kite.trade";
/// Kite's login page (the browser leg of the login flow).
pub const KITE_LOGIN_URL: &str = "https://kite.zerodha.com/connect/login";

#[derive(Clone)]
pub struct KiteConfig {
    pub api_key: String,
    /// `https://api.kite.trade`, or the sandbox's HTTP address.
    pub api_root: String,
    pub login_url: String,
    pub timeout: Duration,
    /// Extra attempts for a failed read (never for a write).
    pub max_retries: u32,
    pub retry_base: Duration,
    pub limits: RateLimits,
}

impl fmt::Debug for KiteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KiteConfig")
            .field("api_key", &self.api_key)
            .field("api_root", &self.api_root)
            .finish_non_exhaustive()
    }
}

impl KiteConfig {
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            api_root: KITE_API_ROOT.into(),
            login_url: KITE_LOGIN_URL.into(),
            timeout: Duration::from_secs(10),
            max_retries: 3,
            retry_base: Duration::from_millis(200),
            limits: RateLimits::default(),
        }
    }

    /// Points the client at a sandbox (or any Kite-compatible server) at `root`.
    pub fn with_root(mut self, root: impl Into<String>) -> Self {
        let root: String = root.into();
        self.login_url = format!("{}/connect/login", root.trim_end_matches('/'));
        self.api_root = root;
        self
    }
}

pub(crate) enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// The Kite Connect REST client. Cheap to clone; clones share the session, limits and connection pool.
#[derive(Clone)]
pub struct KiteClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: KiteConfig,
    access_token: RwLock<Option<String>>,
    session_valid: AtomicBool,
    limiter: Limiter,
}

impl fmt::Debug for KiteClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KiteClient")
            .field("config", &self.inner.config)
            .field("logged_in", &self.has_session())
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct RawEnvelope {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_type: Option<String>,
}

impl KiteClient {
    pub fn new(config: KiteConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("kite-trading-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KiteError::Transport(e.to_string()))?;
        let limiter = Limiter::new(config.limits);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                access_token: RwLock::new(None),
                session_valid: AtomicBool::new(false),
                limiter,
            }),
        })
    }

    pub fn config(&self) -> &KiteConfig {
        &self.inner.config
    }

    pub fn api_key(&self) -> &str {
        &self.inner.config.api_key
    }

    /// Uses an access token obtained earlier (for example, stored after today's login).
    pub fn set_access_token(&self, token: Option<String>) {
        let valid = token.is_some();
        *self
            .inner
            .access_token
            .write()
            .unwrap_or_else(|p| p.into_inner()) = token;
        self.inner.session_valid.store(valid, Ordering::SeqCst);
    }

    pub(crate) fn access_token(&self) -> Option<String> {
        self.inner
            .access_token
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// False after Kite answered `TokenException`: the user must log in again.
    pub fn has_session(&self) -> bool {
        self.inner.session_valid.load(Ordering::SeqCst) && self.access_token().is_some()
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.inner.config.api_root.trim_end_matches('/'),
            path
        )
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .inner
            .config
            .retry_base
            .saturating_mul(1 << attempt.min(6));
        let jitter = rand::thread_rng().gen_range(0..=base.as_millis() as u64 / 2);
        base + Duration::from_millis(jitter)
    }

    /// Sends one request and returns the raw reply, without retries.
    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        class: Class,
        auth: bool,
    ) -> Result<(StatusCode, String, Option<String>)> {
        self.inner.limiter.wait(class).await;
        let mut req = self
            .inner
            .http
            .request(method.clone(), self.url(path))
            .header("X-Kite-Version", "3");
        if auth {
            let token = self.access_token().ok_or(KiteError::NotLoggedIn)?;
            req = req.header(
                "Authorization",
                format!("token {}:{}", self.inner.config.api_key, token),
            );
        }
        if !query.is_empty() {
            req = req.query(query);
        }
        req = match body {
            Body::None => req,
            Body::Form(f) => req.form(f),
            Body::Json(j) => req.json(j),
        };
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                KiteError::Timeout
            } else {
                // reqwest's message may contain the URL; ours never carries the token in it.
                KiteError::Transport(e.without_url().to_string())
            }
        })?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.map_err(|e| {
            if e.is_timeout() {
                KiteError::Timeout
            } else {
                KiteError::Transport(e.without_url().to_string())
            }
        })?;
        Ok((status, text, content_type))
    }

    /// Turns a reply into `data` or the typed error Kite named; an expired session is remembered.
    fn decode_envelope(&self, status: StatusCode, text: &str) -> Result<serde_json::Value> {
        let r = decode_envelope(status.as_u16(), text);
        if let Err(err) = &r {
            if err.is_session_expired() {
                warn!("Kite session expired; marking it invalid");
                self.inner.session_valid.store(false, Ordering::SeqCst);
            }
        }
        r
    }

    /// One API call: waits for its rate-limit slot, sends, decodes `data` into `T`. Reads
    /// (`idempotent`) are retried with backoff on transport errors, 429 and 5xx; writes never are.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        class: Class,
        idempotent: bool,
    ) -> Result<T> {
        let data = self
            .call_raw(method, path, query, body, class, idempotent, true)
            .await?;
        serde_json::from_value(data).map_err(|e| KiteError::Decode(format!("{path}: {e}")))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn call_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        class: Class,
        idempotent: bool,
        auth: bool,
    ) -> Result<serde_json::Value> {
        let mut attempt = 0;
        loop {
            let result = match self
                .send_once(&method, path, query, &body, class, auth)
                .await
            {
                Ok((status, text, _)) => self.decode_envelope(status, &text),
                Err(e) => Err(e),
            };
            match result {
                Err(e)
                    if idempotent
                        && e.is_retryable()
                        && attempt < self.inner.config.max_retries =>
                {
                    let wait = self.backoff(attempt);
                    debug!(%path, error = %e, attempt, ?wait, "retrying read");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A call whose reply is not JSON (the instrument CSV dumps). Retried like a read.
    pub(crate) async fn call_text(&self, path: &str, class: Class) -> Result<String> {
        let mut attempt = 0;
        loop {
            let result = match self
                .send_once(
                    &Method::GET,
                    path,
                    &[],
                    &Body::None,
                    class,
                    self.access_token().is_some(),
                )
                .await
            {
                Ok((status, text, ctype)) => {
                    if status.is_success() && !ctype.as_deref().unwrap_or("").contains("json") {
                        Ok(text)
                    } else {
                        self.decode_envelope(status, &text).and_then(|_| {
                            Err(KiteError::Decode(format!("{path}: expected CSV, got JSON")))
                        })
                    }
                }
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.is_retryable() && attempt < self.inner.config.max_retries => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The `ErrorType` Kite named; unknown names are kept.
/// A reply's body as Kite's envelope: `data` on success, else the typed error it names (or the one its
/// status implies). Pure, total and panic-free on any input: it reads bytes from the network (fuzzed).
pub fn decode_envelope(code: u16, text: &str) -> Result<serde_json::Value> {
    let success = (200..300).contains(&code);
    let env: RawEnvelope = match serde_json::from_str(text) {
        Ok(e) => e,
        Err(e) => {
            return Err(if success {
                KiteError::Decode(format!("body is not JSON: {e}"))
            } else if code == 429 {
                KiteError::Network {
                    status: code,
                    message: "Too many requests".into(),
                }
            } else {
                KiteError::from_api(
                    &error_type_for_status(code),
                    code,
                    format!("HTTP {code} without a JSON body"),
                )
            })
        }
    };
    let is_error = !success || env.status.as_deref() == Some("error") || env.error_type.is_some();
    if is_error {
        let kind = env
            .error_type
            .as_deref()
            .map(error_type_named)
            .unwrap_or_else(|| error_type_for_status(code));
        return Err(KiteError::from_api(
            &kind,
            code,
            env.message.unwrap_or_else(|| format!("HTTP {code}")),
        ));
    }
    env.data
        .ok_or_else(|| KiteError::Decode("success reply without `data`".into()))
}

fn error_type_named(name: &str) -> ErrorType {
    ErrorType::KNOWN
        .iter()
        .find(|k| k.as_str() == name)
        .cloned()
        .unwrap_or_else(|| ErrorType::Other(name.to_string()))
}

/// What an error reply without an `error_type` most likely means, from its status (SPEC §2.3).
fn error_type_for_status(code: u16) -> ErrorType {
    match code {
        403 => ErrorType::TokenException,
        400 | 404 | 405 => ErrorType::InputException,
        429 | 503 => ErrorType::NetworkException,
        502 | 504 => ErrorType::DataException,
        _ => ErrorType::GeneralException,
    }
}
