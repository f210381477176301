//! Order varieties and the clock: an AMO waits for the open of an accelerated clock, a cover order
//! places its stop when the entry fills and exits through it, an iceberg trades leg after leg.

mod exchange_support;

use exchange_support::*;
use model::broker::{OrderParams, OrderStatus, OrderType, Product, TransactionType, Variety};
use model::Exchange;
use std::time::Duration;

/// Friday 27 Nov 2026, 09:14:50 IST: ten seconds before the open.
const BEFORE_OPEN: i64 = 1_795_751_090;

#[tokio::test]
async fn amo_is_released_at_the_open_of_an_accelerated_clock() {
    let sb = frozen_with(kite_sim::SandboxConfig {
        clock: kite_sim::clock::ClockConfig {
            speed: 10.0,
            start: Some(BEFORE_OPEN),
            stay_open: false,
        },
        ..Default::default()
    })
    .await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    assert!(
        c.place_order(&market("SBIN", TransactionType::Buy, 4, Product::Mis))
            .await
            .is_err(),
        "regular orders wait for the open"
    );
    let id = c
        .place_order(&OrderParams {
            variety: Variety::Amo,
            ..market("SBIN", TransactionType::Buy, 4, Product::Mis)
        })
        .await
        .unwrap();
    assert_eq!(
        last_state(&c, &id).await.status,
        OrderStatus::AmoReqReceived
    );
    sb.step_market().await;
    assert_eq!(
        last_state(&c, &id).await.status,
        OrderStatus::AmoReqReceived,
        "still before 09:15"
    );

    // Ten simulated seconds are one real second at 10×.
    let mut waited = 0;
    while last_state(&c, &id).await.status == OrderStatus::AmoReqReceived {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sb.step_market().await;
        waited += 1;
        assert!(waited < 50, "the AMO was never released");
    }
    let history = c.order_history(&id).await.unwrap();
    let statuses: Vec<&str> = history.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(
        statuses,
        vec![
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "AMO REQ RECEIVED",
            "OPEN PENDING",
            "OPEN",
            "COMPLETE"
        ]
    );
    let released = history[3].exchange_timestamp.unwrap();
    assert!(
        released.format("%Y-%m-%d %H:%M").to_string() == "2026-11-27 09:15",
        "released at {released}"
    );
    let posted = updates.until(&id, "COMPLETE").await;
    let seen: Vec<&str> = posted.iter().map(|p| p.order.status.as_str()).collect();
    assert_eq!(seen, vec!["OPEN", "COMPLETE"]);
    // After the open regular orders go through.
    c.place_order(&market("SBIN", TransactionType::Buy, 1, Product::Mis))
        .await
        .unwrap();
}

#[tokio::test]
async fn cover_order_places_its_stop_and_exits_through_it() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let ltp = quote(&c, "NSE:TCS").await.last_price;
    let params = OrderParams {
        variety: Variety::Co,
        trigger_price: Some(tick(ltp * 0.98)),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            Exchange::Nse,
            "TCS",
            TransactionType::Buy,
            OrderType::Market,
            3,
            Product::Mis,
        )
    };
    let entry = c.place_order(&params).await.unwrap();
    let e = last_state(&c, &entry).await;
    assert_eq!(
        (e.status.clone(), e.product),
        (OrderStatus::Complete, Product::Co)
    );
    let orders = c.orders().await.unwrap();
    let stop = orders
        .iter()
        .find(|o| o.parent_order_id.as_ref() == Some(&entry))
        .expect("the stop leg");
    assert_eq!(stop.status, OrderStatus::TriggerPending);
    assert_eq!(
        (
            stop.order_type,
            stop.transaction_type,
            stop.quantity,
            stop.product,
            stop.variety
        ),
        (
            OrderType::SlM,
            TransactionType::Sell,
            3,
            Product::Co,
            Variety::Co
        )
    );
    assert_eq!(stop.trigger_price, tick(ltp * 0.98));

    // Exit: cancelling the stop sells at market.
    c.cancel_order(Variety::Co, &stop.order_id, Some(&entry))
        .await
        .unwrap();
    let s = last_state(&c, &stop.order_id).await;
    assert_eq!((s.status, s.filled_quantity), (OrderStatus::Complete, 3));
    let pos = c.positions().await.unwrap();
    let p = pos
        .net
        .iter()
        .find(|p| p.tradingsymbol == "TCS" && p.product == Product::Co)
        .unwrap();
    assert_eq!((p.quantity, p.buy_quantity, p.sell_quantity), (0, 3, 3));

    // A stop above the market for a buy entry is refused.
    let bad = OrderParams {
        trigger_price: Some(tick(ltp * 1.02)),
        ..params
    };
    assert!(matches!(
        c.place_order(&bad).await,
        Err(kite::KiteError::Input { .. })
    ));
}

#[tokio::test]
async fn iceberg_trades_leg_after_leg_and_the_parent_shows_progress() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let q = quote(&c, "NSE:ITC").await;
    let iceberg = |price: f64| OrderParams {
        variety: Variety::Iceberg,
        iceberg_legs: Some(3),
        iceberg_quantity: Some(10),
        ..limit("ITC", TransactionType::Buy, 30, price)
    };
    // Marketable: every leg fills, one after the other.
    let parent = c
        .place_order(&iceberg(q.depth.sell[4].price))
        .await
        .unwrap();
    let p = last_state(&c, &parent).await;
    assert_eq!(
        (p.status.clone(), p.filled_quantity, p.quantity),
        (OrderStatus::Complete, 30, 30)
    );
    let meta = p.iceberg().unwrap();
    assert_eq!(
        (
            meta.legs,
            meta.leg_quantity,
            meta.total_quantity,
            meta.remaining_quantity
        ),
        (3, 10, 30, 0)
    );
    let legs: Vec<_> = c
        .orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.parent_order_id.as_ref() == Some(&parent))
        .collect();
    assert_eq!(legs.len(), 3);
    for (k, leg) in legs.iter().enumerate() {
        assert_eq!(leg.iceberg().unwrap().leg, k as u32 + 1);
        assert_eq!(
            (leg.status.clone(), leg.filled_quantity),
            (OrderStatus::Complete, 10)
        );
    }
    let value: f64 = legs.iter().map(|l| l.average_price * 10.0).sum();
    assert!((p.average_price - value / 30.0).abs() < 0.006);
    // The parent's progress rows: 10, 20, 30 filled.
    let filled: Vec<u32> = c
        .order_history(&parent)
        .await
        .unwrap()
        .iter()
        .filter(|o| o.filled_quantity > 0)
        .map(|o| o.filled_quantity)
        .collect();
    assert_eq!(filled, vec![10, 20, 30]);

    // Resting: only the first leg is at the exchange; cancelling the parent cancels it.
    let parent = c
        .place_order(&iceberg(tick(q.last_price * 0.95)))
        .await
        .unwrap();
    let legs: Vec<_> = c
        .orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.parent_order_id.as_ref() == Some(&parent))
        .collect();
    assert_eq!(legs.len(), 1);
    assert_eq!(
        (legs[0].status.clone(), legs[0].quantity),
        (OrderStatus::Open, 10)
    );
    c.cancel_order(Variety::Iceberg, &parent, None)
        .await
        .unwrap();
    assert_eq!(last_state(&c, &parent).await.status, OrderStatus::Cancelled);
    assert_eq!(
        last_state(&c, &legs[0].order_id).await.status,
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn autoslice_splits_above_the_freeze_quantity() {
    use model::broker::{AutosliceChild, AutosliceResponse};
    let sb = frozen().await;
    let c = logged_in(&sb);
    let token = sb.mint_access_token();
    let nfo = c.instruments(Some(Exchange::Nfo), None).await.unwrap();
    let expiry = nfo
        .iter()
        .filter(|i| i.name == "NIFTY")
        .filter_map(|i| i.expiry)
        .min()
        .unwrap();
    let calls: Vec<_> = nfo
        .iter()
        .filter(|i| {
            i.name == "NIFTY" && i.expiry == Some(expiry) && i.tradingsymbol.ends_with("CE")
        })
        .collect();
    // A far out-of-the-money call: cheap enough that 1,800 units cost little.
    let call = calls
        .iter()
        .max_by(|a, b| a.strike.total_cmp(&b.strike))
        .unwrap();
    let lot = call.lot_size;
    let slice = 1800 / lot * lot;
    let qty = 2 * slice + lot;
    let qty_s = qty.to_string();
    let form = |symbol: &str, qty: &str| {
        vec![
            ("exchange", "NFO".to_string()),
            ("tradingsymbol", symbol.to_string()),
            ("transaction_type", "BUY".into()),
            ("order_type", "MARKET".into()),
            ("market_protection", "-1".into()),
            ("product", "NRML".into()),
            ("quantity", qty.to_string()),
            ("autoslice", "true".into()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let sb = &sb;
        let token = token.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(sb, "/orders/regular", Some(&token), &pairs).await
        }
    };
    let (status, body) = send(form(&call.tradingsymbol, &qty_s)).await;
    assert_eq!(status, 200, "{body}");
    let reply: AutosliceResponse = serde_json::from_value(body["data"].clone()).unwrap();
    assert_eq!(reply.children.len(), 3);
    let mut quantities = Vec::new();
    for child in &reply.children {
        let AutosliceChild::Placed { order_id } = child else {
            panic!("{child:?}")
        };
        let o = last_state(&c, order_id).await;
        assert!(o.tags.contains(&"autoslice".to_string()));
        assert_eq!(o.autoslice_parent(), Some(reply.order_id.clone()));
        quantities.push(o.quantity);
    }
    assert_eq!(quantities, vec![slice, slice, lot]);

    // Not above the freeze quantity: nothing to slice.
    let (status, body) = send(form(&call.tradingsymbol, &lot.to_string())).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (400, Some("InputException"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains(&format!("greater than or equal to {}", 1800 + lot)));

    // Futures slices the account cannot pay for are refused one by one with MarginException.
    let fut = nfo
        .iter()
        .filter(|i| i.name == "NIFTY" && i.tradingsymbol.ends_with("FUT"))
        .min_by_key(|i| i.expiry)
        .unwrap();
    let (status, body) = send(form(
        &fut.tradingsymbol,
        &(2 * (1800 / fut.lot_size) * fut.lot_size).to_string(),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let reply: AutosliceResponse = serde_json::from_value(body["data"].clone()).unwrap();
    assert_eq!(reply.children.len(), 2);
    for child in reply.children {
        match child {
            AutosliceChild::Failed { error } => {
                assert_eq!(
                    (error.code, error.error_type.as_str()),
                    (400, "MarginException")
                );
                assert!(error.message.starts_with("Insufficient funds."));
            }
            other => panic!("{other:?}"),
        }
    }
}
