//! The execution engine against the sandbox over loopback: prices, fills, partial fills, a crash
//! mid-placement, a failing basket, racing updates, and the kill switch's cancel-all and flatten.
//!
//! The sandbox's market is frozen (stepped by hand) so the depth a test reads is the depth its
//! order meets.

use engine::execution::{ExecConfig, ExecError, Executor, OrderRequest, TimeoutAction};
use engine::{Db, Journal, UserId};
use kite::rest::{KiteClient, KiteConfig, RateLimits};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{Order, OrderParams, OrderType, Product, Quote, TransactionType};
use model::trading::{ExecStatus, OrderRecord};
use model::Exchange;
use std::path::PathBuf;
use std::time::Duration;

const USER: &str = "DEMO01";

/// A sandbox whose market moves only when stepped, with its per-second limits off so the tests'
/// polling is not throttled (the client's own limiter is raised to match).
async fn frozen() -> Sandbox {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_secs(3600),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sb.step_market().await;
    admin(&sb, "/admin/rest/limits?enforce=false").await;
    sb
}

async fn admin(sb: &Sandbox, path: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
}

fn client(sb: &Sandbox) -> KiteClient {
    let mut cfg = KiteConfig::new(sb.api_key()).with_root(sb.http_url());
    cfg.retry_base = Duration::from_millis(20);
    cfg.limits = RateLimits {
        quote_per_sec: 200,
        historical_per_sec: 200,
        orders_per_sec: 200,
        orders_per_minute: 10_000,
        orders_per_day: 100_000,
        other_per_sec: 500,
    };
    let c = KiteClient::new(cfg).unwrap();
    c.set_access_token(Some(sb.mint_access_token()));
    c
}

fn fast() -> ExecConfig {
    ExecConfig {
        chase_every: Duration::from_millis(100),
        fill_timeout: Duration::from_millis(600),
        poll_every: Duration::from_millis(200),
        ..ExecConfig::default()
    }
}

/// A database file in a fresh temp dir, removed on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "exec-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    async fn journal(&self) -> Journal {
        let db = Db::open(self.0.join("kite-agent.db")).await.unwrap();
        Journal::new(db, UserId::new(USER))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn req(symbol: &str, side: TransactionType, quantity: u32) -> OrderRequest {
    OrderRequest {
        strategy_id: Some(7),
        basket: None,
        exchange: Exchange::Nse,
        tradingsymbol: symbol.into(),
        side,
        quantity,
        product: Product::Mis,
        limit: None,
        tick_size: 0.05,
    }
}

async fn quote(c: &KiteClient, symbol: &str) -> Quote {
    let key = format!("NSE:{symbol}");
    c.quote(&[key.as_str()])
        .await
        .unwrap()
        .remove(&key)
        .unwrap()
}

fn to_paise(r: f64) -> i64 {
    (r * 100.0).round() as i64
}

/// Orders of the account carrying `tag`.
async fn with_tag(c: &KiteClient, tag: &str) -> Vec<Order> {
    c.orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.tag.as_deref() == Some(tag))
        .collect()
}

async fn net_position(c: &KiteClient, symbol: &str) -> i64 {
    c.positions()
        .await
        .unwrap()
        .net
        .iter()
        .filter(|p| p.tradingsymbol == symbol)
        .map(|p| p.quantity)
        .sum()
}

/// Journal fills of an order equal the broker's trades of it: ids, quantities, prices.
async fn assert_fills_match(c: &KiteClient, j: &Journal, rec: &OrderRecord) {
    let id = rec.order_id.clone().expect("order id journalled");
    let mut trades: Vec<(String, u32, i64)> = c
        .order_trades(&id.as_str().into())
        .await
        .unwrap()
        .iter()
        .map(|t| (t.trade_id.clone(), t.quantity, to_paise(t.average_price)))
        .collect();
    let mut fills: Vec<(String, u32, i64)> = j
        .order_fills(&id)
        .await
        .unwrap()
        .iter()
        .map(|f| (f.trade_id.clone(), f.quantity, to_paise(f.price)))
        .collect();
    trades.sort();
    fills.sort();
    assert_eq!(fills, trades, "journal fills vs broker trades of {id}");
    let filled: u32 = fills.iter().map(|f| f.1).sum();
    assert_eq!(filled, rec.filled_quantity);
}

#[tokio::test]
async fn a_marketable_buy_walks_the_book_and_journals_every_trade() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("walk");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    let mut events = ex.events();

    let q = quote(&c, "ITC").await;
    let asks = &q.depth.sell;
    // Enough to empty two levels and take one share of the third.
    let qty = (asks[0].quantity + asks[1].quantity + 1) as u32;
    let band_price = ((to_paise(asks[0].price) as f64 * 1.005 / 5.0 - 1e-9).ceil() as i64) * 5;
    assert!(
        to_paise(asks[2].price) <= band_price,
        "third level inside the band"
    );

    let rec = ex
        .submit(req("ITC", TransactionType::Buy, qty))
        .await
        .unwrap();
    assert_eq!(rec.status, ExecStatus::Filled);
    assert_eq!(rec.filled_quantity, qty);
    assert_eq!(
        to_paise(rec.price.unwrap()),
        band_price,
        "touch + band, up to the tick"
    );
    let id = rec.order_id.clone().unwrap();
    let broker = c.order_history(&id.as_str().into()).await.unwrap();
    let last = broker.last().unwrap();
    assert_eq!(last.order_type, OrderType::Limit, "never a MARKET order");
    assert_eq!(to_paise(last.price), band_price, "the price sent");
    assert_eq!(last.tag.as_deref(), Some(rec.tag.as_str()));

    assert_fills_match(&c, &j, &rec).await;
    let fills = j.order_fills(&id).await.unwrap();
    assert!(fills.len() >= 3, "walked three levels: {fills:?}");
    assert!(fills
        .iter()
        .all(|f| f.charges > 0.0 && f.strategy_id == Some(7)));
    let notional: f64 = fills.iter().map(|f| f.quantity as f64 * f.price).sum();
    let vwap = notional / qty as f64;
    assert!(
        (rec.average_price - vwap).abs() < 1e-6,
        "{} vs {vwap}",
        rec.average_price
    );
    // The broker reports its average to the paisa.
    assert!((last.average_price - vwap).abs() <= 0.005 + 1e-9);

    // Every change went out as an event: Pending first, Filled last, one Fill per trade.
    let mut statuses = Vec::new();
    let mut fill_events = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            engine::execution::ExecEvent::Order(o) => statuses.push(o.status),
            engine::execution::ExecEvent::Fill(_) => fill_events += 1,
        }
    }
    assert_eq!(statuses.first(), Some(&ExecStatus::Pending));
    assert_eq!(statuses.last(), Some(&ExecStatus::Filled));
    assert_eq!(fill_events, fills.len());
}

#[tokio::test]
async fn a_partial_fill_keeps_the_filled_part_and_cancels_the_rest_at_the_timeout() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("partial");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    admin(&sb, "/admin/orders/partial_fill?count=1&percent=40").await;

    // The market moves while the order works, so the chase has a new touch to go to.
    let stepping = {
        let sb_url = sb.http_url();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                tokio::time::sleep(Duration::from_millis(80)).await;
                let _ = http
                    .post(format!("{sb_url}/admin/market/step"))
                    .send()
                    .await;
            }
        })
    };
    let started = std::time::Instant::now();
    let rec = ex
        .submit(req("ITC", TransactionType::Buy, 25))
        .await
        .unwrap();
    stepping.abort();
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "waited for the timeout"
    );
    assert_eq!(rec.status, ExecStatus::Cancelled);
    assert_eq!(rec.filled_quantity, 10, "40 % of 25");
    assert!(
        rec.message
            .as_deref()
            .unwrap_or("")
            .contains("10 of 25 filled"),
        "{:?}",
        rec.message
    );
    assert!(rec.modifications <= 3);
    assert_fills_match(&c, &j, &rec).await;

    let id = rec.order_id.clone().unwrap();
    let history = c.order_history(&id.as_str().into()).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.status.as_str(), "CANCELLED");
    assert_eq!(last.filled_quantity, 10);
    // The journal's price is the last price the broker holds, and each move was one modification.
    assert_eq!(to_paise(last.price), to_paise(rec.price.unwrap()));
    let mut prices: Vec<i64> = history.iter().map(|o| to_paise(o.price)).collect();
    prices.dedup();
    assert_eq!(prices.len() as u32 - 1, rec.modifications, "{prices:?}");
    assert_eq!(net_position(&c, "ITC").await, 10);
    assert_eq!(j.order(&rec.tag).await.unwrap().unwrap(), rec);
}

#[tokio::test]
async fn a_restart_adopts_the_placed_order_and_never_sends_the_unsent_one() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("restart");
    let j = db.journal().await;
    // The sandbox places the next order, then sits on the reply.
    admin(&sb, "/admin/rest/delay_place?ms=5000").await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    let task = {
        let ex = ex.clone();
        tokio::spawn(async move { ex.submit(req("ITC", TransactionType::Buy, 5)).await })
    };
    // Journalled as Pending, and at the broker.
    let tag = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let live = j.live_orders().await.unwrap();
            if let Some(o) = live.first() {
                if !with_tag(&c, &o.tag).await.is_empty() {
                    return o.tag.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the order reaches the broker");
    assert_eq!(
        j.order(&tag).await.unwrap().unwrap().status,
        ExecStatus::Pending
    );
    // The process dies with the reply still in flight.
    task.abort();
    let _ = task.await;
    drop(ex);
    drop(j);

    // And one more journalled order that died before it was sent.
    let j2 = db.journal().await;
    let mut unsent = j2.order(&tag).await.unwrap().unwrap();
    unsent.tag = "ktaneversent0001".into();
    unsent.order_id = None;
    assert!(j2.insert_order(&unsent).await.unwrap());

    let before = c.orders().await.unwrap().len();
    let ex2 = Executor::new(c.clone(), j2.clone(), fast());
    let report = ex2.reconcile().await.unwrap();
    assert_eq!(report.adopted, vec![tag.clone()]);
    assert_eq!(report.never_sent, vec![unsent.tag.clone()]);

    let adopted = j2.order(&tag).await.unwrap().unwrap();
    let at_broker = with_tag(&c, &tag).await;
    assert_eq!(at_broker.len(), 1, "exactly one order with the tag");
    assert_eq!(
        adopted.order_id.as_deref(),
        Some(at_broker[0].order_id.as_str())
    );
    assert_eq!(adopted.status, ExecStatus::Filled);
    assert_fills_match(&c, &j2, &adopted).await;

    let rejected = j2.order(&unsent.tag).await.unwrap().unwrap();
    assert_eq!(rejected.status, ExecStatus::Rejected);
    assert_eq!(
        rejected.message.as_deref(),
        Some("never reached the broker")
    );
    assert!(with_tag(&c, &unsent.tag).await.is_empty(), "not sent");
    assert_eq!(c.orders().await.unwrap().len(), before, "nothing placed");
    // No placement answered at all: the first executor's reply was held back when it "died", and
    // the second sent none.
    let log: serde_json::Value = reqwest::get(format!("{}/admin/rest/requests", sb.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let places = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/orders/regular")
        .count();
    assert_eq!(places, 0);
    // A second reconciliation finds nothing left to do.
    let again = ex2.reconcile().await.unwrap();
    assert_eq!((again.checked, again.fills), (0, 0));
}

#[tokio::test]
async fn a_basket_whose_sell_leg_is_rejected_unwinds_its_bought_leg() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("basket");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    // The SELL leg is listed first: the BUY leg must still go first.
    let legs = vec![
        req("RELIANCE", TransactionType::Sell, 5),
        req("ITC", TransactionType::Buy, 10),
    ];
    // Hold the BUY leg's reply back long enough to arm a rejection for the next order (the SELL).
    admin(&sb, "/admin/rest/delay_place?ms=1500").await;
    let task = {
        let ex = ex.clone();
        tokio::spawn(async move { ex.submit_basket(legs).await })
    };
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let orders = c.orders().await.unwrap();
            if orders.iter().any(|o| o.tradingsymbol == "ITC") {
                assert!(
                    orders.iter().all(|o| o.tradingsymbol != "RELIANCE"),
                    "BUY first"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the BUY leg is placed");
    admin(&sb, "/admin/orders/reject?count=1").await;

    let err = task.await.unwrap().expect_err("the basket fails");
    let ExecError::BasketFailed { reason, unwound } = err else {
        panic!("not a basket failure: {err}");
    };
    assert!(reason.contains("RELIANCE"), "{reason}");
    assert!(
        reason.contains("sandbox fault"),
        "the broker's reason: {reason}"
    );
    assert_eq!(unwound.len(), 1);
    let u = &unwound[0];
    assert_eq!(
        (
            u.tradingsymbol.as_str(),
            u.side,
            u.filled_quantity,
            u.status
        ),
        ("ITC", TransactionType::Sell, 10, ExecStatus::Filled)
    );
    assert_eq!(net_position(&c, "ITC").await, 0);
    assert_eq!(net_position(&c, "RELIANCE").await, 0);

    let basket = u.basket.clone().expect("the unwind belongs to the basket");
    let orders = j.basket_orders(&basket).await.unwrap();
    let summary: Vec<(&str, TransactionType, ExecStatus)> = orders
        .iter()
        .map(|o| (o.tradingsymbol.as_str(), o.side, o.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ITC", TransactionType::Buy, ExecStatus::Filled),
            ("RELIANCE", TransactionType::Sell, ExecStatus::Rejected),
            ("ITC", TransactionType::Sell, ExecStatus::Filled),
        ]
    );
    assert!(orders[1]
        .message
        .as_deref()
        .unwrap_or("")
        .contains("sandbox fault"));
}

#[tokio::test]
async fn an_old_update_after_a_newer_one_does_not_move_the_order_back() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("race");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    let rec = ex
        .submit(req("ITC", TransactionType::Buy, 20))
        .await
        .unwrap();
    assert_eq!(rec.status, ExecStatus::Filled);
    let id = rec.order_id.clone().unwrap();
    let history = c.order_history(&id.as_str().into()).await.unwrap();
    assert!(history.len() >= 2, "{history:?}");
    let stored = j.order(&rec.tag).await.unwrap().unwrap();

    // Postbacks in reverse: the newest first, then every older state.
    for o in history.iter().rev() {
        ex.on_order_update(o).await;
        let now = j.order(&rec.tag).await.unwrap().unwrap();
        assert_eq!((now.status, now.filled_quantity), (ExecStatus::Filled, 20));
        assert_eq!(now.average_price, stored.average_price);
    }
    // Postbacks and polls at once.
    let mut set = tokio::task::JoinSet::new();
    for i in 0..12 {
        let ex = ex.clone();
        let old = history[i % history.len()].clone();
        set.spawn(async move {
            if i % 3 == 0 {
                ex.reconcile().await.map(|_| ())
            } else {
                ex.on_order_update(&old).await;
                Ok(())
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    let now = j.order(&rec.tag).await.unwrap().unwrap();
    assert_eq!((now.status, now.filled_quantity), (ExecStatus::Filled, 20));
    assert_eq!(now.modifications, stored.modifications);
    assert_fills_match(&c, &j, &now).await;

    // An update of an order that is not the engine's is ignored.
    let mut foreign = history.last().unwrap().clone();
    foreign.order_id = "999999999999999".into();
    foreign.tag = Some("someoneelse".into());
    ex.on_order_update(&foreign).await;
    assert_eq!(j.orders(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn cancel_all_and_flatten_leave_the_account_flat_with_nothing_open() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("flat");
    let j = db.journal().await;
    let ex = Executor::new(
        c.clone(),
        j.clone(),
        ExecConfig {
            fill_timeout: Duration::from_secs(30),
            on_timeout: TimeoutAction::Cancel,
            ..fast()
        },
    );
    ex.submit(req("ITC", TransactionType::Buy, 10))
        .await
        .unwrap();
    ex.submit(req("RELIANCE", TransactionType::Sell, 3))
        .await
        .unwrap();
    // A resting order of the engine's, still working...
    let itc = quote(&c, "ITC").await;
    let far = ((itc.depth.buy[0].price * 0.97) * 20.0).floor() / 20.0;
    let resting = {
        let ex = ex.clone();
        let mut r = req("ITC", TransactionType::Buy, 4);
        r.limit = Some(far);
        tokio::spawn(async move { ex.submit(r).await })
    };
    // ...and one placed by someone else on the same account.
    let mut p = OrderParams::new(
        Exchange::Nse,
        "ITC",
        TransactionType::Buy,
        OrderType::Limit,
        2,
        Product::Mis,
    );
    p.price = Some(far);
    let theirs = c.place_order(&p).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while c
            .orders()
            .await
            .unwrap()
            .iter()
            .filter(|o| o.status.is_pending())
            .count()
            < 2
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("two orders open");

    let cancelled = ex.cancel_all().await.unwrap();
    assert_eq!(cancelled, 2);
    let ours = resting.await.unwrap().unwrap();
    assert_eq!(
        (ours.status, ours.filled_quantity),
        (ExecStatus::Cancelled, 0)
    );
    let orders = c.orders().await.unwrap();
    assert!(orders.iter().all(|o| o.status.is_terminal()), "{orders:?}");
    assert!(orders
        .iter()
        .any(|o| o.order_id == theirs && o.status.as_str() == "CANCELLED"));

    let squared = ex.flatten().await.unwrap();
    let mut legs: Vec<(String, TransactionType, u32)> = squared
        .iter()
        .map(|o| (o.tradingsymbol.clone(), o.side, o.filled_quantity))
        .collect();
    legs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        legs,
        vec![
            ("ITC".to_string(), TransactionType::Sell, 10),
            ("RELIANCE".to_string(), TransactionType::Buy, 3),
        ]
    );
    let positions = c.positions().await.unwrap();
    assert!(
        positions.net.iter().all(|p| p.quantity == 0),
        "{:?}",
        positions.net
    );
    assert!(c
        .orders()
        .await
        .unwrap()
        .iter()
        .all(|o| o.status.is_terminal()));
    // Flat already: a second flatten sends nothing.
    assert!(ex.flatten().await.unwrap().is_empty());
    assert!(j.live_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_requests_and_short_margin_never_reach_the_broker() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("refuse");
    let j = db.journal().await;
    let ex = Executor::new(
        c.clone(),
        j.clone(),
        ExecConfig {
            check_margin: true,
            ..fast()
        },
    );
    let zero = ex.submit(req("ITC", TransactionType::Buy, 0)).await;
    assert!(matches!(zero, Err(ExecError::Invalid(_))), "{zero:?}");
    let mut bad_tick = req("ITC", TransactionType::Buy, 1);
    bad_tick.tick_size = 0.003;
    assert!(matches!(
        ex.submit(bad_tick).await,
        Err(ExecError::Invalid(_))
    ));
    let mut bad_limit = req("ITC", TransactionType::Buy, 1);
    bad_limit.limit = Some(f64::NAN);
    assert!(matches!(
        ex.submit(bad_limit).await,
        Err(ExecError::Invalid(_))
    ));
    assert!(matches!(
        ex.submit_basket(Vec::new()).await,
        Err(ExecError::Invalid(_))
    ));

    let huge = ex
        .submit(req("RELIANCE", TransactionType::Buy, 100_000))
        .await;
    match huge {
        Err(ExecError::InsufficientMargin {
            required,
            available,
        }) => assert!(
            required > available && available > 0.0,
            "{required} {available}"
        ),
        other => panic!("expected insufficient margin, got {other:?}"),
    }
    // A small order passes the check and trades.
    let ok = ex
        .submit(req("ITC", TransactionType::Buy, 1))
        .await
        .unwrap();
    assert_eq!(ok.status, ExecStatus::Filled);
    assert_eq!(
        j.orders(10).await.unwrap().len(),
        1,
        "only the good order journalled"
    );
    assert_eq!(
        c.orders().await.unwrap().len(),
        1,
        "only the good order sent"
    );
}

#[tokio::test]
async fn reprice_on_timeout_works_one_more_period_before_cancelling() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("reprice");
    let j = db.journal().await;
    let ex = Executor::new(
        c.clone(),
        j.clone(),
        ExecConfig {
            on_timeout: TimeoutAction::Reprice,
            max_modifications: 0,
            ..fast()
        },
    );
    admin(&sb, "/admin/orders/partial_fill?count=1&percent=40").await;
    let started = std::time::Instant::now();
    let rec = ex
        .submit(req("ITC", TransactionType::Sell, 10))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "two fill timeouts: {:?}",
        started.elapsed()
    );
    assert_eq!(
        (rec.status, rec.filled_quantity),
        (ExecStatus::Cancelled, 4)
    );
    // The frozen market's touch did not move, so the re-price found nothing to change.
    assert_eq!(rec.modifications, 0);
    assert_fills_match(&c, &j, &rec).await;
    assert_eq!(net_position(&c, "ITC").await, -4);
}

#[tokio::test]
async fn the_poller_adopts_an_order_placed_under_a_journalled_tag() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("poller");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    let mut events = ex.events();
    // Journalled, then sent by hand: the executor never saw the reply.
    let tag = "ktapolled0000001";
    let now = engine::journal::now_ms();
    let rec = OrderRecord {
        tag: tag.into(),
        order_id: None,
        strategy_id: None,
        basket: None,
        exchange: Exchange::Nse,
        tradingsymbol: "ITC".into(),
        side: TransactionType::Buy,
        product: Product::Mis,
        quantity: 3,
        filled_quantity: 0,
        price: None,
        average_price: 0.0,
        status: ExecStatus::Pending,
        message: None,
        modifications: 0,
        created_ms: now,
        updated_ms: now,
    };
    assert!(j.insert_order(&rec).await.unwrap());
    let ask = quote(&c, "ITC").await.depth.sell[0].price;
    let mut p = OrderParams::new(
        Exchange::Nse,
        "ITC",
        TransactionType::Buy,
        OrderType::Limit,
        3,
        Product::Mis,
    );
    p.price = Some(ask);
    p.tag = Some(tag.into());
    let id = c.place_order(&p).await.unwrap();
    // Started after the placement: a poll before it would rightly call the tag never sent.
    let poller = ex.spawn_poller();
    let adopted = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(engine::execution::ExecEvent::Order(o)) = events.recv().await {
                if o.tag == tag && o.status.is_terminal() {
                    return o;
                }
            }
        }
    })
    .await
    .expect("the poller settles the order");
    poller.abort();
    assert_eq!(adopted.order_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        (adopted.status, adopted.filled_quantity),
        (ExecStatus::Filled, 3)
    );
    assert_fills_match(&c, &j, &adopted).await;
}

#[tokio::test]
async fn a_working_order_is_chased_to_the_new_touch() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("chase");
    let j = db.journal().await;
    let ex = Executor::new(
        c.clone(),
        j.clone(),
        ExecConfig {
            fill_timeout: Duration::from_secs(3),
            ..fast()
        },
    );
    let mut events = ex.events();
    admin(&sb, "/admin/orders/partial_fill?count=1&percent=40").await;
    let first_ask = quote(&c, "ITC").await.depth.sell[0].price;
    let task = {
        let ex = ex.clone();
        tokio::spawn(async move { ex.submit(req("ITC", TransactionType::Buy, 25)).await })
    };
    // Working, partly filled: now move the market until the touch moves.
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(engine::execution::ExecEvent::Order(o)) = events.recv().await {
                if o.status == ExecStatus::PartiallyFilled {
                    return;
                }
            }
        }
    })
    .await
    .expect("partly filled");
    let mut ask = first_ask;
    for _ in 0..50 {
        sb.step_market().await;
        ask = quote(&c, "ITC").await.depth.sell[0].price;
        if ask != first_ask {
            break;
        }
    }
    assert_ne!(ask, first_ask, "the market moved");
    let want = ((to_paise(ask) as f64 * 1.005 / 5.0 - 1e-9).ceil() as i64) * 5;
    // The next chase moves the order there.
    let moved = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Ok(engine::execution::ExecEvent::Order(o)) = events.recv().await {
                if o.modifications > 0 && o.price.map(to_paise) == Some(want) {
                    return o;
                }
            }
        }
    })
    .await
    .expect("chased to the new touch + band");
    let id = moved.order_id.clone().unwrap();
    let at_broker = c.order_history(&id.as_str().into()).await.unwrap();
    assert_eq!(to_paise(at_broker.last().unwrap().price), want);
    let rec = task.await.unwrap().unwrap();
    assert_eq!(
        (rec.status, rec.filled_quantity),
        (ExecStatus::Cancelled, 10)
    );
    assert!(rec.modifications >= 1 && rec.modifications <= 3);
}

#[tokio::test]
async fn a_halted_executor_refuses_strategy_orders_but_not_closing_ones() {
    let sb = frozen().await;
    let c = client(&sb);
    let db = TempDb::new("halted");
    let j = db.journal().await;
    let ex = Executor::new(c.clone(), j.clone(), fast());
    ex.set_halted(true);
    let refused = ex.submit(req("ITC", TransactionType::Buy, 2)).await;
    match refused {
        Err(ExecError::Rejected { ref message, .. }) => {
            assert!(message.contains("kill switch"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Journalled (its tag is known) but never sent.
    let rows = j.orders(10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, ExecStatus::Rejected);
    assert!(rows[0].order_id.is_none());
    assert!(
        c.orders().await.unwrap().is_empty(),
        "nothing reached the broker"
    );
    // A closing order (no strategy: the kill switch's square-off) still goes.
    let closing = OrderRequest {
        strategy_id: None,
        ..req("ITC", TransactionType::Sell, 1)
    };
    let sent = ex.submit(closing).await.unwrap();
    assert_eq!(sent.status, ExecStatus::Filled);
    // Released: strategy orders go again.
    ex.set_halted(false);
    let again = ex
        .submit(req("ITC", TransactionType::Buy, 1))
        .await
        .unwrap();
    assert_eq!(again.status, ExecStatus::Filled);
    assert_eq!(c.orders().await.unwrap().len(), 2);
}
