//! The stand-in for Kite's login page (SPEC §3.1) and the session routes (§3.2, §3.3).

use super::params::Params;
use super::{ok, ApiError, ApiResult};
use crate::accounts::SimError;
use crate::auth::AuthError;
use crate::state::{lock, Shared};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use model::broker::{ErrorType, ProfileMeta, Session};
use std::sync::Arc;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/connect/login", get(login_page).post(login_submit))
        .route("/session/token", post(exchange).delete(logout))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn query(raw: Option<String>) -> Result<Params, ApiError> {
    Ok(Params::parse(raw.unwrap_or_default().as_bytes())?)
}

async fn login_page(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let p = match query(raw) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let api_key = p.get("api_key").unwrap_or("");
    if lock(&shared.auth).app(api_key).is_none() {
        return (
            StatusCode::BAD_REQUEST,
            Html(
                "<h1>Invalid api_key</h1><p>This app is not registered with the sandbox.</p>"
                    .to_string(),
            ),
        )
            .into_response();
    }
    let redirect_params = p.get("redirect_params").unwrap_or("");
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Kite sandbox login</title>
<style>body{{font-family:system-ui,sans-serif;background:#f4f6f8;display:flex;justify-content:center;padding-top:10vh}}
form{{background:#fff;padding:32px;border-radius:8px;box-shadow:0 2px 12px #0002;width:320px}}
label{{display:block;margin:12px 0 4px;font-size:13px;color:#444}}input{{width:100%;padding:8px;box-sizing:border-box}}
button{{margin-top:20px;width:100%;padding:10px;background:#ff5722;color:#fff;border:0;border-radius:4px;font-size:15px}}
p{{color:#666;font-size:12px}}</style></head><body>
<form method="post" action="/connect/login" data-testid="kite-login">
<h2>Kite sandbox</h2><p>Practice login: any user id works (with its password if the sandbox was given one). No real account is touched.</p>
<input type="hidden" name="api_key" value="{key}">
<input type="hidden" name="redirect_params" value="{rp}">
<label for="user_id">User ID</label><input id="user_id" name="user_id" value="DEMO01" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" value="sandbox" autocomplete="current-password">
<button type="submit">Login</button></form></body></html>"#,
        key = escape(api_key),
        rp = escape(redirect_params),
    ))
    .into_response()
}

async fn login_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let p = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return ApiError(e).into_response(),
    };
    let api_key = p.get("api_key").unwrap_or("");
    let user_id = p.get("user_id").unwrap_or("").trim().to_uppercase();
    if user_id.is_empty() || !user_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return (
            StatusCode::BAD_REQUEST,
            Html("<h1>Enter a user id (letters and digits)</h1>".to_string()),
        )
            .into_response();
    }
    let mut auth = lock(&shared.auth);
    if !auth.password_ok(&user_id, p.get("password").unwrap_or("")) {
        return (
            StatusCode::UNAUTHORIZED,
            Html("<h1>Invalid user id or password</h1>".to_string()),
        )
            .into_response();
    }
    let Some(redirect) = auth.app(api_key).and_then(|a| a.redirect_url.clone()) else {
        return (
            StatusCode::BAD_REQUEST,
            Html("<h1>No redirect URL is registered for this app</h1>".to_string()),
        )
            .into_response();
    };
    let token = match auth.issue_request_token(api_key, &user_id) {
        Ok(t) => t,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Html("<h1>Invalid api_key</h1>".to_string()),
            )
                .into_response()
        }
    };
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let mut url =
        format!("{redirect}{sep}action=login&type=login&status=success&request_token={token}");
    if let Some(rp) = p.get("redirect_params") {
        url.push('&');
        url.push_str(rp);
    }
    (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
}

async fn exchange(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let api_key = p.required("api_key")?.to_string();
    let request_token = p.required("request_token")?.to_string();
    let checksum = p.required("checksum")?.to_string();
    let info = lock(&shared.auth)
        .exchange(&api_key, &request_token, &checksum)
        .map_err(|e| match e {
            AuthError::UnknownApp | AuthError::BadRequestToken | AuthError::BadChecksum => {
                SimError::new(ErrorType::TokenException, e.to_string())
            }
        })?;
    let now = crate::accounts::now_unix();
    Ok(ok(Session {
        user_id: info.user_id.clone(),
        user_type: "individual".into(),
        email: format!("{}@sandbox.local", info.user_id.to_lowercase()),
        user_name: format!("Sandbox Trader {}", info.user_id),
        user_shortname: "Trader".into(),
        broker: "ZERODHA".into(),
        exchanges: super::user::EXCHANGES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        products: super::user::PRODUCTS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        order_types: super::user::ORDER_TYPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        avatar_url: None,
        api_key: info.api_key,
        access_token: info.access_token,
        public_token: info.public_token,
        enctoken: String::new(),
        refresh_token: String::new(),
        silo: String::new(),
        login_time: Some(crate::accounts::ist(now)),
        meta: ProfileMeta {
            demat_consent: "consent".into(),
        },
    }))
}

async fn logout(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> ApiResult {
    let p = query(raw)?;
    let api_key = p.required("api_key")?;
    let token = p.required("access_token")?;
    let mut auth = lock(&shared.auth);
    if auth.check(api_key, token).is_none() {
        return Err(SimError::new(ErrorType::TokenException, "Invalid session.").into());
    }
    auth.revoke(token);
    Ok(ok(true))
}
