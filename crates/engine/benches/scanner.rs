//! Times a full NIFTY 50 scan from a warm candle cache (SQLite file), against the sandbox.
//!
//! `cargo bench -p engine --bench scanner`. A first scan fills the cache (Kite's 3 requests/s history
//! limit makes it ~17 s). Then, timed end to end (instrument lookup, cache reads, one live quote
//! call, evaluation):
//! * "after restart": a new scanner on the same database file (no candles in memory yet);
//! * "repeat": the same scanner again (closed bars already in memory);
//!
//! and separately one batched SQLite read of all 50 stocks and the pure evaluation.

use engine::instruments::InstrumentStore;
use engine::scanner::history::{calendar_days_for, ist_now, session_date};
use engine::scanner::{evaluate, universe, Scanner, UniverseEntry, SCAN_SESSIONS};
use engine::Db;
use kite::{KiteClient, KiteConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::Interval;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn stats(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let median = ms[ms.len() / 2];
    println!(
        "{name:<40} median {median:>8.2} ms   min {:>8.2} ms   max {:>8.2} ms   ({} runs)",
        ms[0],
        ms[ms.len() - 1],
        ms.len()
    );
}

/// Runs one scan to the end; its `elapsed_ms`.
async fn scan(s: &Scanner) -> f64 {
    // Kite allows one quote call a second: start with the limiter free, so the figure is the
    // scan's own time.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(s.start().started);
    while s.status().scanning {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(s.status().error, None);
    s.results().expect("results").elapsed_ms as f64
}

#[tokio::main]
async fn main() {
    let sb = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let kite =
        KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).expect("client");
    kite.set_access_token(Some(sb.mint_access_token()));
    let dir = std::env::temp_dir().join(format!("engine-scanner-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(dir.join("kite-agent.db")).await.expect("db");
    let dumps = Arc::new(InstrumentStore::new());
    let scanner = |db: &Db| {
        Scanner::new(
            kite.clone(),
            db.candles(),
            dumps.clone(),
            universe::nifty_50(),
        )
    };

    let first = scanner(&db);
    let cold = Instant::now();
    scan(&first).await;
    println!(
        "cold scan (fills the cache): {:.1} s, {} historical requests",
        cold.elapsed().as_secs_f64() - 1.1,
        first.last_historical_calls()
    );
    let results = first.results().expect("results");

    let mut restart = Vec::new();
    for _ in 0..5 {
        let s = scanner(&db);
        restart.push(scan(&s).await);
        assert_eq!(s.last_historical_calls(), 0);
    }
    stats("warm scan after restart (SQLite reads)", restart);
    let mut repeat = Vec::new();
    for _ in 0..10 {
        repeat.push(scan(&first).await);
        assert_eq!(first.last_historical_calls(), 0);
    }
    stats("warm scan, repeat (bars in memory)", repeat);

    let tokens: Vec<_> = results.stocks.iter().map(|s| s.token).collect();
    let session = session_date(ist_now().date());
    let from = (session - chrono::Days::new(calendar_days_for(SCAN_SESSIONS)))
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let to = session.and_hms_opt(0, 0, 0).expect("midnight");
    let cache = db.candles();
    let mut load = Vec::new();
    let mut eval = Vec::new();
    let mut bars = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let by_token = cache
            .load_many(&tokens, Interval::Day, from, to)
            .await
            .expect("cache");
        load.push(t.elapsed().as_secs_f64() * 1e3);
        bars = by_token.values().map(Vec::len).sum();
        let entries: Vec<UniverseEntry<'_>> = results
            .stocks
            .iter()
            .map(|s| (s.symbol.as_str(), s.token, by_token[&s.token].as_slice()))
            .collect();
        let t = Instant::now();
        let r = evaluate(&entries);
        eval.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.stocks.len(), 50);
    }
    println!("({bars} cached daily bars for 50 stocks)");
    stats("one batched SQLite read, 50 stocks", load);
    stats("evaluate, 50 stocks (pure)", eval);
    let _ = std::fs::remove_dir_all(&dir);
}
