//! Option chains and open interest: `GET /api/options/chain`, `POST /api/oi/start`,
//! `GET /api/oi/summary`, `GET /api/oi/all`. (`/ws/oi` is in `oi_ws`.)

use crate::routes::account::kite_error;
use crate::routes::me::Me;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::users::UserError;
use engine::{EngineError, ManagerError, UserEngine};
use kite::KiteError;
use model::options::Underlying;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/options/chain", get(chain))
        .route("/api/oi/start", post(start))
        .route("/api/oi/summary", get(summary))
        .route("/api/oi/all", get(all))
}

/// Error body of the analytics routes: `error` (a stable code, also under `code` like the rest of
/// the API) and a `message` for people.
#[derive(Debug, Serialize)]
struct AnalyticsError {
    error: &'static str,
    code: &'static str,
    message: String,
}

pub fn fail(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    Fail::new(status, code, message).into_response()
}

/// A refusal not yet turned into a response (small, so `Result<T, Fail>` stays cheap to return).
#[derive(Debug)]
pub struct Fail {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Fail {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(AnalyticsError {
                error: self.code,
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

/// 400 for requests that cannot be answered, the Kite mapping (401 on an expired session) for
/// broker failures, 500 for the rest.
pub fn engine_error(e: &EngineError) -> Response {
    match e {
        // An expired session keeps the API-wide 401 shape the pages turn into a login prompt.
        EngineError::Kite(k) if k.is_session_expired() || matches!(k, KiteError::NotLoggedIn) => {
            kite_error(k)
        }
        EngineError::Kite(k) => match k {
            KiteError::Input { .. } | KiteError::Invalid(_) => {
                fail(StatusCode::BAD_REQUEST, "broker_error", k.to_string())
            }
            _ => fail(StatusCode::BAD_GATEWAY, "broker_error", k.to_string()),
        },
        _ if e.is_bad_request() => fail(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
        EngineError::NoSpot(_) => fail(StatusCode::BAD_GATEWAY, e.code(), e.to_string()),
        _ => fail(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string()),
    }
}

/// The engine of the user the request's session belongs to, started on first use.
pub async fn engine(s: &AppState, me: &Me) -> Result<Arc<UserEngine>, Fail> {
    s.engines.engine(&me.0).await.map_err(|e| match e {
        ManagerError::User(UserError::NotFound(_)) => Fail::new(
            StatusCode::UNAUTHORIZED,
            "not_registered",
            "This login is no longer registered; ask the operator to add it again",
        ),
        other => {
            tracing::error!(user = %me.0, error = %other, "engine could not start");
            Fail::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "engine_unavailable",
                "The trading engine could not start for this user; try again",
            )
        }
    })
}

pub fn underlying(raw: Option<&str>) -> Result<Underlying, Fail> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Err(Fail::new(
            StatusCode::BAD_REQUEST,
            "missing_underlying",
            "underlying is required (NIFTY, BANKNIFTY or SENSEX)",
        ));
    }
    raw.parse().map_err(|_| {
        Fail::new(
            StatusCode::BAD_REQUEST,
            "unknown_underlying",
            format!("unknown underlying {raw:?}: expected NIFTY, BANKNIFTY or SENSEX"),
        )
    })
}

#[derive(Deserialize)]
struct ChainQuery {
    underlying: Option<String>,
    expiry: Option<String>,
}

async fn chain(State(s): State<AppState>, me: Me, Query(q): Query<ChainQuery>) -> Response {
    let engine = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let u = match underlying(q.underlying.as_deref()) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    match engine
        .option_chain(u, q.expiry.filter(|e| !e.is_empty()))
        .await
    {
        Ok(c) => Json(c).into_response(),
        Err(e) => engine_error(&e),
    }
}

#[derive(Deserialize, Default)]
struct StartBody {
    #[serde(default)]
    underlyings: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Tracking {
    tracking: Vec<Underlying>,
    /// Underlyings that could not be tracked, with why (absent when none failed).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    failed: std::collections::BTreeMap<String, String>,
}

/// Starts tracking (idempotent). Body optional: `{"underlyings": ["NIFTY", ...]}`, default all three.
async fn start(State(s): State<AppState>, me: Me, body: Bytes) -> Response {
    let engine = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let parsed: StartBody = if body.iter().all(u8::is_ascii_whitespace) {
        StartBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_body",
                    format!("expected {{\"underlyings\": [...]}}: {e}"),
                )
            }
        }
    };
    let wanted = match parsed.underlyings {
        None => Underlying::ALL.to_vec(),
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for raw in &list {
                match underlying(Some(raw)) {
                    Ok(u) => out.push(u),
                    Err(r) => return r.into_response(),
                }
            }
            out
        }
    };
    let tracking = engine.oi_tracker().start(&wanted).await;
    let failed = engine
        .oi_tracker()
        .failed()
        .into_iter()
        .filter(|(u, _)| wanted.contains(u))
        .map(|(u, e)| (u.to_string(), e))
        .collect();
    Json(Tracking { tracking, failed }).into_response()
}

#[derive(Deserialize)]
struct SummaryQuery {
    underlying: Option<String>,
}

async fn summary(State(s): State<AppState>, me: Me, Query(q): Query<SummaryQuery>) -> Response {
    let engine = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let u = match underlying(q.underlying.as_deref()) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    match engine.oi_tracker().summary(u) {
        Some(sum) => Json(sum).into_response(),
        None => fail(
            StatusCode::NOT_FOUND,
            "not_tracked",
            format!("{u} is not tracked: POST /api/oi/start first"),
        ),
    }
}

async fn all(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(e.oi_tracker().summaries()).into_response(),
        Err(r) => r.into_response(),
    }
}
