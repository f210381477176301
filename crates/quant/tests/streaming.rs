//! The streaming form of every indicator equals the batch form bit for bit (None ⇔ NaN), on
//! arbitrary series, and bad parameters are typed errors rather than panics.

use proptest::prelude::*;
use quant::indicators::*;
use quant::Bar;

/// A random walk of bars (prices > 0, H ≥ max(O, C), L ≤ min(O, C)), with flat stretches.
fn bars() -> impl Strategy<Value = Vec<Bar>> {
    prop::collection::vec(
        (
            -0.03f64..0.03,
            0.0f64..0.01,
            0.0f64..0.01,
            0u32..5000,
            0u8..4,
        ),
        0..260,
    )
    .prop_map(|steps| {
        let mut price = 100.0;
        let mut ts = 1_704_080_700; // 2024-01-01 09:15 IST
        steps
            .into_iter()
            .map(|(r, up, dn, vol, flat)| {
                let open = price;
                if flat != 0 {
                    price *= 1.0 + r;
                }
                ts += if flat == 3 { 86_400 } else { 300 };
                let (hi, lo) = (open.max(price), open.min(price));
                Bar::new(
                    ts,
                    open,
                    hi * (1.0 + up),
                    lo * (1.0 - dn),
                    price,
                    f64::from(vol),
                )
            })
            .collect()
    })
}

fn same(a: f64, b: Option<f64>) -> bool {
    match b {
        None => a.is_nan(),
        Some(b) => a.to_bits() == b.to_bits(),
    }
}

fn cols(bars: &[Bar]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    (
        bars.iter().map(|b| b.high).collect(),
        bars.iter().map(|b| b.low).collect(),
        bars.iter().map(|b| b.close).collect(),
        bars.iter().map(|b| b.volume).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn streaming_equals_batch(bars in bars(), p in 2usize..30) {
        let (h, l, c, v) = cols(&bars);

        let batch = sma(&c, p).unwrap();
        let mut s = Sma::new(p).unwrap();
        for (i, &x) in c.iter().enumerate() { prop_assert!(same(batch[i], s.update(x))); }

        let batch = ema(&c, p).unwrap();
        let mut s = Ema::new(p).unwrap();
        for (i, &x) in c.iter().enumerate() { prop_assert!(same(batch[i], s.update(x))); }

        let batch = rsi(&c, p).unwrap();
        let mut s = Rsi::new(p).unwrap();
        for (i, &x) in c.iter().enumerate() { prop_assert!(same(batch[i], s.update(x))); }

        let batch = atr(&h, &l, &c, p).unwrap();
        let mut s = Atr::new(p).unwrap();
        for (i, b) in bars.iter().enumerate() { prop_assert!(same(batch[i], s.update_bar(b))); }

        let batch = adx(&h, &l, &c, p).unwrap();
        let mut s = Adx::new(p).unwrap();
        for (i, b) in bars.iter().enumerate() {
            let o = s.update_bar(b);
            prop_assert!(same(batch.plus_di[i], o.map(|o| o.plus_di)));
            prop_assert!(same(batch.minus_di[i], o.map(|o| o.minus_di)));
            prop_assert!(same(batch.adx[i], o.and_then(|o| o.adx)));
        }

        let batch = macd(&c, p, p + 7, p / 2 + 1).unwrap();
        let mut s = Macd::new(p, p + 7, p / 2 + 1).unwrap();
        for (i, &x) in c.iter().enumerate() {
            let o = s.update(x);
            prop_assert!(same(batch.macd[i], o.map(|o| o.macd)));
            prop_assert!(same(batch.signal[i], o.map(|o| o.signal)));
            prop_assert!(same(batch.hist[i], o.map(|o| o.hist)));
        }

        let batch = bollinger(&c, p, 2.0).unwrap();
        let mut s = Bollinger::new(p, 2.0).unwrap();
        for (i, &x) in c.iter().enumerate() {
            let o = s.update(x);
            prop_assert!(same(batch.upper[i], o.map(|o| o.upper)));
            prop_assert!(same(batch.middle[i], o.map(|o| o.middle)));
            prop_assert!(same(batch.lower[i], o.map(|o| o.lower)));
        }

        let batch = volume_ratio(&v, p).unwrap();
        let mut s = VolumeRatio::new(p).unwrap();
        for (i, &x) in v.iter().enumerate() { prop_assert!(same(batch[i], s.update(x))); }

        let batch = vwap(&bars);
        let mut s = Vwap::new();
        for (i, b) in bars.iter().enumerate() { prop_assert!(same(batch[i], s.update_bar(b))); }
    }

    #[test]
    fn warm_up_lengths_are_talibs(len in 0usize..120, p in 2usize..20) {
        let c: Vec<f64> = (0..len).map(|i| 100.0 + (i as f64 * 0.7).sin()).collect();
        let first = |v: &[f64]| v.iter().position(|x| !x.is_nan());
        let expect = |lookback: usize| (lookback < len).then_some(lookback);
        prop_assert_eq!(first(&sma(&c, p).unwrap()), expect(p - 1));
        prop_assert_eq!(first(&ema(&c, p).unwrap()), expect(p - 1));
        prop_assert_eq!(first(&rsi(&c, p).unwrap()), expect(p));
        prop_assert_eq!(first(&atr(&c, &c, &c, p).unwrap()), expect(p));
        let d = adx(&c, &c, &c, p).unwrap();
        prop_assert_eq!(first(&d.plus_di), expect(p));
        prop_assert_eq!(first(&d.adx), expect(2 * p - 1));
        prop_assert_eq!(first(&macd(&c, 12, 26, 9).unwrap().signal), expect(33));
        prop_assert_eq!(first(&bollinger(&c, p, 2.0).unwrap().middle), expect(p - 1));
    }

    #[test]
    fn reset_restarts_from_scratch(bars in bars(), p in 2usize..30) {
        let mut a = Adx::new(p).unwrap();
        let mut b = Bollinger::new(p, 2.0).unwrap();
        let mut r = Rsi::new(p).unwrap();
        for bar in &bars { a.update_bar(bar); b.update(bar.close); r.update(bar.close); }
        a.reset(); b.reset(); r.reset();
        let mut a2 = Adx::new(p).unwrap();
        let mut b2 = Bollinger::new(p, 2.0).unwrap();
        let mut r2 = Rsi::new(p).unwrap();
        for bar in &bars {
            prop_assert_eq!(format!("{:?}", a.update_bar(bar)), format!("{:?}", a2.update_bar(bar)));
            prop_assert_eq!(format!("{:?}", b.update(bar.close)), format!("{:?}", b2.update(bar.close)));
            prop_assert_eq!(format!("{:?}", r.update(bar.close)), format!("{:?}", r2.update(bar.close)));
        }
    }
}

#[test]
fn bad_parameters_are_errors() {
    assert!(matches!(
        Sma::new(1),
        Err(IndicatorError::InvalidPeriod { min: 2, got: 1, .. })
    ));
    assert!(Ema::new(0).is_err());
    assert!(Rsi::new(1).is_err());
    assert!(Adx::new(1).is_err());
    assert!(Atr::new(0).is_err());
    assert!(Macd::new(12, 26, 0).is_err());
    assert!(Bollinger::new(20, f64::NAN).is_err());
    assert!(VolumeRatio::new(0).is_err());
    assert_eq!(
        atr(&[1.0, 2.0], &[1.0], &[1.0, 2.0], 14),
        Err(IndicatorError::LengthMismatch {
            expected: 2,
            got: 1
        })
    );
    let mut out = [0.0; 3];
    assert!(matches!(
        ema_into(&[1.0, 2.0], 2, &mut out),
        Err(IndicatorError::OutputLength { .. })
    ));
    assert!(vwap_by_session(&[1.0], &[1.0], &[1.0], &[1.0], &[]).is_err());
}

#[test]
fn macd_swaps_fast_and_slow_like_talib() {
    let c: Vec<f64> = (0..80)
        .map(|i| 100.0 + (i as f64 * 0.3).sin() * 5.0)
        .collect();
    // NaN != NaN, so compare the printed form.
    let swapped = format!("{:?}", macd(&c, 26, 12, 9).unwrap());
    assert_eq!(swapped, format!("{:?}", macd(&c, 12, 26, 9).unwrap()));
}

#[test]
fn vwap_resets_each_ist_session() {
    // Two bars on 2024-01-01 and one on 2024-01-02 (IST); typical prices 10, 20, 30.
    let day = 1_704_067_200 - 19_800 + 9 * 3600; // 2024-01-01 09:00 IST
    let bars = [
        Bar::new(day, 10.0, 10.0, 10.0, 10.0, 1.0),
        Bar::new(day + 300, 20.0, 20.0, 20.0, 20.0, 3.0),
        Bar::new(day + 86_400, 30.0, 30.0, 30.0, 30.0, 2.0),
    ];
    // (10·1 + 20·3) / 4 = 17.5; the next session starts over at 30.
    assert_eq!(vwap(&bars), vec![10.0, 17.5, 30.0]);
    // A session without volume yet has no VWAP.
    let quiet = [Bar::new(day, 10.0, 10.0, 10.0, 10.0, 0.0)];
    assert!(vwap(&quiet)[0].is_nan());
}
