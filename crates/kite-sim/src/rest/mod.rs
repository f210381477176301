//! The sandbox's REST API: Kite's routes at the server root (SPEC §1.1), Kite's envelope and errors,
//! Kite's rate limits, plus the login page that stands in for kite.zerodha.com.

pub mod data;
pub mod extras;
pub mod faults;
pub mod login;
pub mod market;
pub mod orders;
pub mod params;
pub mod portfolio;
pub mod user;

use crate::accounts::SimError;
use crate::state::{lock, Shared};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use model::broker::{Envelope, ErrorBody, ErrorType};
use serde::Serialize;
use std::sync::Arc;

pub fn router(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .merge(login::routes())
        .merge(user::routes())
        .merge(orders::routes())
        .merge(portfolio::routes())
        .merge(market::routes())
        .merge(data::routes())
        .merge(extras::routes())
        .layer(axum::middleware::from_fn_with_state(
            shared,
            faults::middleware,
        ))
}

/// A Kite error reply.
pub struct ApiError(pub SimError);

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.0.status, self.0.error_type, &self.0.message)
    }
}

pub fn error_response(status: u16, error_type: ErrorType, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(ErrorBody::new(error_type, message))).into_response()
}

pub fn ok<T: Serialize>(data: T) -> Response {
    axum::Json(Envelope::success(data)).into_response()
}

pub type ApiResult = Result<Response, ApiError>;

/// The user behind `Authorization: token api_key:access_token`; 403 `TokenException` otherwise.
pub struct KiteUser {
    pub user_id: String,
    pub api_key: String,
}

impl FromRequestParts<Arc<Shared>> for KiteUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let refused = || {
            ApiError(SimError::new(
                ErrorType::TokenException,
                "Incorrect `api_key` or `access_token`.",
            ))
        };
        let pair = header.strip_prefix("token ").ok_or_else(refused)?;
        let (api_key, token) = pair.split_once(':').ok_or_else(refused)?;
        let user_id = lock(&shared.auth)
            .check(api_key, token)
            .map(|s| s.user_id.clone())
            .ok_or_else(refused)?;
        Ok(Self {
            user_id,
            api_key: api_key.to_string(),
        })
    }
}

/// JSON 404/405 in Kite's envelope: an HTML error page would crash the Python client.
pub async fn not_found() -> Response {
    error_response(404, ErrorType::GeneralException, "Route not found")
}
