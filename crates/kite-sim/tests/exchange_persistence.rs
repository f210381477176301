//! Accounts survive a restart: a sandbox on a data directory writes every change through to SQLite, and
//! a new sandbox on the same directory serves the same orders, history, trades, positions, holdings,
//! funds and GTTs. The admin reset clears the stored account too.

mod exchange_support;

use exchange_support::*;
use model::broker::{
    GttConditionParams, GttOrderParams, GttParams, GttType, OrderStatus, OrderType, Product,
    TransactionType,
};
use model::Exchange;

fn on_disk(dir: &TempDir) -> kite_sim::SandboxConfig {
    kite_sim::SandboxConfig {
        data_dir: Some(dir.0.clone()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_restart_keeps_every_account() {
    let dir = TempDir::new("restart");
    let sb = frozen_with(on_disk(&dir)).await;
    let c = logged_in(&sb);
    let q = quote(&c, "NSE:ITC").await;
    let bought = c
        .place_order(&market("ITC", TransactionType::Buy, 12, Product::Cnc))
        .await
        .unwrap();
    let resting = c
        .place_order(&limit(
            "ITC",
            TransactionType::Buy,
            5,
            tick(q.last_price * 0.9),
        ))
        .await
        .unwrap();
    let gtt = c
        .place_gtt(&GttParams {
            gtt_type: GttType::Single,
            condition: GttConditionParams {
                exchange: Exchange::Nse,
                tradingsymbol: "ITC".into(),
                trigger_values: vec![tick(q.last_price * 1.1)],
                last_price: q.last_price,
            },
            orders: vec![GttOrderParams {
                exchange: Exchange::Nse,
                tradingsymbol: "ITC".into(),
                transaction_type: TransactionType::Sell,
                quantity: 12,
                order_type: OrderType::Limit,
                product: Product::Cnc,
                price: tick(q.last_price * 1.1),
            }],
        })
        .await
        .unwrap();
    // A second user, to see accounts kept apart.
    let other = client_for(&sb, sb.mint_session("OTHER1").access_token);
    other
        .place_order(&market("SBIN", TransactionType::Buy, 2, Product::Mis))
        .await
        .unwrap();

    let orders = c.orders().await.unwrap();
    let history = c.order_history(&bought).await.unwrap();
    let trades = c.trades().await.unwrap();
    let positions = c.positions().await.unwrap();
    let holdings = c.holdings().await.unwrap();
    let funds = c.margins().await.unwrap().equity.unwrap();
    let gtts = c.gtts().await.unwrap();
    assert_eq!(last_state(&c, &bought).await.status, OrderStatus::Complete);
    drop(sb);

    let sb = frozen_with(on_disk(&dir)).await;
    let c = logged_in(&sb);
    assert_eq!(c.orders().await.unwrap(), orders);
    assert_eq!(c.order_history(&bought).await.unwrap(), history);
    assert_eq!(c.trades().await.unwrap(), trades);
    assert_eq!(c.gtts().await.unwrap(), gtts);
    assert_eq!(c.gtt(gtt).await.unwrap().id, gtt);
    // Prices moved differently after the restart, so compare what does not depend on them.
    let again = c.positions().await.unwrap();
    let key = |p: &model::broker::Position| {
        (
            p.tradingsymbol.clone(),
            p.product,
            p.quantity,
            p.buy_value.to_bits(),
        )
    };
    assert_eq!(
        again.net.iter().map(key).collect::<Vec<_>>(),
        positions.net.iter().map(key).collect::<Vec<_>>()
    );
    let hkey = |h: &model::broker::Holding| {
        (
            h.tradingsymbol.clone(),
            h.quantity,
            h.average_price.to_bits(),
        )
    };
    assert_eq!(
        c.holdings()
            .await
            .unwrap()
            .iter()
            .map(hkey)
            .collect::<Vec<_>>(),
        holdings.iter().map(hkey).collect::<Vec<_>>()
    );
    let f = c.margins().await.unwrap().equity.unwrap();
    assert_eq!(f.available.opening_balance, funds.available.opening_balance);
    assert!((f.utilised.debits - funds.utilised.debits).abs() < 1e-6);
    let other = client_for(&sb, sb.mint_session("OTHER1").access_token);
    let theirs = other.orders().await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].tradingsymbol, "SBIN");

    // The resting order still works after the restart, and new ids do not collide with stored ones.
    c.cancel_order(model::broker::Variety::Regular, &resting, None)
        .await
        .unwrap();
    let next = c
        .place_order(&market("ITC", TransactionType::Sell, 2, Product::Mis))
        .await
        .unwrap();
    assert!(orders.iter().all(|o| o.order_id != next));

    // Reset clears the stored account: after another restart the account starts fresh.
    let (status, _) = post_form(&sb, "/admin/accounts/DEMO01/reset", None, &[]).await;
    assert_eq!(status, 200);
    drop(sb);
    let sb = frozen_with(on_disk(&dir)).await;
    let c = logged_in(&sb);
    assert!(c.orders().await.unwrap().is_empty());
    assert!(c.gtts().await.unwrap().is_empty());
    let other = client_for(&sb, sb.mint_session("OTHER1").access_token);
    assert_eq!(
        other.orders().await.unwrap().len(),
        1,
        "only DEMO01 was reset"
    );
}
