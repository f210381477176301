//! `kite-agent backtest` through the real binary.

use std::path::PathBuf;
use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kite-agent"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/engine/tests/fixtures/backtest")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn temp_csv(name: &str, body: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("kta-bt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ohlcv.csv");
    std::fs::write(&file, body).unwrap();
    let path = file.to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn json_statistics_agree_with_backtesting_py() {
    let goog = fixture("GOOG.csv");
    let (ok, out, err) = run(&[
        "backtest",
        "--strategy",
        "sma_crossover",
        "--input",
        &goog,
        "--param",
        "fast=10",
        "--param",
        "slow=20",
        "--cash",
        "10000",
        "--commission",
        "0.002",
        "--json",
        "--trades",
    ]);
    assert!(ok, "{err}");
    let got: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("stats.json")).unwrap()).unwrap();
    for (ours, theirs) in [
        ("total_return_pct", "Return [%]"),
        ("cagr_pct", "CAGR [%]"),
        ("sharpe", "Sharpe Ratio"),
        ("sortino", "Sortino Ratio"),
        ("max_drawdown_pct", "Max. Drawdown [%]"),
        ("win_rate_pct", "Win Rate [%]"),
        ("profit_factor", "Profit Factor"),
        ("exposure_time_pct", "Exposure Time [%]"),
        ("trades", "# Trades"),
    ] {
        let (a, b) = (got[ours].as_f64().unwrap(), want[theirs].as_f64().unwrap());
        assert!(((a - b) / b).abs() < 1e-9, "{ours}: {a} vs {b}");
    }
    assert_eq!(got["strategy"]["strategy"], "sma_crossover");
    assert_eq!(got["strategy"]["params"]["fast"], 10);
    let trades = got["trade_list"].as_array().unwrap();
    assert_eq!(trades.len(), 93);
    assert_eq!(trades[0]["size"], -59);
    assert_eq!(trades[0]["entry_time"], "2004-11-17T00:00:00");
}

#[test]
fn table_output_is_readable() {
    let goog = fixture("GOOG.csv");
    let (ok, out, err) = run(&[
        "backtest",
        "--strategy",
        "rsi",
        "--input",
        &goog,
        "--zerodha",
        "delivery",
    ]);
    assert!(ok, "{err}");
    for label in [
        "total return %",
        "CAGR %",
        "Sharpe",
        "Sortino",
        "max drawdown %",
        "trades",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(label)),
            "{label} missing:\n{out}"
        );
    }
    assert!(out.contains(r#""strategy":"rsi""#), "{out}");
}

#[test]
fn unknown_strategy_and_bad_params_are_clear_errors() {
    let goog = fixture("GOOG.csv");
    let (ok, out, err) = run(&["backtest", "--strategy", "martingale", "--input", &goog]);
    assert!(!ok);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "error: unknown strategy \"martingale\"; accepted: sma_crossover, ema_crossover, rsi, \
         mean_reversion, vwap_breakout"
    );
    let (ok, _, err) = run(&[
        "backtest",
        "--strategy",
        "sma_crossover",
        "--input",
        &goog,
        "--param",
        "fast=30",
    ]);
    assert!(!ok);
    assert!(
        err.contains("fast (30) must be less than slow (20)"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "backtest",
        "--strategy",
        "ema_crossover",
        "--input",
        &goog,
        "--param",
        "speed=3",
    ]);
    assert!(!ok);
    assert!(err.contains("accepted: fast, slow"), "{err}");
    let (ok, _, err) = run(&[
        "backtest",
        "--strategy",
        "rsi",
        "--input",
        &goog,
        "--commission",
        "0.5",
    ]);
    assert!(!ok);
    assert!(err.contains("commission must be a fraction"), "{err}");
}

#[test]
fn bad_csv_is_a_clear_error() {
    let (dir, path) = temp_csv(
        "bad",
        "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,100\n2024-01-02,1,abc,0.5,1.5,100\n",
    );
    let (ok, out, err) = run(&["backtest", "--strategy", "rsi", "--input", &path]);
    assert!(!ok);
    assert!(out.is_empty());
    assert_eq!(
        err.trim(),
        "error: row 3: column high: \"abc\" is not a number"
    );
    assert_eq!(err.lines().count(), 1, "one line, no panic: {err}");
    let (ok, _, err) = run(&["backtest", "--strategy", "rsi", "--input", "/no/such.csv"]);
    assert!(!ok);
    assert!(err.starts_with("error: /no/such.csv: "), "{err}");
    let (ok, _, err) = run(&[
        "backtest",
        "--strategy",
        "rsi",
        "--input",
        &fixture("README.md"),
    ]);
    assert!(!ok);
    assert!(err.starts_with("error: "), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
