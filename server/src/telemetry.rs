//! Logging: human-readable by default, JSON lines when `LOG_FORMAT=json`; one span per request.

use crate::config::LogFormat;
use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Dependencies that write credentials at their most verbose levels: tungstenite traces the whole
/// handshake request, whose URL carries the ticker's `access_token`. They are capped whatever
/// `RUST_LOG` asks for, so no setting puts a token in the log.
pub const CAPS: &[&str] = &["tungstenite=debug", "tokio_tungstenite=debug"];

/// `RUST_LOG` (or `default` without it), then [`CAPS`].
pub fn filter(default: &str) -> EnvFilter {
    let base = std::env::var(EnvFilter::DEFAULT_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    let mut filter = EnvFilter::try_new(&base).unwrap_or_else(|_| EnvFilter::new(default));
    for cap in CAPS {
        if let Ok(d) = cap.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

pub fn init(format: LogFormat) {
    let filter = filter("info,tower_http=warn,hyper=warn");
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
