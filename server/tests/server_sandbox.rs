//! The whole server on a loopback port, on the embedded sandbox: REST, the dashboard HTML, /ws/live,
//! each as the logged-in demo user.

mod support;

use futures_util::{SinkExt, StreamExt};
use model::{LiveMessage, ServerStatus, Tick, TickerState, TradingMode};
use std::time::Duration;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// A server and the demo user's session cookie.
struct Logged {
    srv: support::Srv,
    cookie: String,
}

async fn start(extra: &[&str]) -> Logged {
    let srv = support::start("server", extra).await;
    let cookie = srv.login_demo().await;
    Logged { srv, cookie }
}

async fn get(l: &Logged, path: &str) -> (u16, String) {
    let r = l.srv.get(path, &l.cookie).await;
    (r.status, r.body)
}

async fn status(l: &Logged) -> ServerStatus {
    let (code, body) = get(l, "/api/status").await;
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn wait_connected(l: &Logged) -> ServerStatus {
    timeout(Duration::from_secs(10), async {
        loop {
            let s = status(l).await;
            if s.ticker == TickerState::Connected && s.ticks_received > 0 {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("ticker connects to the sandbox")
}

#[tokio::test]
async fn status_ticks_and_page() {
    let srv = start(&[]).await;
    let s = wait_connected(&srv).await;
    assert_eq!(s.mode, TradingMode::Sandbox);
    assert_eq!(s.subscribed, 53);
    assert!(s.sandbox_url.unwrap().starts_with("http://127.0.0.1:"));

    let (code, body) = get(&srv, "/api/ticks").await;
    assert_eq!(code, 200);
    let ticks: Vec<Tick> = serde_json::from_str(&body).unwrap();
    assert!(ticks.len() >= 50, "{} ticks", ticks.len());
    assert!(ticks.iter().all(|t| t.last_price > 0.0));

    let (code, body) = get(&srv, "/api/instruments").await;
    assert_eq!(code, 200);
    assert!(body.contains("\"RELIANCE\""));

    let (code, body) = get(&srv, "/api/no-such-thing").await;
    assert_eq!(code, 404);
    assert!(body.contains("not_found"));

    // The dashboard is server-rendered with every row and the hydration script.
    let (code, html) = get(&srv, "/").await;
    assert_eq!(code, 200);
    assert!(html.matches("data-testid=\"watch-row\"").count() >= 50);
    assert!(html.contains("/pkg/kite-agent.js"));
    assert!(html.contains("data-symbol=\"NIFTY 50\""));
}

async fn live(
    l: &Logged,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    l.srv.ws("/ws/live", Some(&l.cookie)).await.unwrap()
}

fn parse(m: Message) -> Option<LiveMessage> {
    match m {
        Message::Text(t) => {
            Some(serde_json::from_str(t.as_str()).expect("every message has a type"))
        }
        _ => None,
    }
}

#[tokio::test]
async fn live_socket_sends_state_snapshot_ticks_and_heartbeats() {
    let srv = start(&[]).await;
    wait_connected(&srv).await;
    let mut ws = live(&srv).await;
    let first = parse(ws.next().await.unwrap().unwrap()).unwrap();
    assert_eq!(
        first,
        LiveMessage::Ticker {
            ticker: TickerState::Connected
        }
    );
    let (mut ticks, mut heartbeats) = (0, 0);
    timeout(Duration::from_secs(10), async {
        while ticks < 100 || heartbeats < 2 {
            match parse(ws.next().await.unwrap().unwrap()) {
                Some(LiveMessage::Tick { tick }) => {
                    assert!(tick.last_price > 0.0);
                    ticks += 1
                }
                Some(LiveMessage::Heartbeat { server_time_ms }) => {
                    assert!(server_time_ms > 1_700_000_000_000);
                    heartbeats += 1
                }
                _ => {}
            }
        }
    })
    .await
    .expect("ticks and heartbeats");
}

#[tokio::test]
async fn live_socket_reports_ticker_reconnects() {
    let srv = start(&[]).await;
    wait_connected(&srv).await;
    let mut ws = live(&srv).await;
    srv.srv
        .run
        .sandbox
        .as_ref()
        .unwrap()
        .drop_ticker_connections(Duration::from_millis(1500));
    let mut states = Vec::new();
    timeout(Duration::from_secs(20), async {
        loop {
            if let Some(LiveMessage::Ticker { ticker }) = parse(ws.next().await.unwrap().unwrap()) {
                let done = ticker == TickerState::Connected && !states.is_empty();
                states.push(ticker);
                if done {
                    break;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("states seen: {states:?}"));
    assert!(matches!(states[0], TickerState::Connected));
    assert!(
        states
            .iter()
            .any(|s| matches!(s, TickerState::Reconnecting { .. })),
        "{states:?}"
    );
    assert_eq!(states.last(), Some(&TickerState::Connected));
}

#[tokio::test]
async fn answering_pings_keeps_a_client_and_silence_drops_it() {
    let srv = start(&["--live-ping-secs", "1"]).await;
    wait_connected(&srv).await;
    // A client that answers every ping stays connected.
    let mut good = live(&srv).await;
    let mut pings = 0;
    timeout(Duration::from_secs(8), async {
        while pings < 4 {
            if let Some(LiveMessage::Ping { nonce }) = parse(good.next().await.unwrap().unwrap()) {
                good.send(Message::text(format!(
                    "{{\"type\":\"pong\",\"nonce\":{nonce}}}"
                )))
                .await
                .unwrap();
                pings += 1;
            }
        }
    })
    .await
    .expect("pings keep coming while answered");

    // A client that never answers is dropped after two intervals.
    let mut silent = live(&srv).await;
    let closed = timeout(Duration::from_secs(8), async {
        loop {
            match silent.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a silent client must be dropped");
}

#[tokio::test]
async fn health_and_metrics() {
    let srv = start(&[]).await;
    wait_connected(&srv).await;
    // Anonymous health: the process and its database, nothing about any user.
    let r = srv.srv.call("GET", "/api/health", "", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let h: model::Health = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (h.status.as_str(), h.database.ok, h.engines),
        ("ok", true, 1)
    );
    assert!(h.user.is_none());
    // Logged in: the caller's own feed and Kite session.
    let (code, body) = get(&srv, "/api/health").await;
    assert_eq!(code, 200, "{body}");
    let h: model::Health = serde_json::from_str(&body).unwrap();
    let u = h.user.expect("the caller's part");
    assert_eq!(u.zerodha_id, "DEMO01");
    assert_eq!(u.ticker, TickerState::Connected);
    assert!(u.kite_connected && u.ticks_received > 0 && u.subscribed == 53);

    let mut ws = live(&srv).await;
    for _ in 0..5 {
        ws.next().await.unwrap().unwrap();
    }
    let r = srv.srv.call("GET", "/metrics", "", None).await;
    assert_eq!(r.status, 200);
    let text = r.body;
    for needle in [
        "http_requests_total{method=\"GET\",route=\"/api/status\",status=\"200\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/status\",status=\"200\",le=\"0.005\"}",
        "ws_frames_out_total{socket=\"live\"}",
        "engines_running ",
        "tickers_connected ",
        "ticks_in ",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let ticks: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ticks_in "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(ticks > 0.0);
    assert!(!text.contains("DEMO01"), "no user in the metrics");
}
