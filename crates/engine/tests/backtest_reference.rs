//! The backtester against backtesting.py 0.6.6: its documentation example SmaCross(10, 20) on its
//! GOOG sample, cash 10,000, commission 0.2 %, exclusive orders. The expected numbers were written
//! by scripts/backtest_reference/make_reference.py into tests/fixtures/backtest/; no Python here.
//! Two scenarios: the default (the last trade left open) and `finalize_trades=True`.

use engine::backtest::{self, BacktestConfig, CostModel, MaKind, Report};
use engine::strategy::{CrossoverParams, StrategySpec};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/backtest")
        .join(name)
}

/// Fixture suffix and whether the last trade is closed.
const SCENARIOS: [(&str, bool); 2] = [("", false), ("_finalized", true)];

fn config(finalize_trades: bool) -> BacktestConfig {
    BacktestConfig {
        cash: 10_000.0,
        costs: CostModel::Fraction { rate: 0.002 },
        slippage: 0.0,
        finalize_trades,
    }
}

fn goog() -> Vec<quant::Bar> {
    backtest::read_ohlcv_path(&fixture("GOOG.csv")).expect("GOOG.csv reads")
}

fn event_driven(finalize_trades: bool) -> Report {
    let spec = StrategySpec::parse("sma_crossover", &["fast=10", "slow=20"]).unwrap();
    backtest::run_spec(&spec, &goog(), &config(finalize_trades), false).unwrap()
}

fn close(label: &str, got: f64, want: f64, rel: f64) {
    let ok = if want == 0.0 {
        got.abs() <= rel
    } else {
        ((got - want) / want).abs() <= rel
    };
    assert!(ok, "{label}: got {got}, backtesting.py {want}");
}

#[test]
fn trades_match_backtesting_py() {
    for (suffix, finalize) in SCENARIOS {
        check_trades(suffix, finalize);
    }
}

fn check_trades(suffix: &str, finalize: bool) {
    let report = event_driven(finalize);
    let mut rdr = csv::Reader::from_path(fixture(&format!("trades{suffix}.csv"))).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(report.trades.len(), rows.len(), "number of trades{suffix}");
    assert_eq!(rows.len(), if finalize { 94 } else { 93 });
    for (i, (t, row)) in report.trades.iter().zip(&rows).enumerate() {
        let f = |k: usize| row[k].parse::<f64>().unwrap();
        assert_eq!(t.size, f(0) as i64, "trade {i} size");
        assert_eq!(t.entry_bar, f(1) as usize, "trade {i} entry bar");
        assert_eq!(t.exit_bar, f(2) as usize, "trade {i} exit bar");
        close(
            &format!("trade {i} entry price"),
            t.entry_price,
            f(3),
            1e-12,
        );
        close(&format!("trade {i} exit price"), t.exit_price, f(4), 1e-12);
        close(&format!("trade {i} pnl"), t.pnl, f(5), 1e-9);
        close(&format!("trade {i} commission"), t.commission, f(6), 1e-9);
        close(
            &format!("trade {i} return"),
            t.return_fraction(),
            f(7),
            1e-9,
        );
        assert_eq!(
            t.entry_time.date().to_string(),
            &row[8],
            "trade {i} entry time"
        );
        assert_eq!(
            t.exit_time.date().to_string(),
            &row[9],
            "trade {i} exit time"
        );
    }
    // By default backtesting.py leaves the last trade open: it is in the equity only.
    assert_eq!(report.open_size == 0, finalize);
}

#[test]
fn equity_curve_matches_backtesting_py() {
    for (suffix, finalize) in SCENARIOS {
        check_equity(suffix, finalize);
    }
}

fn check_equity(suffix: &str, finalize: bool) {
    let report = event_driven(finalize);
    let mut rdr = csv::Reader::from_path(fixture(&format!("equity{suffix}.csv"))).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(report.equity.len(), rows.len());
    for (i, (e, row)) in report.equity.iter().zip(&rows).enumerate() {
        close(
            &format!("equity at bar {i}"),
            *e,
            row[1].parse().unwrap(),
            1e-9,
        );
    }
}

#[test]
fn statistics_match_backtesting_py() {
    for (suffix, finalize) in SCENARIOS {
        check_stats(suffix, finalize);
    }
}

fn check_stats(suffix: &str, finalize: bool) {
    let s = event_driven(finalize).stats;
    let path = fixture(&format!("stats{suffix}.json"));
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let w = |k: &str| {
        want[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing in stats.json"))
    };
    assert_eq!(s.bars as f64, w("bars"));
    assert_eq!(s.trades as f64, w("# Trades"));
    let pairs = [
        ("Duration (days)", s.duration_days),
        ("Exposure Time [%]", s.exposure_time_pct),
        ("Equity Final [$]", s.equity_final),
        ("Equity Peak [$]", s.equity_peak),
        ("Commissions [$]", s.commissions),
        ("Return [%]", s.total_return_pct),
        ("Buy & Hold Return [%]", s.buy_hold_return_pct),
        ("Return (Ann.) [%]", s.return_ann_pct),
        ("Volatility (Ann.) [%]", s.volatility_ann_pct),
        ("CAGR [%]", s.cagr_pct),
        ("Sharpe Ratio", s.sharpe),
        ("Sortino Ratio", s.sortino),
        ("Calmar Ratio", s.calmar),
        ("Alpha [%]", s.alpha_pct),
        ("Beta", s.beta),
        ("Max. Drawdown [%]", s.max_drawdown_pct),
        ("Avg. Drawdown [%]", s.avg_drawdown_pct),
        (
            "Max. Drawdown Duration (days)",
            s.max_drawdown_duration_days,
        ),
        (
            "Avg. Drawdown Duration (days)",
            s.avg_drawdown_duration_days,
        ),
        ("Win Rate [%]", s.win_rate_pct),
        ("Best Trade [%]", s.best_trade_pct),
        ("Worst Trade [%]", s.worst_trade_pct),
        ("Avg. Trade [%]", s.avg_trade_pct),
        ("Max. Trade Duration (days)", s.max_trade_duration_days),
        ("Avg. Trade Duration (days)", s.avg_trade_duration_days),
        ("Profit Factor", s.profit_factor),
        ("Expectancy [%]", s.expectancy_pct),
        ("SQN", s.sqn),
        ("Kelly Criterion", s.kelly),
    ];
    let mut worst = (0.0f64, "");
    for (k, got) in pairs {
        close(&format!("{k}{suffix}"), got, w(k), 1e-6);
        let rel = ((got - w(k)) / w(k)).abs();
        if rel > worst.0 {
            worst = (rel, k);
        }
    }
    eprintln!(
        "stats{suffix}: largest relative difference {:e} ({})",
        worst.0, worst.1
    );
    assert_eq!(s.annual_periods, 252.0, "weekday daily data");
    assert_eq!(s.start.to_string(), "2004-08-19 00:00:00");
    assert_eq!(s.end.to_string(), "2013-03-01 00:00:00");
}

#[test]
fn vectorised_path_gives_the_same_report() {
    for (_, finalize) in SCENARIOS {
        check_vectorised(finalize);
    }
}

fn check_vectorised(finalize: bool) {
    let event = event_driven(finalize);
    let fast = backtest::run_crossover_vectorised(
        MaKind::Sma,
        CrossoverParams { fast: 10, slow: 20 },
        &goog(),
        &config(finalize),
    )
    .unwrap();
    assert_eq!(event.trades.len(), fast.trades.len());
    for (a, b) in event.trades.iter().zip(&fast.trades) {
        assert_eq!(a, b);
    }
    assert_eq!(event.stats, fast.stats);
    assert!(event.equity == fast.equity, "equity curves differ");
    assert_eq!(event.open_size, fast.open_size);
}
