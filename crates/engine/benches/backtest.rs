//! Backtest throughput: bars per second of the event-driven path (a boxed `Strategy` fed bar by
//! bar) and of the vectorised crossover path, over 10 M synthetic bars (a seeded random walk).
//!
//! `nice cargo bench -p engine --bench backtest` (set `BACKTEST_BARS` to change the size).

use engine::backtest::{self, BacktestConfig, CostModel, MaKind};
use engine::strategy::{CrossoverParams, StrategySpec};
use quant::Bar;
use std::time::Instant;

/// A geometric random walk from a 64-bit LCG: deterministic, no dependency.
fn synthetic(n: usize) -> Vec<Bar> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut price = 100.0;
    let start = 1_104_537_600; // 2005-01-01, one bar a minute
    (0..n)
        .map(|i| {
            let open = price;
            price *= 1.0 + next() * 0.004;
            let close = price;
            let high = open.max(close) * (1.0 + next().abs() * 0.001);
            let low = open.min(close) * (1.0 - next().abs() * 0.001);
            Bar::new(
                start + 60 * i as i64,
                open,
                high,
                low,
                close,
                1000.0 + 500.0 * next(),
            )
        })
        .collect()
}

fn time<T>(label: &str, bars: usize, f: impl Fn() -> T) -> T {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    println!(
        "{label:<44} {bars} bars  best of 3 {:>8.3} s  {:>7.1} M bars/s",
        best,
        bars as f64 / best / 1e6
    );
    out.expect("ran")
}

fn main() {
    let n: usize = std::env::var("BACKTEST_BARS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let bars = synthetic(n);
    let config = BacktestConfig {
        // No commission: a 10/20 crossover on a random walk trades every ~40 bars (250 k times
        // here) and any commission would run the account to nothing, leaving the bench timing
        // cancelled orders. The commission arithmetic runs all the same.
        costs: CostModel::Fraction { rate: 0.0 },
        ..BacktestConfig::default()
    };
    let params = CrossoverParams { fast: 10, slow: 20 };
    for (name, kind) in [
        ("sma_crossover", MaKind::Sma),
        ("ema_crossover", MaKind::Ema),
    ] {
        let spec = StrategySpec::parse(name, &["fast=10", "slow=20"]).expect("valid");
        let event = time(&format!("{name} event-driven (dyn Strategy)"), n, || {
            backtest::run_spec(&spec, &bars, &config, false).expect("runs")
        });
        let fast = time(&format!("{name} vectorised"), n, || {
            backtest::run_crossover_vectorised(kind, params, &bars, &config).expect("runs")
        });
        assert_eq!(event.trades, fast.trades, "the two paths must agree");
        time(&format!("{name} statistics alone"), n, || {
            backtest::Stats::compute(&bars, &fast.equity, &fast.trades, params.slow - 1)
        });
        println!("  {} trades", event.stats.trades);
    }
    for name in ["rsi", "mean_reversion", "vwap_breakout"] {
        let spec = StrategySpec::parse::<&str>(name, &[]).expect("valid");
        let r = time(&format!("{name} event-driven (dyn Strategy)"), n, || {
            backtest::run_spec(&spec, &bars, &config, false).expect("runs")
        });
        println!("  {} trades", r.stats.trades);
    }
}
