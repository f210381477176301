//! Each strategy on a series built so that its indicators are easy to follow by hand: the
//! signals must fire on exactly the bars the rule implies and nowhere else.

use super::*;
use quant::Bar;

/// 09:15 IST on 2024-01-01 plus `minute` minutes, plus `day` days.
fn ts(day: i64, minute: i64) -> i64 {
    1_704_080_700 + day * 86_400 + minute * 60
}

/// Daily bars with these closes (open = high = low = close).
fn closes(cs: &[f64]) -> Vec<Bar> {
    cs.iter()
        .enumerate()
        .map(|(i, &c)| Bar::new(ts(i as i64, 0), c, c, c, c, 1000.0))
        .collect()
}

fn signals(s: &mut dyn Strategy, bars: &[Bar]) -> Vec<(usize, Side)> {
    bars.iter()
        .enumerate()
        .filter_map(|(i, b)| s.on_bar(b).map(|sig| (i, sig.side)))
        .collect()
}

const CROSS: [f64; 10] = [12.0, 11.0, 10.0, 9.0, 12.0, 15.0, 10.0, 2.0, 2.0, 3.0];

#[test]
fn sma_crossover_fires_on_strict_crossings() {
    // SMA2: -, 11.5, 10.5, 9.5, 10.5, 13.5, 12.5, 6, 2, 2.5
    // SMA3: -, -, 11, 10, 10.33, 12, 12.33, 9, 4.67, 2.33
    // bar 4: fast goes from below (9.5 < 10) to above (10.5 > 10.33): buy;
    // bar 7: fast from above (12.5 > 12.33) to below (6 < 9): sell;
    // bar 9: from below (2 < 4.67) to above (2.5 > 2.33): buy.
    let mut s = SmaCrossover::new(CrossoverParams { fast: 2, slow: 3 }).unwrap();
    let bars = closes(&CROSS);
    assert_eq!(
        signals(&mut s, &bars),
        [(4, Side::Buy), (7, Side::Sell), (9, Side::Buy)]
    );
    assert_eq!(s.warmup(), 2);
    // reset forgets everything: the same bars give the same signals.
    s.reset();
    assert_eq!(signals(&mut s, &bars).len(), 3);
}

#[test]
fn crossover_needs_a_strict_inequality_on_both_bars() {
    // SMA2 and SMA3 equal (10) on bars 2 and 3: bar 4's rise is not a crossing from below,
    // and the averages never part again downwards.
    let mut s = SmaCrossover::new(CrossoverParams { fast: 2, slow: 3 }).unwrap();
    assert_eq!(
        signals(&mut s, &closes(&[10.0, 10.0, 10.0, 10.0, 13.0, 16.0])),
        []
    );
}

#[test]
fn ema_crossover_uses_ta_lib_emas() {
    // EMA2 (k = 2/3, seeded by SMA2): -, 11.5, 10.5, 9.5, 11.17, 13.72, 11.24, 5.08, 3.03, 3.01
    // EMA3 (k = 1/2, seeded by SMA3): -, -, 11, 10, 11, 13, 11.5, 6.75, 4.38, 3.69
    // bar 4: 9.5 < 10 then 11.17 > 11: buy; bar 6: 13.72 > 13 then 11.24 < 11.5: sell.
    let mut s = EmaCrossover::new(CrossoverParams { fast: 2, slow: 3 }).unwrap();
    assert_eq!(
        signals(&mut s, &closes(&CROSS)),
        [(4, Side::Buy), (6, Side::Sell)]
    );
}

const RSI_SERIES: [f64; 11] = [10.0, 9.0, 8.0, 9.0, 10.0, 11.0, 12.0, 11.0, 10.0, 9.0, 10.0];

#[test]
fn rsi_buys_crossing_up_30_and_exits_crossing_down_70() {
    // Wilder RSI(2): bar 2: 0; 3: 50; 4: 75; 5: 87.5; 6: 93.75; 7: 46.9; 8: 23.4; 9: 11.7; 10: 55.9
    let p = RsiParams {
        period: 2,
        ..RsiParams::default()
    };
    let mut s = RsiStrategy::new(p).unwrap();
    let bars = closes(&RSI_SERIES);
    assert_eq!(
        signals(&mut s, &bars),
        [(3, Side::Buy), (7, Side::Exit), (10, Side::Buy)]
    );
    let mut short = RsiStrategy::new(RsiParams { short: true, ..p }).unwrap();
    assert_eq!(
        signals(&mut short, &bars),
        [(3, Side::Buy), (7, Side::Sell), (10, Side::Buy)]
    );
}

#[test]
fn mean_reversion_buys_below_the_lower_band_once_and_exits_at_the_middle() {
    // Bollinger(3, 1σ), population σ:
    // bar 4 [10,10,7]: middle 9, lower 7.59, close 7 below: buy.
    // bar 5 [10,7,8]: middle 8.33, close 8: still below the middle, hold.
    // bar 6 [7,8,10]: middle 8.33, close 10: exit.
    // bar 8 [10,11,6]: middle 9, lower 6.84, close 6: buy.
    // bar 10 [6,6,5]: lower 5.20, close 5 below again, but already in: nothing.
    // bar 11 [6,5,7]: middle 6, close 7: exit.
    let mut s = MeanReversion::new(MeanReversionParams { period: 3, k: 1.0 }).unwrap();
    let cs = [
        10.0, 10.0, 10.0, 10.0, 7.0, 8.0, 10.0, 11.0, 6.0, 6.0, 5.0, 7.0,
    ];
    assert_eq!(
        signals(&mut s, &closes(&cs)),
        [
            (4, Side::Buy),
            (6, Side::Exit),
            (8, Side::Buy),
            (11, Side::Exit)
        ]
    );
}

#[test]
fn vwap_breakout_needs_volume_and_a_cross_within_the_session() {
    let bar = |day, minute, close: f64, volume| {
        Bar::new(ts(day, minute), close, close, close, close, volume)
    };
    let bars = [
        bar(0, 0, 100.0, 100.0),  // VWAP 100, close not above
        bar(0, 1, 99.0, 100.0),   // VWAP 99.5, below
        bar(0, 2, 102.0, 300.0),  // VWAP 101, crosses above on 300 > avg 200: buy
        bar(0, 3, 103.0, 100.0),  // VWAP 101.33, still above
        bar(0, 4, 100.0, 100.0),  // VWAP 101.14, crosses below: exit
        bar(0, 5, 102.0, 50.0),   // VWAP 101.2, crosses above but 50 < avg 75: nothing
        bar(0, 6, 101.0, 100.0),  // VWAP 101.18, crosses below: exit
        bar(1, 0, 110.0, 1000.0), // new session: VWAP 110, no previous reading today
        bar(1, 1, 112.0, 2000.0), // VWAP 111.33, crosses above on 2000 > 1500: buy
    ];
    let mut s = VwapBreakout::new(VwapBreakoutParams { volume_period: 2 }).unwrap();
    assert_eq!(
        signals(&mut s, &bars),
        [
            (2, Side::Buy),
            (4, Side::Exit),
            (6, Side::Exit),
            (8, Side::Buy)
        ]
    );
}

#[test]
fn registry_builds_every_strategy_by_name() {
    for name in STRATEGY_NAMES {
        let spec = StrategySpec::parse::<&str>(name, &[]).unwrap();
        assert_eq!(spec.name(), *name);
        assert_eq!(spec.build().unwrap().name(), *name);
    }
    let spec = StrategySpec::parse("sma_crossover", &["fast=5", " slow = 30 "]).unwrap();
    assert_eq!(
        spec,
        StrategySpec::SmaCrossover(SmaCrossParams(CrossoverParams { fast: 5, slow: 30 }))
    );
    let spec = StrategySpec::parse("rsi", &["period=7", "lower=25", "short=true"]).unwrap();
    let StrategySpec::Rsi(p) = spec else {
        panic!("{spec:?}")
    };
    assert_eq!((p.period, p.lower, p.upper, p.short), (7, 25.0, 70.0, true));
}

#[test]
fn specs_round_trip_through_json_and_are_revalidated() {
    let spec = StrategySpec::parse("mean_reversion", &["k=2.5"]).unwrap();
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(
        json,
        r#"{"strategy":"mean_reversion","params":{"period":20,"k":2.5}}"#
    );
    assert_eq!(serde_json::from_str::<StrategySpec>(&json).unwrap(), spec);
    let bad: StrategySpec =
        serde_json::from_str(r#"{"strategy":"sma_crossover","params":{"fast":30,"slow":20}}"#)
            .unwrap();
    assert!(matches!(bad.build(), Err(StrategyError::Invalid { .. })));
}

#[test]
fn bad_names_and_params_are_typed_errors_listing_what_is_accepted() {
    let e = StrategySpec::parse::<&str>("golden_cross", &[]).unwrap_err();
    assert!(matches!(e, StrategyError::UnknownStrategy { .. }));
    assert_eq!(
        e.to_string(),
        "unknown strategy \"golden_cross\"; accepted: sma_crossover, ema_crossover, rsi, \
         mean_reversion, vwap_breakout"
    );
    let e = StrategySpec::parse("sma_crossover", &["period=5"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sma_crossover has no parameter \"period\"; accepted: fast, slow"
    );
    let e = StrategySpec::parse("sma_crossover", &["fast=ten"]).unwrap_err();
    assert!(
        matches!(&e, StrategyError::BadValue { key, .. } if key == "fast"),
        "{e}"
    );
    let e = StrategySpec::parse("sma_crossover", &["fast=20", "slow=10"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sma_crossover: fast (20) must be less than slow (10)"
    );
    let e = StrategySpec::parse("ema_crossover", &["fast=1"]).unwrap_err();
    assert!(matches!(e, StrategyError::Invalid { .. }), "{e}");
    let e = StrategySpec::parse("rsi", &["lower=80"]).unwrap_err();
    assert!(matches!(e, StrategyError::Invalid { .. }), "{e}");
    let e = StrategySpec::parse("rsi", &["lower=nan"]).unwrap_err();
    assert!(matches!(e, StrategyError::BadValue { .. }), "{e}");
    let e = StrategySpec::parse("mean_reversion", &["k=-1"]).unwrap_err();
    assert!(matches!(e, StrategyError::Invalid { .. }), "{e}");
    let e = StrategySpec::parse("vwap_breakout", &["volume_period"]).unwrap_err();
    assert!(matches!(e, StrategyError::MalformedParam { .. }), "{e}");
    assert!(SmaCrossover::new(CrossoverParams { fast: 5, slow: 5 }).is_err());
}
