//! Implied volatility in the spirit of P. Jäckel, "Let's Be Rational" (2015): work with the
//! normalised Black price of an out-of-the-money call, `b(x, s)` with `x = ln(F/K) ≤ 0` and
//! `s = σ√T`, split the problem at the inflexion point `s_c = √(2|x|)`, and run third-order
//! Householder steps on an objective that is nearly linear in each half:
//!
//! * below the inflexion (`β ≤ b(x, s_c)`): `ln b(s) - ln β`;
//! * above it: `ln(b_max - b(s)) - ln(b_max - β)` with `b_max = e^{x/2}`.
//!
//! Both logarithms are evaluated from `erfcx` without forming `b` itself, so neither underflow
//! (prices down to 1e-300 of the forward) nor cancellation near `b_max` costs digits. Starting
//! points come from the tangents at `s_c` and from asymptotic inversions of each branch; a
//! bracket that every step tightens guarantees convergence (falling back to bisection). Two or
//! three steps reach full double precision for ordinary inputs.
//!
//! The price must carry the information: where vega is tiny relative to the price (very deep
//! in- or out-of-the-money, or near expiry), many volatilities round to the same price and the
//! answer is only as good as the price's last digits.

use super::{Contract, OptionKind, OptionsError};
use crate::math::{erfcx, norm_inv_cdf};

const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// √(2/π).
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// Stop after a step that moves `s` by less than this, relatively: Householder(3) converges
/// cubically, so the error left after such a step is of order (1e-6)³, far below double
/// precision, and evaluating the objective again to confirm it would only cost time.
const STEP_TOL: f64 = 1e-6;
const MAX_STEPS: usize = 50;

/// Normalised Black call price `b(x, s) = e^{x/2}Φ(x/s + s/2) - e^{-x/2}Φ(x/s - s/2)`, i.e. the
/// undiscounted call price divided by `√(F·K)`, for any `x` and `s > 0`.
pub fn normalised_black(x: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return ((0.5 * x).exp() - (-0.5 * x).exp()).max(0.0);
    }
    // An in-the-money call is its intrinsic value plus the out-of-the-money call at -x.
    let intrinsic = if x > 0.0 {
        (0.5 * x).exp() - (-0.5 * x).exp()
    } else {
        0.0
    };
    let x = -x.abs();
    let (h, t) = (x / s, 0.5 * s);
    let e = (-0.5 * (h * h + t * t)).exp();
    intrinsic + 0.5 * e * (erfcx(-(h + t) * FRAC_1_SQRT_2) - erfcx((t - h) * FRAC_1_SQRT_2))
}

/// Which objective a solve uses.
#[derive(Clone, Copy, PartialEq)]
enum Branch {
    Lower,
    Upper,
}

/// One Householder(3) step for the branch objective at `s`. Returns (objective value, step).
#[inline(always)]
fn householder(branch: Branch, x: f64, s: f64, target_ln: f64) -> (f64, f64) {
    let h = x / s;
    let t = 0.5 * s;
    let a1 = (h + t) * FRAC_1_SQRT_2;
    let a2 = (t - h) * FRAC_1_SQRT_2;
    // ln b (or ln(b_max - b)) = -(h²+t²)/2 + ln(½·Σ), with Σ a difference (sum) of erfcx terms;
    // r = (d/ds) of that logarithm = ±√(2/π)/Σ.
    let (sum, r) = match branch {
        Branch::Lower => {
            let d = erfcx(-a1) - erfcx(a2);
            (d, SQRT_2_OVER_PI / d)
        }
        Branch::Upper => {
            let d = erfcx(a1) + erfcx(a2);
            (d, -SQRT_2_OVER_PI / d)
        }
    };
    let g = -0.5 * (h * h + t * t) + (0.5 * sum).ln() - target_ln;
    // b'' / b' = A and b''' / b' = A² + A' (b' = e^{-(h²+t²)/2}/√(2π)).
    let a = h * h / s - 0.5 * t;
    let a_prime = -3.0 * h * h / (s * s) - 0.25;
    let gamma = a - r;
    let delta = a * a + a_prime - 3.0 * a * r + 2.0 * r * r;
    let nu = -g / r;
    let step = nu * (1.0 + 0.5 * gamma * nu) / (1.0 + nu * (gamma + delta * nu / 6.0));
    // A Householder step can be useless far from the root; Newton's step is then the fallback.
    let step = if step.is_finite() { step } else { nu };
    (g, step)
}

/// Solves `b(x, s) = beta` for `s`, with `x ≤ 0` and `0 < beta < e^{x/2}`.
fn solve_normalised(x: f64, beta: f64) -> f64 {
    solve_counted(x, beta).0
}

/// [`solve_normalised`], also returning how many objective evaluations it took.
fn solve_counted(x: f64, beta: f64) -> (f64, usize) {
    let b_max = (0.5 * x).exp();
    let s_c = (2.0 * x.abs()).sqrt();
    // At the inflexion point h = -t, so b_c = ½e^{-t²}(1 - erfcx(√2·t)) and b'(s_c) = e^{-t²}/√(2π).
    let t_c = 0.5 * s_c;
    let e_c = (-t_c * t_c).exp();
    let b_c = 0.5 * e_c * (1.0 - erfcx(std::f64::consts::SQRT_2 * t_c));
    let v_c = e_c * FRAC_1_SQRT_2PI;

    let (branch, target_ln, mut lo, mut hi, mut s) = if x < 0.0 && beta <= b_c {
        // b is convex below s_c, so the tangent's crossing is an upper bound.
        let s_tangent = s_c - (b_c - beta) / v_c;
        let ln_beta = beta.ln();
        // Deep in the wing b ≈ √(2/π)·t/(h²-t²)·e^{-(h²+t²)/2}: two fixed-point rounds on that.
        let mut s = x.abs() / (-2.0 * ln_beta).sqrt();
        for _ in 0..2 {
            let (h, t) = (x / s, 0.5 * s);
            let denom = h * h - t * t;
            if denom <= 0.0 {
                break;
            }
            let l = ln_beta - (SQRT_2_OVER_PI * t / denom).ln();
            let disc = 4.0 * l * l - x * x;
            if !(l < 0.0 && disc > 0.0) {
                break;
            }
            s = (2.0 * x * x / (-2.0 * l + disc.sqrt())).sqrt();
        }
        let s0 = if s_tangent > 0.0 { s.min(s_tangent) } else { s };
        (Branch::Lower, ln_beta, 0.0, s_c, s0)
    } else {
        let c = b_max - beta;
        // Far above s_c, b_max - b ≈ (e^{x/2} + e^{-x/2})·Φ(-s/2) (exact when x = 0).
        let s_asym = -2.0 * norm_inv_cdf(c / (b_max + 1.0 / b_max));
        // b is concave above s_c, so the tangent's crossing is a lower bound.
        let s_tangent = s_c + (beta - b_c) / v_c;
        let s0 = if s_asym.is_finite() {
            s_asym.max(s_tangent)
        } else {
            s_tangent
        };
        (Branch::Upper, c.ln(), s_c, f64::INFINITY, s0)
    };
    if !(s > lo && s < hi) {
        s = if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            lo.max(1e-8) * 2.0
        };
    }

    let mut evaluations = 0;
    for _ in 0..MAX_STEPS {
        evaluations += 1;
        let (g, step) = householder(branch, x, s, target_ln);
        if g == 0.0 {
            break;
        }
        if step.abs() <= STEP_TOL * s {
            // Converged: the last (small) step is taken as is.
            s += step;
            break;
        }
        // The objective rises with s on the lower branch and falls on the upper one.
        let below_root = match branch {
            Branch::Lower => g < 0.0,
            Branch::Upper => g > 0.0,
        };
        if below_root {
            lo = s;
        } else {
            hi = s;
        }
        let mut next = s + step;
        if !(next > lo && next < hi) {
            next = if hi.is_finite() {
                if lo > 0.0 {
                    (lo * hi).sqrt()
                } else {
                    0.5 * hi.min(s)
                }
            } else {
                2.0 * s
            };
        }
        s = next;
    }
    (s, evaluations)
}

/// Implied volatility of a European option (the inputs are validated by the caller).
pub(crate) fn implied_vol(c: &Contract, price: f64) -> Result<f64, OptionsError> {
    if !price.is_finite() || price < 0.0 {
        return Err(OptionsError::InvalidInput {
            name: "price",
            requirement: "finite and >= 0",
            value: price,
        });
    }
    let (f, df) = c.forward_and_discount();
    let k = c.strike;
    let p = price / df;
    let (intrinsic, max) = match c.kind {
        OptionKind::Call => ((f - k).max(0.0), f),
        OptionKind::Put => ((k - f).max(0.0), k),
    };
    if p < intrinsic {
        return Err(OptionsError::BelowIntrinsic {
            price,
            min: intrinsic * df,
        });
    }
    if p >= max {
        return Err(OptionsError::AboveMaximum {
            price,
            max: max * df,
        });
    }
    let x = -(f / k).ln().abs();
    let beta = (p - intrinsic) / (f * k).sqrt();
    if beta <= 0.0 {
        return Ok(0.0);
    }
    if beta >= (0.5 * x).exp() {
        return Err(OptionsError::AboveMaximum {
            price,
            max: max * df,
        });
    }
    Ok(solve_normalised(x, beta) / c.t.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The solver's cost is its objective evaluations: on a grid over x ∈ [-3, 0] and
    /// s ∈ (0, 3], it needs at most a handful and two or three on average, and recovers s.
    #[test]
    fn few_evaluations_and_exact_recovery() {
        let (mut total, mut cases, mut worst) = (0usize, 0usize, 0usize);
        for i in 0..100 {
            for j in 1..100 {
                let x = -3.0 * (i as f64 / 100.0);
                let s_true = 3.0 * (j as f64 / 100.0).powi(2);
                let beta = normalised_black(x, s_true);
                // Only where beta is a normal double and not rounded to b_max.
                if !(beta > 1e-300 && beta < 0.999 * (0.5 * x).exp()) {
                    continue;
                }
                let (s, n) = solve_counted(x, beta);
                assert!(
                    (s - s_true).abs() <= 1e-9 * s_true,
                    "x {x} s {s_true}: got {s}"
                );
                total += n;
                cases += 1;
                worst = worst.max(n);
            }
        }
        assert!(cases > 8000);
        assert!(worst <= 10, "worst case took {worst} evaluations");
        assert!(
            (total as f64 / cases as f64) < 3.0,
            "mean {}",
            total as f64 / cases as f64
        );
    }
}
