//! The batch implied-vol path (`implied_vols`) against the scalar solver
//! (`Contract::implied_vol`): the same value to 1e-13 relative, or the same error, for every
//! option, on the benchmark's mix and at the edges. (Not bit for bit: the batch's vectorised
//! step takes its logarithm from `quant::math::ln`, the scalar solver from libm; the two differ
//! by an ulp for a few percent of the arguments.)

use quant::options::{implied_vols, implied_vols_vec, Contract, OptionKind, OptionsError};

/// The benchmark's mix (calls and puts, spot 22,000, strikes 0.7-1.4x, 1 day to 1 year, vols
/// 5-150%, r = 6.5%), unfiltered: options whose price no longer pins the vol are kept too, as
/// the batch must agree there as well (value or error).
fn bench_mix(n: usize, seed: u64) -> (Vec<Contract>, Vec<f64>, Vec<f64>) {
    let mut state = seed;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut contracts, mut prices, mut vols) = (vec![], vec![], vec![]);
    while contracts.len() < n {
        let kind = if uniform() < 0.5 {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        let spot = 22_000.0;
        let c = Contract::new(
            kind,
            spot,
            spot * (0.7 + 0.7 * uniform()),
            (1.0 + 364.0 * uniform()) / 365.0,
            0.065,
        );
        let vol = 0.05 + 1.45 * uniform();
        contracts.push(c);
        prices.push(c.price(vol).unwrap());
        vols.push(vol);
    }
    (contracts, prices, vols)
}

fn assert_agrees_with_scalar(
    contracts: &[Contract],
    prices: &[f64],
) -> Vec<Result<f64, OptionsError>> {
    let batch = implied_vols_vec(contracts, prices).unwrap();
    assert_eq!(batch.len(), contracts.len());
    for (i, ((c, &p), b)) in contracts.iter().zip(prices).zip(&batch).enumerate() {
        let scalar = c.implied_vol(p);
        match (&scalar, b) {
            // Every option, whether or not its price pins the vol (the batch starts where the
            // scalar solver starts and runs the same iteration; only the first step's
            // logarithm may differ by an ulp).
            (Ok(s), Ok(v)) => assert!(
                s.to_bits() == v.to_bits() || (s - v).abs() <= 1e-13 * s.abs(),
                "option {i} {c:?} at {p}: scalar {s}, batch {v}"
            ),
            // Errors as printed: an error carrying a NaN price is not == to itself.
            _ => assert_eq!(
                format!("{scalar:?}"),
                format!("{b:?}"),
                "option {i} {c:?} at {p}"
            ),
        }
    }
    batch
}

#[test]
fn agrees_with_scalar_on_100k_bench_options() {
    let (contracts, prices, vols) = bench_mix(100_000, 0x2545_F491_4F6C_DD1D);
    let batch = assert_agrees_with_scalar(&contracts, &prices);
    // And it is the right answer: where the price carries the vol (the bench's rule), the vol
    // comes back.
    let mut checked = 0;
    for ((c, v), b) in contracts.iter().zip(&vols).zip(&batch) {
        let g = c.greeks(*v).unwrap();
        if g.price > 1e-300 && g.vega * 100.0 * v >= 1e-3 * g.price {
            let got = b.clone().unwrap();
            assert!((got - v).abs() <= 1e-9 * v, "{c:?}: vol {v}, got {got}");
            checked += 1;
        }
    }
    assert!(checked > 80_000, "only {checked} options checked");
}

/// Short lengths and lengths around the internal block size (1024), where block boundaries
/// are.
#[test]
fn agrees_with_scalar_at_short_lengths_and_block_boundaries() {
    for n in [0, 1, 2, 3, 4, 5, 1023, 1024, 1025, 2 * 1024 + 3] {
        let (contracts, prices, _) = bench_mix(n, 0x9E37_79B9_7F4A_7C15 ^ n as u64);
        assert_agrees_with_scalar(&contracts, &prices);
    }
}

#[test]
fn length_mismatch_is_an_error_and_writes_nothing() {
    let (contracts, prices, _) = bench_mix(5, 7);
    let mut out = vec![Ok(-1.0); 5];
    assert_eq!(
        implied_vols(&contracts, &prices[..4], &mut out),
        Err(OptionsError::LengthMismatch {
            contracts: 5,
            prices: 4,
            out: 5
        })
    );
    let mut short = vec![Ok(-1.0); 3];
    assert_eq!(
        implied_vols(&contracts, &prices, &mut short),
        Err(OptionsError::LengthMismatch {
            contracts: 5,
            prices: 5,
            out: 3
        })
    );
    assert!(out.iter().chain(&short).all(|r| *r == Ok(-1.0)));
    assert!(implied_vols_vec(&contracts, &prices[..2]).is_err());
}

/// Deep in and out of the money, minutes to expiry, prices at and beyond the no-arbitrage
/// bounds, invalid inputs, dividends: each slot gets the scalar's value or error, mixed in one
/// batch so good and bad options share lanes and blocks.
#[test]
fn edge_cases_get_the_scalar_answer_in_place() {
    let minute = 1.0 / (365.0 * 24.0 * 60.0);
    let mut cases: Vec<(Contract, f64)> = vec![];
    // (index in the batch, contract, vol) of the options priced from a known vol.
    let mut priced = vec![];
    for kind in [OptionKind::Call, OptionKind::Put] {
        for (strike, t, vol) in [
            (100.0, 0.5, 0.2),
            (20.0, 0.5, 0.3),  // deep ITM call / deep OTM put
            (500.0, 0.5, 0.3), // deep OTM call / deep ITM put
            (100.0, minute, 0.2),
            (101.0, 10.0 * minute, 0.5),
            (100.0, 30.0, 0.8), // long dated, high vol
            (100.0, 0.1, 3.0),
            (60.0, 0.02, 0.05),
        ] {
            let c = Contract::new(kind, 100.0, strike, t, 0.07).with_div_yield(0.01);
            let p = c.price(vol).unwrap();
            priced.push((cases.len(), c, vol));
            cases.push((c, p));
            let (f, df) = (100.0 * ((0.07 - 0.01) * t).exp(), (-0.07 * t).exp());
            let intrinsic = match kind {
                OptionKind::Call => (f - strike).max(0.0) * df,
                OptionKind::Put => (strike - f).max(0.0) * df,
            };
            let max = match kind {
                OptionKind::Call => 100.0 * (-0.01 * t).exp(),
                OptionKind::Put => strike * df,
            };
            cases.push((c, intrinsic)); // at the lower bound: 0 or a tiny vol
            cases.push((c, intrinsic * (1.0 - 1e-9) - 1e-9)); // below it
            cases.push((c, max)); // at the upper bound
            cases.push((c, max * 1.5)); // above it
            cases.push((c, max * (1.0 - 1e-12))); // just under it
            cases.push((c, f64::NAN));
            cases.push((c, -1.0));
        }
        // Invalid contracts.
        cases.push((Contract::new(kind, 0.0, 100.0, 0.5, 0.07), 5.0));
        cases.push((Contract::new(kind, 100.0, 100.0, -0.5, 0.07), 5.0));
        cases.push((Contract::new(kind, 100.0, f64::INFINITY, 0.5, 0.07), 5.0));
        cases.push((Contract::new(kind, 100.0, 100.0, 0.5, f64::NAN), 5.0));
        // Extreme but valid: the solver gives up after its step limit rather than loop.
        cases.push((Contract::new(kind, 1e300, 1e-300, 1.0, 0.0), 1e299));
        cases.push((Contract::new(kind, 1e-300, 1e300, 1.0, 0.0), 1e-301));
        cases.push((Contract::new(kind, 100.0, 100.0, 1e-12, 0.0), 1e-9));
    }
    let (contracts, prices): (Vec<Contract>, Vec<f64>) = cases.into_iter().unzip();
    let batch = assert_agrees_with_scalar(&contracts, &prices);
    // Not all the same kind of answer: the cases above do reach every outcome.
    let errors =
        |f: fn(&OptionsError) -> bool| batch.iter().filter(|r| matches!(r, Err(e) if f(e))).count();
    assert!(errors(|e| matches!(e, OptionsError::BelowIntrinsic { .. })) > 0);
    assert!(errors(|e| matches!(e, OptionsError::AboveMaximum { .. })) > 0);
    assert!(errors(|e| matches!(e, OptionsError::InvalidInput { .. })) > 0);
    assert!(
        batch
            .iter()
            .filter(|r| matches!(r, Ok(v) if *v > 0.0))
            .count()
            >= 16
    );
    // The priced options come back where their price carries the vol (time value not lost
    // in the rounding of the intrinsic value); the deep in-the-money ones are only checked
    // against the scalar above.
    let mut round_trips = 0;
    for (i, c, vol) in &priced {
        let g = c.greeks(*vol).unwrap();
        let forward_value = c.spot * (-c.div_yield * c.t).exp() - c.strike * (-c.rate * c.t).exp();
        let time_value = g.price - (c.kind.sign() * forward_value).max(0.0);
        if g.vega * 100.0 * vol >= 1e-3 * g.price && time_value > 1e-3 * g.price {
            let got = batch[*i].clone().unwrap();
            assert!(
                (got - vol).abs() <= 1e-8 * vol,
                "{c:?}: vol {vol}, got {got}"
            );
            round_trips += 1;
        }
    }
    assert!(round_trips >= 8, "{round_trips} round trips");
}
