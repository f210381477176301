use super::*;
use crate::db::Db;
use crate::hub::UserId;
use model::broker::{Product, TransactionType};
use model::trading::{ExecStatus, FillRecord, OrderRecord};
use model::Exchange;

async fn journal(name: &str, user: &str) -> (Journal, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(dir.join("kite-agent.db")).await.unwrap();
    (Journal::new(db, UserId::new(user)), dir)
}

fn order(tag: &str) -> OrderRecord {
    OrderRecord {
        tag: tag.into(),
        order_id: None,
        strategy_id: Some(1),
        basket: None,
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        side: TransactionType::Buy,
        product: Product::Mis,
        quantity: 10,
        filled_quantity: 0,
        price: Some(1500.0),
        average_price: 0.0,
        status: ExecStatus::Pending,
        message: None,
        modifications: 0,
        created_ms: 1,
        updated_ms: 1,
    }
}

fn update(status: ExecStatus, filled: u32) -> OrderUpdate {
    OrderUpdate {
        order_id: Some("OID1".into()),
        status,
        filled_quantity: filled,
        average_price: if filled > 0 { 1500.5 } else { 0.0 },
        message: None,
        price: None,
        updated_ms: 2,
    }
}

#[tokio::test]
async fn a_tag_is_journalled_once_and_orders_only_move_forward() {
    let (j, dir) = journal("forward", "A").await;
    assert!(j.insert_order(&order("t1")).await.unwrap());
    assert!(
        !j.insert_order(&order("t1")).await.unwrap(),
        "same tag twice"
    );
    let o = j
        .update_order("t1", &update(ExecStatus::PartiallyFilled, 4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (o.status, o.filled_quantity),
        (ExecStatus::PartiallyFilled, 4)
    );
    // A stale "open" after the partial fill does not take it back.
    let o = j
        .update_order("t1", &update(ExecStatus::Open, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (o.status, o.filled_quantity),
        (ExecStatus::PartiallyFilled, 4)
    );
    let o = j
        .update_order("t1", &update(ExecStatus::Filled, 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((o.status, o.filled_quantity), (ExecStatus::Filled, 10));
    let o = j
        .update_order("t1", &update(ExecStatus::Cancelled, 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.status, ExecStatus::Filled, "terminal stays terminal");
    assert_eq!(j.order_by_id("OID1").await.unwrap().unwrap().tag, "t1");
    assert!(j.live_orders().await.unwrap().is_empty());
    assert!(j
        .update_order("nope", &update(ExecStatus::Open, 0))
        .await
        .unwrap()
        .is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn fills_are_journalled_once_per_trade_and_per_user() {
    let (a, dir) = journal("fills", "A").await;
    let b = Journal::new(a.db().clone(), UserId::new("B"));
    let f = FillRecord {
        trade_id: "T1".into(),
        order_id: "OID1".into(),
        tag: "t1".into(),
        strategy_id: Some(1),
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".into(),
        side: TransactionType::Buy,
        quantity: 4,
        price: 1500.5,
        charges: 1.25,
        ts_ms: 5,
    };
    assert!(a.insert_fill(&f).await.unwrap());
    assert!(!a.insert_fill(&f).await.unwrap());
    assert_eq!(a.all_fills().await.unwrap(), vec![f.clone()]);
    assert_eq!(a.order_fills("OID1").await.unwrap().len(), 1);
    assert!(
        b.all_fills().await.unwrap().is_empty(),
        "B sees none of A's fills"
    );
    assert!(
        b.insert_order(&order("t1")).await.unwrap(),
        "tags are per user"
    );
    assert!(b.order("t1").await.unwrap().is_some());
    assert_eq!(a.orders(10).await.unwrap().len(), 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn alert_email_is_off_by_default_per_user_and_kept_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let a = UserId::new("AB1234");
    let b = UserId::new("CD5678");
    let of = |db: &Db, u: &UserId| Journal::new(db.clone(), u.clone());
    {
        let db = Db::open(&path).await.unwrap();
        assert!(!of(&db, &a).alert_email().await.unwrap());
        of(&db, &a).set_alert_email(true).await.unwrap();
        assert!(of(&db, &a).alert_email().await.unwrap());
        assert!(
            !of(&db, &b).alert_email().await.unwrap(),
            "one user's choice only"
        );
    }
    let db = Db::open(&path).await.unwrap();
    assert!(
        of(&db, &a).alert_email().await.unwrap(),
        "survives a reopen"
    );
    of(&db, &a).set_alert_email(false).await.unwrap();
    assert!(!of(&db, &a).alert_email().await.unwrap());
    sqlx::query(
        "UPDATE user_settings SET setting_value = 'yes' WHERE user_id = ? AND setting_key = ?",
    )
    .bind(a.as_str())
    .bind("alert_email")
    .execute(db.pool())
    .await
    .unwrap();
    assert!(matches!(
        of(&db, &a).alert_email().await,
        Err(crate::db::DbError::Corrupt { .. })
    ));
}
