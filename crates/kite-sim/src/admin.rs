//! The sandbox's HTTP side. For now: health and fault injection, so tests and traders can see how the
//! product behaves when the ticker drops or goes silent. Errors use Kite's JSON envelope.

use crate::state::{lock, Shared};
use axum::extract::{Path, Query, State};
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
        .route("/admin/rest/fail", post(rest_fail))
        .route("/admin/rest/delay_place", post(delay_place))
        .route(
            "/admin/rest/requests",
            get(rest_requests).delete(clear_requests),
        )
        .route("/admin/rest/limits", post(set_limits))
        .route("/admin/accounts/{user_id}/reset", post(reset_account))
        .route("/admin/apps/redirect", post(set_redirect))
        .route("/admin/sessions/{user_id}/expire", post(expire_sessions))
        .route("/admin/accounts/{user_id}/orders/{variety}", post(place_as))
        .merge(crate::rest::router(shared.clone()))
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

#[derive(Deserialize)]
struct FailParams {
    count: u32,
    #[serde(default = "default_fail_status")]
    status: u16,
    /// Comma-separated classes (`quote`, `historical`, `order_place`, `other`); all when absent.
    #[serde(default)]
    classes: Option<String>,
}

fn default_fail_status() -> u16 {
    429
}

async fn rest_fail(State(shared): State<Arc<Shared>>, Query(p): Query<FailParams>) -> Response {
    use crate::rest::faults::Class;
    let mut classes = Vec::new();
    for c in p
        .classes
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|c| !c.is_empty())
    {
        classes.push(match c {
            "quote" => Class::Quote,
            "historical" => Class::Historical,
            "order_place" => Class::OrderPlace,
            "other" => Class::Other,
            _ => return error(StatusCode::BAD_REQUEST, "InputException", "Unknown class"),
        });
    }
    lock(&shared.rest_faults).fail_next(p.count, p.status, classes);
    Json(ok(
        serde_json::json!({ "count": p.count, "status": p.status }),
    ))
    .into_response()
}

async fn delay_place(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<StallParams>,
) -> Json<serde_json::Value> {
    lock(&shared.rest_faults).delay_next_place(Duration::from_millis(p.ms));
    Json(ok(serde_json::json!({ "delay_ms": p.ms })))
}

async fn rest_requests(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let log = lock(&shared.rest_faults).log();
    Json(ok(serde_json::to_value(log).unwrap_or_default()))
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    lock(&shared.rest_faults).clear_log();
    Json(ok(serde_json::json!(true)))
}

#[derive(Deserialize)]
struct LimitParams {
    enforce: bool,
}

async fn set_limits(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<LimitParams>,
) -> Json<serde_json::Value> {
    lock(&shared.rest_faults).enforce_limits = p.enforce;
    Json(ok(serde_json::json!({ "enforce": p.enforce })))
}

async fn reset_account(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
) -> Json<serde_json::Value> {
    lock(&shared.accounts).reset(&user_id);
    Json(ok(serde_json::json!(true)))
}

#[derive(Deserialize)]
struct RedirectParams {
    api_key: Option<String>,
    url: String,
}

async fn set_redirect(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<RedirectParams>,
) -> Response {
    let key = p.api_key.unwrap_or_else(|| shared.config.api_key.clone());
    match lock(&shared.auth).set_redirect_url(&key, p.url) {
        Ok(()) => Json(ok(serde_json::json!(true))).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "InputException", &e.to_string()),
    }
}

/// Fault: the user's Kite sessions expire now, as they do daily around 06:00 IST.
async fn expire_sessions(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
) -> Json<serde_json::Value> {
    let n = lock(&shared.auth).revoke_user(&user_id);
    Json(ok(serde_json::json!({ "expired": n })))
}

/// Places an order for a user without their token (practice setups and tests). Same form as Kite's.
async fn place_as(
    State(shared): State<Arc<Shared>>,
    Path((user_id, variety)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    use crate::rest::params::{order_params, Params};
    use std::str::FromStr;
    let result = Params::parse(&body).and_then(|p| {
        let v = model::broker::Variety::from_str(&variety)
            .map_err(|_| crate::accounts::SimError::input("Invalid variety."))?;
        let params = order_params(v, &p)?;
        shared.place_order(&user_id, &params)
    });
    match result {
        Ok(id) => Json(ok(serde_json::json!({ "order_id": id }))).into_response(),
        Err(e) => crate::rest::ApiError(e).into_response(),
    }
}
