//! The ticker connection loop: connect, replay subscriptions, read frames, detect silence, reconnect.
//!
//! One task owns the socket. Callers talk to it through a [`TickerHandle`] and read [`TickerEvent`]s
//! from a channel. The wanted subscriptions live beside the handle, so a subscribe issued while the
//! socket is down is not lost: it is replayed on the next connection.

use super::parse::{Frame, ParseError};
use super::subscriptions::{mode_message, subscribe_message, unsubscribe_message, Subscriptions};
use super::{Credentials, TickerConfig};
use crate::rest::session::urlencoding;
use futures_util::{SinkExt, StreamExt};
use model::{InstrumentToken, Mode, Tick, TickerState};
use rand::{rngs::StdRng, SeedableRng};
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, Message};
use tracing::{debug, info, info_span, warn, Instrument};

#[derive(Debug, Error)]
pub enum TickerError {
    #[error("ticker refused the credentials (HTTP {0}); log in again to get a fresh access token")]
    Unauthorized(u16),
    #[error("ticker upgrade failed with HTTP {0}")]
    Http(u16),
    #[error("ticker connect timed out")]
    ConnectTimeout,
    #[error("no data from the ticker for {0:?}")]
    Silent(std::time::Duration),
    #[error("ticker URL is invalid: {0}")]
    BadUrl(String),
    #[error("ticker socket error: {0}")]
    Socket(String),
    #[error("ticker closed the connection")]
    Closed,
}

impl TickerError {
    fn from_ws(e: tungstenite::Error) -> Self {
        match e {
            tungstenite::Error::Http(resp) => {
                let code = resp.status().as_u16();
                if code == 403 || code == 401 {
                    Self::Unauthorized(code)
                } else {
                    Self::Http(code)
                }
            }
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                Self::Closed
            }
            // Other variants never carry the request URL (where the access token is).
            other => Self::Socket(other.to_string()),
        }
    }
}

/// What the client reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TickerEvent {
    /// All packets of one frame that decoded.
    Ticks(Vec<Tick>),
    State(TickerState),
    /// An order update (`type: order`), passed on raw for the order layer to decode.
    Order(serde_json::Value),
    /// A server `error` message or a frame that did not decode.
    Error(String),
    /// A broker notice (`type: message`).
    Notice(String),
}

enum Command {
    Send(String),
    Reconnect,
    Shutdown,
}

/// Cheap to clone; controls one ticker connection task.
#[derive(Clone)]
pub struct TickerHandle {
    commands: mpsc::UnboundedSender<Command>,
    subscriptions: Arc<Mutex<Subscriptions>>,
    credentials: Arc<Mutex<Credentials>>,
    state: watch::Receiver<TickerState>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TickerHandle {
    /// Subscribes (or changes the mode of) `tokens`. Remembered across reconnects.
    pub fn subscribe(&self, tokens: &[InstrumentToken], mode: Mode) {
        if tokens.is_empty() {
            return;
        }
        lock(&self.subscriptions).set(tokens, mode);
        let _ = self.commands.send(Command::Send(subscribe_message(tokens)));
        let _ = self
            .commands
            .send(Command::Send(mode_message(tokens, mode)));
    }

    pub fn unsubscribe(&self, tokens: &[InstrumentToken]) {
        if tokens.is_empty() {
            return;
        }
        lock(&self.subscriptions).remove(tokens);
        let _ = self
            .commands
            .send(Command::Send(unsubscribe_message(tokens)));
    }

    pub fn subscriptions(&self) -> Subscriptions {
        lock(&self.subscriptions).clone()
    }

    pub fn subscribed_count(&self) -> usize {
        lock(&self.subscriptions).len()
    }

    pub fn state(&self) -> TickerState {
        self.state.borrow().clone()
    }

    /// A receiver that wakes on every state change.
    pub fn watch_state(&self) -> watch::Receiver<TickerState> {
        self.state.clone()
    }

    /// New credentials (after the daily re-login); takes effect on the next connection, which this starts.
    pub fn set_credentials(&self, credentials: Credentials) {
        *lock(&self.credentials) = credentials;
        let _ = self.commands.send(Command::Reconnect);
    }

    pub fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
    }
}

pub struct TickerClient;

impl TickerClient {
    /// Starts the connection task on the current tokio runtime.
    pub fn spawn(config: TickerConfig) -> (TickerHandle, mpsc::Receiver<TickerEvent>) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel(1024);
        let (state_tx, state_rx) = watch::channel(TickerState::Connecting);
        let handle = TickerHandle {
            commands: cmd_tx,
            subscriptions: Arc::new(Mutex::new(Subscriptions::default())),
            credentials: Arc::new(Mutex::new(config.credentials.clone())),
            state: state_rx,
        };
        let task = Task {
            config,
            subscriptions: handle.subscriptions.clone(),
            credentials: handle.credentials.clone(),
            commands: cmd_rx,
            events: event_tx,
            state: state_tx,
            rng: StdRng::from_entropy(),
        };
        tokio::spawn(task.run().instrument(info_span!("ticker")));
        (handle, event_rx)
    }
}

struct Task {
    config: TickerConfig,
    subscriptions: Arc<Mutex<Subscriptions>>,
    credentials: Arc<Mutex<Credentials>>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<TickerEvent>,
    state: watch::Sender<TickerState>,
    rng: StdRng,
}

/// Why a session ended.
enum End {
    Shutdown,
    Reconnect(Option<TickerError>),
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Task {
    async fn set_state(&self, s: TickerState) {
        if *self.state.borrow() != s {
            info!(state = s.label(), "ticker state");
            self.state.send_replace(s.clone());
            let _ = self.events.send(TickerEvent::State(s)).await;
        }
    }

    async fn run(mut self) {
        let mut attempt: u32 = 0;
        loop {
            match self.connect().await {
                Ok(socket) => {
                    attempt = 0;
                    self.set_state(TickerState::Connected).await;
                    match self.session(socket).await {
                        End::Shutdown => break,
                        End::Reconnect(reason) => {
                            if let Some(e) = reason {
                                warn!(error = %e, "ticker connection lost");
                            }
                        }
                    }
                }
                Err(TickerError::Unauthorized(code)) => {
                    // Retrying an expired token only gets more 403s: wait for new credentials.
                    self.set_state(TickerState::AuthFailed {
                        reason: TickerError::Unauthorized(code).to_string(),
                    })
                    .await;
                    match self.commands.recv().await {
                        Some(Command::Reconnect) => {
                            attempt = 0;
                            continue;
                        }
                        Some(Command::Send(_)) => continue,
                        Some(Command::Shutdown) | None => break,
                    }
                }
                Err(e) => warn!(error = %e, attempt, "ticker connect failed"),
            }
            attempt = attempt.saturating_add(1);
            let delay = self.config.backoff.delay(attempt, &mut self.rng);
            self.set_state(TickerState::Reconnecting {
                attempt,
                retry_in_ms: delay.as_millis() as u64,
            })
            .await;
            if self.wait(delay).await {
                break;
            }
        }
        self.set_state(TickerState::Stopped).await;
    }

    /// Sleeps for `delay` unless told to shut down (returns true) or to reconnect now.
    async fn wait(&mut self, delay: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return false,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Shutdown) | None => return true,
                    Some(Command::Reconnect) => return false,
                    // Sends while down are covered by the replay after connecting.
                    Some(Command::Send(_)) => {}
                }
            }
        }
    }

    async fn connect(&mut self) -> Result<Socket, TickerError> {
        let creds = lock(&self.credentials).clone();
        let url = format!(
            "{}/?api_key={}&access_token={}",
            self.config.url.trim_end_matches('/'),
            urlencoding(&creds.api_key),
            urlencoding(&creds.access_token)
        );
        let mut request = url
            .into_client_request()
            .map_err(|_| TickerError::BadUrl(self.config.url.clone()))?;
        request
            .headers_mut()
            .insert("X-Kite-Version", http::HeaderValue::from_static("3"));
        debug!(url = %self.config.url, "connecting");
        let (socket, _resp) = timeout(
            self.config.connect_timeout,
            tokio_tungstenite::connect_async(request),
        )
        .await
        .map_err(|_| TickerError::ConnectTimeout)?
        .map_err(TickerError::from_ws)?;
        Ok(socket)
    }

    async fn session(&mut self, mut socket: Socket) -> End {
        let replay = lock(&self.subscriptions).replay_messages();
        for msg in replay {
            if let Err(e) = socket.send(Message::text(msg)).await {
                return End::Reconnect(Some(TickerError::from_ws(e)));
            }
        }
        let silence = self.config.read_timeout;
        loop {
            tokio::select! {
                frame = timeout(silence, socket.next()) => {
                    let msg = match frame {
                        Err(_) => return End::Reconnect(Some(TickerError::Silent(silence))),
                        Ok(None) => return End::Reconnect(Some(TickerError::Closed)),
                        Ok(Some(Err(e))) => return End::Reconnect(Some(TickerError::from_ws(e))),
                        Ok(Some(Ok(m))) => m,
                    };
                    match msg {
                        Message::Binary(bytes) => self.on_binary(&bytes).await,
                        Message::Text(text) => self.on_text(text.as_str()).await,
                        Message::Close(_) => return End::Reconnect(Some(TickerError::Closed)),
                        // tungstenite answers pings itself; pongs need nothing.
                        _ => {}
                    }
                }
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Send(text)) => {
                        if let Err(e) = socket.send(Message::text(text)).await {
                            return End::Reconnect(Some(TickerError::from_ws(e)));
                        }
                    }
                    Some(Command::Reconnect) => {
                        let _ = socket.close(None).await;
                        return End::Reconnect(None);
                    }
                    Some(Command::Shutdown) | None => {
                        let _ = socket.close(None).await;
                        return End::Shutdown;
                    }
                }
            }
        }
    }

    async fn on_binary(&mut self, bytes: &[u8]) {
        let frame = match Frame::parse(bytes) {
            Ok(Frame::Heartbeat) => return,
            Ok(Frame::Packets(p)) => p,
            Err(e) => return self.report_parse_error(e).await,
        };
        let mut ticks = Vec::with_capacity(frame.size_hint().1.unwrap_or(0));
        let mut error = None;
        for packet in frame {
            match packet {
                Ok(t) => ticks.push(t),
                Err(e) => error = Some(e),
            }
        }
        if !ticks.is_empty() {
            let _ = self.events.send(TickerEvent::Ticks(ticks)).await;
        }
        if let Some(e) = error {
            self.report_parse_error(e).await;
        }
    }

    async fn report_parse_error(&mut self, e: ParseError) {
        warn!(error = %e, "bad ticker frame");
        let _ = self.events.send(TickerEvent::Error(e.to_string())).await;
    }

    async fn on_text(&mut self, text: &str) {
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            data: serde_json::Value,
        }
        let Ok(env) = serde_json::from_str::<Envelope>(text) else {
            debug!("ignoring unparseable text message");
            return;
        };
        let event = match env.kind.as_str() {
            "order" => TickerEvent::Order(env.data),
            "error" => TickerEvent::Error(value_text(env.data)),
            "message" => TickerEvent::Notice(value_text(env.data)),
            _ => return,
        };
        let _ = self.events.send(event).await;
    }
}

fn value_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_token() {
        let c = Credentials {
            api_key: "key".into(),
            access_token: "secret-token".into(),
        };
        assert!(!format!("{c:?}").contains("secret-token"));
    }
}
