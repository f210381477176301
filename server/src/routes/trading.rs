//! Live trading over REST: strategies, live start/stop, signals, risk and the kill switch, the
//! journal (with CSV export), the engine's positions, and dashboard backtests.
//!
//! Bodies are parsed here rather than by axum's `Json` extractor so a malformed body gets the same
//! `{error, code, message}` 400 as every other refusal of the API.

use crate::routes::me::Me;
use crate::routes::options::{engine, engine_error, Fail};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use model::trading::{AddStrategy, BacktestRequest, KillSwitchAction, RiskLimits, StrategyRef};
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/strategies", get(list))
        .route("/api/strategies/kinds", get(kinds))
        .route("/api/strategies/add", post(add))
        .route("/api/strategies/remove", post(remove))
        .route("/api/strategies/toggle", post(toggle))
        .route("/api/live/status", get(live_status))
        .route("/api/live/start", post(live_start))
        .route("/api/live/stop", post(live_stop))
        .route("/api/signals", get(signals))
        .route("/api/risk", get(risk))
        .route("/api/risk/limits", post(set_limits))
        .route("/api/risk/kill-switch", post(kill_switch))
        .route("/api/journal", get(journal))
        .route("/api/journal/export.csv", get(export))
        .route("/api/trading/positions", get(positions))
        .route("/api/backtest", post(backtest_start).get(backtest_status))
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(bytes).map_err(|e| {
        Fail::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the request body is not valid JSON for this route: {e}"),
        )
    })
}

macro_rules! try_or {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r.into_response(),
        }
    };
}

macro_rules! reply {
    ($e:expr) => {
        match $e {
            Ok(v) => Json(v).into_response(),
            Err(e) => engine_error(&e),
        }
    };
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<u32>,
}

fn limit(q: &Limit) -> u32 {
    q.limit.unwrap_or(200).clamp(1, 5_000)
}

async fn list(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().strategies().await)
}

async fn kinds(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    Json(e.trading().kinds()).into_response()
}

async fn add(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let req: AddStrategy = try_or!(body(&b));
    reply!(e.trading().add_strategy(req).await)
}

async fn remove(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let r: StrategyRef = try_or!(body(&b));
    match e.trading().remove_strategy(r.id).await {
        Ok(()) => Json(serde_json::json!({ "removed": r.id })).into_response(),
        Err(e) => engine_error(&e),
    }
}

async fn toggle(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let r: StrategyRef = try_or!(body(&b));
    reply!(e.trading().toggle_strategy(r.id, r.enabled).await)
}

async fn live_status(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    Json(e.trading().live_status()).into_response()
}

async fn live_start(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().start_live().await)
}

async fn live_stop(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().stop_live().await)
}

async fn signals(State(s): State<AppState>, me: Me, Query(q): Query<Limit>) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().signals(limit(&q)).await)
}

async fn risk(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().risk_status().await)
}

async fn set_limits(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let l: RiskLimits = try_or!(body(&b));
    reply!(e.trading().set_risk_limits(l).await)
}

async fn kill_switch(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let a: KillSwitchAction = try_or!(body(&b));
    reply!(e.trading().kill_switch(a).await)
}

async fn journal(State(s): State<AppState>, me: Me, Query(q): Query<Limit>) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().journal(limit(&q)).await)
}

#[derive(Deserialize)]
struct Export {
    what: Option<String>,
}

async fn export(State(s): State<AppState>, me: Me, Query(q): Query<Export>) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let what = q.what.as_deref().unwrap_or("fills");
    let j = e.trading().journal_db();
    let csv = match what {
        "fills" => j.fills_csv().await,
        "orders" => j.orders_csv().await,
        other => {
            return Fail::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("what must be fills or orders, got {other:?}"),
            )
            .into_response()
        }
    };
    match csv {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"journal-{what}.csv\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(err) => engine_error(&engine::EngineError::Db(err)),
    }
}

async fn positions(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    reply!(e.trading().positions().await)
}

async fn backtest_start(State(s): State<AppState>, me: Me, b: Bytes) -> Response {
    let e = try_or!(engine(&s, &me).await);
    let req: BacktestRequest = try_or!(body(&b));
    match e.trading().start_backtest(req).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(e.trading().backtest_progress())).into_response(),
        Err(err) => engine_error(&err),
    }
}

async fn backtest_status(State(s): State<AppState>, me: Me) -> Response {
    let e = try_or!(engine(&s, &me).await);
    Json(e.trading().backtest_progress()).into_response()
}
