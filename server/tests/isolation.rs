//! Two traders on one server (issue #5): DEMO01 and TRADER2, each logged in by code and with their own
//! Kite session (TRADER2 connects through the sandbox's login page with their own app). Every API
//! route and both sockets are checked: anonymous and tampered cookies get 401, and one user's cookie
//! never returns or changes the other's orders, positions, strategies, journal, risk settings or kill
//! switch. Every log line of the run is captured and searched for the secrets involved.

mod support;

use futures_util::StreamExt;
use model::options::OiMessage;
use model::LiveMessage;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{Reply, Srv};
use tokio_tungstenite::tungstenite::Message;

const B: &str = "TRADER2";
const B_EMAIL: &str = "trader2@example.com";
const B_KEY: &str = "trader2_app";
const B_SECRET: &str = "trader2-app-secret-x9Qv7L";

/// Every log line of this test process (all levels), as text.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        // Everything at TRACE, through the server's own filter (its caps on chatty dependencies).
        tracing_subscriber::fmt()
            .with_env_filter(server::telemetry::filter("trace"))
            .with_ansi(false)
            .without_time()
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every `(method, path)` the server routes, with a concrete path to call. The test below checks
/// that this table covers every `.route(` in `server/src/routes`, so a new route cannot skip it.
const ROUTES: &[(&str, &str, &str)] = &[
    // (method, route as registered, path to call)
    ("GET", "/api/status", "/api/status"),
    ("GET", "/api/ticks", "/api/ticks"),
    ("GET", "/api/instruments", "/api/instruments"),
    ("GET", "/api/alerts", "/api/alerts"),
    ("GET", "/api/alerts/email", "/api/alerts/email"),
    ("POST", "/api/alerts/email", "/api/alerts/email"),
    ("GET", "/api/profile", "/api/profile"),
    ("GET", "/api/margins", "/api/margins"),
    ("GET", "/api/orders", "/api/orders"),
    (
        "GET",
        "/api/orders/{order_id}/history",
        "/api/orders/1/history",
    ),
    (
        "GET",
        "/api/orders/{order_id}/trades",
        "/api/orders/1/trades",
    ),
    ("GET", "/api/trades", "/api/trades"),
    ("GET", "/api/positions", "/api/positions"),
    ("GET", "/api/holdings", "/api/holdings"),
    ("GET", "/api/kite/session", "/api/kite/session"),
    ("GET", "KITE_LOGIN_PATH", "/kite/login"),
    (
        "GET",
        "/kite/callback",
        "/kite/callback?request_token=x&status=success",
    ),
    (
        "GET",
        "/api/options/chain",
        "/api/options/chain?underlying=NIFTY",
    ),
    ("POST", "/api/oi/start", "/api/oi/start"),
    ("GET", "/api/oi/summary", "/api/oi/summary?underlying=NIFTY"),
    ("GET", "/api/oi/all", "/api/oi/all"),
    ("GET", "/api/analysis/status", "/api/analysis/status"),
    ("POST", "/api/analysis/scan", "/api/analysis/scan"),
    ("GET", "/api/analysis/results", "/api/analysis/results"),
    (
        "GET",
        "/api/analysis/candles",
        "/api/analysis/candles?symbol=INFY",
    ),
    ("GET", "/api/strategies", "/api/strategies"),
    ("GET", "/api/strategies/kinds", "/api/strategies/kinds"),
    ("POST", "/api/strategies/add", "/api/strategies/add"),
    ("POST", "/api/strategies/remove", "/api/strategies/remove"),
    ("POST", "/api/strategies/toggle", "/api/strategies/toggle"),
    ("GET", "/api/live/status", "/api/live/status"),
    ("POST", "/api/live/start", "/api/live/start"),
    ("POST", "/api/live/stop", "/api/live/stop"),
    ("GET", "/api/signals", "/api/signals"),
    ("GET", "/api/risk", "/api/risk"),
    ("POST", "/api/risk/limits", "/api/risk/limits"),
    ("POST", "/api/risk/kill-switch", "/api/risk/kill-switch"),
    ("GET", "/api/journal", "/api/journal"),
    (
        "GET",
        "/api/journal/export.csv",
        "/api/journal/export.csv?what=orders",
    ),
    ("GET", "/api/trading/positions", "/api/trading/positions"),
    ("POST", "/api/backtest", "/api/backtest"),
    ("GET", "/api/backtest", "/api/backtest"),
    ("GET", "/ws/live", "/ws/live"),
    ("GET", "/ws/oi", "/ws/oi"),
    // Public by design.
    ("GET", "/api/health", "/api/health"),
    ("GET", "/metrics", "/metrics"),
];

const PUBLIC: &[&str] = &["/api/health", "/metrics"];

#[test]
fn the_route_table_covers_every_registered_route() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut registered = BTreeSet::new();
    for file in ["routes", "."].iter().flat_map(|d| {
        std::fs::read_dir(dir.join(d))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect::<Vec<_>>()
    }) {
        let text = std::fs::read_to_string(&file).unwrap();
        for part in text.split(".route(").skip(1) {
            let arg = part.trim_start();
            let route = match arg.strip_prefix('"') {
                Some(rest) => rest.split('"').next().unwrap().to_string(),
                None => arg.split(',').next().unwrap().trim().to_string(),
            };
            registered.insert(route);
        }
    }
    // The JSON 404 of unknown /api paths is not a route of its own.
    registered.remove("/api/{*rest}");
    let table: BTreeSet<String> = ROUTES.iter().map(|r| r.1.to_string()).collect();
    let missing: Vec<_> = registered.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the isolation table: {missing:?}"
    );
    assert!(registered.len() >= 40, "{registered:?}");
}

fn ok(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Flips one character in the cookie's value: still well-formed, no longer authentic.
fn tampered(cookie: &str) -> String {
    let (name, value) = cookie.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    format!("{name}={}", String::from_utf8(bytes).unwrap())
}

async fn place(srv: &Srv, user: &str, symbol: &str, qty: u32) -> String {
    let sb = srv.run.sandbox.as_ref().unwrap().http_url();
    let r = reqwest::Client::new()
        .post(format!("{sb}/admin/accounts/{user}/orders/regular"))
        .form(&[
            ("exchange", "NSE"),
            ("tradingsymbol", symbol),
            ("transaction_type", "BUY"),
            ("order_type", "MARKET"),
            ("quantity", &qty.to_string()),
            ("product", "MIS"),
            ("tag", "isolation"),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["data"]["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

fn symbols(positions: &Value) -> BTreeSet<String> {
    positions["net"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["tradingsymbol"].as_str().unwrap().to_string())
        .collect()
}

/// Live messages of one user's socket for `window`, answering pings.
async fn live_for(srv: &Srv, cookie: &str, window: Duration) -> Vec<LiveMessage> {
    let mut ws = srv.ws("/ws/live", Some(cookie)).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(window, async {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                out.push(serde_json::from_str::<LiveMessage>(t.as_str()).unwrap());
            }
        }
    })
    .await;
    out
}

fn is_trading_event(m: &LiveMessage) -> bool {
    matches!(
        m,
        LiveMessage::Order { .. }
            | LiveMessage::Position { .. }
            | LiveMessage::Signal { .. }
            | LiveMessage::KillSwitch { .. }
            | LiveMessage::Alert { .. }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_cookie_never_reaches_another_users_data() {
    logs();
    let srv = support::start("isolation", &[]).await;
    srv.add_user(B, B_EMAIL, B_KEY, B_SECRET).await;
    let a = srv.login_demo().await;
    let b = srv.login(B, B_EMAIL).await;
    assert_ne!(a, b);

    // B has no Kite session until they connect it, through the sandbox login page with their own app.
    assert_eq!(
        ok(&srv.get("/api/kite/session", &b).await)["connected"],
        false
    );
    let r = srv.get("/api/profile", &b).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("kite_session_expired"))
    );
    srv.connect_kite(&b, B).await;
    assert_eq!(
        ok(&srv.get("/api/kite/session", &b).await)["connected"],
        true
    );
    assert_eq!(ok(&srv.get("/api/profile", &b).await)["user_id"], B);
    assert_eq!(
        ok(&srv.get("/api/profile", &a).await)["user_id"],
        support::DEMO
    );

    // Anonymous and tampered cookies: 401 JSON everywhere but the public routes; sockets refused.
    let bad = tampered(&a);
    for (method, _, path) in ROUTES {
        if PUBLIC.contains(path) {
            assert_eq!(srv.call(method, path, "", None).await.status, 200, "{path}");
            continue;
        }
        if path.starts_with("/ws/") {
            for c in [None, Some(bad.as_str())] {
                let Err(err) = srv.ws(path, c).await else {
                    panic!("{path} accepted with {c:?}");
                };
                let code = match err {
                    tokio_tungstenite::tungstenite::Error::Http(r) => r.status().as_u16(),
                    other => panic!("{path}: {other}"),
                };
                assert_eq!(code, 401, "{path} with {c:?}");
            }
            continue;
        }
        for c in [None, Some(bad.as_str())] {
            let r = srv.call(method, path, "{}", c).await;
            assert_eq!(r.status, 401, "{method} {path} with {c:?}: {}", r.body);
            assert!(r.json()["code"].is_string(), "{path}: {}", r.body);
        }
    }
    // Pages send an anonymous visitor to the login page, remembering where they were going.
    let r = srv.call("GET", "/orders?x=1", "", None).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/login?next=%2Forders%3Fx%3D1")
    );

    // Each user's own data.
    let a_order = place(&srv, support::DEMO, "RELIANCE", 3).await;
    let b_order = place(&srv, B, "ITC", 7).await;
    let a_strategy = ok(&srv
        .call(
            "POST",
            "/api/strategies/add",
            &json!({"kind": "ema_crossover", "instrument": "NSE:INFY"}).to_string(),
            Some(&a),
        )
        .await);
    let a_id = a_strategy["id"].clone();
    let mut limits = ok(&srv.get("/api/risk", &a).await)["limits"].clone();
    limits["max_open_positions"] = json!(2);
    ok(&srv
        .call("POST", "/api/risk/limits", &limits.to_string(), Some(&a))
        .await);

    // Reads: B sees only B.
    let orders_of = |v: Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_str().unwrap().to_string())
            .collect()
    };
    let a_orders = orders_of(ok(&srv.get("/api/orders", &a).await));
    let b_orders = orders_of(ok(&srv.get("/api/orders", &b).await));
    assert!(a_orders.contains(&a_order) && !a_orders.contains(&b_order));
    assert!(b_orders.contains(&b_order) && !b_orders.contains(&a_order));
    assert_eq!(
        srv.get(&format!("/api/orders/{a_order}/history"), &b)
            .await
            .status,
        400,
        "another user's order id is unknown to B's broker session"
    );
    assert_eq!(
        symbols(&ok(&srv.get("/api/positions", &a).await)),
        BTreeSet::from(["RELIANCE".to_string()])
    );
    assert_eq!(
        symbols(&ok(&srv.get("/api/positions", &b).await)),
        BTreeSet::from(["ITC".to_string()])
    );
    let trades_b = ok(&srv.get("/api/trades", &b).await);
    assert!(trades_b
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["order_id"] != a_order.as_str()));
    assert_eq!(ok(&srv.get("/api/strategies", &b).await), json!([]));
    assert_eq!(
        ok(&srv.get("/api/strategies", &a).await)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let b_risk = ok(&srv.get("/api/risk", &b).await);
    assert_ne!(b_risk["limits"]["max_open_positions"], 2);
    for path in [
        "/api/signals",
        "/api/journal",
        "/api/journal/export.csv?what=orders",
        "/api/trading/positions",
    ] {
        let body = srv.get(path, &b).await.body;
        assert!(
            !body.contains(&a_order) && !body.contains("RELIANCE"),
            "{path}: {body}"
        );
    }

    // Writes: B cannot change A's strategy, limits or kill switch.
    let r = srv
        .call(
            "POST",
            "/api/strategies/toggle",
            &json!({"id": a_id, "enabled": true}).to_string(),
            Some(&b),
        )
        .await;
    assert_ne!(r.status, 200, "B toggled A's strategy: {}", r.body);
    let r = srv
        .call(
            "POST",
            "/api/strategies/remove",
            &json!({"id": a_id}).to_string(),
            Some(&b),
        )
        .await;
    assert_ne!(r.status, 200, "B removed A's strategy: {}", r.body);
    let a_rows = ok(&srv.get("/api/strategies", &a).await);
    assert_eq!(a_rows.as_array().unwrap().len(), 1);
    assert_eq!(a_rows[0]["config"]["enabled"], a_strategy["enabled"]);
    let mut b_limits = b_risk["limits"].clone();
    b_limits["max_open_positions"] = json!(9);
    ok(&srv
        .call("POST", "/api/risk/limits", &b_limits.to_string(), Some(&b))
        .await);
    assert_eq!(
        ok(&srv.get("/api/risk", &a).await)["limits"]["max_open_positions"],
        2
    );

    // Sockets: B's /ws/live carries nothing of A's kill switch; A's does.
    let (a_msgs, b_msgs, fired) = {
        let a_watch = live_for(&srv, &a, Duration::from_secs(4));
        let b_watch = live_for(&srv, &b, Duration::from_secs(4));
        let fire = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            srv.call(
                "POST",
                "/api/risk/kill-switch",
                r#"{"action":"fire","reason":"isolation"}"#,
                Some(&a),
            )
            .await
        };
        tokio::join!(a_watch, b_watch, fire)
    };
    assert_eq!(fired.status, 200, "{}", fired.body);
    assert!(
        a_msgs
            .iter()
            .any(|m| matches!(m, LiveMessage::KillSwitch { .. })),
        "{a_msgs:?}"
    );
    assert!(
        b_msgs.iter().any(|m| matches!(m, LiveMessage::Tick { .. })),
        "B's socket is live"
    );
    assert!(!b_msgs.iter().any(is_trading_event), "{b_msgs:?}");
    assert_eq!(
        ok(&srv.get("/api/risk", &b).await)["kill_switch"]["active"],
        false
    );
    assert_eq!(
        ok(&srv.get("/api/risk", &a).await)["kill_switch"]["active"],
        true
    );
    // A's kill switch flattened A's account only.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        symbols(&ok(&srv.get("/api/positions", &b).await)),
        BTreeSet::from(["ITC".to_string()])
    );

    // /ws/oi: A tracks NIFTY; B's socket still says nothing is tracked.
    ok(&srv
        .call(
            "POST",
            "/api/oi/start",
            r#"{"underlyings":["NIFTY"]}"#,
            Some(&a),
        )
        .await);
    let mut b_oi = srv.ws("/ws/oi", Some(&b)).await.unwrap();
    let first = loop {
        if let Some(Ok(Message::Text(t))) = b_oi.next().await {
            break serde_json::from_str::<OiMessage>(t.as_str()).unwrap();
        }
    };
    assert_eq!(
        first,
        OiMessage::Tracking {
            underlyings: vec![]
        }
    );
    assert_eq!(ok(&srv.get("/api/oi/all", &b).await), json!([]));

    // Logout ends the session on the server: the old cookie is refused afterwards.
    ok(&srv.call("POST", "/auth/logout", "", Some(&b)).await);
    assert_eq!(srv.get("/api/status", &b).await.status, 401);
    assert_eq!(srv.get("/api/status", &a).await.status, 200);

    // No secret of the run in any log line: app secrets, access tokens, session ids, the keys.
    let registry = {
        let db = engine::Db::open(&srv.dir.join("kite-agent.db"))
            .await
            .unwrap();
        let (key, _) = engine::users::SecretKey::load_or_create(&srv.dir).unwrap();
        engine::users::UserRegistry::new(db, key)
    };
    use engine::users::ExposeSecret;
    let b_token = registry
        .access_token(B)
        .await
        .unwrap()
        .expect("B's token stored");
    let a_token = registry
        .access_token(support::DEMO)
        .await
        .unwrap()
        .expect("demo token");
    let sandbox_secret = srv.run.sandbox.as_ref().unwrap().api_secret();
    let key_file = std::fs::read_to_string(srv.dir.join(engine::users::KEY_FILE)).unwrap();
    let mut secrets = vec![
        B_SECRET.to_string(),
        sandbox_secret,
        b_token.token.expose_secret().to_string(),
        a_token.token.expose_secret().to_string(),
        key_file.trim().to_string(),
    ];
    for c in [&a, &b] {
        secrets.push(c.split_once('=').unwrap().1.to_string());
    }
    let text = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(
        text.contains("Kite session established"),
        "the capture works"
    );
    assert!(text.lines().count() > 50);
    for s in &secrets {
        assert!(s.len() >= 8, "a real secret: {s}");
        if let Some(line) = text.lines().find(|l| l.contains(s.as_str())) {
            panic!("a secret reached the log: {line}");
        }
    }
}
