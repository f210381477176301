//! The session gate in front of the whole app: resolves the session cookie once per request and
//! decides what an anonymous request may reach.
//!
//! Public: the login page, `/auth/*`, the compiled site (`/pkg/*`), static files, `/api/health` and
//! `/metrics` (aggregates only).
//! Anything else needs a session: `/api/*`, `/ws/*` and `/kite/*` answer 401 JSON; pages redirect to
//! `/login?next=…`. The resolved user goes into the request's extensions as an [`engine::UserId`]
//! (read by `routes::me::Me` and by the server functions), so no handler reads the cookie itself.

use super::session::{CurrentUser, SessionRejection};
use super::AuthState;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use engine::UserId;

/// What a path is, for the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reachable without a session.
    Public,
    /// The login page: a logged-in visitor is sent home instead.
    Login,
    /// JSON and socket routes: 401 without a session.
    Api,
    /// Dashboard pages: redirect to the login page without a session.
    Page,
}

pub fn classify(path: &str) -> Access {
    if path == "/login" {
        return Access::Login;
    }
    if path == "/api/health"
        || path == "/metrics"
        || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || is_static_file(path)
    {
        return Access::Public;
    }
    if path.starts_with("/api/") || path.starts_with("/ws/") || path.starts_with("/kite/") {
        return Access::Api;
    }
    Access::Page
}

/// Files of `public/` (favicon, images): a last segment with an extension. Routes of the app never
/// have one.
fn is_static_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.') && !last.starts_with('.'))
}

/// Where a page request goes to log in, remembering the page (path and query only).
fn login_redirect(req: &Request) -> Response {
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

pub async fn gate(
    State(auth): State<AuthState>,
    user: Result<CurrentUser, SessionRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let access = classify(req.uri().path());
    match (user, access) {
        (Ok(u), Access::Login) if req.method() == Method::GET => {
            let _ = u;
            Redirect::to("/").into_response()
        }
        (Ok(u), _) => {
            tracing::Span::current().record("user", u.user_id.as_str());
            req.extensions_mut().insert(UserId::new(u.user_id.clone()));
            req.extensions_mut().insert(u);
            next.run(req).await
        }
        (Err(_), Access::Public | Access::Login) => next.run(req).await,
        (Err(SessionRejection::Internal), _) => SessionRejection::Internal.into_response(),
        (Err(_), Access::Page) if req.method() == Method::GET || req.method() == Method::HEAD => {
            login_redirect(&req)
        }
        (Err(rejection), _) => {
            let _ = &auth;
            let mut r = rejection.into_response();
            if r.status() != StatusCode::UNAUTHORIZED {
                *r.status_mut() = StatusCode::UNAUTHORIZED;
            }
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified() {
        for p in [
            "/api/health",
            "/auth/otp/request",
            "/pkg/kite-agent.wasm",
            "/favicon.svg",
        ] {
            assert_eq!(classify(p), Access::Public, "{p}");
        }
        assert_eq!(classify("/login"), Access::Login);
        for p in [
            "/api/status",
            "/api/orders/1/history",
            "/ws/live",
            "/ws/oi",
            "/kite/login",
            "/kite/callback",
        ] {
            assert_eq!(classify(p), Access::Api, "{p}");
        }
        for p in ["/", "/orders", "/strategies", "/login/x", "/api"] {
            assert_eq!(classify(p), Access::Page, "{p}");
        }
    }
}
