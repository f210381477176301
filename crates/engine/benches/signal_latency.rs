//! Signal-to-order latency of the live engine, against the sandbox on loopback.
//!
//! A strategy emits a signal on a tick at most every 400 ms (alternating buy and sell of one share, so the
//! position stays small); the time is taken when the signal leaves the strategy's thread and
//! again when the dashboard channel reports the order as accepted by the broker (`Open` or later).
//! In between: the signal queue, the risk check, journalling the signal and the order (SQLite,
//! WAL), a quote for the marketable limit, and the REST placement round trip. The REST round trip
//! alone is measured too, with the same client, so the engine's own share can be read off.
//!
//! Run: `cargo bench -p engine --bench signal_latency` (prints figures; not a criterion bench).

use engine::strategy::{Side, Signal, Strategy};
use engine::{Db, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{OrderParams, OrderType, Product, TransactionType};
use model::trading::ExecStatus;
use model::{Exchange, LiveMessage};
use quant::Bar;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIGNALS: usize = 100;
/// One signal per this interval at most: Kite allows 10 placements a second, and a queue of
/// signals waiting for the rate limiter would measure the queue, not the engine.
const SPACING: Duration = Duration::from_millis(400);

struct Pulse {
    last: Option<Instant>,
    long: bool,
    sent: Arc<Mutex<Vec<Instant>>>,
}

impl Strategy for Pulse {
    fn name(&self) -> &'static str {
        "pulse"
    }
    fn warmup(&self) -> usize {
        0
    }
    fn on_bar(&mut self, _bar: &Bar) -> Option<Signal> {
        None
    }
    fn on_tick(&mut self, _tick: &model::Tick) -> Option<Signal> {
        if self.last.is_some_and(|t| t.elapsed() < SPACING) {
            return None;
        }
        self.last = Some(Instant::now());
        let mut sent = self.sent.lock().unwrap();
        if sent.len() >= SIGNALS {
            return None;
        }
        self.long = !self.long;
        sent.push(Instant::now());
        Some(Signal::new(
            if self.long { Side::Buy } else { Side::Sell },
            1.0,
            "pulse",
        ))
    }
    fn reset(&mut self) {}
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn show(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let mean = d.iter().sum::<Duration>() / d.len() as u32;
    println!(
        "{name:<34} n={:<4} mean={:>8.3} ms  p50={:>8.3} ms  p90={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
        d.len(),
        mean.as_secs_f64() * 1e3,
        pct(&d, 0.5).as_secs_f64() * 1e3,
        pct(&d, 0.9).as_secs_f64() * 1e3,
        pct(&d, 0.99).as_secs_f64() * 1e3,
        d.last().unwrap().as_secs_f64() * 1e3,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(20),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("signal-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let token = sb.mint_access_token();
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token.clone()));
    let cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token,
        },
    );
    let db = Db::open(dir.join("kite-agent.db")).await.unwrap();
    let engine = UserEngine::start(UserId::default_user(), kite.clone(), cfg, vec![], db);
    let trading = engine.trading().clone();
    // Generous limits: this measures latency, not refusals.
    let mut limits = trading.risk_status().await.unwrap().limits;
    limits.max_orders_per_minute = 10_000;
    limits.check_margin = false;
    trading.set_risk_limits(limits).await.unwrap();

    // The REST placement round trip alone, same client, same sandbox.
    let mut rest = Vec::new();
    for i in 0..50 {
        let side = if i % 2 == 0 {
            TransactionType::Buy
        } else {
            TransactionType::Sell
        };
        let p = OrderParams::new(
            Exchange::Nse,
            "TCS",
            side,
            OrderType::Market,
            1,
            Product::Mis,
        );
        // Spaced like the signals, so the client's rate limiter never holds a call back.
        tokio::time::sleep(SPACING).await;
        let t = Instant::now();
        kite.place_order(&p).await.unwrap();
        rest.push(t.elapsed());
    }

    let mut live = engine.live();
    trading.start_live().await.unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let id = trading
        .add_custom_strategy(
            "NSE:INFY",
            Box::new(Pulse {
                last: None,
                long: false,
                sent: sent.clone(),
            }),
            60,
            Product::Mis,
            1,
        )
        .await
        .unwrap();
    let mut acked: HashMap<String, Instant> = HashMap::new();
    let mut order_seq: Vec<String> = Vec::new();
    let started = Instant::now();
    while acked.len() < SIGNALS && started.elapsed() < Duration::from_secs(300) {
        match tokio::time::timeout(Duration::from_secs(10), live.recv()).await {
            Ok(Ok(LiveMessage::Order { order }))
                if order.strategy_id == Some(id) && order.status != ExecStatus::Pending =>
            {
                if !acked.contains_key(&order.tag) {
                    acked.insert(order.tag.clone(), Instant::now());
                    order_seq.push(order.tag);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) => {}
            Err(_) => break,
        }
    }
    trading.stop_live().await.unwrap();
    let sent = sent.lock().unwrap().clone();
    // Signals are handled in order, one at a time, so the k-th acknowledged order is the k-th signal's.
    let e2e: Vec<Duration> = order_seq
        .iter()
        .zip(&sent)
        .map(|(tag, t0)| acked[tag].duration_since(*t0))
        .collect();
    println!(
        "signal-to-order latency, sandbox on loopback ({} signals)",
        e2e.len()
    );
    show("REST place_order round trip alone", rest);
    show("signal -> order accepted (engine)", e2e);
    let _ = std::fs::remove_dir_all(&dir);
}
