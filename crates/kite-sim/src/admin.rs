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
        .route("/admin/rest/random", post(rest_random))
        .route(
            "/admin/rest/requests",
            get(rest_requests).delete(clear_requests),
        )
        .route("/admin/rest/limits", post(set_limits))
        .route("/admin/accounts/{user_id}/reset", post(reset_account))
        .route("/admin/clock", get(get_clock).post(set_clock))
        .route("/admin/market/step", post(step_market))
        .route("/admin/market/jump", post(jump_price))
        .route("/admin/orders/partial_fill", post(partial_fill))
        .route("/admin/orders/reject", post(reject_orders))
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
    let classes = match parse_classes(p.classes.as_deref()) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InputException", &e),
    };
    lock(&shared.rest_faults).fail_next(p.count, p.status, classes);
    Json(ok(
        serde_json::json!({ "count": p.count, "status": p.status }),
    ))
    .into_response()
}

/// Comma-separated request classes; the unknown name on failure.
fn parse_classes(list: Option<&str>) -> Result<Vec<crate::rest::faults::Class>, String> {
    use crate::rest::faults::Class;
    list.unwrap_or("")
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| match c {
            "quote" => Ok(Class::Quote),
            "historical" => Ok(Class::Historical),
            "order_place" => Ok(Class::OrderPlace),
            "other" => Ok(Class::Other),
            other => Err(format!("Unknown class `{other}`")),
        })
        .collect()
}

#[derive(Deserialize)]
struct RandomParams {
    rate: f64,
    #[serde(default)]
    seed: u64,
    /// Comma-separated: `429`, `500`, `network`, `delay`; all when absent.
    kinds: Option<String>,
    classes: Option<String>,
    #[serde(default)]
    delay_ms: u64,
}

/// Fault: each request fails (or is delayed) with probability `rate`, drawn from an RNG seeded with
/// `seed`; `rate=0` turns it off.
async fn rest_random(State(shared): State<Arc<Shared>>, Query(p): Query<RandomParams>) -> Response {
    use crate::rest::faults::{FaultKind, RandomFaultConfig};
    if !(0.0..=1.0).contains(&p.rate) {
        return error(
            StatusCode::BAD_REQUEST,
            "InputException",
            "`rate` must be between 0 and 1.",
        );
    }
    let classes = match parse_classes(p.classes.as_deref()) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InputException", &e),
    };
    let mut kinds = Vec::new();
    for k in p
        .kinds
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|k| !k.is_empty())
    {
        match k.parse::<FaultKind>() {
            Ok(k) => kinds.push(k),
            Err(e) => return error(StatusCode::BAD_REQUEST, "InputException", &e),
        }
    }
    let config = (p.rate > 0.0).then(|| RandomFaultConfig {
        rate: p.rate,
        seed: p.seed,
        kinds,
        classes,
        delay: Duration::from_millis(p.delay_ms),
    });
    lock(&shared.rest_faults).set_random(config);
    Json(ok(serde_json::json!({ "rate": p.rate, "seed": p.seed }))).into_response()
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
    shared.reset_account(&user_id);
    shared.flush().await;
    Json(ok(serde_json::json!(true)))
}

#[derive(Deserialize)]
struct ClockBody {
    speed: Option<f64>,
    stay_open: Option<bool>,
    /// Unix seconds, or an IST wall time `YYYY-MM-DD HH:MM:SS`.
    set_time: Option<serde_json::Value>,
}

fn clock_state(shared: &Shared) -> serde_json::Value {
    let c = lock(&shared.clock);
    let now = c.now();
    serde_json::json!({
        "now": crate::clock::ist(now).format("%Y-%m-%d %H:%M:%S").to_string(),
        "unix": now,
        "speed": c.speed(),
        "stay_open": c.stay_open(),
        "market_open": crate::clock::in_hours(now),
        "accepting_regular": c.session(now).accepts_regular(),
    })
}

/// `GET /admin/clock`: the sandbox's time and market state.
async fn get_clock(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(ok(clock_state(&shared)))
}

/// `POST /admin/clock` with JSON `{speed, stay_open, set_time}` (all optional).
async fn set_clock(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let body: ClockBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InputException", &e.to_string()),
    };
    if body.speed.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
        return error(
            StatusCode::BAD_REQUEST,
            "InputException",
            "`speed` must be a positive number.",
        );
    }
    let at = match &body.set_time {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(t) => Some(t),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InputException",
                    "Invalid `set_time`.",
                )
            }
        },
        Some(serde_json::Value::String(s)) => {
            match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
                Ok(t) => Some(crate::clock::unix_of_ist(t)),
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InputException",
                        "`set_time` must be Unix seconds or `YYYY-MM-DD HH:MM:SS` (IST).",
                    )
                }
            }
        }
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InputException",
                "Invalid `set_time`.",
            )
        }
    };
    lock(&shared.clock).set(body.speed, body.stay_open, at);
    Json(ok(clock_state(&shared))).into_response()
}

/// `POST /admin/market/step`: one market step now.
async fn step_market(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let before = shared.steps_done();
    shared.step_now.notify_one();
    for _ in 0..500 {
        if shared.steps_done() != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Json(ok(serde_json::json!({ "steps": shared.steps_done() })))
}

#[derive(Deserialize)]
struct JumpParams {
    /// `NSE:SYMBOL` of a stock.
    instrument: String,
    /// −1.0 gaps the price down 1 %.
    percent: f64,
}

/// `POST /admin/market/jump`: gaps a stock's price and steps the market (chaos runs, tests).
async fn jump_price(State(shared): State<Arc<Shared>>, Json(p): Json<JumpParams>) -> Response {
    let snap = shared.latest();
    let found = p
        .instrument
        .split_once(':')
        .and_then(|(ex, sym)| shared.find_listing(&snap, ex, sym))
        .filter(|&i| crate::market::is_stock(i));
    let factor = 1.0 + p.percent / 100.0;
    let Some(i) = found else {
        return error(
            StatusCode::BAD_REQUEST,
            "InputException",
            "`instrument` must be an NSE stock, as NSE:SYMBOL.",
        );
    };
    if !(factor.is_finite() && factor > 0.0) {
        return error(
            StatusCode::BAD_REQUEST,
            "InputException",
            "`percent` must be a number above -100.",
        );
    }
    lock(&shared.jumps).push((i, factor));
    step_market(State(shared)).await.into_response()
}

#[derive(Deserialize)]
struct PartialFillParams {
    count: u32,
    percent: f64,
}

/// Fault: the next `count` orders fill only `percent` % of their quantity (whole lots), then stop.
async fn partial_fill(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<PartialFillParams>,
) -> Response {
    if !(0.0..=100.0).contains(&p.percent) {
        return error(
            StatusCode::BAD_REQUEST,
            "InputException",
            "`percent` must be between 0 and 100.",
        );
    }
    let mut a = lock(&shared.accounts);
    a.faults.partial_orders = p.count;
    a.faults.partial_percent = p.percent;
    Json(ok(
        serde_json::json!({ "count": p.count, "percent": p.percent }),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct CountParams {
    count: u32,
}

/// Fault: the next `count` orders are accepted (an order id is returned), then REJECTED.
async fn reject_orders(
    State(shared): State<Arc<Shared>>,
    Query(p): Query<CountParams>,
) -> Json<serde_json::Value> {
    lock(&shared.accounts).faults.reject_orders = p.count;
    Json(ok(serde_json::json!({ "count": p.count })))
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
    shared.flush().await;
    match result {
        Ok(id) => Json(ok(serde_json::json!({ "order_id": id }))).into_response(),
        Err(e) => crate::rest::ApiError(e).into_response(),
    }
}
