//! `/ws/live`: a user's ticks and engine events pushed to their dashboard as JSON.
//!
//! On connect the client gets the ticker state and the latest tick of every instrument, then changes
//! as they happen. The server sends a heartbeat every second and a ping every `live_ping`; a client that
//! has not answered a ping for two intervals is dropped, so dead tabs do not pile up.

use crate::routes::api::error;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::{UserEngine, UserId};
use futures_util::{SinkExt, StreamExt};
use model::{ClientMessage, LiveMessage};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, info_span, Instrument};

pub async fn upgrade(State(s): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let user = UserId::default_user();
    let Some(engine) = s.hub.get(&user) else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "engine_unavailable",
            "The trading engine is not running for this user",
        );
    };
    let ping = s.live_ping;
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
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    let mut nonce: u64 = 0;
    let mut last_pong = Instant::now();
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
            _ = ping.tick() => {
                if last_pong.elapsed() > ping_every * 2 {
                    info!("dropping stale dashboard (no pong)");
                    break;
                }
                nonce += 1;
                vec![LiveMessage::Ping { nonce }]
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(ClientMessage::Pong { .. }) = serde_json::from_str(t.as_str()) {
                        last_pong = Instant::now();
                    }
                    continue;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
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
