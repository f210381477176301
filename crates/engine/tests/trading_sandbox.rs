//! Live trading against the sandbox over loopback: a strategy's signal becomes a risk-checked order
//! that fills and is journalled; the kill switch flattens the account within a second while a
//! strategy is stuck, blocks orders and survives a restart; the live path (ticks → bars →
//! strategy) gives the same signals as the backtester on the same candles.

use engine::strategy::{Signal, Strategy};
use engine::trading::runner::{Runner, RunnerInput, RunnerSignal};
use engine::{Db, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{Interval, OrderParams, OrderType, Product, TransactionType};
use model::trading::{AddStrategy, ExecStatus, KillSwitchAction, RiskVerdict, SignalSide};
use model::{Exchange, LiveMessage};
use quant::Bar;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Rig {
    sb: Sandbox,
    kite: KiteClient,
    engine: Arc<UserEngine>,
    db_path: std::path::PathBuf,
    dir: std::path::PathBuf,
}

async fn rig(name: &str) -> Rig {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("trading-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db_path = dir.join("kite-agent.db");
    let (kite, engine) = engine_on(&sb, &db_path).await;
    Rig {
        sb,
        kite,
        engine,
        db_path,
        dir,
    }
}

async fn engine_on(sb: &Sandbox, db_path: &std::path::Path) -> (KiteClient, Arc<UserEngine>) {
    let token = sb.mint_access_token();
    let cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token.clone(),
        },
    );
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token));
    let db = Db::open(db_path).await.unwrap();
    let engine = UserEngine::start(UserId::default_user(), kite.clone(), cfg, vec![], db);
    (kite, engine)
}

fn market(symbol: &str, side: TransactionType, qty: u32) -> OrderParams {
    OrderParams::new(
        Exchange::Nse,
        symbol,
        side,
        OrderType::Market,
        qty,
        Product::Mis,
    )
}

async fn net_positions(kite: &KiteClient) -> Vec<(String, i64)> {
    kite.positions()
        .await
        .unwrap()
        .net
        .into_iter()
        .filter(|p| p.quantity != 0)
        .map(|p| (p.tradingsymbol, p.quantity))
        .collect()
}

/// A strategy that signals a buy on its first tick and then blocks its thread until released:
/// a stuck strategy.
struct Stuck {
    entered: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
    fired: bool,
}

impl Strategy for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn warmup(&self) -> usize {
        0
    }
    fn on_bar(&mut self, _bar: &Bar) -> Option<Signal> {
        None
    }
    fn on_tick(&mut self, _tick: &model::Tick) -> Option<Signal> {
        if !self.fired {
            self.fired = true;
            return Some(Signal::new(
                engine::strategy::Side::Buy,
                1.0,
                "first tick, then stuck",
            ));
        }
        self.entered.store(true, Ordering::SeqCst);
        while !self.release.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
    fn reset(&mut self) {}
}

/// Kite's rate limit refusing the kill switch's square-offs (another app on the account, a burst):
/// a 429 means not placed, so they go again at once, same tag, and the account is still flat
/// within the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_switch_square_offs_refused_by_429_go_again_within_the_second() {
    let r = rig("kill429").await;
    for (sym, side, q) in [
        ("INFY", TransactionType::Buy, 4),
        ("ITC", TransactionType::Sell, 6),
        ("TCS", TransactionType::Buy, 2),
    ] {
        r.kite.place_order(&market(sym, side, q)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(net_positions(&r.kite).await.len(), 3);
    let http = reqwest::Client::new();
    let admin = |path: &str| format!("{}{path}", r.sb.http_url());
    http.delete(admin("/admin/rest/requests"))
        .send()
        .await
        .unwrap();
    http.post(admin(
        "/admin/rest/fail?count=2&status=429&classes=order_place",
    ))
    .send()
    .await
    .unwrap();
    let state = r
        .engine
        .trading()
        .kill_switch(KillSwitchAction::Fire {
            reason: Some("test".into()),
        })
        .await
        .unwrap();
    let flat_ms = state.flattened_ms.expect("flat") - state.since_ms.unwrap();
    eprintln!("kill switch with two 429s: flat {flat_ms} ms after firing");
    assert!(flat_ms < 1_000, "flat {flat_ms} ms after firing");
    assert!(net_positions(&r.kite).await.is_empty());
    let log: serde_json::Value = http
        .get(admin("/admin/rest/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let places: Vec<u64> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["class"] == "order_place")
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        places.iter().filter(|s| **s == 429).count(),
        2,
        "{places:?}"
    );
    assert_eq!(
        places.iter().filter(|s| **s == 200).count(),
        3,
        "{places:?}"
    );
    // One order per tag at the broker: a refused placement was never a placement.
    let orders = r.kite.orders().await.unwrap();
    let mut tags: Vec<_> = orders.iter().filter_map(|o| o.tag.clone()).collect();
    let n = tags.len();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), n, "a tag placed twice");
    let _ = std::fs::remove_dir_all(&r.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_switch_flattens_within_a_second_while_a_strategy_is_stuck_and_survives_restart() {
    let r = rig("kill").await;
    let trading = r.engine.trading().clone();
    // Positions and a working order at the broker, some not the engine's own.
    for (sym, side, q) in [
        ("INFY", TransactionType::Buy, 10),
        ("TCS", TransactionType::Buy, 5),
        ("SBIN", TransactionType::Sell, 20),
    ] {
        r.kite.place_order(&market(sym, side, q)).await.unwrap();
    }
    let q = r.kite.ltp(&["NSE:RELIANCE"]).await.unwrap();
    let ltp = q.values().next().unwrap().last_price;
    let resting = OrderParams {
        order_type: OrderType::Limit,
        price: Some(((ltp * 0.92) * 20.0).round() / 20.0),
        ..market("RELIANCE", TransactionType::Buy, 3)
    };
    r.kite.place_order(&resting).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(net_positions(&r.kite).await.len(), 3);

    trading.start_live().await.unwrap();
    let entered = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    trading
        .add_custom_strategy(
            "NSE:HDFCBANK",
            Box::new(Stuck {
                entered: entered.clone(),
                release: release.clone(),
                fired: false,
            }),
            60,
            Product::Mis,
            4,
        )
        .await
        .unwrap();
    let t0 = Instant::now();
    while !entered.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "strategy never got stuck"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Its first signal's order has gone through (or is going): wait for the engine's position.
    let t0 = Instant::now();
    loop {
        let p = net_positions(&r.kite).await;
        if p.iter().any(|(s, q)| s == "HDFCBANK" && *q == 4) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the strategy's order did not fill: {p:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let fired = Instant::now();
    let state = trading
        .kill_switch(KillSwitchAction::Fire {
            reason: Some("test".into()),
        })
        .await
        .unwrap();
    let took = fired.elapsed();
    assert!(state.active);
    let flat_at = state.flattened_ms.expect("the account was seen flat");
    assert!(
        flat_at - state.since_ms.unwrap() < 1_000,
        "flattened {} ms after firing",
        flat_at - state.since_ms.unwrap()
    );
    assert!(took < Duration::from_secs(1), "kill switch took {took:?}");
    eprintln!(
        "kill switch: account flat {} ms after firing (call returned after {took:?})",
        flat_at - state.since_ms.unwrap()
    );
    assert!(net_positions(&r.kite).await.is_empty());
    let orders = r.kite.orders().await.unwrap();
    assert!(
        orders.iter().all(|o| o.status.is_terminal()),
        "no order left working"
    );

    // Blocked until reset: live trading refuses to start and the risk status says why.
    trading.stop_live().await.unwrap();
    assert!(trading.start_live().await.is_err());
    let status = trading.risk_status().await.unwrap();
    assert!(status.kill_switch.active);
    release.store(true, Ordering::SeqCst);

    // A restart (new engine on the same database) keeps it active.
    drop(trading);
    drop(r.engine);
    let (_kite2, engine2) = engine_on(&r.sb, &r.db_path).await;
    let status = engine2.trading().risk_status().await.unwrap();
    assert!(status.kill_switch.active, "kill switch survives a restart");
    assert!(engine2.trading().start_live().await.is_err());
    let reset = engine2
        .trading()
        .kill_switch(KillSwitchAction::Reset)
        .await
        .unwrap();
    assert!(!reset.active);
    engine2.trading().start_live().await.unwrap();
    let _ = std::fs::remove_dir_all(&r.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_signal_becomes_a_journalled_filled_order() {
    let r = rig("signal").await;
    let trading = r.engine.trading().clone();
    let mut live = r.engine.live();
    let mut params = BTreeMap::new();
    params.insert("fast".to_string(), "2".to_string());
    params.insert("slow".to_string(), "3".to_string());
    let bad = trading
        .add_strategy(AddStrategy {
            kind: "ema_crossover".into(),
            instrument: "NSE:NOSUCHSTOCK".into(),
            params: params.clone(),
            bar_seconds: Some(1),
            product: Some(Product::Mis),
            quantity: Some(2),
        })
        .await;
    assert!(bad.is_err(), "unknown symbol refused");
    let config = trading
        .add_strategy(AddStrategy {
            kind: "ema_crossover".into(),
            instrument: "NSE:INFY".into(),
            params,
            bar_seconds: Some(1),
            product: Some(Product::Mis),
            quantity: Some(2),
        })
        .await
        .unwrap();
    trading.start_live().await.unwrap();
    // Wait for an approved signal and the order it caused to fill.
    let mut approved = None;
    let mut filled = None;
    tokio::time::timeout(Duration::from_secs(90), async {
        while filled.is_none() {
            match live.recv().await {
                Ok(LiveMessage::Signal { signal })
                    if signal.strategy_id == config.id
                        && matches!(signal.verdict, RiskVerdict::Approved { .. })
                        && approved.is_none() =>
                {
                    approved = Some(signal);
                }
                Ok(LiveMessage::Order { order })
                    if order.strategy_id == Some(config.id)
                        && order.status == ExecStatus::Filled =>
                {
                    filled = Some(order);
                }
                _ => {}
            }
        }
    })
    .await
    .expect("a signal and a filled order within 90 s");
    let signal = approved.unwrap();
    let order = filled.unwrap();
    assert!(matches!(signal.side, SignalSide::Buy | SignalSide::Sell));
    assert_eq!(order.quantity, 2);
    // Sent as a marketable LIMIT, never MARKET; exactly one broker order carries the tag.
    let broker: Vec<_> = r
        .kite
        .orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.tag.as_deref() == Some(order.tag.as_str()))
        .collect();
    assert_eq!(broker.len(), 1);
    assert_eq!(broker[0].order_type, OrderType::Limit);
    // The journal has the signal and exactly the broker's trades for that order.
    let j = trading.journal_db();
    let sigs = trading.signals(50).await.unwrap();
    assert!(sigs.iter().any(|s| s.id == signal.id));
    let oid = order.order_id.clone().unwrap();
    let fills = j.order_fills(&oid).await.unwrap();
    let trades = r
        .kite
        .order_trades(&model::broker::OrderId(oid.clone()))
        .await
        .unwrap();
    assert_eq!(fills.len(), trades.len());
    assert_eq!(fills.iter().map(|f| f.quantity).sum::<u32>(), 2);
    let rows = trading.strategies().await.unwrap();
    let row = rows.iter().find(|r| r.config.id == config.id).unwrap();
    assert!(row.signals >= 1);
    trading.stop_live().await.unwrap();
    let _ = std::fs::remove_dir_all(&r.dir);
}

/// The backtester and the live path see the same bars and take the same decisions: ticks made
/// from the sandbox's daily candles (open, high, low, close in turn) through a live runner give
/// exactly the signals whose orders the backtester filled at the next bar's open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_runner_and_backtest_agree_on_sandbox_candles() {
    let r = rig("replay").await;
    let infy = r
        .kite
        .instruments(Some(Exchange::Nse), None)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.tradingsymbol == "INFY")
        .unwrap();
    let to = chrono::Local::now().naive_local();
    let from = to - chrono::Duration::days(700);
    let candles = r
        .kite
        .historical(infy.instrument_token, Interval::Day, from, to, false, false)
        .await
        .unwrap();
    assert!(candles.len() > 300, "{} candles", candles.len());
    let bars = engine::backtest::bars_from_candles(&candles);
    let spec =
        engine::strategy::StrategySpec::parse("sma_crossover", &["fast=10", "slow=20"]).unwrap();
    let report = engine::backtest::run_spec(
        &spec,
        &bars,
        // The trade still open at the end is closed on the last bar, so it is listed too.
        &engine::backtest::BacktestConfig {
            finalize_trades: true,
            ..engine::backtest::BacktestConfig::default()
        },
        false,
    )
    .unwrap();
    assert!(report.trades.len() >= 4, "{} trades", report.trades.len());

    // Live: one bar per day, fed as four ticks; the runner builds the bars itself.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RunnerSignal>();
    // One-second bars: every tick of a day carries the day's own timestamp, so each day is a bar.
    let runner = Runner::spawn(1, spec.build().unwrap(), 1, tx).unwrap();
    for b in &bars {
        for price in [b.open, b.high, b.low, b.close] {
            let tick = model::Tick {
                token: infy.instrument_token,
                last_price: price,
                exchange_timestamp: Some(b.ts as u32),
                ..model::Tick::default()
            };
            runner.feed(RunnerInput::Tick(Box::new(tick)));
        }
    }
    runner.feed(RunnerInput::Flush(i64::MAX / 2));
    drop(runner);
    let mut live = Vec::new();
    while let Some(s) = rx.recv().await {
        live.push(s);
    }
    // Each backtest trade entry is the order of a live signal on the bar before it.
    let index_of = |ts: i64| bars.iter().position(|b| b.ts == ts).unwrap();
    let live_entries: Vec<(usize, i64)> = live
        .iter()
        .map(|s| {
            let dir = match s.side {
                SignalSide::Buy => 1,
                SignalSide::Sell => -1,
                SignalSide::Exit => 0,
            };
            (index_of(s.bar_ts) + 1, dir)
        })
        .filter(|(i, _)| *i < bars.len())
        .collect();
    let bt_entries: Vec<(usize, i64)> = report
        .trades
        .iter()
        .map(|t| (t.entry_bar, t.size.signum()))
        .collect();
    assert_eq!(live_entries, bt_entries);
    let _ = std::fs::remove_dir_all(&r.dir);
}
