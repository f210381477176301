//! Cross-site request refusal for state-changing requests (POST, PUT, PATCH, DELETE), the defence
//! against CSRF next to SameSite=Lax cookies. Browsers label every request: `Sec-Fetch-Site` on
//! current ones, `Origin` on every non-GET fetch or form. A request from another site is refused;
//! one with neither header did not come from a browser page, so no cookie was borrowed.

use super::api_error;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("cross-site request (Sec-Fetch-Site: {0})")]
    CrossSite(String),
    #[error("request from origin {origin} to host {host}")]
    ForeignOrigin { origin: String, host: String },
    #[error("Origin header without a Host header")]
    NoHost,
}

/// Methods that change nothing, which the check lets through.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// `host[:port]` of an origin (`https://example.com:8443` → `example.com:8443`); `None` for `null`.
fn origin_authority(origin: &str) -> Option<&str> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    Some(rest.trim_end_matches('/')).filter(|a| !a.is_empty() && !a.contains('/'))
}

/// Checks a request of `method` with `headers` against the site's own host (its `Host` header)
/// and the extra `trusted` origins (`https://app.example.com`), compared case-insensitively.
pub fn check(method: &Method, headers: &HeaderMap, trusted: &[String]) -> Result<(), OriginError> {
    if is_safe(method) {
        return Ok(());
    }
    let text = |name: &header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = text(&header::ORIGIN);
    if let Some(o) = origin {
        if trusted.iter().any(|t| t.eq_ignore_ascii_case(o)) {
            return Ok(());
        }
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") | Some("none") => return Ok(()),
        Some(other) => return Err(OriginError::CrossSite(other.to_string())),
        None => {}
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    let host = text(&header::HOST).ok_or(OriginError::NoHost)?;
    match origin_authority(origin) {
        Some(a) if a.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(OriginError::ForeignOrigin {
            origin: origin.to_string(),
            host: host.to_string(),
        }),
    }
}

/// Middleware applying [`check`] with no extra trusted origins: 403 JSON on refusal.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    match check(req.method(), req.headers(), &[]) {
        Ok(()) => next.run(req).await,
        Err(e) => {
            tracing::warn!(reason = %e, path = %req.uri().path(), "cross-site request refused");
            api_error(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "This request came from another site and was refused.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_passes_and_foreign_fails() {
        let post = Method::POST;
        let own = headers(&[
            ("host", "127.0.0.1:5000"),
            ("origin", "http://127.0.0.1:5000"),
        ]);
        assert_eq!(check(&post, &own, &[]), Ok(()));
        let evil = headers(&[
            ("host", "127.0.0.1:5000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(matches!(
            check(&post, &evil, &[]),
            Err(OriginError::ForeignOrigin { .. })
        ));
        assert_eq!(check(&Method::GET, &evil, &[]), Ok(()));
        assert_eq!(
            check(&post, &evil, &["https://evil.example".to_string()]),
            Ok(())
        );
        let null = headers(&[("host", "a.example"), ("origin", "null")]);
        assert!(check(&post, &null, &[]).is_err());
        let cross = headers(&[("host", "a.example"), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            check(&post, &cross, &[]),
            Err(OriginError::CrossSite("cross-site".into()))
        );
        let same = headers(&[("host", "a.example"), ("sec-fetch-site", "same-origin")]);
        assert_eq!(check(&post, &same, &[]), Ok(()));
        // curl and other non-browser clients: no cookie was borrowed from a page.
        assert_eq!(
            check(&post, &headers(&[("host", "a.example")]), &[]),
            Ok(())
        );
        let no_host = headers(&[("origin", "http://a.example")]);
        assert_eq!(check(&post, &no_host, &[]), Err(OriginError::NoHost));
    }
}
