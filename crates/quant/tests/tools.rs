//! The offline tool functions (feature `tools`).

mod common;

use common::{assert_series, Table};
use quant::options::OptionKind;
use quant::tools::{
    greeks_csv, greeks_json, indicators_csv, GreeksReport, IndicatorPeriods, Quote,
};

#[test]
fn indicators_csv_reproduces_talib_columns() {
    let input = std::fs::read(common::fixture_path("realistic.csv")).unwrap();
    let mut out = Vec::new();
    let rows = indicators_csv(&input[..], &mut out, &IndicatorPeriods::default()).unwrap();
    assert_eq!(rows, 600);
    let text = String::from_utf8(out).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "date,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,adx_14,plus_di_14,minus_di_14,atr_14,\
         bb_upper,bb_middle,bb_lower,volume_ratio_20"
    );
    // Parse what was written and compare with TA-Lib's columns of the same fixture.
    let dir = std::env::temp_dir().join(format!("quant-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.csv");
    std::fs::write(&path, &text).unwrap();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); headers.len()];
    for rec in rdr.records() {
        for (j, cell) in rec.unwrap().iter().enumerate().skip(1) {
            cols[j].push(if cell.is_empty() {
                f64::NAN
            } else {
                cell.parse().unwrap()
            });
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let want = Table::load("realistic.csv");
    for (j, name) in headers.iter().enumerate().skip(1) {
        assert_series(name, &cols[j], want.col(name), 1e-9, 1e-9);
    }
}

#[test]
fn indicators_csv_names_columns_after_periods_and_reports_bad_input() {
    let input = "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,100\n";
    let periods = IndicatorPeriods {
        sma: 5,
        rsi: 7,
        adx: 10,
        ..Default::default()
    };
    let mut out = Vec::new();
    indicators_csv(input.as_bytes(), &mut out, &periods).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("date,sma_5,ema_20,rsi_7,"), "{text}");
    assert!(text.contains("adx_10,plus_di_10,minus_di_10"));
    // Warm-up cells are empty: the first row has nothing but its date.
    assert!(text.lines().nth(1).unwrap().starts_with("2024-01-01,,,"));

    let bad = "date,open,high,low,close,volume\n2024-01-01,1,2,x,1.5,100\n";
    let err = indicators_csv(bad.as_bytes(), Vec::new(), &IndicatorPeriods::default()).unwrap_err();
    assert!(err.to_string().contains("low"), "{err}");
    let missing = "date,open,high,close,volume\n";
    assert!(indicators_csv(missing.as_bytes(), Vec::new(), &IndicatorPeriods::default()).is_err());
    let zero = IndicatorPeriods {
        rsi: 0,
        ..Default::default()
    };
    assert!(indicators_csv(input.as_bytes(), Vec::new(), &zero).is_err());
}

#[test]
fn greeks_json_gives_greeks_or_iv() {
    let g = greeks_json(100.0, 100.0, 30.0, 0.07, Quote::Vol(0.2), OptionKind::Call).unwrap();
    let GreeksReport::Greeks(greeks) = g else {
        panic!("{g:?}")
    };
    let json = serde_json::to_value(g).unwrap();
    for key in ["price", "delta", "gamma", "theta", "vega", "rho"] {
        assert!(json[key].is_f64(), "{key} in {json}");
    }
    // And back: the price gives the vol.
    let iv = greeks_json(
        100.0,
        100.0,
        30.0,
        0.07,
        Quote::Price(greeks.price),
        OptionKind::Call,
    )
    .unwrap();
    let json = serde_json::to_value(iv).unwrap();
    assert!((json["iv"].as_f64().unwrap() - 0.2).abs() < 1e-12, "{json}");
    assert!(greeks_json(100.0, 100.0, 0.0, 0.07, Quote::Vol(0.2), OptionKind::Put).is_err());
    assert!(greeks_json(
        100.0,
        100.0,
        30.0,
        0.07,
        Quote::Price(150.0),
        OptionKind::Call
    )
    .is_err());
}

#[test]
fn greeks_csv_handles_vol_price_and_bad_rows() {
    let input = "kind,spot,strike,days,rate,vol,price\n\
                 call,100,100,30,0.07,0.2,\n\
                 put,100,95,30,0.07,,1.25\n\
                 put,-1,95,30,0.07,0.2,\n\
                 straddle,100,95,30,0.07,0.2,\n";
    let mut out = Vec::new();
    assert_eq!(greeks_csv(input.as_bytes(), &mut out).unwrap(), 4);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "kind,spot,strike,days,rate,vol,price,delta,gamma,theta,vega,rho,iv,error"
    );
    let cells: Vec<&str> = lines[1].split(',').collect();
    let g = greeks_json(100.0, 100.0, 30.0, 0.07, Quote::Vol(0.2), OptionKind::Call).unwrap();
    let GreeksReport::Greeks(g) = g else {
        unreachable!()
    };
    assert_eq!(cells[6].parse::<f64>().unwrap(), g.price);
    assert_eq!(cells[10].parse::<f64>().unwrap(), g.vega);
    assert_eq!(cells[13], "");
    // The price row: iv filled, price kept as given.
    let cells: Vec<&str> = lines[2].split(',').collect();
    let iv: f64 = cells[12].parse().unwrap();
    assert!(iv > 0.05 && iv < 1.0, "{iv}");
    assert_eq!(cells[6], "1.25");
    assert!(
        lines[3].contains("spot must be finite and > 0"),
        "{}",
        lines[3]
    );
    assert!(lines[4].contains("unknown option kind"), "{}", lines[4]);
}
