//! Orders against the visible depth, through the real client over loopback: a large order walks the
//! book level by level, a LIMIT stops at its price and rests, an IOC's remainder is cancelled, stops
//! trigger when the last price crosses them, and every fill and status change reaches the ticker.

mod exchange_support;

use exchange_support::*;
use model::broker::{OrderStatus, OrderType, Product, TransactionType, Validity};
use model::Exchange;

// A low-priced stock: an order walking three levels of its book always fits the opening funds
// (RELIANCE at ~₹1,530 could need more than ₹10 lakh of MIS margin when the book is deep).
const SYMBOL: &str = "ITC";
const KEY: &str = "NSE:ITC";

#[tokio::test]
async fn market_order_walks_the_asks_at_each_levels_price() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let q = quote(&c, KEY).await;
    let asks = &q.depth.sell;
    let (a0, a1) = (asks[0].quantity as u32, asks[1].quantity as u32);
    let want = a0 + a1 + 7;
    let id = c
        .place_order(&market(SYMBOL, TransactionType::Buy, want, Product::Mis))
        .await
        .unwrap();

    let trades = c.order_trades(&id).await.unwrap();
    let got: Vec<(u32, f64)> = trades
        .iter()
        .map(|t| (t.quantity, t.average_price))
        .collect();
    assert_eq!(
        got,
        vec![(a0, asks[0].price), (a1, asks[1].price), (7, asks[2].price)]
    );
    let ids: std::collections::BTreeSet<_> = trades.iter().map(|t| t.trade_id.clone()).collect();
    assert_eq!(ids.len(), 3, "each fill is its own trade");

    let done = last_state(&c, &id).await;
    assert_eq!(done.status, OrderStatus::Complete);
    assert_eq!((done.filled_quantity, done.pending_quantity), (want, 0));
    let vwap =
        (a0 as f64 * asks[0].price + a1 as f64 * asks[1].price + 7.0 * asks[2].price) / want as f64;
    assert!(
        (done.average_price - vwap).abs() < 0.006,
        "{} vs {vwap}",
        done.average_price
    );

    // The history shows every state: the book's path to OPEN, one OPEN row per partial fill, COMPLETE.
    let history = c.order_history(&id).await.unwrap();
    let rows: Vec<(&str, u32)> = history
        .iter()
        .map(|o| (o.status.as_str(), o.filled_quantity))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("PUT ORDER REQ RECEIVED", 0),
            ("VALIDATION PENDING", 0),
            ("OPEN PENDING", 0),
            ("OPEN", 0),
            ("OPEN", a0),
            ("OPEN", a0 + a1),
            ("COMPLETE", want),
        ]
    );
    // One update per fill: UPDATE for the partial ones, then COMPLETE.
    let posted = updates.until(&id, "COMPLETE").await;
    let seen: Vec<(&str, u32, u32)> = posted
        .iter()
        .map(|p| {
            (
                p.order.status.as_str(),
                p.order.filled_quantity,
                p.unfilled_quantity,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("UPDATE", a0, a1 + 7),
            ("UPDATE", a0 + a1, 7),
            ("COMPLETE", want, 0),
        ]
    );
}

#[tokio::test]
async fn market_order_larger_than_the_book_keeps_filling_on_later_steps() {
    // A cheap stock, so five levels of it stay within the account's intraday margin.
    let sb = frozen().await;
    let c = logged_in(&sb);
    let q = quote(&c, "NSE:ITC").await;
    let bids = &q.depth.buy;
    let visible: u32 = bids.iter().map(|l| l.quantity as u32).sum();
    let want = visible + 5;
    let id = c
        .place_order(&market("ITC", TransactionType::Sell, want, Product::Mis))
        .await
        .unwrap();
    let o = last_state(&c, &id).await;
    assert_eq!(
        o.status,
        OrderStatus::Open,
        "a partly filled MARKET order stays open"
    );
    assert_eq!((o.filled_quantity, o.pending_quantity), (visible, 5));
    let prices: Vec<f64> = c
        .order_trades(&id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.average_price)
        .collect();
    assert_eq!(prices, bids.iter().map(|l| l.price).collect::<Vec<_>>());

    sb.step_market().await;
    let o = last_state(&c, &id).await;
    assert_eq!(o.status, OrderStatus::Complete);
    assert_eq!(o.filled_quantity, want);
    assert_eq!(c.order_trades(&id).await.unwrap().len(), 6);
}

#[tokio::test]
async fn limit_fills_up_to_its_price_rests_then_fills_when_crossed() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let q = quote(&c, KEY).await;
    let asks = &q.depth.sell;
    let (a0, a1) = (asks[0].quantity as u32, asks[1].quantity as u32);
    let price = asks[1].price;
    let want = a0 + a1 + 10;
    let id = c
        .place_order(&limit(SYMBOL, TransactionType::Buy, want, price))
        .await
        .unwrap();
    let o = last_state(&c, &id).await;
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!((o.filled_quantity, o.pending_quantity), (a0 + a1, 10));
    assert_eq!(c.order_trades(&id).await.unwrap().len(), 2);

    // The market gaps up: the rest still waits, never filled above its limit.
    assert!(sb.jump_price(SYMBOL, 2.0).await);
    assert_eq!(last_state(&c, &id).await.pending_quantity, 10);
    // Then down through the limit: the rest fills against the new asks, at or under the limit.
    assert!(sb.jump_price(SYMBOL, -4.0).await);
    assert_eq!(last_state(&c, &id).await.status, OrderStatus::Complete);
    let trades = c.order_trades(&id).await.unwrap();
    assert!(trades.len() >= 3);
    assert!(
        trades.iter().all(|t| t.average_price <= price + 1e-9),
        "{trades:?}"
    );
    assert_eq!(trades.iter().map(|t| t.quantity).sum::<u32>(), want);
    let posted = updates.until(&id, "COMPLETE").await;
    assert!(posted[..posted.len() - 1]
        .iter()
        .all(|p| p.order.status == OrderStatus::Update));
}

#[tokio::test]
async fn ioc_remainder_is_cancelled() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let q = quote(&c, KEY).await;
    let bids = &q.depth.buy;
    let b0 = bids[0].quantity as u32;
    let params = model::broker::OrderParams {
        validity: Some(Validity::Ioc),
        ..limit(SYMBOL, TransactionType::Sell, b0 + 25, bids[0].price)
    };
    let id = c.place_order(&params).await.unwrap();
    let o = last_state(&c, &id).await;
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(
        (o.filled_quantity, o.pending_quantity, o.cancelled_quantity),
        (b0, 0, 25)
    );
    assert_eq!(o.average_price, bids[0].price);
    let posted = updates.until(&id, "CANCELLED").await;
    let seen: Vec<&str> = posted.iter().map(|p| p.order.status.as_str()).collect();
    assert_eq!(seen, vec!["UPDATE", "CANCELLED"]);

    // An IOC that cannot trade at all is cancelled whole.
    let params = model::broker::OrderParams {
        validity: Some(Validity::Ioc),
        ..limit(SYMBOL, TransactionType::Buy, 5, tick(q.last_price * 0.95))
    };
    let id = c.place_order(&params).await.unwrap();
    let o = last_state(&c, &id).await;
    assert_eq!(
        (o.status, o.filled_quantity, o.cancelled_quantity),
        (OrderStatus::Cancelled, 0, 5)
    );
}

#[tokio::test]
async fn stop_orders_trigger_when_the_last_price_crosses() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let ltp = quote(&c, KEY).await.last_price;
    // A buy stop two ticks above and a sell stop two ticks below: whichever way the market goes, one
    // of them triggers.
    let up = tick(ltp + 0.10);
    let down = tick(ltp - 0.10);
    let stop = |side, trigger: f64, order_type| model::broker::OrderParams {
        trigger_price: Some(trigger),
        price: (order_type == OrderType::Sl).then_some(trigger),
        market_protection: Some(-1.0),
        ..model::broker::OrderParams::new(Exchange::Nse, SYMBOL, side, order_type, 3, Product::Mis)
    };
    let buy = c
        .place_order(&stop(TransactionType::Buy, up, OrderType::SlM))
        .await
        .unwrap();
    let sell = c
        .place_order(&stop(TransactionType::Sell, down, OrderType::Sl))
        .await
        .unwrap();
    for id in [&buy, &sell] {
        assert_eq!(last_state(&c, id).await.status, OrderStatus::TriggerPending);
    }
    let mut steps = 0;
    let fired = loop {
        sb.step_market().await;
        steps += 1;
        assert!(steps < 2_000, "no stop triggered");
        let b = last_state(&c, &buy).await;
        let s = last_state(&c, &sell).await;
        if b.status != OrderStatus::TriggerPending {
            break (buy.clone(), up, TransactionType::Buy);
        }
        if s.status != OrderStatus::TriggerPending {
            break (sell.clone(), down, TransactionType::Sell);
        }
    };
    let (id, trigger, side) = fired;
    let history = c.order_history(&id).await.unwrap();
    let statuses: Vec<&str> = history.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(
        &statuses[..5],
        &[
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "TRIGGER PENDING",
            "OPEN"
        ]
    );
    let posted = updates.until(&id, "OPEN").await;
    assert_eq!(
        posted[0].order.status,
        OrderStatus::Open,
        "the trigger is posted"
    );
    // Once triggered it trades like its kind: SL-M at market, SL at its limit or better.
    for t in c.order_trades(&id).await.unwrap() {
        match side {
            TransactionType::Sell => assert!(t.average_price >= trigger - 1e-9),
            TransactionType::Buy => assert!(t.average_price >= trigger - 0.05 - 1e-9),
        }
    }
}

#[tokio::test]
async fn admin_jump_gaps_a_stock_and_refuses_what_is_not_one() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let before = quote(&c, KEY).await.last_price;
    let http = reqwest::Client::new();
    let jump = |body: serde_json::Value| {
        http.post(format!("{}/admin/market/jump", sb.http_url()))
            .json(&body)
            .send()
    };
    let r = jump(serde_json::json!({"instrument": KEY, "percent": -3.0}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = quote(&c, KEY).await.last_price;
    assert!((after / before - 0.97).abs() < 0.002, "{before} → {after}");
    for bad in [
        serde_json::json!({"instrument": "NSE:NIFTY 50", "percent": 1.0}),
        serde_json::json!({"instrument": "NSE:NOSUCH", "percent": 1.0}),
        serde_json::json!({"instrument": KEY, "percent": -100.0}),
    ] {
        let r = jump(bad.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error_type"], "InputException");
    }
}
