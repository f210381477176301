//! Money: margins blocked by orders and released on cancel, charges debited on fills and equal to what
//! the order-charges endpoint reports, and the day roll: delivery buys become T+1 holdings that settle
//! the session after, NRML positions carry overnight, the opening balance takes the day's cash.

mod exchange_support;

use exchange_support::*;
use model::broker::{
    ChargesOrder, Order, OrderParams, OrderStatus, OrderType, Product, TransactionType, Variety,
};
use model::Exchange;

/// Thursday 26 Nov 2026 10:00 IST, then the next two sessions.
const THURSDAY: i64 = 1_795_667_400;
const FRIDAY: i64 = 1_795_753_800;
const MONDAY: i64 = 1_796_013_000;

async fn charges_of(c: &kite::KiteClient, orders: &[Order]) -> f64 {
    let notes = c
        .order_charges(
            &orders
                .iter()
                .map(|o| ChargesOrder {
                    order_id: o.order_id.clone(),
                    exchange: o.exchange,
                    tradingsymbol: o.tradingsymbol.clone(),
                    transaction_type: o.transaction_type,
                    variety: o.variety,
                    product: o.product,
                    order_type: o.order_type,
                    quantity: o.filled_quantity,
                    average_price: o.average_price,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    notes.iter().map(|n| n.charges.total).sum()
}

#[tokio::test]
async fn margin_is_blocked_by_an_open_order_and_released_on_cancel() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let net = || async { c.margins().await.unwrap().equity.unwrap().net };
    let before = net().await;
    let price = tick(quote(&c, "NSE:INFY").await.last_price * 0.9);
    let id = c
        .place_order(&OrderParams {
            price: Some(price),
            ..OrderParams::new(
                Exchange::Nse,
                "INFY",
                TransactionType::Buy,
                OrderType::Limit,
                10,
                Product::Cnc,
            )
        })
        .await
        .unwrap();
    // Delivery blocks the full value, intraday a fifth.
    assert!((before - net().await - price * 10.0).abs() < 1e-6);
    c.cancel_order(Variety::Regular, &id, None).await.unwrap();
    assert!((net().await - before).abs() < 1e-6);
    let id = c
        .place_order(&limit("INFY", TransactionType::Buy, 10, price))
        .await
        .unwrap();
    assert!((before - net().await - price * 10.0 * 0.2).abs() < 1e-6);
    c.cancel_order(Variety::Regular, &id, None).await.unwrap();
    assert!((net().await - before).abs() < 1e-6);
}

#[tokio::test]
async fn charges_are_debited_as_the_calculator_reports_them() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let opening = c
        .margins()
        .await
        .unwrap()
        .equity
        .unwrap()
        .available
        .opening_balance;
    // A round trip leaves no position, so what is left is realised P&L minus charges.
    let buy = c
        .place_order(&market("SBIN", TransactionType::Buy, 40, Product::Mis))
        .await
        .unwrap();
    let sell = c
        .place_order(&market("SBIN", TransactionType::Sell, 40, Product::Mis))
        .await
        .unwrap();
    let orders = vec![last_state(&c, &buy).await, last_state(&c, &sell).await];
    assert!(orders.iter().all(|o| o.status == OrderStatus::Complete));
    let charges = charges_of(&c, &orders).await;
    assert!(charges > 0.0);
    let realised = (orders[1].average_price - orders[0].average_price) * 40.0;
    let eq = c.margins().await.unwrap().equity.unwrap();
    assert!(
        (eq.net - (opening + realised - charges)).abs() < 0.011,
        "net {} vs {opening} + {realised} - {charges}",
        eq.net
    );
    assert!((eq.utilised.debits - charges).abs() < 0.011);
}

#[tokio::test]
async fn the_day_roll_settles_holdings_and_carries_positions() {
    let sb = frozen_with(kite_sim::SandboxConfig {
        clock: kite_sim::clock::ClockConfig {
            speed: 1.0,
            start: Some(THURSDAY),
            stay_open: true,
        },
        ..Default::default()
    })
    .await;
    let c = logged_in(&sb);
    let nfo = c.instruments(Some(Exchange::Nfo), None).await.unwrap();
    let fut = nfo
        .iter()
        .filter(|i| i.name == "NIFTY" && i.tradingsymbol.ends_with("FUT"))
        .min_by_key(|i| i.expiry)
        .unwrap()
        .clone();
    let held_itc = c
        .holdings()
        .await
        .unwrap()
        .iter()
        .find(|h| h.tradingsymbol == "ITC")
        .map(|h| h.quantity)
        .unwrap();
    let cnc = c
        .place_order(&market("ITC", TransactionType::Buy, 10, Product::Cnc))
        .await
        .unwrap();
    let nrml = c
        .place_order(&OrderParams {
            market_protection: Some(-1.0),
            ..OrderParams::new(
                Exchange::Nfo,
                fut.tradingsymbol.clone(),
                TransactionType::Buy,
                OrderType::Market,
                fut.lot_size,
                Product::Nrml,
            )
        })
        .await
        .unwrap();
    let orders = vec![last_state(&c, &cnc).await, last_state(&c, &nrml).await];
    assert!(orders.iter().all(|o| o.status == OrderStatus::Complete));
    let charges = charges_of(&c, &orders).await;
    let itc_cost = orders[0].average_price * 10.0;

    sb.set_clock(None, None, Some(FRIDAY));
    sb.step_market().await;
    assert!(
        c.orders().await.unwrap().is_empty(),
        "a new day's order book"
    );
    assert!(c.trades().await.unwrap().is_empty());
    let itc = c
        .holdings()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.tradingsymbol == "ITC")
        .unwrap();
    assert_eq!((itc.quantity, itc.t1_quantity), (held_itc, 10));
    let pos = c.positions().await.unwrap();
    assert!(pos.day.is_empty());
    let carried = pos
        .net
        .iter()
        .find(|p| p.tradingsymbol == fut.tradingsymbol)
        .unwrap();
    assert_eq!(
        (
            carried.quantity,
            carried.overnight_quantity,
            carried.day_buy_quantity
        ),
        (fut.lot_size as i64, fut.lot_size as i64, 0)
    );
    assert!((carried.average_price - orders[1].average_price).abs() < 1e-9);
    let eq = c.margins().await.unwrap().equity.unwrap();
    assert!(
        (eq.available.opening_balance - (1_000_000.0 - itc_cost - charges)).abs() < 0.011,
        "opening {} vs cost {itc_cost} and charges {charges}",
        eq.available.opening_balance
    );

    sb.set_clock(None, None, Some(MONDAY));
    sb.step_market().await;
    let itc = c
        .holdings()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.tradingsymbol == "ITC")
        .unwrap();
    assert_eq!(
        (itc.quantity, itc.t1_quantity),
        (held_itc + 10, 0),
        "T+1 settled"
    );
}

#[tokio::test]
async fn the_margin_calculator_and_the_book_block_the_same() {
    use model::broker::MarginOrder;
    let sb = frozen().await;
    let c = logged_in(&sb);
    let nfo = c.instruments(Some(Exchange::Nfo), None).await.unwrap();
    let fut = nfo
        .iter()
        .filter(|i| i.name == "NIFTY" && i.tradingsymbol.ends_with("FUT"))
        .min_by_key(|i| i.expiry)
        .unwrap()
        .clone();
    let ltp = quote(&c, &format!("NFO:{}", fut.tradingsymbol))
        .await
        .last_price;
    let price = tick(ltp * 0.97);
    let calc = c
        .order_margins(
            &[MarginOrder {
                exchange: Exchange::Nfo,
                tradingsymbol: fut.tradingsymbol.clone(),
                transaction_type: TransactionType::Buy,
                variety: Variety::Regular,
                product: Product::Nrml,
                order_type: OrderType::Limit,
                quantity: fut.lot_size,
                price: Some(price),
                trigger_price: None,
            }],
            false,
        )
        .await
        .unwrap();
    // Futures: 15 % of the contract value, reported as SPAN.
    let value = price * fut.lot_size as f64;
    assert!((calc[0].total - value * 0.15).abs() < 1e-6, "{:?}", calc[0]);
    assert!((calc[0].span - calc[0].total).abs() < 1e-9);
    let before = c.margins().await.unwrap().equity.unwrap().net;
    let id = c
        .place_order(&OrderParams {
            price: Some(price),
            ..OrderParams::new(
                Exchange::Nfo,
                fut.tradingsymbol.clone(),
                TransactionType::Buy,
                OrderType::Limit,
                fut.lot_size,
                Product::Nrml,
            )
        })
        .await
        .unwrap();
    assert_eq!(last_state(&c, &id).await.status, OrderStatus::Open);
    let after = c.margins().await.unwrap().equity.unwrap().net;
    assert!((before - after - calc[0].total).abs() < 1e-6);
}
