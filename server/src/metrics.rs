//! Prometheus metrics at `GET /metrics`: request counts and latency by route, WebSocket frames out,
//! and at each scrape the engines' ticks in, ticker reconnects and connections, and the journal's
//! orders by status. Aggregates only: no user id or symbol is ever a label.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Request latency buckets, seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder (installed once; several servers in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's): ours still renders what it
        // records directly, the rest goes to theirs.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts and times every request by its route pattern (not the raw path: bounded labels).
pub async fn track(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A frame sent to a dashboard on `/ws/live` or `/ws/oi`.
pub fn frame_out(socket: &'static str) {
    metrics::counter!("ws_frames_out_total", "socket" => socket).increment(1);
}

/// `GET /metrics`.
pub async fn render(State(s): State<AppState>) -> Response {
    let h = handle();
    let hub = s.engines.hub();
    let (mut ticks, mut reconnects, mut connected) = (0u64, 0u64, 0u64);
    let ids = hub.user_ids();
    for id in &ids {
        if let Some(e) = hub.get(id) {
            ticks += e.ticks_received();
            reconnects += e.reconnects();
            connected += u64::from(e.ticker_state() == model::TickerState::Connected);
        }
    }
    metrics::gauge!("engines_running").set(ids.len() as f64);
    metrics::gauge!("tickers_connected").set(connected as f64);
    // Totals over the engines running now (an engine that stops takes its count with it).
    metrics::gauge!("ticks_in").set(ticks as f64);
    metrics::gauge!("ticker_reconnects").set(reconnects as f64);
    match sqlx::query_as::<_, (String, i64)>("SELECT status, COUNT(*) FROM orders GROUP BY status")
        .fetch_all(s.db.pool())
        .await
    {
        Ok(rows) => {
            for (status, n) in rows {
                metrics::gauge!("orders", "status" => status).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "counting orders for /metrics failed"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        h.render(),
    )
        .into_response()
}
