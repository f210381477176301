//! `GET /api/status`, `GET /api/ticks`, `GET /api/instruments`, `GET /api/health`, the alerts
//! (`GET /api/alerts`, `GET|POST /api/alerts/email`), and a JSON 404 for the rest of `/api`.

use crate::routes::me::Me;
use crate::routes::options::engine;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use engine::users::UserError;
use engine::ManagerError;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/ticks", get(ticks))
        .route("/api/instruments", get(instruments))
        .route("/api/health", get(health))
        .route("/api/alerts", get(alerts))
        .route("/api/alerts/email", get(alert_email).post(set_alert_email))
}

/// Error body of the API: a stable `code` for programs and a `message` for people.
#[derive(Debug, Serialize)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

pub fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    (
        status,
        Json(ApiError {
            code,
            message: message.into(),
        }),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "No such API route")
}

async fn status(State(s): State<AppState>, me: Me) -> Response {
    // The status starts the user's engine (the dashboard's first call after login).
    if let Err(f) = engine(&s, &me).await {
        return f.into_response();
    }
    Json(s.engines.hub().status(&me.0)).into_response()
}

async fn ticks(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(e.latest_ticks()).into_response(),
        Err(f) => f.into_response(),
    }
}

async fn instruments(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(
            e.watch_rows()
                .into_iter()
                .map(|r| r.instrument)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(f) => f.into_response(),
    }
}

/// `GET /api/alerts`: the user's recent alerts, newest first.
async fn alerts(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(e.alerts()).into_response(),
        Err(f) => f.into_response(),
    }
}

/// `GET /api/alerts/email`: `{"enabled", "email"}`, the caller's own setting and registered address.
async fn alert_email(State(s): State<AppState>, me: Me) -> Response {
    match s.engines.alert_email(&me.0).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => alert_email_error(&me, &e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetAlertEmail {
    enabled: bool,
}

/// `POST /api/alerts/email` `{"enabled": bool}`: turns the caller's alert mails on or off.
async fn set_alert_email(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let req: SetAlertEmail = match serde_json::from_slice(&b) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("expected {{\"enabled\": true|false}}: {e}"),
            )
        }
    };
    match s.engines.set_alert_email(&me.0, req.enabled).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => alert_email_error(&me, &e),
    }
}

fn alert_email_error(me: &Me, e: &ManagerError) -> Response {
    if let ManagerError::User(UserError::NotFound(_)) = e {
        return error(
            StatusCode::UNAUTHORIZED,
            "not_registered",
            "This login is no longer registered",
        );
    }
    tracing::error!(user = %me.0, error = %e, "alert email setting failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The alert email setting could not be read or saved; try again",
    )
}

/// `GET /api/health`: public health of the process and database; a logged-in caller also gets their
/// own feed and Kite session. 503 when degraded, so probes notice.
async fn health(
    State(s): State<AppState>,
    me: Option<axum::Extension<engine::UserId>>,
) -> Response {
    let h = s.engines.health(me.as_ref().map(|m| &m.0)).await;
    let code = if h.status == "ok" {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(h)).into_response()
}
