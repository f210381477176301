//! The trader's Kite account through our API: `/api/profile`, `/api/margins`, `/api/orders`,
//! `/api/positions`, `/api/holdings`, and the Kite login round trip (`/kite/login`, `/kite/callback`).

use crate::routes::api::error;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use engine::{UserEngine, UserId};
use kite::KiteError;
use model::account::KITE_LOGIN_PATH;
use model::broker::OrderId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::{info, warn};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/profile", get(profile))
        .route("/api/margins", get(margins))
        .route("/api/orders", get(orders))
        .route("/api/orders/{order_id}/history", get(order_history))
        .route("/api/orders/{order_id}/trades", get(order_trades))
        .route("/api/trades", get(trades))
        .route("/api/positions", get(positions))
        .route("/api/holdings", get(holdings))
        .route(KITE_LOGIN_PATH, get(kite_login))
        .route("/kite/callback", get(kite_callback))
}

/// How a broker failure reaches our API's callers.
pub fn kite_error(e: &KiteError) -> Response {
    if e.is_session_expired() || matches!(e, KiteError::NotLoggedIn) {
        #[derive(Serialize)]
        struct Expired {
            code: &'static str,
            message: &'static str,
            login_url: &'static str,
        }
        return (
            StatusCode::UNAUTHORIZED,
            Json(Expired {
                code: "kite_session_expired",
                message: "Kite session expired, log in again",
                login_url: KITE_LOGIN_PATH,
            }),
        )
            .into_response();
    }
    let status = match e {
        KiteError::Input { .. } | KiteError::Invalid(_) | KiteError::Order { .. } => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::BAD_GATEWAY,
    };
    error(status, "broker_error", e.to_string())
}

fn engine(s: &AppState) -> Option<Arc<UserEngine>> {
    s.hub.get(&UserId::default_user())
}

fn no_engine() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "engine_unavailable",
        "The trading engine is not running for this user",
    )
}

fn reply<T: Serialize>(r: Result<T, KiteError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => kite_error(&e),
    }
}

macro_rules! read_route {
    ($name:ident, $call:ident) => {
        async fn $name(State(s): State<AppState>) -> Response {
            match engine(&s) {
                Some(e) => reply(e.kite().$call().await),
                None => no_engine(),
            }
        }
    };
}

read_route!(profile, profile);
read_route!(margins, margins);
read_route!(orders, orders);
read_route!(trades, trades);
read_route!(positions, positions);
read_route!(holdings, holdings);

async fn order_history(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    match engine(&s) {
        Some(e) => reply(e.kite().order_history(&OrderId(id)).await),
        None => no_engine(),
    }
}

async fn order_trades(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    match engine(&s) {
        Some(e) => reply(e.kite().order_trades(&OrderId(id)).await),
        None => no_engine(),
    }
}

/// Sends the browser to Kite's login page (the sandbox's, in sandbox mode).
async fn kite_login(State(s): State<AppState>) -> Response {
    match engine(&s) {
        Some(e) => Redirect::to(&e.kite().login_url(None)).into_response(),
        None => no_engine(),
    }
}

#[derive(Deserialize)]
struct Callback {
    request_token: Option<String>,
    status: Option<String>,
}

/// Kite redirects here after login: exchange the request token with the app secret, then go home.
async fn kite_callback(State(s): State<AppState>, Query(q): Query<Callback>) -> Response {
    let Some(engine) = engine(&s) else {
        return no_engine();
    };
    let Some(token) = q
        .request_token
        .filter(|_| q.status.as_deref() == Some("success"))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "login_failed",
            "Kite login did not succeed",
        );
    };
    let Some(secret) = s.kite_secret.as_ref() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_api_secret",
            "KITE_API_SECRET is not configured, so the login cannot be completed",
        );
    };
    match engine.complete_login(&token, secret).await {
        Ok(user) => {
            info!(kite_user = %user, "Kite session established");
            Redirect::to("/").into_response()
        }
        Err(e) => {
            warn!(error = %e, "Kite login failed");
            kite_error(&e)
        }
    }
}
