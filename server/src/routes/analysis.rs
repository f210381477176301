//! The stock scanner: `GET /api/analysis/status`, `POST /api/analysis/scan`,
//! `GET /api/analysis/results`, `GET /api/analysis/candles?symbol=&days=`.

use crate::routes::me::Me;
use crate::routes::options::{engine, engine_error, fail};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// Sessions a chart gets when `days` is not given: what the scanner loads.
const DEFAULT_DAYS: u32 = 400;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/analysis/status", get(status))
        .route("/api/analysis/scan", post(scan))
        .route("/api/analysis/results", get(results))
        .route("/api/analysis/candles", get(candles))
}

async fn status(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(e.scanner().status()).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn scan(State(s): State<AppState>, me: Me) -> Response {
    match engine(&s, &me).await {
        Ok(e) => Json(e.scanner().start()).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn results(State(s): State<AppState>, me: Me) -> Response {
    let e = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    match e.scanner().results() {
        Some(r) => Json(r).into_response(),
        None => fail(
            StatusCode::NOT_FOUND,
            "no_scan",
            "No scan has finished yet: POST /api/analysis/scan",
        ),
    }
}

#[derive(Deserialize)]
struct CandlesQuery {
    symbol: Option<String>,
    days: Option<String>,
}

async fn candles(State(s): State<AppState>, me: Me, Query(q): Query<CandlesQuery>) -> Response {
    let e = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let Some(symbol) = q.symbol.filter(|s| !s.trim().is_empty()) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "missing_symbol",
            "symbol is required",
        );
    };
    let days = match q.days.as_deref().map(str::parse::<u32>) {
        None => DEFAULT_DAYS,
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "days must be a whole number",
            )
        }
    };
    match e.scanner().candles(&symbol, days).await {
        Ok(c) => Json(c).into_response(),
        Err(err) => engine_error(&err),
    }
}
