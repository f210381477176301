//! `/ws/oi`: open-interest summaries pushed to the dashboard as JSON (`model::options::OiMessage`).
//!
//! On connect: which underlyings are tracked, then the latest summary of each; then every summary as
//! it is published (every 2 s per underlying), with a new `tracking` message first whenever the set
//! changes. Pings and the drop of silent clients work as on `/ws/live`.

use crate::routes::liveness::{Incoming, Liveness};
use crate::routes::me::Me;
use crate::routes::options::engine;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use engine::{OiTracker, UserEngine};
use futures_util::{SinkExt, StreamExt};
use model::options::OiMessage;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, info_span, Instrument};

pub async fn upgrade(State(s): State<AppState>, me: Me, ws: WebSocketUpgrade) -> Response {
    let engine = match engine(&s, &me).await {
        Ok(e) => e,
        Err(r) => return r.into_response(),
    };
    let ping = s.live_ping;
    let user = me.0;
    ws.on_upgrade(move |socket| {
        session(socket, engine, ping).instrument(info_span!("ws_oi", user = %user))
    })
}

fn text(m: &OiMessage) -> Message {
    crate::metrics::frame_out("oi");
    Message::Text(serde_json::to_string(m).unwrap_or_default().into())
}

/// The tracking message and every latest summary, in that order.
fn snapshot(t: &OiTracker) -> Vec<OiMessage> {
    let mut out = vec![OiMessage::Tracking {
        underlyings: t.tracking(),
    }];
    out.extend(
        t.summaries()
            .into_iter()
            .map(|summary| OiMessage::Summary { summary }),
    );
    out
}

async fn session(socket: WebSocket, engine: Arc<UserEngine>, ping_every: Duration) {
    debug!("OI client connected");
    let (mut tx, mut rx) = socket.split();
    let tracker = engine.oi_tracker();
    // Subscribe before the snapshot so nothing falls between the two.
    let mut summaries = tracker.subscribe();
    let mut sent_tracking = tracker.tracking();
    for m in &snapshot(tracker) {
        if tx.send(text(m)).await.is_err() {
            return;
        }
    }
    let mut liveness = Liveness::start(ping_every).await;
    loop {
        let out = tokio::select! {
            m = summaries.recv() => match m {
                Ok(summary) => {
                    let mut v = Vec::with_capacity(2);
                    let now = tracker.tracking();
                    if now != sent_tracking {
                        v.push(OiMessage::Tracking { underlyings: now.clone() });
                        sent_tracking = now;
                    }
                    v.push(OiMessage::Summary { summary });
                    v
                }
                Err(RecvError::Lagged(_)) => {
                    sent_tracking = tracker.tracking();
                    snapshot(tracker)
                }
                Err(RecvError::Closed) => break,
            },
            ping = liveness.next_ping() => match ping {
                Some(nonce) => vec![OiMessage::Ping { nonce }],
                None => {
                    info!("dropping stale OI client (no pong)");
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
                return;
            }
        }
    }
    let _ = tx.close().await;
    debug!("OI client disconnected");
}
