//! The sandbox's HTTP side. For now: health and fault injection, so tests and traders can see how the
//! product behaves when the ticker drops or goes silent. Errors use Kite's JSON envelope.

use crate::state::Shared;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/admin/health",
            get(|| async { Json(ok(serde_json::json!("up"))) }),
        )
        .route("/admin/ticker/connections", get(connections))
        .route("/admin/ticker/drop", post(drop_connections))
        .route("/admin/ticker/stall", post(stall))
        .fallback(not_found)
        .with_state(shared)
}

fn ok(data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "status": "success", "data": data })
}

/// Kite's error envelope: always all four keys, status code and body agreeing (SPEC §2).
pub fn error(code: StatusCode, error_type: &str, message: &str) -> Response {
    (
        code,
        Json(serde_json::json!({
            "status": "error",
            "message": message,
            "error_type": error_type,
            "data": null,
        })),
    )
        .into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "GeneralException", "Route not found")
}

async fn connections(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(ok(
        serde_json::to_value(shared.connections()).unwrap_or_default()
    ))
}

#[derive(Deserialize)]
struct DropParams {
    #[serde(default)]
    refuse_ms: u64,
}

async fn drop_connections(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<DropParams>,
) -> Json<serde_json::Value> {
    let dropped = shared.connections().len();
    shared
        .faults
        .drop_connections(Duration::from_millis(p.refuse_ms));
    Json(ok(
        serde_json::json!({ "dropped": dropped, "refuse_ms": p.refuse_ms }),
    ))
}

#[derive(Deserialize)]
struct StallParams {
    ms: u64,
}

async fn stall(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<StallParams>,
) -> Json<serde_json::Value> {
    shared.faults.stall(Duration::from_millis(p.ms));
    Json(ok(serde_json::json!({ "stall_ms": p.ms })))
}
