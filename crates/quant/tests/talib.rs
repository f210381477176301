//! Every indicator against TA-Lib's own output (fixtures/gen_talib.py, TA-Lib 0.8.1 C library):
//! same warm-up (NaN positions) and values to 1e-9 relative. The absolute floor for values
//! near zero is 1e-9 for 0-100 oscillators and ratios, and 1e-12 × the series' price level for
//! price-unit columns (MACD histograms on the 1e-6-move series are differences of prices ~100,
//! so only their absolute error is meaningful).

mod common;

use common::{assert_series, Table};
use quant::indicators::*;

const REL: f64 = 1e-9;
const OSC_ABS: f64 = 1e-9;

fn check_file(name: &str) {
    let t = Table::load(name);
    let (h, l, c, v) = (t.col("high"), t.col("low"), t.col("close"), t.col("volume"));
    let price_abs = 1e-12 * c.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let px = |label: &str, got: &[f64], col: &str| {
        assert_series(&format!("{name}:{label}"), got, t.col(col), REL, price_abs)
    };
    let osc = |label: &str, got: &[f64], col: &str| {
        assert_series(&format!("{name}:{label}"), got, t.col(col), REL, OSC_ABS)
    };

    for (p, sfx) in [(20usize, "20"), (5, "5")] {
        px("sma", &sma(c, p).unwrap(), &format!("sma_{sfx}"));
        px("ema", &ema(c, p).unwrap(), &format!("ema_{sfx}"));
        osc(
            "volume_ratio",
            &volume_ratio(v, p).unwrap(),
            &format!("volume_ratio_{sfx}"),
        );
    }
    for p in [14usize, 5] {
        osc("rsi", &rsi(c, p).unwrap(), &format!("rsi_{p}"));
        let d = adx(h, l, c, p).unwrap();
        osc("adx", &d.adx, &format!("adx_{p}"));
        osc("plus_di", &d.plus_di, &format!("plus_di_{p}"));
        osc("minus_di", &d.minus_di, &format!("minus_di_{p}"));
        px("atr", &atr(h, l, c, p).unwrap(), &format!("atr_{p}"));
    }
    for (f, s, g, sfx) in [(12, 26, 9, ""), (5, 13, 4, "_5_13_4")] {
        let m = macd(c, f, s, g).unwrap();
        px("macd", &m.macd, &format!("macd{sfx}"));
        px("macd_signal", &m.signal, &format!("macd_signal{sfx}"));
        px("macd_hist", &m.hist, &format!("macd_hist{sfx}"));
    }
    for (p, k, sfx) in [(20, 2.0, ""), (5, 1.5, "_5")] {
        let b = bollinger(c, p, k).unwrap();
        px("bb_upper", &b.upper, &format!("bb_upper{sfx}"));
        px("bb_middle", &b.middle, &format!("bb_middle{sfx}"));
        px("bb_lower", &b.lower, &format!("bb_lower{sfx}"));
    }
    // Sessions: the calendar day of each bar's timestamp.
    let dates = &t.text["date"];
    let mut session = Vec::with_capacity(t.rows);
    let mut id = 0i64;
    for (i, d) in dates.iter().enumerate() {
        if i > 0 && d[..10] != dates[i - 1][..10] {
            id += 1;
        }
        session.push(id);
    }
    px(
        "vwap",
        &vwap_by_session(h, l, c, v, &session).unwrap(),
        "vwap",
    );
}

#[test]
fn realistic_series_matches_talib() {
    check_file("realistic.csv");
}

#[test]
fn flat_runs_and_jump_match_talib() {
    check_file("flat_jump.csv");
}

#[test]
fn tiny_moves_match_talib() {
    check_file("tiny.csv");
}
