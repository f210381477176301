//! `GET /api/status`, `GET /api/ticks`, `GET /api/instruments`, and a JSON 404 for the rest of `/api`.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use engine::UserId;
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/ticks", get(ticks))
        .route("/api/instruments", get(instruments))
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

async fn status(State(s): State<AppState>) -> Response {
    Json(s.hub.status(&UserId::default_user())).into_response()
}

fn no_engine() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "engine_unavailable",
        "The trading engine is not running for this user",
    )
}

async fn ticks(State(s): State<AppState>) -> Response {
    match s.hub.get(&UserId::default_user()) {
        Some(e) => Json(e.latest_ticks()).into_response(),
        None => no_engine(),
    }
}

async fn instruments(State(s): State<AppState>) -> Response {
    match s.hub.get(&UserId::default_user()) {
        Some(e) => Json(
            e.watch_rows()
                .into_iter()
                .map(|r| r.instrument)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        None => no_engine(),
    }
}
