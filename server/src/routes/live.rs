//! `/ws/live`: a user's ticks and engine events pushed to their dashboard as JSON.
//!
//! On connect the client gets the ticker state and the latest tick of every instrument, then changes
//! as they happen. The server sends a heartbeat every second and a ping every `live_ping`; a client that
//! has not answered a ping for two intervals is dropped, so dead tabs do not pile up.

use crate::routes::liveness::{Incoming, Liveness};
use crate::routes::me::Me;
use crate::routes::options::engine;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use engine::UserEngine;
use futures_util::{SinkExt, StreamExt};
use model::LiveMessage;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, info_span, Instrument};

pub async fn upgrade(State(s): State<AppState>, me: Me, ws: WebSocketUpgrade) -> Response {
    let engine = match engine(&s, &me).await {
        Ok(e) => e,
        Err(f) => return f.into_response(),
    };
    let ping = s.live_ping;
    let user = me.0;
    ws.on_upgrade(move |socket| {
        session(socket, engine, ping).instrument(info_span!("ws_live", user = %user))
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn text(m: &LiveMessage) -> Message {
    crate::metrics::frame_out("live");
    Message::Text(serde_json::to_string(m).unwrap_or_default().into())
}

async fn session(socket: WebSocket, engine: Arc<UserEngine>, ping_every: Duration) {
    info!("dashboard connected");
    let (mut tx, mut rx) = socket.split();
    // Subscribe before taking the snapshot, so nothing falls between the two.
    let mut live = engine.live();
    let mut first = vec![LiveMessage::Ticker {
        ticker: engine.ticker_state(),
    }];
    first.extend(
        engine
            .latest_ticks()
            .into_iter()
            .map(|tick| LiveMessage::Tick { tick }),
    );
    for m in &first {
        if tx.send(text(m)).await.is_err() {
            return;
        }
    }
    let mut heartbeat = tokio::time::interval(Duration::from_secs(1));
    let mut liveness = Liveness::start(ping_every).await;
    loop {
        let out = tokio::select! {
            m = live.recv() => match m {
                Ok(m) => vec![m],
                Err(RecvError::Lagged(n)) => {
                    debug!(skipped = n, "dashboard lagging; resending the latest state");
                    engine.latest_ticks().into_iter().map(|tick| LiveMessage::Tick { tick }).collect()
                }
                Err(RecvError::Closed) => break,
            },
            _ = heartbeat.tick() => vec![LiveMessage::Heartbeat { server_time_ms: now_ms() }],
            ping = liveness.next_ping() => match ping {
                Some(nonce) => vec![LiveMessage::Ping { nonce }],
                None => {
                    info!("dropping stale dashboard (no pong)");
                    break;
                }
            },
            incoming = rx.next() => match liveness.on_frame(incoming) {
                Incoming::Continue => continue,
                Incoming::Closed => break,
            },
        };
        for m in &out {
            if tx.send(text(m)).await.is_err() {
                info!("dashboard gone");
                return;
            }
        }
    }
    let _ = tx.close().await;
    info!("dashboard disconnected");
}
