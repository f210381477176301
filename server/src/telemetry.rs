//! Logging: human-readable by default, JSON lines when `LOG_FORMAT=json`; one span per request.

use crate::config::LogFormat;
use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The request span: method and path only. Query strings are left out (they may carry tokens).
pub fn request_span<B>(req: &Request<B>) -> Span {
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), user = tracing::field::Empty)
}
