//! The user a request belongs to, as the session gate resolved it.

use crate::auth::SessionRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use engine::UserId;

/// The logged-in user (Zerodha ID). Handlers take it instead of trusting anything in the request:
/// the session gate puts it into the request's extensions only after checking the session cookie.
#[derive(Debug, Clone)]
pub struct Me(pub UserId);

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<UserId>()
            .cloned()
            .map(Me)
            .ok_or_else(|| SessionRejection::Missing.into_response())
    }
}
