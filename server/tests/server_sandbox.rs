//! The whole server on a loopback port, on the embedded sandbox: REST, the dashboard HTML, /ws/live.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use model::{LiveMessage, ServerStatus, Tick, TickerState, TradingMode};
use server::config::Cli;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

async fn start(extra: &[&str]) -> server::Running {
    let mut argv = vec!["kite-agent", "--port", "0"];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).unwrap();
    let mut args = cli.run;
    // Each server gets a fresh data dir: the sandbox keeps its accounts on disk.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    args.data_dir =
        std::env::temp_dir().join(format!("server-sandbox-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&args.data_dir);
    // Never pick up a developer's real credentials from the environment in tests.
    args.kite_api_key = None;
    args.kite_access_token = None;
    let options = server::leptos_options(&args).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::start(&args, options, listener).await.unwrap()
}

/// A plain HTTP/1.1 GET over a real socket: (status code, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (code, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

async fn status(addr: SocketAddr) -> ServerStatus {
    let (code, body) = get(addr, "/api/status").await;
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn wait_connected(addr: SocketAddr) -> ServerStatus {
    timeout(Duration::from_secs(10), async {
        loop {
            let s = status(addr).await;
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
    let s = wait_connected(srv.addr).await;
    assert_eq!(s.mode, TradingMode::Sandbox);
    assert_eq!(s.subscribed, 53);
    assert!(s.sandbox_url.unwrap().starts_with("http://127.0.0.1:"));

    let (code, body) = get(srv.addr, "/api/ticks").await;
    assert_eq!(code, 200);
    let ticks: Vec<Tick> = serde_json::from_str(&body).unwrap();
    assert!(ticks.len() >= 50, "{} ticks", ticks.len());
    assert!(ticks.iter().all(|t| t.last_price > 0.0));

    let (code, body) = get(srv.addr, "/api/instruments").await;
    assert_eq!(code, 200);
    assert!(body.contains("\"RELIANCE\""));

    let (code, body) = get(srv.addr, "/api/no-such-thing").await;
    assert_eq!(code, 404);
    assert!(body.contains("not_found"));

    // The dashboard is server-rendered with every row and the hydration script.
    let (code, html) = get(srv.addr, "/").await;
    assert_eq!(code, 200);
    assert!(html.matches("data-testid=\"watch-row\"").count() >= 50);
    assert!(html.contains("/pkg/kite-agent.js"));
    assert!(html.contains("data-symbol=\"NIFTY 50\""));
    srv.task.abort();
}

async fn live(
    addr: SocketAddr,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    tokio_tungstenite::connect_async(format!("ws://{addr}/ws/live"))
        .await
        .unwrap()
        .0
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
    wait_connected(srv.addr).await;
    let mut ws = live(srv.addr).await;
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
    srv.task.abort();
}

#[tokio::test]
async fn live_socket_reports_ticker_reconnects() {
    let srv = start(&[]).await;
    wait_connected(srv.addr).await;
    let mut ws = live(srv.addr).await;
    srv.sandbox
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
    srv.task.abort();
}

#[tokio::test]
async fn answering_pings_keeps_a_client_and_silence_drops_it() {
    let srv = start(&["--live-ping-secs", "1"]).await;
    wait_connected(srv.addr).await;
    // A client that answers every ping stays connected.
    let mut good = live(srv.addr).await;
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
    let mut silent = live(srv.addr).await;
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
    srv.task.abort();
}
