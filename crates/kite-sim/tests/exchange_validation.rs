//! Kite's synchronous refusals, each with its `error_type`, and the funds check that rejects an accepted
//! order. Through the real client where it sends the order, raw HTTP where the client itself refuses.

mod exchange_support;

use exchange_support::*;
use kite::KiteError;
use model::broker::{OrderParams, OrderStatus, OrderType, Product, TransactionType, Variety};
use model::Exchange;

fn input_message(err: KiteError) -> String {
    match err {
        KiteError::Input {
            status: 400,
            message,
        } => message,
        other => panic!("expected InputException, got {other:?}"),
    }
}

/// The nearest NIFTY future's symbol and lot size, from the instrument dump.
async fn nifty_future(c: &kite::KiteClient) -> (String, u32) {
    let nfo = c.instruments(Some(Exchange::Nfo), None).await.unwrap();
    let fut = nfo
        .iter()
        .filter(|i| i.name == "NIFTY" && i.tradingsymbol.ends_with("FUT"))
        .min_by_key(|i| i.expiry)
        .unwrap();
    (fut.tradingsymbol.clone(), fut.lot_size)
}

fn fut_order(symbol: &str, qty: u32, price: f64, product: Product) -> OrderParams {
    OrderParams {
        price: Some(price),
        ..OrderParams::new(
            Exchange::Nfo,
            symbol,
            TransactionType::Buy,
            OrderType::Limit,
            qty,
            product,
        )
    }
}

#[tokio::test]
async fn exchange_rules_on_price_quantity_and_product() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let q = quote(&c, "NSE:INFY").await;
    let ltp = q.last_price;

    // Tick size.
    let m = input_message(
        c.place_order(&limit("INFY", TransactionType::Buy, 1, tick(ltp) + 0.03))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("Tick size for this script is 0.05"), "{m}");

    // Price band: the quote's circuit limits are the limits orders meet.
    let upper = q.upper_circuit_limit;
    let lower = q.lower_circuit_limit;
    assert!(upper > ltp && lower < ltp && lower > 0.0);
    let m = input_message(
        c.place_order(&limit("INFY", TransactionType::Buy, 1, upper + 0.05))
            .await
            .unwrap_err(),
    );
    assert!(
        m.contains(&format!("upper circuit limit of {upper:.2}")),
        "{m}"
    );
    let m = input_message(
        c.place_order(&limit("INFY", TransactionType::Sell, 1, lower - 0.05))
            .await
            .unwrap_err(),
    );
    assert!(
        m.contains(&format!("lower circuit limit of {lower:.2}")),
        "{m}"
    );
    // At the limit itself the order is accepted (and rests, far from the market).
    let id = c
        .place_order(&limit("INFY", TransactionType::Buy, 1, lower))
        .await
        .unwrap();
    assert_eq!(last_state(&c, &id).await.status, OrderStatus::Open);

    // Product per segment: NRML is for derivatives, CNC for cash.
    let mut nrml = limit("INFY", TransactionType::Buy, 1, tick(ltp));
    nrml.product = Product::Nrml;
    let m = input_message(c.place_order(&nrml).await.unwrap_err());
    assert!(m.contains("NRML"), "{m}");

    let (fut, lot) = nifty_future(&c).await;
    let fq = quote(&c, &format!("NFO:{fut}")).await;
    let px = tick(fq.last_price);
    let m = input_message(
        c.place_order(&fut_order(&fut, lot, px, Product::Cnc))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("CNC"), "{m}");

    // Lot size and freeze quantity (NIFTY: 1800 units).
    let m = input_message(
        c.place_order(&fut_order(&fut, lot + 1, px, Product::Nrml))
            .await
            .unwrap_err(),
    );
    assert!(m.contains(&format!("lot size {lot}")), "{m}");
    let over = (1800 / lot + 1) * lot;
    let m = input_message(
        c.place_order(&fut_order(&fut, over, px, Product::Nrml))
            .await
            .unwrap_err(),
    );
    assert!(
        m.contains(&format!("order quantity {over} ({} lots)", over / lot))
            && m.contains(&format!("maximum quantity of 1800 ({} lots)", 1800 / lot)),
        "{m}"
    );

    // Unknown instrument; indices are not tradable.
    let m = input_message(
        c.place_order(&limit("NOSUCH", TransactionType::Buy, 1, 10.0))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("tradingsymbol"), "{m}");
    let m = input_message(
        c.place_order(&limit("NIFTY 50", TransactionType::Buy, 1, 10.0))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("Indices"), "{m}");

    // Stops on the wrong side of the market would trigger at once.
    let bad_stop = OrderParams {
        trigger_price: Some(tick(ltp * 0.9)),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            Exchange::Nse,
            "INFY",
            TransactionType::Buy,
            OrderType::SlM,
            1,
            Product::Mis,
        )
    };
    let m = input_message(c.place_order(&bad_stop).await.unwrap_err());
    assert!(m.contains("stoploss buy"), "{m}");

    // Auction orders are refused with Kite's error type.
    let auction = OrderParams {
        variety: Variety::Auction,
        auction_number: Some("22".into()),
        ..limit("INFY", TransactionType::Sell, 1, tick(ltp))
    };
    let m = input_message(c.place_order(&auction).await.unwrap_err());
    assert!(m.contains("Auction"), "{m}");
}

#[tokio::test]
async fn malformed_quantities_are_input_errors_at_the_sandbox_too() {
    let sb = frozen().await;
    let token = sb.mint_access_token();
    let base = [
        ("exchange", "NSE"),
        ("tradingsymbol", "INFY"),
        ("transaction_type", "BUY"),
        ("order_type", "MARKET"),
        ("product", "MIS"),
        ("market_protection", "-1"),
    ];
    for qty in ["0", "-5", "2.5"] {
        let mut form = base.to_vec();
        form.push(("quantity", qty));
        let (status, body) = post_form(&sb, "/orders/regular", Some(&token), &form).await;
        assert_eq!(status, 400, "{qty}: {body}");
        assert_eq!(body["error_type"], "InputException", "{qty}: {body}");
        assert!(body["data"].is_null());
    }
    // Iceberg legs outside 2..=10.
    let mut form = base.to_vec();
    form.extend([
        ("quantity", "100"),
        ("order_type", "LIMIT"),
        ("price", "1000"),
        ("iceberg_legs", "11"),
        ("iceberg_quantity", "10"),
    ]);
    let (status, body) = post_form(&sb, "/orders/iceberg", Some(&token), &form).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (400, Some("InputException")),
        "{body}"
    );
}

#[tokio::test]
async fn insufficient_funds_rejects_the_accepted_order_with_kites_message() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let ltp = quote(&c, "NSE:MARUTI").await.last_price;
    let available = c.margins().await.unwrap().equity.unwrap().net;
    // Enough delivery shares to cost more than the whole account.
    let qty = (available / ltp) as u32 + 10;
    let id = c
        .place_order(&OrderParams {
            price: Some(tick(ltp)),
            ..OrderParams::new(
                Exchange::Nse,
                "MARUTI",
                TransactionType::Buy,
                OrderType::Limit,
                qty,
                Product::Cnc,
            )
        })
        .await
        .expect("funds are checked after acceptance, as at Kite");
    let o = last_state(&c, &id).await;
    assert_eq!(o.status, OrderStatus::Rejected);
    let msg = o.status_message.clone().unwrap();
    let need = tick(ltp) * qty as f64;
    assert!(
        msg.starts_with(&format!(
            "Insufficient funds. Required margin is {need:.2} but available margin is {available:.2}."
        )),
        "{msg}"
    );
    assert!(o
        .status_message_raw
        .unwrap()
        .starts_with("RMS:Margin Exceeds"));
    let posted = updates.until(&id, "REJECTED").await;
    assert_eq!(posted.len(), 1);
    // Nothing was blocked by the rejected order.
    assert!((c.margins().await.unwrap().equity.unwrap().net - available).abs() < 1e-6);
}

#[tokio::test]
async fn closed_market_refuses_regular_orders_but_takes_amo() {
    // Saturday 28 Nov 2026, 11:00 IST, with the exchange's hours enforced.
    let sb = frozen_with(kite_sim::SandboxConfig {
        clock: kite_sim::clock::ClockConfig {
            speed: 1.0,
            start: Some(1_795_843_800),
            stay_open: false,
        },
        ..Default::default()
    })
    .await;
    let c = logged_in(&sb);
    let ltp = quote(&c, "NSE:INFY").await.last_price;
    let m = input_message(
        c.place_order(&limit("INFY", TransactionType::Buy, 1, tick(ltp)))
            .await
            .unwrap_err(),
    );
    assert!(m.contains("Markets are closed"), "{m}");
    let amo = OrderParams {
        variety: Variety::Amo,
        ..limit("INFY", TransactionType::Buy, 1, tick(ltp))
    };
    let id = c.place_order(&amo).await.unwrap();
    assert_eq!(
        last_state(&c, &id).await.status,
        OrderStatus::AmoReqReceived
    );
    // The switch lets regular orders through again.
    sb.set_clock(None, Some(true), None);
    c.place_order(&limit("INFY", TransactionType::Buy, 1, tick(ltp)))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_clock_is_set_and_read_over_admin() {
    let sb = frozen().await;
    let http = reqwest::Client::new();
    let set = |body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{}/admin/clock", sb.http_url());
        async move {
            let r = http.post(url).json(&body).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    // Saturday evening in IST, hours enforced: closed, and regular orders are refused.
    let (status, body) = set(serde_json::json!({
        "speed": 60.0, "stay_open": false, "set_time": "2026-11-28 20:00:00"
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert!(
        d["now"].as_str().unwrap().starts_with("2026-11-28 20:0"),
        "{d}"
    );
    assert_eq!(
        (d["speed"].as_f64(), d["stay_open"].as_bool()),
        (Some(60.0), Some(false))
    );
    assert_eq!(
        (d["market_open"].as_bool(), d["accepting_regular"].as_bool()),
        (Some(false), Some(false))
    );
    let c = logged_in(&sb);
    assert!(c
        .place_order(&market("ITC", TransactionType::Buy, 1, Product::Mis))
        .await
        .is_err());
    // Unix seconds work too: Monday 30 Nov 2026 10:00 IST is in session.
    let (_, body) = set(serde_json::json!({ "set_time": 1_796_013_000 })).await;
    assert_eq!(body["data"]["market_open"], true);
    let now = sb.clock_now();
    assert!((1_796_013_000..1_796_013_000 + 120).contains(&now), "{now}");
    c.place_order(&market("ITC", TransactionType::Buy, 1, Product::Mis))
        .await
        .unwrap();
    let got: serde_json::Value = http
        .get(format!("{}/admin/clock", sb.http_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["data"]["speed"], 60.0);
    for bad in [
        serde_json::json!({ "speed": 0 }),
        serde_json::json!({ "set_time": "tomorrow" }),
    ] {
        let (status, body) = set(bad).await;
        assert_eq!(
            (status, body["error_type"].as_str()),
            (400, Some("InputException"))
        );
    }
}
