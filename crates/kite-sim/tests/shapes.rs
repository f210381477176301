//! Key by key, every REST reply of the sandbox against Kite's official mock of the same endpoint.
//!
//! Official clients (Python, Go, JS) index replies by key and by JSON type, so a missing key or a
//! string where Kite sends a number breaks them even when our own typed client copes. The test drives a
//! real sandbox over loopback the way a client would (login flow, a filled order, an open one, a GTT),
//! fetches the raw JSON and checks that every key of the mock exists with the same JSON type, reporting
//! every mismatch with its JSON path at once.

use kite_sim::{Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn mocks_dir() -> PathBuf {
    let dir = std::env::var_os("KITE_MOCKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kite/mocks")
        });
    assert!(
        dir.is_dir(),
        "../shared/kite/mocks must sit beside the checkout (or set KITE_MOCKS)"
    );
    dir
}

fn mock(name: &str) -> String {
    let path = mocks_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The JSON shape a mock promises: types only, never values.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// `null` in the mock: Kite sends several types here, anything goes.
    Any,
    Bool,
    /// Integers and floats alike: the mocks write whole prices as integers.
    Number,
    String,
    /// A list whose elements all have one shape (`None`: the mock's list is empty).
    List(Option<Box<Shape>>),
    /// A positional record such as a candle `[time, open, high, low, close, volume(, oi)]`.
    Tuple(Vec<Shape>),
    Object(BTreeMap<String, Field>),
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    shape: Shape,
    /// In every element of the mock's list: keys only some elements have (an auction number, tags)
    /// are checked for type when present but not required.
    required: bool,
}

impl Shape {
    fn of(v: &Value) -> Shape {
        match v {
            Value::Null => Shape::Any,
            Value::Bool(_) => Shape::Bool,
            Value::Number(_) => Shape::Number,
            Value::String(_) => Shape::String,
            Value::Object(m) => Shape::Object(
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Field {
                                shape: Shape::of(v),
                                required: true,
                            },
                        )
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                let shapes: Vec<Shape> = items.iter().map(Shape::of).collect();
                let scalar_kinds: BTreeSet<&str> = shapes
                    .iter()
                    .filter_map(|s| match s {
                        Shape::Bool => Some("bool"),
                        Shape::Number => Some("number"),
                        Shape::String => Some("string"),
                        _ => None,
                    })
                    .collect();
                if scalar_kinds.len() > 1 {
                    Shape::Tuple(shapes)
                } else {
                    Shape::List(shapes.into_iter().reduce(Shape::merge).map(Box::new))
                }
            }
        }
    }

    /// One shape that two samples of the same place both satisfy.
    fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (Shape::Any, _) | (_, Shape::Any) => Shape::Any,
            (Shape::List(a), Shape::List(b)) => Shape::List(match (a, b) {
                (Some(a), Some(b)) => Some(Box::new(a.merge(*b))),
                (a, b) => a.or(b),
            }),
            (Shape::Tuple(a), Shape::Tuple(b)) if a.len() == b.len() => {
                Shape::Tuple(a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect())
            }
            (Shape::Object(mut a), Shape::Object(mut b)) => {
                let keys: BTreeSet<String> = a.keys().chain(b.keys()).cloned().collect();
                Shape::Object(
                    keys.into_iter()
                        .filter_map(|k| {
                            let f = match (a.remove(&k), b.remove(&k)) {
                                (Some(fa), Some(fb)) => Field {
                                    required: fa.required && fb.required,
                                    shape: fa.shape.merge(fb.shape),
                                },
                                (Some(f), None) | (None, Some(f)) => Field {
                                    required: false,
                                    ..f
                                },
                                (None, None) => return None,
                            };
                            Some((k, f))
                        })
                        .collect(),
                )
            }
            (a, b) if a == b => a,
            // Two different non-null types for one key: the mock itself allows both.
            _ => Shape::Any,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Shape::Any => "anything",
            Shape::Bool => "bool",
            Shape::Number => "number",
            Shape::String => "string",
            Shape::List(_) | Shape::Tuple(_) => "array",
            Shape::Object(_) => "object",
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What a comparison found: wrong or missing keys, and lists that were empty so nothing in them was
/// checked.
#[derive(Default)]
struct Report {
    mismatches: Vec<String>,
    empty: Vec<String>,
}

/// Adds to `report` every way `actual` departs from `shape`; a `null` under a key in `nullable` is
/// accepted.
fn compare(
    shape: &Shape,
    actual: &Value,
    path: &str,
    nullable: &BTreeSet<String>,
    report: &mut Report,
) {
    let wrong = |report: &mut Report| {
        report.mismatches.push(format!(
            "{path}: expected {}, got {} ({})",
            shape.name(),
            type_name(actual),
            truncate(actual)
        ))
    };
    match (shape, actual) {
        (Shape::Any, _) => {}
        (Shape::Bool, Value::Bool(_))
        | (Shape::Number, Value::Number(_))
        | (Shape::String, Value::String(_)) => {}
        (Shape::List(element), Value::Array(items)) => {
            let Some(element) = element else { return };
            if items.is_empty() {
                report.empty.push(path.to_string());
            }
            for (i, item) in items.iter().enumerate() {
                compare(element, item, &format!("{path}[{i}]"), nullable, report);
            }
        }
        (Shape::Tuple(fields), Value::Array(items)) => {
            if fields.len() != items.len() {
                report.mismatches.push(format!(
                    "{path}: expected {} positions, got {}",
                    fields.len(),
                    items.len()
                ));
            }
            for (i, (f, item)) in fields.iter().zip(items).enumerate() {
                compare(f, item, &format!("{path}[{i}]"), nullable, report);
            }
        }
        (Shape::Object(fields), Value::Object(map)) => {
            for (key, field) in fields {
                let p = format!("{path}.{key}");
                match map.get(key) {
                    Some(Value::Null) if nullable.contains(key) => {}
                    Some(v) => compare(&field.shape, v, &p, nullable, report),
                    None if field.required => report.mismatches.push(format!("{p}: missing")),
                    None => {}
                }
            }
        }
        _ => wrong(report),
    }
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(57).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// A request as an official client sends it.
enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

/// One row of the mock → endpoint table.
struct Case {
    mock: &'static str,
    method: Method,
    path: String,
    body: Body,
    /// JSON paths whose list may be empty in the sandbox (it runs no auctions).
    may_be_empty: &'static [&'static str],
}

fn case(mock: &'static str, method: Method, path: impl Into<String>, body: Body) -> Case {
    Case {
        mock,
        method,
        path: path.into(),
        body,
        may_be_empty: &[],
    }
}

struct Client {
    http: reqwest::Client,
    root: String,
    auth: String,
}

impl Client {
    /// Kite's per-second limits apply to the sandbox too: a 429 is waited out, as a polite client
    /// would, so the shapes are what gets tested. Refused requests count against the window (as at
    /// Kite), so the wait is a whole window.
    async fn send(&self, method: Method, path: &str, body: &Body) -> (u16, String) {
        for _ in 0..10 {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.root))
                .header("X-Kite-Version", "3")
                .header("Authorization", &self.auth);
            req = match body {
                Body::None => req,
                Body::Form(f) => req.form(f),
                Body::Json(v) => req.json(v),
            };
            let resp = req.send().await.expect("request");
            let status = resp.status().as_u16();
            let text = resp.text().await.expect("body");
            if status != 429 {
                return (status, text);
            }
            tokio::time::sleep(Duration::from_millis(1_050)).await;
        }
        panic!("{method} {path}: still rate-limited after 10 s");
    }

    async fn json(&self, method: Method, path: &str, body: &Body) -> Value {
        let (status, text) = self.send(method.clone(), path, body).await;
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
    }
}

fn order_form(
    symbol: &str,
    side: &str,
    order_type: &str,
    product: &str,
    price: Option<f64>,
) -> Body {
    let mut f = vec![
        ("exchange", "NSE".to_string()),
        ("tradingsymbol", symbol.to_string()),
        ("transaction_type", side.to_string()),
        ("order_type", order_type.to_string()),
        ("quantity", "1".to_string()),
        ("product", product.to_string()),
        ("validity", "DAY".to_string()),
    ];
    if let Some(p) = price {
        f.push(("price", format!("{p:.2}")));
    }
    Body::Form(f)
}

/// The browser leg of the login: the form post, the redirect's request token; then the raw
/// `POST /session/token` reply, which is itself checked against `generate_session.json`.
async fn login(sb: &Sandbox, http: &reqwest::Client) -> Value {
    sb.set_redirect_url("http://127.0.0.1:9/callback");
    let resp = http
        .post(format!("{}/connect/login", sb.http_url()))
        .form(&[
            ("api_key", sb.api_key()),
            ("user_id", kite_sim::auth::DEMO_USER),
            ("password", "sandbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302, "login form");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let request_token = location
        .split("request_token=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("request_token in the redirect")
        .to_string();
    let checksum = kite_sim::auth::checksum(sb.api_key(), &request_token, &sb.api_secret());
    let resp = http
        .post(format!("{}/session/token", sb.http_url()))
        .header("X-Kite-Version", "3")
        .form(&[
            ("api_key", sb.api_key().to_string()),
            ("request_token", request_token),
            ("checksum", checksum),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// Keys that are `null` somewhere in the official mocks: Kite sends `null` for them (an avatar,
/// an unset tag), so a `null` there matches whatever type another mock shows.
fn nullable_keys() -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if x.is_null() {
                        out.insert(k.clone());
                    }
                    walk(x, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(mocks_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                walk(&v, &mut out);
            }
        }
    }
    out
}

/// Compares `actual` with the mock's shape and adds every difference to `failures`.
fn check(
    failures: &mut Vec<String>,
    mock_name: &str,
    what: &str,
    actual: &Value,
    may_be_empty: &[&str],
) {
    let expected: Value = serde_json::from_str(&mock(mock_name)).unwrap();
    let mut report = Report::default();
    compare(
        &Shape::of(&expected),
        actual,
        "$",
        &nullable_keys(),
        &mut report,
    );
    for m in report.mismatches {
        failures.push(format!("{mock_name} vs {what}: {m}"));
    }
    for e in report.empty {
        if !may_be_empty.contains(&e.as_str()) {
            failures.push(format!(
                "{mock_name} vs {what}: {e}: empty list, nothing in it was checked"
            ));
        }
    }
}

fn data_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("data.{key} in {v}"))
}

#[tokio::test]
async fn every_reply_has_the_mocks_keys_and_types() {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut failures: Vec<String> = Vec::new();
    let session = login(&sb, &http).await;
    check(
        &mut failures,
        "generate_session.json",
        "POST /session/token",
        &session,
        &[],
    );
    let client = Client {
        http: http.clone(),
        root: sb.http_url(),
        auth: format!(
            "token {}:{}",
            sb.api_key(),
            data_str(&session, "access_token")
        ),
    };

    // The ticker carries order updates in the postback's shape (`postback.json`).
    let (mut ticker, _) = tokio_tungstenite::connect_async(format!(
        "{}/?api_key={}&access_token={}",
        sb.ws_url(),
        sb.api_key(),
        data_str(&session, "access_token")
    ))
    .await
    .expect("ticker connects");

    // A market buy that fills (orders, trades, positions, holdings non-empty) and an intraday one.
    let placed = client
        .json(
            Method::POST,
            "/orders/regular",
            &order_form("INFY", "BUY", "MARKET", "CNC", None),
        )
        .await;
    check(
        &mut failures,
        "order_response.json",
        "POST /orders/regular",
        &placed,
        &[],
    );
    let filled_id = data_str(&placed, "order_id").to_string();
    let mis = client
        .json(
            Method::POST,
            "/orders/regular",
            &order_form("RELIANCE", "BUY", "MARKET", "MIS", None),
        )
        .await;
    let mis_id = data_str(&mis, "order_id").to_string();
    for id in [&filled_id, &mis_id] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let h = client
                .json(Method::GET, &format!("/orders/{id}"), &Body::None)
                .await;
            let last = h["data"].as_array().and_then(|a| a.last()).cloned();
            if last.as_ref().and_then(|o| o["status"].as_str()) == Some("COMPLETE") {
                break;
            }
            assert!(Instant::now() < deadline, "order {id} did not fill: {h}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let update = tokio::time::timeout(Duration::from_secs(10), async {
        use futures_util::StreamExt;
        while let Some(Ok(msg)) = ticker.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).expect("ticker text is JSON");
                if v["type"] == "order"
                    && v["data"]["order_id"] == filled_id.as_str()
                    && v["data"]["status"] == "COMPLETE"
                {
                    return v["data"].clone();
                }
            }
        }
        panic!("the ticker closed before the order update");
    })
    .await
    .expect("an order update on the ticker within 10 s");
    check(
        &mut failures,
        "postback.json",
        "ticker order update",
        &update,
        &[],
    );
    drop(ticker);

    // An open order far below the market, to modify and cancel.
    let infy = client
        .json(Method::GET, "/quote/ltp?i=NSE:INFY", &Body::None)
        .await["data"]["NSE:INFY"]["last_price"]
        .as_f64()
        .expect("INFY last price");
    let low = (infy * 0.95 * 20.0).round() / 20.0;
    let open = client
        .json(
            Method::POST,
            "/orders/regular",
            &order_form("INFY", "BUY", "LIMIT", "CNC", Some(low)),
        )
        .await;
    let open_id = data_str(&open, "order_id").to_string();

    // A GTT on INFY.
    let gtt_condition = json!({"exchange": "NSE", "tradingsymbol": "INFY",
        "trigger_values": [low], "last_price": infy});
    let gtt_orders = json!([{"exchange": "NSE", "tradingsymbol": "INFY", "transaction_type": "BUY",
        "quantity": 1, "order_type": "LIMIT", "product": "CNC", "price": low}]);
    let gtt_form = |values: &Value| {
        Body::Form(vec![
            ("type", "single".to_string()),
            ("condition", {
                let mut c = gtt_condition.clone();
                c["trigger_values"] = values.clone();
                c.to_string()
            }),
            ("orders", gtt_orders.to_string()),
        ])
    };
    let gtt = client
        .json(Method::POST, "/gtt/triggers", &gtt_form(&json!([low])))
        .await;
    check(
        &mut failures,
        "gtt_place_order.json",
        "POST /gtt/triggers",
        &gtt,
        &[],
    );
    let gtt_id = gtt["data"]["trigger_id"]
        .as_u64()
        .expect("numeric trigger_id");

    // Historical data: a cash stock by the minute and a NIFTY future with open interest.
    let nfo = http
        .get(format!("{}/instruments/NFO", sb.http_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let future_token = nfo
        .lines()
        .find(|l| {
            l.contains(",FUT,") && l.split(',').nth(2).is_some_and(|s| s.starts_with("NIFTY"))
        })
        .and_then(|l| l.split(',').next())
        .expect("a NIFTY future in /instruments/NFO")
        .to_string();
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(7);
    let range = format!("from={from}+09:15:00&to={today}+15:30:00");
    let market_margin = json!([{"exchange": "NSE", "tradingsymbol": "INFY",
        "transaction_type": "BUY", "variety": "regular", "product": "CNC", "order_type": "MARKET",
        "quantity": 1, "price": 0, "trigger_price": 0}]);
    let contract_note = json!([{"order_id": filled_id, "exchange": "NSE", "tradingsymbol": "INFY",
        "transaction_type": "BUY", "variety": "regular", "product": "CNC", "order_type": "MARKET",
        "quantity": 1, "average_price": infy}]);

    // Mock file → endpoint. Reads first, then the changes (modify, cancel, delete, logout).
    let table = vec![
        case("profile.json", Method::GET, "/user/profile", Body::None),
        case(
            "full_profile.json",
            Method::GET,
            "/user/profile/full",
            Body::None,
        ),
        case("margins.json", Method::GET, "/user/margins", Body::None),
        case(
            "margins_equity.json",
            Method::GET,
            "/user/margins/equity",
            Body::None,
        ),
        case(
            "margin_commodity.json",
            Method::GET,
            "/user/margins/commodity",
            Body::None,
        ),
        case("orders.json", Method::GET, "/orders", Body::None),
        case(
            "order_info.json",
            Method::GET,
            format!("/orders/{filled_id}"),
            Body::None,
        ),
        case(
            "order_trades.json",
            Method::GET,
            format!("/orders/{filled_id}/trades"),
            Body::None,
        ),
        case("trades.json", Method::GET, "/trades", Body::None),
        case(
            "positions.json",
            Method::GET,
            "/portfolio/positions",
            Body::None,
        ),
        case(
            "holdings.json",
            Method::GET,
            "/portfolio/holdings",
            Body::None,
        ),
        case(
            "holdings_summary.json",
            Method::GET,
            "/portfolio/holdings/summary",
            Body::None,
        ),
        Case {
            may_be_empty: &["$.data"],
            ..case(
                "auctions_list.json",
                Method::GET,
                "/portfolio/holdings/auctions",
                Body::None,
            )
        },
        case("quote.json", Method::GET, "/quote?i=NSE:INFY", Body::None),
        case(
            "ohlc.json",
            Method::GET,
            "/quote/ohlc?i=NSE:INFY",
            Body::None,
        ),
        case("ltp.json", Method::GET, "/quote/ltp?i=NSE:INFY", Body::None),
        case(
            "historical_minute.json",
            Method::GET,
            format!("/instruments/historical/408065/minute?{range}"),
            Body::None,
        ),
        case(
            "historical_oi.json",
            Method::GET,
            format!("/instruments/historical/{future_token}/minute?{range}&oi=1"),
            Body::None,
        ),
        case(
            "gtt_get_orders.json",
            Method::GET,
            "/gtt/triggers",
            Body::None,
        ),
        case(
            "gtt_get_order.json",
            Method::GET,
            format!("/gtt/triggers/{gtt_id}"),
            Body::None,
        ),
        case(
            "order_margins.json",
            Method::POST,
            "/margins/orders",
            Body::Json(market_margin.clone()),
        ),
        case(
            "basket_margins.json",
            Method::POST,
            "/margins/basket",
            Body::Json(market_margin),
        ),
        case(
            "virtual_contract_note.json",
            Method::POST,
            "/charges/orders",
            Body::Json(contract_note),
        ),
        case(
            "convert_position.json",
            Method::PUT,
            "/portfolio/positions",
            Body::Form(vec![
                ("exchange", "NSE".into()),
                ("tradingsymbol", "RELIANCE".into()),
                ("transaction_type", "BUY".into()),
                ("position_type", "day".into()),
                ("quantity", "1".into()),
                ("old_product", "MIS".into()),
                ("new_product", "CNC".into()),
            ]),
        ),
        case(
            "order_modify.json",
            Method::PUT,
            format!("/orders/regular/{open_id}"),
            Body::Form(vec![
                ("price", format!("{:.2}", low - 1.0)),
                ("quantity", "2".into()),
            ]),
        ),
        case(
            "order_cancel.json",
            Method::DELETE,
            format!("/orders/regular/{open_id}"),
            Body::None,
        ),
        case(
            "gtt_modify_order.json",
            Method::PUT,
            format!("/gtt/triggers/{gtt_id}"),
            gtt_form(&json!([low - 1.0])),
        ),
        case(
            "gtt_delete_order.json",
            Method::DELETE,
            format!("/gtt/triggers/{gtt_id}"),
            Body::None,
        ),
    ];
    for c in &table {
        let what = format!("{} {}", c.method, c.path);
        let (status, text) = client.send(c.method.clone(), &c.path, &c.body).await;
        if status != 200 {
            failures.push(format!("{} vs {what}: HTTP {status}: {text}", c.mock));
            continue;
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(actual) => check(&mut failures, c.mock, &what, &actual, c.may_be_empty),
            Err(e) => failures.push(format!("{} vs {what}: not JSON ({e}): {text}", c.mock)),
        }
    }

    // The list routes must not have been empty (otherwise the element checks above checked nothing).
    let orders = client.json(Method::GET, "/orders", &Body::None).await;
    assert!(orders["data"].as_array().is_some_and(|a| a.len() >= 3));

    // Logout last: the session ends.
    let token = data_str(&session, "access_token");
    let logout = client
        .json(
            Method::DELETE,
            &format!(
                "/session/token?api_key={}&access_token={token}",
                sb.api_key()
            ),
            &Body::None,
        )
        .await;
    check(
        &mut failures,
        "session_logout.json",
        "DELETE /session/token",
        &logout,
        &[],
    );

    // The instrument dumps: the mock's header, CRLF line ends.
    for (mock_name, path) in [
        ("instruments_all.csv", "/instruments"),
        ("instruments_nse.csv", "/instruments/NSE"),
    ] {
        let text = mock(mock_name);
        let expected_header = text.split("\r\n").next().unwrap();
        let body = http
            .get(format!("{}{path}", sb.http_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let header = body.split("\r\n").next().unwrap_or("");
        if header != expected_header {
            failures.push(format!(
                "{mock_name} vs GET {path}: header {header:?}, expected {expected_header:?}"
            ));
        }
        if body.lines().count() < 2 || !body.contains("\r\n") {
            failures.push(format!("{mock_name} vs GET {path}: no CRLF rows"));
        }
    }

    assert!(
        failures.is_empty(),
        "{} mismatches against the official mocks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The comparison itself: it must catch each kind of difference, or the test above proves nothing.
#[test]
fn shape_comparison_catches_every_kind_of_difference() {
    let mock = json!({"data": {
        "a": 1, "b": "x", "c": null, "d": [{"e": 1.5, "t": 1}, {"e": 2, "extra": "y"}],
        "candles": [["2024-01-01T09:15:00+0530", 1, 2, 0.5, 1.5, 100]],
        "f": true, "g": {"h": [1, 2]}
    }});
    let shape = Shape::of(&mock);
    let nullable: BTreeSet<String> = ["b".to_string()].into();
    let run = |actual: Value| {
        let mut r = Report::default();
        compare(&shape, &actual, "$", &nullable, &mut r);
        r
    };
    let good = json!({"data": {
        "a": 2.5, "b": null, "c": {"anything": 1}, "d": [{"e": 3, "t": 2.0, "extra": "z"}],
        "candles": [["2024-01-02T09:15:00+0530", 1.5, 2, 1, 1, 7]],
        "f": false, "g": {"h": []}, "unknown": 1
    }});
    let r = run(good);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    assert_eq!(r.empty, vec!["$.data.g.h".to_string()]);

    let bad = json!({"data": {
        "a": "1", "c": null, "d": [{"e": "3", "extra": 1}],
        "candles": [["2024-01-02T09:15:00+0530", "1.5", 2, 1, 1]],
        "f": 1, "g": {"h": [true]}
    }});
    let r = run(bad);
    let want = [
        "$.data.a: expected number, got string",
        "$.data.b: missing",
        "$.data.d[0].e: expected number, got string",
        "$.data.d[0].extra: expected string, got number",
        "$.data.candles[0]: expected 6 positions, got 5",
        "$.data.candles[0][1]: expected number, got string",
        "$.data.f: expected bool, got number",
        "$.data.g.h[0]: expected number, got bool",
    ];
    for w in want {
        assert!(
            r.mismatches.iter().any(|m| m.starts_with(w)),
            "{w} not reported in {:?}",
            r.mismatches
        );
    }
    assert_eq!(r.mismatches.len(), want.len(), "{:?}", r.mismatches);

    // `null` passes only under keys the mocks show as nullable.
    let mut with_null = json!({"data": {"a": null}});
    with_null["data"] = serde_json::Value::Object(
        run(json!({"data": {}}))
            .mismatches
            .iter()
            .filter_map(|m| m.strip_prefix("$.data.")?.split(':').next())
            .filter(|k| !k.contains('.'))
            .map(|k| (k.to_string(), Value::Null))
            .collect(),
    );
    let r = run(with_null);
    assert!(
        r.mismatches
            .iter()
            .any(|m| m.starts_with("$.data.a: expected number, got null")),
        "{:?}",
        r.mismatches
    );
    assert!(!r.mismatches.iter().any(|m| m.starts_with("$.data.b")));
}
