//! The REST client against the sandbox over loopback: the login flow, orders, typed errors, rate
//! limits, retries of reads and the never-twice rule for placements.

use kite::rest::{KiteClient, KiteConfig, KiteError};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{
    ModifyParams, OrderParams, OrderStatus, OrderType, Product, TransactionType, Variety,
};
use model::Exchange;
use std::time::Duration;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox) -> KiteClient {
    let mut cfg = KiteConfig::new(sb.api_key()).with_root(sb.http_url());
    cfg.retry_base = Duration::from_millis(20);
    KiteClient::new(cfg).unwrap()
}

fn logged_in(sb: &Sandbox) -> KiteClient {
    let c = client(sb);
    c.set_access_token(Some(sb.mint_access_token()));
    c
}

fn raw_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn full_login_flow_form_redirect_checksum_profile() {
    let sb = sandbox().await;
    sb.set_redirect_url("http://127.0.0.1:9/kite/callback");
    let c = client(&sb);
    let url = c.login_url(Some("next=/orders"));
    assert!(url.starts_with(&format!("{}/connect/login?v=3&api_key=", sb.http_url())));

    // The login page is a form.
    let http = raw_http();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("name=\"user_id\""));

    // Submitting it redirects to the app with a request token and the redirect params.
    let resp = http
        .post(format!("{}/connect/login", sb.http_url()))
        .form(&[
            ("api_key", sb.api_key()),
            ("user_id", "ab1234"),
            ("password", "x"),
            ("redirect_params", "next=/orders"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(
        "http://127.0.0.1:9/kite/callback?action=login&type=login&status=success&request_token="
    ));
    assert!(location.ends_with("&next=/orders"));
    let request_token = location
        .split("request_token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();

    // A wrong secret fails the checksum: TokenException, and no session.
    let err = c
        .generate_session(&request_token, "wrong-secret")
        .await
        .unwrap_err();
    assert!(
        matches!(err, KiteError::Token { status: 403, .. }),
        "{err:?}"
    );
    assert!(!c.has_session());

    let session = c
        .generate_session(&request_token, &sb.api_secret())
        .await
        .unwrap();
    assert_eq!(session.user_id, "AB1234");
    assert!(c.has_session());
    assert!(
        !format!("{session:?}").contains(&session.access_token),
        "Debug must redact tokens"
    );
    let profile = c.profile().await.unwrap();
    assert_eq!(profile.user_id, "AB1234");
    assert!(profile.exchanges.iter().any(|e| e == "NFO"));

    // The request token is single use.
    let again = client(&sb)
        .generate_session(&request_token, &sb.api_secret())
        .await;
    assert!(matches!(again, Err(KiteError::Token { .. })));

    // Logout: the token stops working, and the client knows it has no session.
    assert!(c.invalidate_session().await.unwrap());
    assert!(matches!(c.profile().await, Err(KiteError::NotLoggedIn)));
}

#[tokio::test]
async fn expired_token_is_a_typed_session_error() {
    let sb = sandbox().await;
    let c = client(&sb);
    c.set_access_token(Some("expired".into()));
    assert!(c.has_session());
    let err = c.margins().await.unwrap_err();
    assert!(err.is_session_expired(), "{err:?}");
    assert!(err.to_string().contains("session expired, log in again"));
    assert!(
        !c.has_session(),
        "a TokenException marks the session invalid"
    );
}

fn limit_buy(symbol: &str, qty: u32, price: f64, tag: &str) -> OrderParams {
    OrderParams {
        price: Some(price),
        tag: Some(tag.into()),
        ..OrderParams::new(
            Exchange::Nse,
            symbol,
            TransactionType::Buy,
            OrderType::Limit,
            qty,
            Product::Cnc,
        )
    }
}

/// A buy price 10 % under the market, on the tick: it rests, yet stays inside the daily price band
/// (Kite refuses limits beyond the circuit limits).
async fn resting_price(c: &KiteClient, symbol: &str) -> f64 {
    let key = format!("NSE:{symbol}");
    let ltp = c.ltp(&[key.as_str()]).await.unwrap()[&key].last_price;
    (ltp * 0.9 * 20.0).round() / 20.0
}

#[tokio::test]
async fn place_modify_cancel_with_tag() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    // Well below the market, so it rests.
    let price = resting_price(&c, "INFY").await;
    let new_price = price + 1.5;
    let id = c
        .place_order(&limit_buy("INFY", 3, price, "skel1"))
        .await
        .unwrap();
    let orders = c.orders().await.unwrap();
    let o = orders
        .iter()
        .find(|o| o.order_id == id)
        .expect("order in the book");
    assert_eq!(o.tag.as_deref(), Some("skel1"));
    assert_eq!(o.tags, vec!["skel1".to_string()]);
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(
        (o.quantity, o.pending_quantity, o.filled_quantity),
        (3, 3, 0)
    );

    let modified = c
        .modify_order(
            Variety::Regular,
            &id,
            &ModifyParams {
                quantity: Some(5),
                price: Some(new_price),
                ..ModifyParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(modified, id);
    let history = c.order_history(&id).await.unwrap();
    let statuses: Vec<&str> = history.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(
        statuses,
        vec![
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "OPEN",
            "MODIFY VALIDATION PENDING",
            "MODIFY PENDING",
            "MODIFIED",
            "OPEN"
        ]
    );
    assert_eq!(history[0].tag.as_deref(), Some("skel1"));
    let last = history.last().unwrap();
    assert_eq!((last.quantity, last.price), (5, new_price));

    c.cancel_order(Variety::Regular, &id, None).await.unwrap();
    let last = c.order_history(&id).await.unwrap().pop().unwrap();
    assert_eq!(last.status, OrderStatus::Cancelled);
    assert_eq!((last.pending_quantity, last.cancelled_quantity), (0, 5));

    // A finished order cannot be cancelled again: OrderException.
    let err = c
        .cancel_order(Variety::Regular, &id, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, KiteError::Order { status: 400, .. }),
        "{err:?}"
    );
    // Unknown symbol: InputException with the broker's message.
    let err = c
        .place_order(&limit_buy("NOSUCHSTOCK", 1, 10.0, "skel2"))
        .await
        .unwrap_err();
    match err {
        KiteError::Input { message, .. } => assert!(message.contains("tradingsymbol")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn market_order_fills_into_positions_and_trades() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let params = OrderParams {
        tag: Some("mkt1".into()),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            Exchange::Nse,
            "RELIANCE",
            TransactionType::Buy,
            OrderType::Market,
            2,
            Product::Mis,
        )
    };
    let id = c.place_order(&params).await.unwrap();
    let o = c.order_history(&id).await.unwrap().pop().unwrap();
    assert_eq!(o.status, OrderStatus::Complete);
    assert!(o.average_price > 1000.0);
    let trades = c.order_trades(&id).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].quantity, 2);
    let pos = c.positions().await.unwrap();
    let p = pos
        .net
        .iter()
        .find(|p| p.tradingsymbol == "RELIANCE")
        .unwrap();
    assert_eq!(p.quantity, 2);
    assert!((p.buy_value - 2.0 * o.average_price).abs() < 1e-6);
    assert!((p.pnl - (p.value + 2.0 * p.last_price)).abs() < 1e-6);
    let m = c.margins().await.unwrap();
    let eq = m.equity.unwrap();
    assert!(eq.utilised.debits > 0.0 && eq.net < eq.available.opening_balance);
    let h = c.holdings().await.unwrap();
    assert!(h
        .iter()
        .any(|h| h.tradingsymbol == "INFY" && h.quantity > 0));
}

#[tokio::test]
async fn quotes_keyed_by_request_and_unknown_left_out() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let q = c
        .quote(&["NSE:INFY", "NSE:NIFTY 50", "NSE:NOPE"])
        .await
        .unwrap();
    assert_eq!(q.len(), 2);
    let infy = &q["NSE:INFY"];
    assert_eq!(infy.instrument_token.0, 408065);
    assert_eq!(infy.depth.buy.len(), 5);
    assert!(infy.depth.buy[0].price < infy.depth.sell[0].price);
    let ltp = c.ltp(&["BSE:SENSEX"]).await.unwrap();
    assert!(ltp["BSE:SENSEX"].last_price > 50_000.0);
    let ohlc = c.ohlc(&["NSE:TCS"]).await.unwrap();
    assert!(ohlc["NSE:TCS"].ohlc.close > 0.0);
}

#[tokio::test]
async fn a_429_burst_is_absorbed_for_reads() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let http = raw_http();
    http.post(format!(
        "{}/admin/rest/fail?count=2&status=429&classes=other",
        sb.http_url()
    ))
    .send()
    .await
    .unwrap();
    http.delete(format!("{}/admin/rest/requests", sb.http_url()))
        .send()
        .await
        .unwrap();
    let orders = c.orders().await.expect("the read survives two 429s");
    assert!(orders.is_empty());
    let log: serde_json::Value = http
        .get(format!("{}/admin/rest/requests", sb.http_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/orders")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![429, 429, 200]);
}

#[tokio::test]
async fn a_write_is_not_retried_on_429() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    raw_http()
        .post(format!(
            "{}/admin/rest/fail?count=1&status=429&classes=order_place",
            sb.http_url()
        ))
        .send()
        .await
        .unwrap();
    let err = c
        .place_order(&limit_buy("INFY", 1, 100.0, "no429"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, KiteError::Network { status: 429, .. }),
        "{err:?}"
    );
    assert!(c.orders().await.unwrap().is_empty(), "nothing was placed");
}

#[tokio::test]
async fn an_ambiguous_timeout_on_place_does_not_create_a_second_order() {
    let sb = sandbox().await;
    let mut cfg = KiteConfig::new(sb.api_key()).with_root(sb.http_url());
    cfg.timeout = Duration::from_millis(700);
    let c = KiteClient::new(cfg).unwrap();
    c.set_access_token(Some(sb.mint_access_token()));
    // The sandbox records the order, then holds the reply past the client's time-out.
    raw_http()
        .post(format!("{}/admin/rest/delay_place?ms=2000", sb.http_url()))
        .send()
        .await
        .unwrap();
    let price = resting_price(&c, "TCS").await;
    let id = c
        .place_order(&limit_buy("TCS", 1, price, "amb1"))
        .await
        .expect("the order is found by its tag");
    let tagged: Vec<_> = c
        .orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.tag.as_deref() == Some("amb1"))
        .collect();
    assert_eq!(tagged.len(), 1, "exactly one order");
    assert_eq!(tagged[0].order_id, id);
}

#[tokio::test]
async fn client_side_validation_refuses_bad_orders_before_sending() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let mut p = limit_buy("INFY", 0, 100.0, "bad1");
    assert!(matches!(
        c.place_order(&p).await,
        Err(KiteError::Invalid(_))
    ));
    p.quantity = 1;
    p.price = None;
    assert!(matches!(
        c.place_order(&p).await,
        Err(KiteError::Invalid(_))
    ));
    assert!(c.orders().await.unwrap().is_empty());
}

async fn request_log(sb: &Sandbox) -> Vec<serde_json::Value> {
    let v: serde_json::Value = raw_http()
        .get(format!("{}/admin/rest/requests", sb.http_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn historical_ranges_split_within_limits_at_three_per_second() {
    use chrono::Duration as Days;
    use model::broker::Interval;
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let to = kite::rest::instruments::ist_today()
        .and_hms_opt(15, 29, 0)
        .unwrap();
    let from = to - Days::days(400);
    raw_http()
        .delete(format!("{}/admin/rest/requests", sb.http_url()))
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let candles = c
        .historical(
            model::InstrumentToken(408065),
            Interval::Minute,
            from,
            to,
            false,
            false,
        )
        .await
        .unwrap();
    let log: Vec<_> = request_log(&sb)
        .await
        .into_iter()
        .filter(|r| r["class"] == "historical")
        .collect();
    // 400 days in 60-day pieces: 7 requests, none refused by the sandbox's 3/s limit.
    assert_eq!(log.len(), 7, "{log:?}");
    assert!(log.iter().all(|r| r["status"] == 200), "{log:?}");
    let times: Vec<u64> = log.iter().map(|r| r["at_ms"].as_u64().unwrap()).collect();
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|u| **u < t + 1000).count();
        assert!(
            in_window <= 3,
            "more than 3 historical requests within 1 s: {times:?}"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "7 requests at 3/s take over a second"
    );
    // Minute candles over trading days only, strictly increasing, the last one today.
    assert!(candles.len() > 200 * 300, "{} candles", candles.len());
    assert!(candles.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
    assert!(candles
        .iter()
        .all(|k| k.low <= k.open.min(k.close) && k.high >= k.open.max(k.close)));

    // Day candles: 3 years in one request.
    let days = c
        .historical(
            model::InstrumentToken(408065),
            Interval::Day,
            to - Days::days(3 * 365),
            to,
            false,
            false,
        )
        .await
        .unwrap();
    assert!(days.len() > 700, "{} daily candles", days.len());
    // A range too long for one request is refused by the sandbox with Kite's error when sent raw
    // (after a pause, so the sandbox's own 3/s limit does not answer first).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let raw = raw_http()
        .get(format!(
            "{}/instruments/historical/408065/minute?from=2024-01-01&to=2024-06-01",
            sb.http_url()
        ))
        .header(
            "Authorization",
            format!("token {}:{}", sb.api_key(), sb.mint_access_token()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error_type"], "InputException");
}

#[tokio::test]
async fn instrument_dump_parses_and_is_cached_for_the_day() {
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let dir = std::env::temp_dir().join(format!("kite-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let all = c.instruments(None, Some(&dir)).await.unwrap();
    assert!(all.len() > 1000, "{} instruments", all.len());
    assert!(all
        .iter()
        .any(|i| i.tradingsymbol == "INFY" && i.exchange == Exchange::Nse));
    assert!(all
        .iter()
        .any(|i| i.exchange == Exchange::Nfo && i.segment == "NFO-OPT"));
    assert!(all.iter().any(|i| i.exchange == Exchange::Bfo));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    // Second call: from disk, no request.
    raw_http()
        .delete(format!("{}/admin/rest/requests", sb.http_url()))
        .send()
        .await
        .unwrap();
    let again = c.instruments(None, Some(&dir)).await.unwrap();
    assert_eq!(again.len(), all.len());
    assert!(request_log(&sb).await.is_empty(), "served from the cache");
    let nse = c.instruments(Some(Exchange::Nse), None).await.unwrap();
    assert!(nse.iter().all(|i| i.exchange == Exchange::Nse));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn gtt_lifecycle_and_triggering() {
    use model::broker::{GttConditionParams, GttOrderParams, GttParams, GttStatus, GttType};
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let ltp = c.ltp(&["NSE:INFY"]).await.unwrap()["NSE:INFY"].last_price;
    let leg = |side: TransactionType, price: f64| GttOrderParams {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        transaction_type: side,
        quantity: 1,
        order_type: OrderType::Limit,
        product: Product::Cnc,
        price,
    };
    // Far from the market: stays active.
    let far = GttParams {
        gtt_type: GttType::Single,
        condition: GttConditionParams {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".into(),
            trigger_values: vec![(ltp * 2.0).round()],
            last_price: ltp,
        },
        orders: vec![leg(TransactionType::Sell, (ltp * 2.0).round())],
    };
    let id = c.place_gtt(&far).await.unwrap();
    let g = c.gtt(id).await.unwrap();
    assert_eq!(
        (g.status.clone(), g.gtt_type),
        (GttStatus::Active, GttType::Single)
    );
    assert_eq!(g.condition.instrument_token.0, 408065);
    assert!(g.orders[0].result.is_none());
    let mut modified = far.clone();
    modified.condition.trigger_values = vec![(ltp * 3.0).round()];
    assert_eq!(c.modify_gtt(id, &modified).await.unwrap(), id);
    assert_eq!(
        c.gtt(id).await.unwrap().condition.trigger_values,
        vec![(ltp * 3.0).round()]
    );
    assert_eq!(c.delete_gtt(id).await.unwrap(), id);
    assert_eq!(c.gtt(id).await.unwrap().status, GttStatus::Deleted);

    // An OCO one tick either side of the market fires on the next move and places its order (a sell
    // limit 5 % under the market: marketable, and inside the daily price band).
    let exit = (ltp * 0.95 * 20.0).round() / 20.0;
    let oco = GttParams {
        gtt_type: GttType::TwoLeg,
        condition: GttConditionParams {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".into(),
            trigger_values: vec![ltp - 0.05, ltp + 0.05],
            last_price: ltp,
        },
        orders: vec![
            leg(TransactionType::Sell, exit),
            leg(TransactionType::Sell, exit),
        ],
    };
    let id = c.place_gtt(&oco).await.unwrap();
    let fired = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let g = c.gtt(id).await.unwrap();
            if g.status == GttStatus::Triggered {
                return g;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    })
    .await
    .expect("the OCO fires");
    let result = fired
        .orders
        .iter()
        .find_map(|o| o.result.clone())
        .expect("the fired leg records its result");
    assert_eq!(result.order_result.status, "success");
    let orders = c.orders().await.unwrap();
    assert!(orders
        .iter()
        .any(|o| o.order_id.0 == result.order_result.order_id));
    assert_eq!(c.gtts().await.unwrap().len(), 2);
}

#[tokio::test]
async fn calculators_conversion_and_summaries() {
    use model::broker::{ChargesOrder, ConvertPositionParams, MarginOrder, OrderId, PositionType};
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let item = |product| MarginOrder {
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        transaction_type: TransactionType::Buy,
        variety: Variety::Regular,
        product,
        order_type: OrderType::Limit,
        quantity: 10,
        price: Some(1500.0),
        trigger_price: None,
    };
    let m = c
        .order_margins(&[item(Product::Cnc), item(Product::Mis)], false)
        .await
        .unwrap();
    assert_eq!(m.len(), 2);
    assert!((m[0].total - 15_000.0).abs() < 1e-6);
    assert!((m[1].total - 3_000.0).abs() < 1e-6, "MIS blocks a fifth");
    assert!(m[0].charges.total > 0.0);
    let basket = c
        .basket_margins(&[item(Product::Cnc), item(Product::Mis)], true, false)
        .await
        .unwrap();
    assert!((basket.initial.total - 18_000.0).abs() < 1e-6);
    assert_eq!(basket.orders.len(), 2);
    let notes = c
        .order_charges(&[ChargesOrder {
            order_id: OrderId("1".into()),
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".into(),
            transaction_type: TransactionType::Buy,
            variety: Variety::Regular,
            product: Product::Cnc,
            order_type: OrderType::Market,
            quantity: 100,
            average_price: 1000.0,
        }])
        .await
        .unwrap();
    // ₹1,00,000 delivery buy: STT 100 + exchange 2.97 + SEBI 0.10 + stamp 15 + GST 0.55.
    assert!((notes[0].charges.total - 118.62).abs() < 1e-9);

    // An intraday buy converted to delivery.
    let params = OrderParams {
        tag: Some("conv1".into()),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            Exchange::Nse,
            "SBIN",
            TransactionType::Buy,
            OrderType::Market,
            4,
            Product::Mis,
        )
    };
    c.place_order(&params).await.unwrap();
    assert!(c
        .convert_position(&ConvertPositionParams {
            exchange: Exchange::Nse,
            tradingsymbol: "SBIN".into(),
            transaction_type: TransactionType::Buy,
            position_type: PositionType::Day,
            quantity: 4,
            old_product: Product::Mis,
            new_product: Product::Cnc,
        })
        .await
        .unwrap());
    let pos = c.positions().await.unwrap();
    let sbin: Vec<_> = pos
        .net
        .iter()
        .filter(|p| p.tradingsymbol == "SBIN")
        .collect();
    assert_eq!(sbin.len(), 1);
    assert_eq!((sbin[0].product, sbin[0].quantity), (Product::Cnc, 4));

    let full = c.full_profile().await.unwrap();
    assert_eq!(full.user_id, "DEMO01");
    let summary = c.holdings_summary().await.unwrap();
    assert!(summary.invested_amount > 0.0 && summary.current_value > 0.0);
}

#[tokio::test]
async fn options_quote_stream_and_trade_in_lots() {
    use kite::{Credentials, TickerClient, TickerConfig, TickerEvent};
    use model::Mode;
    let sb = sandbox().await;
    let c = logged_in(&sb);
    let nfo = c.instruments(Some(Exchange::Nfo), None).await.unwrap();
    let nifty = c.ltp(&["NSE:NIFTY 50"]).await.unwrap()["NSE:NIFTY 50"].last_price;
    // The nearest-expiry call closest to the money.
    let expiry = nfo.iter().filter_map(|i| i.expiry).min().unwrap();
    let call = nfo
        .iter()
        .filter(|i| {
            i.expiry == Some(expiry) && i.tradingsymbol.ends_with("CE") && i.name == "NIFTY"
        })
        .min_by(|a, b| {
            (a.strike - nifty)
                .abs()
                .total_cmp(&(b.strike - nifty).abs())
        })
        .unwrap()
        .clone();
    let key = format!("NFO:{}", call.tradingsymbol);
    let q = c.quote(&[key.as_str()]).await.unwrap();
    let quote = &q[&key];
    assert!(quote.last_price > 0.0 && quote.oi > 0.0, "{quote:?}");

    // Streams in full mode with open interest.
    let mut cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: sb.mint_access_token(),
        },
    );
    cfg.read_timeout = Duration::from_secs(3);
    let (h, mut rx) = TickerClient::spawn(cfg);
    h.subscribe(&[call.instrument_token], Mode::Full);
    let tick = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(TickerEvent::Ticks(ts)) = rx.recv().await {
                if let Some(t) = ts.into_iter().find(|t| t.mode == Mode::Full) {
                    return t;
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(tick.oi > 0 && tick.tradable && tick.depth.is_some());
    h.shutdown();

    // Orders must be whole lots.
    let order = |qty| OrderParams {
        tag: Some("opt1".into()),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            Exchange::Nfo,
            call.tradingsymbol.clone(),
            TransactionType::Buy,
            OrderType::Market,
            qty,
            Product::Nrml,
        )
    };
    let err = c.place_order(&order(call.lot_size + 1)).await.unwrap_err();
    assert!(matches!(err, KiteError::Input { .. }), "{err:?}");
    let id = c.place_order(&order(call.lot_size * 2)).await.unwrap();
    let done = c.order_history(&id).await.unwrap().pop().unwrap();
    assert_eq!(done.status, OrderStatus::Complete);
    assert_eq!(done.filled_quantity, call.lot_size * 2);
}
