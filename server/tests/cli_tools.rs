//! The offline commands through the real binary.

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

#[test]
fn greeks_then_implied_vol_round_trips() {
    let (ok, out, _) = run(&[
        "greeks", "--spot", "22000", "--strike", "22500", "--days", "7", "--rate", "0.065",
        "--vol", "0.14", "--kind", "call",
    ]);
    assert!(ok);
    let g: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in ["price", "delta", "gamma", "theta", "vega", "rho"] {
        assert!(g[k].is_number(), "{k} missing in {out}");
    }
    let price = g["price"].as_f64().unwrap();
    assert!(
        price > 0.0 && g["delta"].as_f64().unwrap() < 0.5,
        "OTM call"
    );
    assert!(g["theta"].as_f64().unwrap() < 0.0);
    let (ok, out, _) = run(&[
        "greeks",
        "--spot",
        "22000",
        "--strike",
        "22500",
        "--days",
        "7",
        "--rate",
        "0.065",
        "--price",
        &format!("{price:.12}"),
        "--kind",
        "call",
    ]);
    assert!(ok);
    let iv: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!((iv["iv"].as_f64().unwrap() - 0.14).abs() < 1e-9, "{out}");
}

#[test]
fn impossible_price_is_a_clear_error() {
    let (ok, out, err) = run(&[
        "greeks", "--spot", "100", "--strike", "100", "--days", "30", "--price", "200",
    ]);
    assert!(!ok);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: ") && err.contains("no-arbitrage"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line, no backtrace: {err}");
}

#[test]
fn indicators_over_a_csv() {
    let dir = std::env::temp_dir().join(format!("kta-ind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ohlcv.csv");
    let mut csv = String::from("date,open,high,low,close,volume\n");
    for i in 0..60 {
        let c = 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.1;
        csv.push_str(&format!(
            "2025-01-{:02},{},{},{},{},{}\n",
            i % 28 + 1,
            c - 0.5,
            c + 1.0,
            c - 1.0,
            c,
            1000 + i * 10
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let (ok, out, err) = run(&["indicators", "--input", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 61);
    assert!(lines[0].starts_with("date,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,adx_14"));
    let row = |i: usize| lines[i].split(',').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(row(1)[1], "", "no SMA during warm-up");
    // SMA(20) on the 20th bar is the mean of the first 20 closes.
    let closes: Vec<f64> = (0..20)
        .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.1)
        .collect();
    let sma: f64 = row(20)[1].parse().unwrap();
    assert!((sma - closes.iter().sum::<f64>() / 20.0).abs() < 1e-9);
    let (ok, _, err) = run(&["indicators", "--input", "/no/such/file.csv"]);
    assert!(!ok && err.contains("opening /no/such/file.csv"));
    let _ = std::fs::remove_dir_all(&dir);
}
