//! The trader's Kite account through our API: `/api/profile`, `/api/margins`, `/api/orders`,
//! `/api/positions`, `/api/holdings`, and the Kite login round trip (`/kite/login`, `/kite/callback`).

use crate::routes::api::error;
use crate::routes::me::Me;
use crate::routes::options::engine;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use engine::users::UserError;
use engine::ManagerError;
use kite::KiteError;
use model::account::KITE_LOGIN_PATH;
use model::broker::OrderId;
use serde::{Deserialize, Serialize};
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
        .route("/api/kite/session", get(kite_session))
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

fn reply<T: Serialize>(r: Result<T, KiteError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => kite_error(&e),
    }
}

macro_rules! read_route {
    ($name:ident, $call:ident) => {
        async fn $name(State(s): State<AppState>, me: Me) -> Response {
            match engine(&s, &me).await {
                Ok(e) => reply(e.kite().$call().await),
                Err(f) => f.into_response(),
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

async fn order_history(State(s): State<AppState>, me: Me, Path(id): Path<String>) -> Response {
    match engine(&s, &me).await {
        Ok(e) => reply(e.kite().order_history(&OrderId(id)).await),
        Err(f) => f.into_response(),
    }
}

async fn order_trades(State(s): State<AppState>, me: Me, Path(id): Path<String>) -> Response {
    match engine(&s, &me).await {
        Ok(e) => reply(e.kite().order_trades(&OrderId(id)).await),
        Err(f) => f.into_response(),
    }
}

/// Sends the browser to Kite's login page for the user's own app (the sandbox's, in sandbox mode).
async fn kite_login(State(s): State<AppState>, me: Me) -> Response {
    match s.engines.login_url(&me.0).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => manager_error(&me, &e),
    }
}

fn manager_error(me: &Me, e: &ManagerError) -> Response {
    match e {
        ManagerError::Kite(k) => kite_error(k),
        ManagerError::User(UserError::NotFound(_)) => error(
            StatusCode::UNAUTHORIZED,
            "not_registered",
            "This login is no longer registered",
        ),
        ManagerError::User(u) => {
            warn!(user = %me.0, error = %u, "Kite connection step failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The Kite connection could not be saved; try again",
            )
        }
    }
}

/// `GET /api/kite/session`: whether this user's Kite session is connected.
async fn kite_session(State(s): State<AppState>, me: Me) -> Response {
    match s.engines.kite_session(&me.0).await {
        Ok(k) => Json(k).into_response(),
        Err(e) => manager_error(&me, &e),
    }
}

#[derive(Deserialize)]
struct Callback {
    request_token: Option<String>,
    status: Option<String>,
}

/// Kite redirects here after login: exchange the request token with this user's app secret, store
/// the access token (encrypted) and go home.
async fn kite_callback(State(s): State<AppState>, me: Me, Query(q): Query<Callback>) -> Response {
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
    match s.engines.complete_login(&me.0, &token).await {
        Ok(kite_user) => {
            info!(user = %me.0, kite_user = %kite_user, "Kite session established");
            Redirect::to("/").into_response()
        }
        Err(e) => {
            warn!(user = %me.0, error = %e, "Kite login failed");
            manager_error(&me, &e)
        }
    }
}
