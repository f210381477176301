//! Strategies, signals, risk events, settings, P&L and CSV export, on a real SQLite file.

use super::*;
use crate::db::Db;
use crate::hub::UserId;
use chrono::{TimeZone, Utc};
use model::broker::{Product, TransactionType};
use model::trading::{
    ExecStatus, FillRecord, KillSwitchState, OrderRecord, RiskLimits, RiskVerdict, SignalEvent,
    SignalSide, StrategyConfig,
};
use model::Exchange;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn db_path(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("journal-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (dir.join("kite-agent.db"), dir)
}

async fn open(path: &Path, user: &str) -> Journal {
    Journal::new(Db::open(path).await.unwrap(), UserId::new(user))
}

async fn journal(name: &str, user: &str) -> (Journal, PathBuf) {
    let (path, dir) = db_path(name);
    (open(&path, user).await, dir)
}

#[allow(clippy::too_many_arguments)]
fn fill(
    trade: &str,
    strategy: Option<i64>,
    symbol: &str,
    side: TransactionType,
    quantity: u32,
    price: f64,
    charges: f64,
    ts_ms: u64,
) -> FillRecord {
    FillRecord {
        trade_id: trade.into(),
        order_id: format!("O{trade}"),
        tag: format!("t{trade}"),
        strategy_id: strategy,
        exchange: Exchange::Nse,
        tradingsymbol: symbol.into(),
        side,
        quantity,
        price,
        charges,
        ts_ms,
    }
}

fn order_for(f: &FillRecord, product: Product) -> OrderRecord {
    OrderRecord {
        tag: f.tag.clone(),
        order_id: Some(f.order_id.clone()),
        strategy_id: f.strategy_id,
        basket: None,
        exchange: f.exchange,
        tradingsymbol: f.tradingsymbol.clone(),
        side: f.side,
        product,
        quantity: f.quantity,
        filled_quantity: f.quantity,
        price: Some(f.price),
        average_price: f.price,
        status: ExecStatus::Filled,
        message: None,
        modifications: 0,
        created_ms: f.ts_ms,
        updated_ms: f.ts_ms,
    }
}

async fn journal_fills(j: &Journal, fills: &[FillRecord], product: Product) {
    for f in fills {
        assert!(j.insert_order(&order_for(f, product)).await.unwrap());
        assert!(j.insert_fill(f).await.unwrap());
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn row<'a>(rows: &'a [model::trading::PnlRow], key: &str) -> &'a model::trading::PnlRow {
    rows.iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key:?} in {rows:?}"))
}

fn marks(pairs: &[(&str, f64)]) -> HashMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

use TransactionType::{Buy, Sell};

/// buy 10 @100, buy 10 @110 → avg 105; sell 15 @120 → realised +225; sell 10 @100 → realised −25
/// on 5 and short 5 @100; mark 90 → unrealised +50.
fn the_sequence() -> Vec<FillRecord> {
    vec![
        fill("1", Some(1), "INFY", Buy, 10, 100.0, 1.0, 1_000),
        fill("2", Some(1), "INFY", Buy, 10, 110.0, 1.5, 2_000),
        fill("3", Some(1), "INFY", Sell, 15, 120.0, 2.0, 3_000),
        fill("4", Some(1), "INFY", Sell, 10, 100.0, 0.5, 4_000),
    ]
}

#[tokio::test]
async fn hand_computed_average_cost_pnl_with_charges_and_a_flip() {
    let (j, dir) = journal("pnl", "A").await;
    let mut fills = the_sequence();
    // An instrument with no mark: its realised counts, its open quantity has no unrealised.
    fills.push(fill("5", None, "TCS", Buy, 2, 3000.0, 0.25, 5_000));
    journal_fills(&j, &fills, Product::Cnc).await;
    let m = marks(&[("NSE:INFY", 90.0)]);

    let r = j.report(100, &m).await.unwrap();
    let infy = row(&r.by_instrument, "NSE:INFY");
    assert!(close(infy.realised, 200.0), "{infy:?}");
    assert!(close(infy.unrealised, 50.0), "{infy:?}");
    assert!(close(infy.charges, 5.0), "{infy:?}");
    assert!(close(infy.net, 245.0), "{infy:?}");
    assert_eq!(
        (infy.fills, infy.buy_quantity, infy.sell_quantity),
        (4, 20, 25)
    );
    let tcs = row(&r.by_instrument, "NSE:TCS");
    assert_eq!((tcs.realised, tcs.unrealised), (0.0, 0.0));
    assert!(close(tcs.net, -0.25));
    assert_eq!(r.total.key, "total");
    assert!(close(r.total.realised, 200.0));
    assert!(close(r.total.unrealised, 50.0));
    assert!(close(r.total.charges, 5.25));
    assert!(close(r.total.net, 244.75));
    assert_eq!(r.total.fills, 5);

    // Realised less charges after each fill.
    let expected = [
        (1_000, -1.0),
        (2_000, -2.5),
        (3_000, 220.5),
        (4_000, 195.0),
        (5_000, 194.75),
    ];
    assert_eq!(r.cumulative.len(), expected.len());
    for ((ts, c), (ets, ec)) in r.cumulative.iter().zip(expected) {
        assert_eq!(*ts, ets);
        assert!(close(*c, ec), "{:?}", r.cumulative);
    }

    // Newest first, limited.
    let r2 = j.report(2, &m).await.unwrap();
    let ids: Vec<&str> = r2.fills.iter().map(|f| f.trade_id.as_str()).collect();
    assert_eq!(ids, ["5", "4"]);
    assert_eq!(r2.orders.len(), 2);
    assert_eq!(r2.orders[0].tag, "t5");
    assert_eq!(r2.total, r.total, "the limit only trims the lists");

    let p = j.positions(&m).await.unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].tradingsymbol.as_str(), p[0].quantity, p[0].product),
        ("INFY", -5, Product::Cnc)
    );
    assert!(close(p[0].average_price, 100.0) && close(p[0].last_price, 90.0));
    assert!(close(p[0].realised, 200.0) && close(p[0].unrealised, 50.0));
    assert_eq!((p[1].tradingsymbol.as_str(), p[1].quantity), ("TCS", 2));
    assert!(close(p[1].average_price, 3000.0) && p[1].unrealised == 0.0);

    let s1 = j.strategy_pnl(1, &m).await.unwrap();
    assert_eq!(s1.key, "1");
    assert!(close(s1.net, 245.0), "{s1:?}");
    let none = j.strategy_pnl(77, &m).await.unwrap();
    assert_eq!((none.key.as_str(), none.fills, none.net), ("77", 0, 0.0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn account_sorts_by_time_and_keeps_flat_instruments_with_realised_pnl() {
    let fills = vec![
        fill("1", None, "SBIN", Buy, 10, 500.0, 0.0, 1),
        fill("2", None, "SBIN", Sell, 10, 510.0, 0.0, 2),
        // Given out of order: the accounting sorts by time.
        fill("0", None, "ITC", Buy, 1, 400.0, 0.0, 0),
    ];
    let b = account(&fills, &HashMap::new()).unwrap();
    let keys: Vec<&str> = b.by_instrument.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["NSE:ITC", "NSE:SBIN"]);
    assert_eq!(b.positions[1].quantity, 0);
    assert_eq!(b.positions[1].average_price, 0.0);
    assert!(close(b.positions[1].realised, 100.0));
    assert_eq!(b.cumulative[0], (0, 0.0));
}

#[test]
fn a_corrupt_fill_is_an_error_and_a_bad_mark_is_no_mark() {
    let mut bad = fill("1", None, "SBIN", Buy, 0, 500.0, 0.0, 1);
    assert!(matches!(
        account(std::slice::from_ref(&bad), &HashMap::new()),
        Err(DbError::Corrupt { table: "fills", .. })
    ));
    bad.quantity = 1;
    bad.price = f64::NAN;
    assert!(account(std::slice::from_ref(&bad), &HashMap::new()).is_err());
    bad.price = 500.0;
    bad.ts_ms = u64::MAX;
    assert!(account(std::slice::from_ref(&bad), &HashMap::new()).is_err());
    bad.ts_ms = 1;
    let b = account(&[bad], &marks(&[("NSE:SBIN", f64::INFINITY)])).unwrap();
    assert_eq!(b.total.unrealised, 0.0);
    assert_eq!(b.positions[0].last_price, 0.0);
}

#[tokio::test]
async fn days_split_at_ist_midnight() {
    let (j, dir) = journal("days", "A").await;
    let ms = |h, m, s| {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
            .unwrap()
            .timestamp_millis() as u64
    };
    let fills = vec![
        fill("1", None, "INFY", Buy, 10, 100.0, 1.0, ms(4, 0, 0)),
        // 23:59:59 IST on the 27th.
        fill("2", None, "INFY", Sell, 5, 110.0, 2.0, ms(18, 29, 59)),
        // 00:00:00 IST on the 28th.
        fill("3", None, "INFY", Sell, 5, 120.0, 4.0, ms(18, 30, 0)),
    ];
    journal_fills(&j, &fills, Product::Mis).await;
    let r = j.report(10, &HashMap::new()).await.unwrap();
    let keys: Vec<&str> = r.by_day.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["2026-11-27", "2026-11-28"]);
    let (d1, d2) = (&r.by_day[0], &r.by_day[1]);
    assert!(close(d1.realised, 50.0) && close(d1.charges, 3.0) && close(d1.net, 47.0));
    assert_eq!((d1.fills, d1.buy_quantity, d1.sell_quantity), (2, 10, 5));
    assert!(close(d2.realised, 100.0) && close(d2.charges, 4.0) && close(d2.net, 96.0));
    assert_eq!((d2.fills, d2.sell_quantity), (1, 5));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn strategies_are_accounted_separately_in_one_instrument() {
    let (j, dir) = journal("by-strategy", "A").await;
    let fills = vec![
        fill("1", Some(1), "INFY", Buy, 10, 100.0, 1.0, 1),
        fill("2", Some(2), "INFY", Sell, 10, 110.0, 1.0, 2),
        fill("3", None, "TCS", Buy, 5, 200.0, 0.5, 3),
        fill("4", None, "TCS", Sell, 5, 210.0, 0.5, 4),
        fill("5", Some(10), "SBIN", Buy, 1, 500.0, 0.0, 5),
    ];
    journal_fills(&j, &fills, Product::Mis).await;
    let m = marks(&[("NSE:INFY", 105.0), ("NSE:SBIN", 520.0)]);
    let r = j.report(10, &m).await.unwrap();
    let keys: Vec<&str> = r.by_strategy.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        ["1", "2", "10", "manual"],
        "ids numerically, manual last"
    );

    // Strategy 1 is long 10 @100, strategy 2 short 10 @110: neither realised anything.
    let s1 = row(&r.by_strategy, "1");
    assert!(close(s1.realised, 0.0) && close(s1.unrealised, 50.0) && close(s1.net, 49.0));
    let s2 = row(&r.by_strategy, "2");
    assert!(close(s2.realised, 0.0) && close(s2.unrealised, 50.0) && close(s2.net, 49.0));
    let s10 = row(&r.by_strategy, "10");
    assert!(close(s10.unrealised, 20.0));
    let manual = row(&r.by_strategy, "manual");
    assert!(close(manual.realised, 50.0) && close(manual.net, 49.0));
    // The account is flat in INFY and realised the 100 between them.
    let infy = row(&r.by_instrument, "NSE:INFY");
    assert!(close(infy.realised, 100.0) && infy.unrealised == 0.0);
    let strategies_net: f64 = r.by_strategy.iter().map(|s| s.net).sum();
    assert!(close(strategies_net, r.total.net), "nets agree with marks");
    assert_eq!(j.strategy_pnl(2, &m).await.unwrap(), s2.clone());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn csv_exports_round_trip_with_commas_and_quotes() {
    let (j, dir) = journal("csv", "A").await;
    let mut f1 = fill(
        "1",
        Some(3),
        "M&M,TEST",
        Buy,
        7,
        1234.5,
        2.25,
        1_764_288_000_000,
    );
    f1.exchange = Exchange::Bse;
    let f2 = fill("2", None, "INFY", Sell, 3, 99.95, 0.0, 1_764_288_001_000);
    let mut o1 = order_for(&f1, Product::Cnc);
    o1.message = Some("rejected: \"price\", band\nline two".into());
    o1.basket = Some("B1".into());
    assert!(j.insert_order(&o1).await.unwrap());
    assert!(j.insert_order(&order_for(&f2, Product::Mis)).await.unwrap());
    assert!(j.insert_fill(&f1).await.unwrap());
    assert!(j.insert_fill(&f2).await.unwrap());

    let text = j.fills_csv().await.unwrap();
    assert!(text.contains("\"M&M,TEST\""), "quoted: {text}");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let h = rd.headers().unwrap().clone();
    assert_eq!(&h[0], "trade_id");
    assert_eq!(h.len(), 12);
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 2);
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    assert_eq!(&recs[0][col("tradingsymbol")], "M&M,TEST");
    assert_eq!(&recs[0][col("exchange")], "BSE");
    assert_eq!(&recs[0][col("strategy_id")], "3");
    assert_eq!(&recs[0][col("side")], "BUY");
    assert_eq!(recs[0][col("price")].parse::<f64>().unwrap(), 1234.5);
    assert_eq!(recs[0][col("charges")].parse::<f64>().unwrap(), 2.25);
    assert_eq!(&recs[0][col("time_utc")], "2025-11-28T00:00:00.000Z");
    assert_eq!(&recs[1][col("strategy_id")], "", "no strategy is empty");
    assert_eq!(recs[1][col("price")].parse::<f64>().unwrap(), 99.95);

    let text = j.orders_csv().await.unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let h = rd.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(&recs[0][col("tag")], "t1", "oldest first");
    assert_eq!(&recs[0][col("tradingsymbol")], "M&M,TEST");
    assert_eq!(
        &recs[0][col("message")],
        "rejected: \"price\", band\nline two"
    );
    assert_eq!(&recs[0][col("product")], "CNC");
    assert_eq!(&recs[0][col("status")], "filled");
    assert_eq!(&recs[0][col("basket")], "B1");
    assert_eq!(&recs[1][col("basket")], "");

    // An empty journal still has its header.
    let b = Journal::new(j.db().clone(), UserId::new("B"));
    let empty = b.fills_csv().await.unwrap();
    assert_eq!(empty.lines().count(), 1);
    assert!(empty.starts_with("trade_id,"));
    let _ = std::fs::remove_dir_all(dir);
}

fn add(kind: &str, instrument: &str) -> StrategyConfig {
    StrategyConfig {
        id: 0,
        kind: kind.into(),
        instrument: instrument.into(),
        params: BTreeMap::from([("fast".into(), "2".into()), ("slow".into(), "3".into())]),
        bar_seconds: 5,
        product: Product::Cnc,
        quantity: 7,
        enabled: true,
        created_ms: 1_764_288_000_000,
    }
}

#[tokio::test]
async fn strategies_are_added_toggled_and_soft_removed() {
    let (j, dir) = journal("strategies", "A").await;
    let s1 = j
        .add_strategy(&add("ema_crossover", "NSE:INFY"))
        .await
        .unwrap();
    let s2 = j.add_strategy(&add("rsi", "NSE:TCS")).await.unwrap();
    assert!(s1.id > 0 && s2.id > s1.id);
    assert_eq!(
        s1,
        StrategyConfig {
            id: s1.id,
            ..add("ema_crossover", "NSE:INFY")
        }
    );
    assert_eq!(j.strategies().await.unwrap(), vec![s1.clone(), s2.clone()]);
    assert_eq!(j.strategy(s1.id).await.unwrap(), Some(s1.clone()));

    let off = j.set_strategy_enabled(s1.id, false).await.unwrap().unwrap();
    assert!(!off.enabled);
    assert_eq!(off.params, s1.params);

    // Its fill stays in the journal after removal.
    let f = fill("1", Some(s1.id), "INFY", Buy, 1, 100.0, 0.0, 1);
    journal_fills(&j, std::slice::from_ref(&f), Product::Mis).await;
    assert!(j.remove_strategy(s1.id).await.unwrap());
    assert!(!j.remove_strategy(s1.id).await.unwrap(), "already removed");
    assert_eq!(j.strategy(s1.id).await.unwrap(), None);
    assert_eq!(j.set_strategy_enabled(s1.id, true).await.unwrap(), None);
    assert_eq!(j.strategies().await.unwrap(), vec![s2.clone()]);
    assert_eq!(j.all_fills().await.unwrap(), vec![f]);
    let s3 = j.add_strategy(&add("rsi", "NSE:SBIN")).await.unwrap();
    assert!(s3.id > s2.id, "ids are never reused");
    let _ = std::fs::remove_dir_all(dir);
}

fn signal(strategy_id: i64, ts_ms: u64, verdict: RiskVerdict) -> SignalEvent {
    SignalEvent {
        id: 0,
        ts_ms,
        strategy_id,
        kind: "ema_crossover".into(),
        instrument: "NSE:INFY".into(),
        side: SignalSide::Buy,
        strength: 0.75,
        reason: "fast crossed above slow".into(),
        verdict,
    }
}

#[tokio::test]
async fn signals_keep_their_verdicts_newest_first() {
    let (j, dir) = journal("signals", "A").await;
    let a = signal(1, 10, RiskVerdict::Approved { quantity: 5 });
    let mut b = signal(
        1,
        20,
        RiskVerdict::Reduced {
            quantity: 2,
            reason: "instrument exposure".into(),
        },
    );
    b.side = SignalSide::Exit;
    let c = signal(
        2,
        15,
        RiskVerdict::Rejected {
            reason: "kill switch active".into(),
        },
    );
    let ia = j.insert_signal(&a).await.unwrap();
    let ib = j.insert_signal(&b).await.unwrap();
    let ic = j.insert_signal(&c).await.unwrap();
    assert!(ia < ib && ib < ic);

    let all = j.signals(10).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids, [ib, ic, ia], "by time, newest first");
    assert_eq!(
        all[0],
        SignalEvent {
            id: ib,
            ..b.clone()
        }
    );
    assert_eq!(all[1].verdict, c.verdict);
    assert_eq!(j.signals(1).await.unwrap().len(), 1);
    assert_eq!(j.signal_count(1).await.unwrap(), 2);
    assert_eq!(j.signal_count(3).await.unwrap(), 0);
    assert_eq!(j.last_signal(1).await.unwrap().unwrap().id, ib);
    assert_eq!(j.last_signal(3).await.unwrap(), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn risk_events_are_an_audit_trail() {
    let (j, dir) = journal("risk-events", "A").await;
    let kinds = [
        "rejected",
        "halt",
        "kill_switch_fired",
        "kill_switch_reset",
        "limits_changed",
    ];
    for (i, k) in kinds.iter().enumerate() {
        j.insert_risk_event(k, &format!("event {i}")).await.unwrap();
    }
    let ev = j.risk_events(3).await.unwrap();
    assert_eq!(ev.len(), 3);
    assert_eq!(ev[0].kind, "limits_changed", "newest first");
    assert_eq!(ev[0].detail, "event 4");
    assert!(ev[0].id > ev[1].id && ev[0].ts_ms >= ev[1].ts_ms);
    let all = j.risk_events(100).await.unwrap();
    let stored: Vec<&str> = all.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(stored, kinds);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn settings_and_the_kill_switch_survive_reopening_the_file() {
    let (path, dir) = db_path("settings");
    let j = open(&path, "A").await;
    assert_eq!(j.risk_limits().await.unwrap(), RiskLimits::default());
    assert_eq!(j.kill_switch().await.unwrap(), KillSwitchState::default());
    let limits = RiskLimits {
        capital: 250_000.0,
        daily_loss_limit: 5_000.0,
        max_open_positions: 3,
        check_margin: false,
        ..RiskLimits::default()
    };
    j.set_risk_limits(&RiskLimits::default()).await.unwrap();
    j.set_risk_limits(&limits).await.unwrap();
    let fired = KillSwitchState {
        active: true,
        since_ms: Some(1_764_288_000_000),
        reason: Some("daily loss limit".into()),
        flattened_ms: None,
    };
    j.set_kill_switch(&fired).await.unwrap();
    let s = j.add_strategy(&add("rsi", "NSE:TCS")).await.unwrap();
    j.db().pool().close().await;
    drop(j);

    let j = open(&path, "A").await;
    assert_eq!(j.risk_limits().await.unwrap(), limits);
    assert_eq!(j.kill_switch().await.unwrap(), fired);
    assert_eq!(j.strategies().await.unwrap(), vec![s]);
    let reset = KillSwitchState::default();
    j.set_kill_switch(&reset).await.unwrap();
    assert_eq!(j.kill_switch().await.unwrap(), reset);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_corrupt_setting_is_an_error_not_the_default() {
    let (j, dir) = journal("corrupt-setting", "A").await;
    sqlx::query(
        "INSERT INTO user_settings (user_id, setting_key, setting_value) VALUES ('A', 'kill_switch', '{')",
    )
    .execute(j.db().pool())
    .await
    .unwrap();
    assert!(matches!(
        j.kill_switch().await,
        Err(DbError::Corrupt {
            table: "user_settings",
            ..
        })
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn user_b_never_sees_user_a() {
    let (a, dir) = journal("isolation", "A").await;
    let b = Journal::new(a.db().clone(), UserId::new("B"));
    let s = a.add_strategy(&add("rsi", "NSE:TCS")).await.unwrap();
    a.insert_signal(&signal(s.id, 1, RiskVerdict::Approved { quantity: 1 }))
        .await
        .unwrap();
    a.insert_risk_event("halt", "loss").await.unwrap();
    a.set_risk_limits(&RiskLimits {
        capital: 1.0,
        ..RiskLimits::default()
    })
    .await
    .unwrap();
    a.set_kill_switch(&KillSwitchState {
        active: true,
        ..KillSwitchState::default()
    })
    .await
    .unwrap();
    journal_fills(
        &a,
        &[fill("1", Some(s.id), "TCS", Buy, 1, 100.0, 0.0, 1)],
        Product::Mis,
    )
    .await;

    assert!(b.strategies().await.unwrap().is_empty());
    assert_eq!(b.strategy(s.id).await.unwrap(), None);
    assert_eq!(b.set_strategy_enabled(s.id, false).await.unwrap(), None);
    assert!(!b.remove_strategy(s.id).await.unwrap());
    assert!(
        a.strategy(s.id).await.unwrap().unwrap().enabled,
        "untouched"
    );
    assert!(b.signals(10).await.unwrap().is_empty());
    assert_eq!(b.signal_count(s.id).await.unwrap(), 0);
    assert_eq!(b.last_signal(s.id).await.unwrap(), None);
    assert!(b.risk_events(10).await.unwrap().is_empty());
    assert_eq!(b.risk_limits().await.unwrap(), RiskLimits::default());
    assert!(!b.kill_switch().await.unwrap().active);
    let r = b.report(10, &HashMap::new()).await.unwrap();
    assert_eq!(
        r,
        model::trading::JournalReport {
            total: model::trading::PnlRow {
                key: "total".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    );
    assert!(b.positions(&HashMap::new()).await.unwrap().is_empty());
    assert_eq!(b.orders_csv().await.unwrap().lines().count(), 1);
    let _ = std::fs::remove_dir_all(dir);
}
