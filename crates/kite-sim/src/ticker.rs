//! The sandbox's ticker socket: Kite's protocol (SPEC §12) over axum's WebSocket.
//!
//! Each connection keeps its own subscriptions, gets a snapshot on subscribe and on mode change, then a
//! frame per market step with the instruments that changed, and a 1-byte heartbeat when idle for a second.

use crate::codec::{frame, HEARTBEAT};
use crate::state::{ConnectionGuard, Shared, Snapshot};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use model::{InstrumentToken, Mode};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info};

/// Kite's documented cap per connection.
pub const MAX_INSTRUMENTS_PER_CONNECTION: usize = 3000;

fn refuse(code: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "status": "error",
        "message": message,
        "error_type": if code == StatusCode::FORBIDDEN { "TokenException" } else { "NetworkException" },
        "data": null,
    });
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    if shared.faults.refusing() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Ticker is unavailable (injected fault)",
        );
    }
    let api_key = params.get("api_key").cloned().unwrap_or_default();
    let token = params.get("access_token").cloned().unwrap_or_default();
    let Some(user_id) = shared.user_for(&api_key, &token) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "Incorrect `api_key` or `access_token`.",
        );
    };
    let Some(guard) = shared.register_connection(&api_key) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "Too many ticker connections for this api_key.",
        );
    };
    ws.on_upgrade(move |socket| async move {
        Connection {
            shared,
            guard,
            user_id,
            subs: BTreeMap::new(),
        }
        .run(socket)
        .await
    })
}

struct Connection {
    shared: Arc<Shared>,
    guard: ConnectionGuard,
    /// Whose order updates this socket carries.
    user_id: String,
    subs: BTreeMap<InstrumentToken, Mode>,
}

/// A client request parsed from its JSON text.
#[derive(Debug, PartialEq)]
enum Request {
    Subscribe(Vec<InstrumentToken>),
    Unsubscribe(Vec<InstrumentToken>),
    Mode(Mode, Vec<InstrumentToken>),
}

fn tokens(v: &Value) -> Option<Vec<InstrumentToken>> {
    v.as_array()?
        .iter()
        .map(|t| match t {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.parse::<u32>().ok(),
            _ => None,
        })
        .map(|t| t.map(InstrumentToken))
        .collect()
}

fn parse_request(text: &str) -> Result<Request, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("Invalid message: {e}"))?;
    let action = v
        .get("a")
        .and_then(Value::as_str)
        .ok_or("Missing field `a`")?;
    let val = v.get("v").ok_or("Missing field `v`")?;
    match action {
        "subscribe" => tokens(val)
            .map(Request::Subscribe)
            .ok_or("Invalid tokens".into()),
        "unsubscribe" => tokens(val)
            .map(Request::Unsubscribe)
            .ok_or("Invalid tokens".into()),
        "mode" => {
            let mode = match val.get(0).and_then(Value::as_str) {
                Some("ltp") => Mode::Ltp,
                Some("quote") => Mode::Quote,
                Some("full") => Mode::Full,
                _ => return Err("Invalid mode".into()),
            };
            let list = val.get(1).and_then(tokens).ok_or("Invalid tokens")?;
            Ok(Request::Mode(mode, list))
        }
        other => Err(format!("Unknown action `{other}`")),
    }
}

impl Connection {
    async fn run(mut self, socket: WebSocket) {
        let id = self.guard.id();
        info!(connection = id, "ticker client connected");
        let (mut tx, mut rx) = socket.split();
        let mut changes = self.shared.subscribe_changes();
        let mut kill = self.shared.faults.kill_signal();
        let mut orders = self.shared.order_updates.subscribe();
        let mut heartbeat = tokio::time::interval(self.shared.config.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut sent_since_heartbeat = false;
        loop {
            let outgoing: Option<Message> = tokio::select! {
                _ = kill.changed() => {
                    info!(connection = id, "dropping ticker connection (injected fault)");
                    return;
                }
                update = orders.recv() => match update {
                    // Order postbacks (`type: order`) go only to the order's owner.
                    Ok((user, text)) if user == self.user_id => Some(Message::Text(text.as_str().into())),
                    Ok(_) | Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => break,
                },
                msg = rx.next() => match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(text))) => self.on_request(text.as_str()),
                    Some(Ok(_)) => None,
                },
                change = changes.recv() => match change {
                    Ok(snap) => self.frame_for(&snap, Some(&snap.changed)),
                    Err(RecvError::Lagged(_)) => {
                        let snap = self.shared.latest();
                        self.frame_for(&snap, None)
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = heartbeat.tick() => {
                    // A heartbeat itself does not count as traffic: idle sockets get one every interval.
                    let busy = std::mem::take(&mut sent_since_heartbeat);
                    if busy || self.shared.faults.stalled() {
                        continue;
                    }
                    if tx.send(Message::Binary(HEARTBEAT.to_vec().into())).await.is_err() {
                        break;
                    }
                    None
                }
            };
            if let Some(m) = outgoing {
                if self.shared.faults.stalled() {
                    continue;
                }
                sent_since_heartbeat = true;
                if tx.send(m).await.is_err() {
                    break;
                }
            }
        }
        debug!(connection = id, "ticker client gone");
    }

    /// Applies a request; returns what to send back (a snapshot frame or an error text).
    fn on_request(&mut self, text: &str) -> Option<Message> {
        let req = match parse_request(text) {
            Ok(r) => r,
            Err(e) => return Some(error_message(&e)),
        };
        let snap = self.shared.latest();
        let known = |t: &InstrumentToken| snap.index_of(*t).is_some();
        let (touched, error) = match req {
            Request::Subscribe(list) => {
                let mut added = Vec::new();
                let mut over = false;
                for t in list.into_iter().filter(known) {
                    if self.subs.contains_key(&t) {
                        continue;
                    }
                    if self.subs.len() >= MAX_INSTRUMENTS_PER_CONNECTION {
                        over = true;
                        break;
                    }
                    self.subs.insert(t, Mode::Quote);
                    added.push(t);
                }
                (added, over)
            }
            Request::Unsubscribe(list) => {
                for t in &list {
                    self.subs.remove(t);
                }
                (Vec::new(), false)
            }
            Request::Mode(mode, list) => {
                let mut set = Vec::new();
                let mut over = false;
                for t in list.into_iter().filter(known) {
                    if !self.subs.contains_key(&t)
                        && self.subs.len() >= MAX_INSTRUMENTS_PER_CONNECTION
                    {
                        over = true;
                        break;
                    }
                    self.subs.insert(t, mode);
                    set.push(t);
                }
                (set, over)
            }
        };
        self.guard.set_subscriptions(&self.subs);
        if error {
            return Some(error_message(&format!(
                "Subscription limit of {MAX_INSTRUMENTS_PER_CONNECTION} instruments reached"
            )));
        }
        let packets = touched.iter().filter_map(|t| {
            let q = &snap.quotes[snap.index_of(*t)?];
            Some((q, *self.subs.get(t)?))
        });
        frame(packets).map(|f| Message::Binary(f.into()))
    }

    fn frame_for(&self, snap: &Snapshot, only: Option<&Vec<usize>>) -> Option<Message> {
        let packets: Box<dyn Iterator<Item = _>> = match only {
            Some(changed) => Box::new(changed.iter().filter_map(|&i| {
                let q = &snap.quotes[i];
                self.subs.get(&q.token).map(|m| (q, *m))
            })),
            None => Box::new(
                self.subs
                    .iter()
                    .filter_map(|(t, m)| Some((&snap.quotes[snap.index_of(*t)?], *m))),
            ),
        };
        frame(packets).map(|f| Message::Binary(f.into()))
    }
}

fn error_message(text: &str) -> Message {
    Message::Text(
        serde_json::json!({ "type": "error", "data": text })
            .to_string()
            .into(),
    )
}

/// How long a connection waits between heartbeats when idle.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kite_requests() {
        assert_eq!(
            parse_request(r#"{"a":"subscribe","v":[408065,"884737"]}"#),
            Ok(Request::Subscribe(vec![
                InstrumentToken(408065),
                InstrumentToken(884737)
            ]))
        );
        assert_eq!(
            parse_request(r#"{"a":"mode","v":["full",[408065]]}"#),
            Ok(Request::Mode(Mode::Full, vec![InstrumentToken(408065)]))
        );
        assert!(parse_request(r#"{"a":"mode","v":["deep",[1]]}"#).is_err());
        assert!(parse_request(r#"{"a":"subscribe","v":[-1]}"#).is_err());
        assert!(parse_request("not json").is_err());
        assert!(parse_request(r#"{"a":"dance","v":[]}"#).is_err());
    }
}
