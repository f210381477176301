//! Black-Scholes greeks and the special functions against 50-digit mpmath references
//! (fixtures/gen_greeks.py), and implied-volatility round trips.

mod common;

use common::Table;
use quant::math::{erf, erfc, erfcx, norm_cdf, norm_inv_cdf};
use quant::options::{Contract, OptionKind, OptionsError};

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    if want.is_infinite() {
        return got == want;
    }
    let err = (got - want).abs();
    err <= rel * want.abs() || err <= abs
}

#[test]
fn special_functions_match_mpmath() {
    let t = Table::load("special.csv");
    for i in 0..t.rows {
        let x = t.col("x")[i];
        // Cody's approximations are good to a few ulps; Φ(z) = erfc(-z/√2)/2 also inherits the
        // rounding of z/√2, a relative error of about z²·ε in the tail.
        let rel = 4e-16;
        let cdf_rel = 4e-16 * (1.0 + x * x);
        let tiny = 1e-300; // below this erfc has underflowed (x > 26.5), as it must
        for (name, got, rel) in [
            ("erf", erf(x), rel),
            ("erfc", erfc(x), rel),
            ("erfcx", erfcx(x), rel),
            ("norm_cdf", norm_cdf(x), cdf_rel),
        ] {
            let want = t.col(name)[i];
            assert!(
                close(got, want, rel, tiny),
                "{name}({x}) = {got:e}, want {want:e}"
            );
        }
    }
}

#[test]
fn inverse_normal_round_trips() {
    for i in 1..2000 {
        let p = i as f64 / 2000.0;
        let z = norm_inv_cdf(p);
        assert!((norm_cdf(z) - p).abs() <= 1e-14 * p, "p = {p}");
    }
    for p in [1e-300, 1e-100, 1e-20, 1e-10] {
        let z = norm_inv_cdf(p);
        // Φ's own relative error grows as z²·ε (z ≈ -37 at 1e-300).
        assert!(((norm_cdf(z) - p) / p).abs() < 4e-16 * z * z, "p = {p}");
    }
    assert_eq!(norm_inv_cdf(0.0), f64::NEG_INFINITY);
    assert!(norm_inv_cdf(1.5).is_nan());
}

struct Case {
    contract: Contract,
    vol: f64,
    want: [f64; 6],
}

fn cases() -> Vec<Case> {
    let t = Table::load("greeks.csv");
    (0..t.rows)
        .map(|i| {
            let kind: OptionKind = t.text["kind"][i].parse().unwrap();
            let c = |n: &str| t.col(n)[i];
            Case {
                contract: Contract::new(kind, c("spot"), c("strike"), c("days") / 365.0, c("rate"))
                    .with_div_yield(c("div_yield")),
                vol: c("vol"),
                want: [
                    c("price"),
                    c("delta"),
                    c("gamma"),
                    c("theta"),
                    c("vega"),
                    c("rho"),
                ],
            }
        })
        .collect()
}

/// 1e-10 relative. Absolute floors, each the rounding noise of the terms the value is a
/// difference of (so a value is only excused when it is itself noise-sized): price 1e-14·max(S,K);
/// delta 1e-15; theta 1e-14 × the largest theta term; rho 1e-14·K·T/100; gamma and vega are
/// products, not differences, and get a floor of 1e-300 (underflow) only.
#[test]
fn greeks_match_mpmath() {
    let mut checked = 0;
    for case in cases() {
        let c = case.contract;
        let g = c.greeks(case.vol).unwrap();
        let scale = c.spot.max(c.strike);
        let theta_terms =
            (c.spot * case.vol / (2.0 * c.t.sqrt()) + c.rate * c.strike + c.div_yield * c.spot)
                / 365.0;
        let floors = [
            1e-14 * scale,
            1e-15,
            1e-300,
            1e-14 * theta_terms,
            1e-300,
            1e-14 * c.strike * c.t / 100.0,
        ];
        let got = [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho];
        let names = ["price", "delta", "gamma", "theta", "vega", "rho"];
        for k in 0..6 {
            assert!(
                close(got[k], case.want[k], 1e-10, floors[k]),
                "{} of {:?} at vol {}: got {:e}, want {:e}",
                names[k],
                c,
                case.vol,
                got[k],
                case.want[k]
            );
            checked += 1;
        }
        assert_eq!(c.price(case.vol).unwrap(), g.price);
    }
    assert_eq!(checked, 350 * 6);
}

/// Whether the price pins the volatility to 1e-10. A double price is only known to about
/// ε ≈ 1e-15 of the largest term it is computed from, S·|Δ| (for an in-the-money option that is
/// the intrinsic value, not the small time value), and an error δP moves σ by δP/vega. So we
/// need vega·σ ≥ 1e-5·(P + S·|Δ|) (vega per unit of vol), and a price in the normal range
/// (≥ 1e-300: denormals have lost digits). Cases failing this (deep in the money, or so little
/// time value that it sits in the intrinsic value's last digits) are skipped.
fn informative(price: f64, spot: f64, delta: f64, vega_per_point: f64, vol: f64) -> bool {
    price >= 1e-300 && vega_per_point * 100.0 * vol >= 1e-5 * (price + spot * delta.abs())
}

#[test]
fn implied_vol_recovers_vol_from_exact_prices() {
    let (mut checked, mut skipped) = (0, 0);
    for case in cases() {
        let (price, delta, vega) = (case.want[0], case.want[1], case.want[4]);
        if !informative(price, case.contract.spot, delta, vega, case.vol) {
            skipped += 1;
            continue;
        }
        let iv = case
            .contract
            .implied_vol(price)
            .unwrap_or_else(|e| panic!("{:?}: {e}", case.contract));
        assert!(
            (iv - case.vol).abs() <= 1e-10 * case.vol,
            "{:?} price {price:e}: iv {iv} vs vol {}",
            case.contract,
            case.vol
        );
        checked += 1;
    }
    // Most of the grid is informative; the skipped ones are the deep-ITM/low-vol corner.
    assert!(checked >= 250, "checked {checked}, skipped {skipped}");
}

#[test]
fn implied_vol_round_trips_on_a_dense_grid() {
    let mut checked = 0;
    for kind in [OptionKind::Call, OptionKind::Put] {
        for &m in &[0.3, 0.6, 0.9, 0.97, 0.999, 1.0, 1.001, 1.03, 1.1, 1.5, 3.0] {
            for &days in &[0.25, 1.0, 3.0, 14.0, 60.0, 365.0, 1000.0] {
                for &vol in &[0.005, 0.02, 0.07, 0.15, 0.25, 0.45, 0.9, 1.6, 3.0, 5.0] {
                    for &(r, q) in &[(0.0, 0.0), (0.07, 0.0), (0.1, 0.03)] {
                        let c = Contract::new(kind, 22_000.0, 22_000.0 * m, days / 365.0, r)
                            .with_div_yield(q);
                        let g = c.greeks(vol).unwrap();
                        if !informative(g.price, c.spot, g.delta, g.vega, vol) {
                            continue;
                        }
                        let iv = c.implied_vol(g.price).unwrap();
                        assert!(
                            (iv - vol).abs() <= 1e-10 * vol,
                            "{c:?} vol {vol} price {:e}: iv {iv}",
                            g.price
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 3000, "checked {checked}");
}

#[test]
fn implied_vol_rejects_prices_outside_no_arbitrage_bounds() {
    let call = Contract::new(OptionKind::Call, 100.0, 90.0, 0.5, 0.05);
    let put = Contract {
        kind: OptionKind::Put,
        ..call
    };
    // A call is worth at least S - K·e^{-rT} and less than S.
    let floor = 100.0 - 90.0 * (-0.05f64 * 0.5).exp();
    assert!(matches!(
        call.implied_vol(floor - 0.01),
        Err(OptionsError::BelowIntrinsic { .. })
    ));
    assert!(matches!(
        call.implied_vol(100.0),
        Err(OptionsError::AboveMaximum { .. })
    ));
    assert!(matches!(
        put.implied_vol(90.0),
        Err(OptionsError::AboveMaximum { .. })
    ));
    assert!(matches!(
        put.implied_vol(-1.0),
        Err(OptionsError::InvalidInput { name: "price", .. })
    ));
    assert!(matches!(
        call.implied_vol(f64::NAN),
        Err(OptionsError::InvalidInput { .. })
    ));
    // Exactly the intrinsic value: no time value, zero volatility.
    assert_eq!(put.implied_vol(0.0), Ok(0.0));
}

#[test]
fn invalid_inputs_are_typed_errors() {
    let ok = Contract::new(OptionKind::Call, 100.0, 100.0, 0.1, 0.05);
    for (c, vol, name) in [
        (Contract { spot: 0.0, ..ok }, 0.2, "spot"),
        (Contract { spot: -5.0, ..ok }, 0.2, "spot"),
        (Contract { strike: 0.0, ..ok }, 0.2, "strike"),
        (Contract { t: 0.0, ..ok }, 0.2, "time to expiry"),
        (Contract { t: -1.0, ..ok }, 0.2, "time to expiry"),
        (
            Contract {
                rate: f64::INFINITY,
                ..ok
            },
            0.2,
            "rate",
        ),
        (ok, 0.0, "volatility"),
        (ok, f64::NAN, "volatility"),
    ] {
        match c.greeks(vol) {
            Err(OptionsError::InvalidInput { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{c:?} vol {vol}: {other:?}"),
        }
    }
    assert!(Contract { spot: 0.0, ..ok }.implied_vol(1.0).is_err());
    assert!("straddle".parse::<OptionKind>().is_err());
    assert_eq!("PE".parse::<OptionKind>(), Ok(OptionKind::Put));
}

#[test]
fn put_call_parity_holds() {
    for &(k, t, v) in &[(80.0, 0.1, 0.2), (100.0, 1.0, 0.5), (130.0, 2.0, 1.2)] {
        let c = Contract::new(OptionKind::Call, 100.0, k, t, 0.07).with_div_yield(0.01);
        let p = Contract {
            kind: OptionKind::Put,
            ..c
        };
        let lhs = c.price(v).unwrap() - p.price(v).unwrap();
        let rhs = 100.0 * (-0.01 * t).exp() - k * (-0.07 * t).exp();
        assert!((lhs - rhs).abs() < 1e-12 * 100.0);
    }
}
