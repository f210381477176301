//! Liveness of a dashboard socket, shared by `/ws/live` and `/ws/oi`: a ping every interval, and a
//! client that has not answered for two intervals is dropped so dead tabs do not pile up.

use axum::extract::ws::Message;
use model::ClientMessage;
use std::time::{Duration, Instant};
use tokio::time::Interval;

pub struct Liveness {
    every: Duration,
    ticker: Interval,
    nonce: u64,
    last_pong: Instant,
}

/// What an incoming frame means for the session.
pub enum Incoming {
    /// Keep going (a pong, or anything the server ignores).
    Continue,
    /// The client closed or the socket failed.
    Closed,
}

impl Liveness {
    /// The first ping goes out one interval after the start, not at once.
    pub async fn start(every: Duration) -> Self {
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        Self {
            every,
            ticker,
            nonce: 0,
            last_pong: Instant::now(),
        }
    }

    /// Waits for the next ping time; `None` when the client has gone silent and must be dropped,
    /// otherwise the nonce to send.
    pub async fn next_ping(&mut self) -> Option<u64> {
        self.ticker.tick().await;
        if self.last_pong.elapsed() > self.every * 2 {
            return None;
        }
        self.nonce += 1;
        Some(self.nonce)
    }

    /// Reads one frame from the client: pongs refresh liveness, closes end the session.
    pub fn on_frame(&mut self, frame: Option<Result<Message, axum::Error>>) -> Incoming {
        match frame {
            Some(Ok(Message::Text(t))) => {
                if let Ok(ClientMessage::Pong { .. }) = serde_json::from_str(t.as_str()) {
                    self.last_pong = Instant::now();
                }
                Incoming::Continue
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Incoming::Closed,
            Some(Ok(_)) => Incoming::Continue,
        }
    }
}
