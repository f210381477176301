//! The analytics endpoints of the whole server on a loopback port, on the embedded sandbox: option
//! chains, the OI tracker over HTTP and `/ws/oi`, the scanner and its candles.

use futures_util::{SinkExt, StreamExt};
use model::analysis::{ScanResults, ScanStarted, ScanStatus};
use model::options::{OiMessage, OiSummary, OptionChain, Underlying};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

mod support;

/// Session cookies of the servers started here, by address (requests to the sandbox carry none).
static COOKIES: std::sync::Mutex<Vec<(SocketAddr, String)>> = std::sync::Mutex::new(Vec::new());

struct Srv {
    run: support::Srv,
}

async fn start(name: &str) -> Srv {
    let run = support::start(&format!("analytics-{name}"), &["--live-ping-secs", "5"]).await;
    assert!(
        run.dir.join("kite-agent.db").exists(),
        "database opened in DATA_DIR"
    );
    let cookie = run.login_demo().await;
    COOKIES.lock().unwrap().push((run.addr, cookie));
    Srv { run }
}

fn cookie_for(addr: SocketAddr) -> Option<String> {
    COOKIES
        .lock()
        .unwrap()
        .iter()
        .find(|(a, _)| *a == addr)
        .map(|(_, c)| c.clone())
}

/// One HTTP/1.1 request over a real socket, as the logged-in demo user: (status, body).
async fn call(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let r = support::call(addr, method, path, body, cookie_for(addr).as_deref()).await;
    (r.status, r.body)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    call(addr, "GET", path, "").await
}

fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(v["message"].is_string(), "{body}");
    v["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn option_chain_endpoint_and_its_errors() {
    let srv = start("chain").await;
    let addr = srv.run.addr;
    let (code, body) = get(addr, "/api/options/chain?underlying=nifty").await;
    assert_eq!(code, 200, "{body}");
    let chain: OptionChain = serde_json::from_str(&body).unwrap();
    assert_eq!(chain.underlying, Underlying::Nifty);
    assert_eq!(chain.expiry, chain.expiries[0]);
    let atm = chain.atm_strike.unwrap();
    let row = chain.rows.iter().find(|r| r.strike == atm).unwrap();
    let iv = row.call.as_ref().unwrap().iv.unwrap();
    assert!((0.05..=1.0).contains(&iv), "{iv}");

    let next = &chain.expiries[1];
    let (code, body) = get(
        addr,
        &format!("/api/options/chain?underlying=NIFTY&expiry={next}"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<OptionChain>(&body).unwrap().expiry,
        *next
    );

    let (code, body) = get(addr, "/api/options/chain?underlying=FINNIFTYX").await;
    assert_eq!(
        (code, error_code(&body).as_str()),
        (400, "unknown_underlying")
    );
    let (code, body) = get(addr, "/api/options/chain").await;
    assert_eq!(
        (code, error_code(&body).as_str()),
        (400, "missing_underlying")
    );
    let (code, body) = get(
        addr,
        "/api/options/chain?underlying=NIFTY&expiry=2001-01-01",
    )
    .await;
    assert_eq!((code, error_code(&body).as_str()), (400, "unknown_expiry"));
    assert!(
        body.contains(&chain.expiries[0]),
        "lists the real expiries: {body}"
    );

    // Kite's daily session expiry: the API's 401 that the pages turn into a login prompt.
    let sandbox: SocketAddr = srv
        .run
        .run
        .sandbox
        .as_ref()
        .unwrap()
        .http_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let (code, _) = call(sandbox, "POST", "/admin/sessions/DEMO01/expire", "").await;
    assert_eq!(code, 200);
    let (code, body) = get(addr, "/api/options/chain?underlying=NIFTY").await;
    assert_eq!(code, 401, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "kite_session_expired");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next OI message, answering pings on the way.
async fn next_oi(ws: &mut Ws) -> OiMessage {
    loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => {
                let m: OiMessage = serde_json::from_str(t.as_str()).expect("typed message");
                if let OiMessage::Ping { nonce } = m {
                    ws.send(Message::text(format!(
                        r#"{{"type":"pong","nonce":{nonce}}}"#
                    )))
                    .await
                    .unwrap();
                    continue;
                }
                return m;
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn oi_endpoints_and_socket() {
    let srv = start("oi").await;
    let addr = srv.run.addr;
    let (code, body) = get(addr, "/api/oi/summary?underlying=NIFTY").await;
    assert_eq!((code, error_code(&body).as_str()), (404, "not_tracked"));
    assert_eq!(get(addr, "/api/oi/all").await, (200, "[]".to_string()));

    let (mut ws, _) = tokio_tungstenite::connect_async({
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{addr}/ws/oi").into_client_request().unwrap();
        req.headers_mut()
            .insert("cookie", cookie_for(addr).unwrap().parse().unwrap());
        req
    })
    .await
    .unwrap();
    assert_eq!(
        next_oi(&mut ws).await,
        OiMessage::Tracking {
            underlyings: vec![]
        }
    );

    let (code, body) = call(
        addr,
        "POST",
        "/api/oi/start",
        r#"{"underlyings":["NIFTY"]}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, r#"{"tracking":["NIFTY"]}"#);
    let (code, body) = call(addr, "POST", "/api/oi/start", r#"{"underlyings":["NOPE"]}"#).await;
    assert_eq!(
        (code, error_code(&body).as_str()),
        (400, "unknown_underlying")
    );
    let (code, body) = call(addr, "POST", "/api/oi/start", "{not json").await;
    assert_eq!((code, error_code(&body).as_str()), (400, "invalid_body"));

    // The socket announces the new set, then summaries keep coming (every 2 s).
    let got = timeout(Duration::from_secs(6), async {
        let mut tracking = None;
        let mut summaries = Vec::new();
        while summaries.len() < 2 {
            match next_oi(&mut ws).await {
                OiMessage::Tracking { underlyings } => tracking = Some(underlyings),
                OiMessage::Summary { summary } => summaries.push(summary),
                OiMessage::Ping { .. } => unreachable!(),
            }
        }
        (tracking, summaries)
    })
    .await
    .expect("summaries on /ws/oi");
    assert_eq!(got.0, Some(vec![Underlying::Nifty]));
    assert!(got
        .1
        .iter()
        .all(|s| s.underlying == Underlying::Nifty && s.total_call_oi > 0));

    let (code, body) = get(addr, "/api/oi/summary?underlying=nifty").await;
    assert_eq!(code, 200, "{body}");
    let s: OiSummary = serde_json::from_str(&body).unwrap();
    assert!(s.strikes.len() >= 20 && s.pcr_oi.is_some());

    // No body: all three.
    let (code, body) = call(addr, "POST", "/api/oi/start", "").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, r#"{"tracking":["NIFTY","BANKNIFTY","SENSEX"]}"#);
    let all: Vec<OiSummary> = serde_json::from_str(&get(addr, "/api/oi/all").await.1).unwrap();
    let names: Vec<Underlying> = all.iter().map(|s| s.underlying).collect();
    assert_eq!(names, Underlying::ALL.to_vec());
    let tracking = timeout(Duration::from_secs(6), async {
        loop {
            // Underlyings may be announced as each one starts: wait for the whole set.
            if let OiMessage::Tracking { underlyings } = next_oi(&mut ws).await {
                if underlyings.len() == Underlying::ALL.len() {
                    return underlyings;
                }
            }
        }
    })
    .await
    .expect("the socket announces the new set");
    assert_eq!(tracking, Underlying::ALL.to_vec());
}

async fn historical_requests(srv: &Srv) -> usize {
    let url = srv.run.run.sandbox.as_ref().unwrap().http_url();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let (code, body) = get(addr, "/admin/rest/requests").await;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/instruments/historical/"))
        })
        .count()
}

async fn scan_to_end(addr: SocketAddr) -> ScanStatus {
    timeout(Duration::from_secs(120), async {
        loop {
            let (code, body) = get(addr, "/api/analysis/status").await;
            assert_eq!(code, 200);
            let st: ScanStatus = serde_json::from_str(&body).unwrap();
            if !st.scanning {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("scan finishes")
}

#[tokio::test]
async fn scanner_endpoints() {
    let srv = start("scan").await;
    let addr = srv.run.addr;
    let (code, body) = get(addr, "/api/analysis/results").await;
    assert_eq!((code, error_code(&body).as_str()), (404, "no_scan"));
    let st: ScanStatus = serde_json::from_str(&get(addr, "/api/analysis/status").await.1).unwrap();
    assert!(!st.scanning && st.last_scan_time.is_none());

    let (code, body) = call(addr, "POST", "/api/analysis/scan", "").await;
    assert_eq!(code, 200);
    let started: ScanStarted = serde_json::from_str(&body).unwrap();
    assert!(started.started && started.status.scanning);
    assert_eq!(started.status.total, 50);
    let again: ScanStarted =
        serde_json::from_str(&call(addr, "POST", "/api/analysis/scan", "").await.1).unwrap();
    assert!(!again.started);
    let st = scan_to_end(addr).await;
    assert_eq!((st.error, st.done, st.progress), (None, 50, 1.0));
    let fetched = historical_requests(&srv).await;
    assert!(fetched >= 50);

    let (code, body) = get(addr, "/api/analysis/results").await;
    assert_eq!(code, 200);
    let r: ScanResults = serde_json::from_str(&body).unwrap();
    assert_eq!(r.stocks.len(), 50);
    assert!(r.stocks.iter().all(|s| s.template.len() == 8));
    assert!(!r.scanned_at.is_empty());

    // Candles for the chart come from the cache: no more history is fetched.
    let (code, body) = get(addr, "/api/analysis/candles?symbol=INFY&days=120").await;
    assert_eq!(code, 200, "{body}");
    let candles: Vec<model::broker::Candle> = serde_json::from_str(&body).unwrap();
    assert_eq!(candles.len(), 120);
    assert!(candles
        .iter()
        .all(|c| c.low <= c.close && c.close <= c.high));
    let (code, body) = get(addr, "/api/analysis/candles?symbol=NOSUCHCO").await;
    assert_eq!((code, error_code(&body).as_str()), (400, "unknown_symbol"));
    let (code, body) = get(addr, "/api/analysis/candles?symbol=INFY&days=lots").await;
    assert_eq!((code, error_code(&body).as_str()), (400, "invalid_request"));
    let (code, body) = get(addr, "/api/analysis/candles").await;
    assert_eq!((code, error_code(&body).as_str()), (400, "missing_symbol"));

    // A second scan runs from the cache.
    assert!(
        serde_json::from_str::<ScanStarted>(&call(addr, "POST", "/api/analysis/scan", "").await.1)
            .unwrap()
            .started
    );
    assert_eq!(scan_to_end(addr).await.error, None);
    assert_eq!(historical_requests(&srv).await, fetched);
}
