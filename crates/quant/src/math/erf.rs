//! Error function family after W. J. Cody, "Rational Chebyshev approximations for the error
//! function", Math. Comp. 23 (1969) 631-638 (the SPECFUN `CALERF` routine): three rational
//! approximations on `[0, 0.46875]`, `(0.46875, 4]` and `(4, ∞)`, with `exp(-x²)` evaluated as
//! `exp(-x₀²)·exp(-(x-x₀)(x+x₀))` (x₀ = x rounded down to 1/16) so the rounding of `x²` does not
//! cost relative accuracy deep in the tail.
#![allow(clippy::excessive_precision)]

const A: [f64; 5] = [
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
];
const B: [f64; 4] = [
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
];
const C: [f64; 9] = [
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
];
const D: [f64; 8] = [
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
];
const P: [f64; 6] = [
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
];
const Q: [f64; 5] = [
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
];
const SQRPI: f64 = 5.6418958354775628695e-1; // 1/sqrt(pi)
const XSMALL: f64 = 1.11e-16;
const XBIG: f64 = 26.543; // erfc(x) underflows beyond
const XHUGE: f64 = 6.71e7; // erfcx(x) = 1/(x sqrt(pi)) to double precision beyond
const XNEG: f64 = -26.628; // erfcx(x) overflows below

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Erf,
    Erfc,
    Erfcx,
}

/// `exp(-y²)` without losing the relative accuracy of `y²`'s rounding.
#[inline(always)]
fn exp_neg_sq(y: f64) -> f64 {
    let ysq = (y * 16.0).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    (-ysq * ysq).exp() * (-del).exp()
}

#[inline(always)]
fn calerf(x: f64, kind: Kind) -> f64 {
    let y = x.abs();
    let mut result;
    if y <= 0.46875 {
        let ysq = if y > XSMALL { y * y } else { 0.0 };
        let mut xnum = A[4] * ysq;
        let mut xden = ysq;
        for i in 0..3 {
            xnum = (xnum + A[i]) * ysq;
            xden = (xden + B[i]) * ysq;
        }
        result = x * (xnum + A[3]) / (xden + B[3]);
        if kind != Kind::Erf {
            result = 1.0 - result;
        }
        if kind == Kind::Erfcx {
            result *= ysq.exp();
        }
        return result;
    } else if y <= 4.0 {
        let mut xnum = C[8] * y;
        let mut xden = y;
        for i in 0..7 {
            xnum = (xnum + C[i]) * y;
            xden = (xden + D[i]) * y;
        }
        result = (xnum + C[7]) / (xden + D[7]);
        if kind != Kind::Erfcx {
            result *= exp_neg_sq(y);
        }
    } else if y >= XBIG && kind != Kind::Erfcx {
        result = 0.0;
    } else if y >= XHUGE {
        result = SQRPI / y;
    } else {
        let ysq = 1.0 / (y * y);
        let mut xnum = P[5] * ysq;
        let mut xden = ysq;
        for i in 0..4 {
            xnum = (xnum + P[i]) * ysq;
            xden = (xden + Q[i]) * ysq;
        }
        result = ysq * (xnum + P[4]) / (xden + Q[4]);
        result = (SQRPI - result) / y;
        if kind != Kind::Erfcx {
            result *= exp_neg_sq(y);
        }
    }
    // `result` now holds erfc(|x|) or erfcx(|x|); reflect for negative x.
    match kind {
        Kind::Erf => {
            let r = (0.5 - result) + 0.5;
            if x < 0.0 {
                -r
            } else {
                r
            }
        }
        Kind::Erfc => {
            if x < 0.0 {
                2.0 - result
            } else {
                result
            }
        }
        Kind::Erfcx => {
            if x < 0.0 {
                if x < XNEG {
                    f64::INFINITY
                } else {
                    let e = 1.0 / exp_neg_sq(x);
                    (e + e) - result
                }
            } else {
                result
            }
        }
    }
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    calerf(x, Kind::Erf)
}

/// The complementary error function `1 - erf(x)`, accurate relative to its own (tiny) size
/// for large positive `x` (down to underflow near x = 26.5).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    calerf(x, Kind::Erfc)
}

/// The scaled complementary error function `exp(x²)·erfc(x)`: ~`1/(x·√π)` for large `x`, so it
/// never underflows; overflows to `+∞` below x ≈ -26.6.
pub fn erfcx(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    calerf(x, Kind::Erfcx)
}

/// [`erfcx`] for `x ≥ 0`, for the implied-volatility solver, which calls it twice per objective
/// evaluation, always with non-negative arguments, on its critical path.
///
/// On `[0, 4]` it has no branch: which of Cody's two approximations applies is random from
/// one option to the next, and a mispredicted branch there throws away the out-of-order work
/// on the following options. Both are written as a numerator and a denominator, the pair for
/// `y`'s interval is selected with a bit mask, and one division finishes:
/// * `[0, 0.46875]`: `erfcx = e^{y²}·(1 - y·P(y²)/Q(y²)) = e^{y²}·(Q - y·P)/Q`, with `e^{y²}`
///   from a short series (no libm call);
/// * `(0.46875, 4]`: the degree-8 rational, by Estrin's scheme (the same terms as Horner's,
///   all positive, so no cancellation, in about half the latency).
///
/// Beyond 4 it is Cody's evaluation as in [`erfcx`], behind a branch that rarely flips.
#[inline(always)]
pub(crate) fn erfcx_nonneg(y: f64) -> f64 {
    debug_assert!(y >= 0.0 || y.is_nan());
    if y > 4.0 {
        return calerf(y, Kind::Erfcx);
    }
    erfcx_upto4(y)
}

/// [`erfcx_nonneg`]'s evaluation on `[0, 4]`, without any branch (so a loop of it
/// vectorises); meaningless beyond 4, where the caller must use [`erfcx_nonneg`] (which gives
/// bit for bit this value on `[0, 4]`).
#[inline(always)]
pub(crate) fn erfcx_upto4(y: f64) -> f64 {
    let y2 = y * y;
    // [0, 0.46875]: erf's rational in y², times the series for e^{y²} (y² ≤ 0.22 there; on
    // the other interval these values are computed and dropped).
    let p = (((A[4] * y2 + A[0]) * y2 + A[1]) * y2 + A[2]) * y2 + A[3];
    let q = (((y2 + B[0]) * y2 + B[1]) * y2 + B[2]) * y2 + B[3];
    let num_small = (q - y * p) * exp_small(y2);
    // (0.46875, 4]: num = C8·y⁸ + C0·y⁷ + ... + C6·y + C7; den = y⁸ + D0·y⁷ + ... + D6·y + D7.
    let y4 = y2 * y2;
    let y8 = y4 * y4;
    let num_mid = ((C[7] + C[6] * y) + (C[5] + C[4] * y) * y2)
        + ((C[3] + C[2] * y) + (C[1] + C[0] * y) * y2) * y4
        + C[8] * y8;
    let den_mid = ((D[7] + D[6] * y) + (D[5] + D[4] * y) * y2)
        + ((D[3] + D[2] * y) + (D[1] + D[0] * y) * y2) * y4
        + y8;
    let small = y <= 0.46875;
    select(small, num_small, num_mid) / select(small, q, den_mid)
}

/// `if c { a } else { b }` through bit masks, so the compiler emits no branch.
#[inline(always)]
fn select(c: bool, a: f64, b: f64) -> f64 {
    let mask = u64::from(c).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// `e^q` for `0 ≤ q ≤ 0.22` (q = y² with y ≤ 0.46875) by the Taylor series to `q¹²/12!`
/// (remainder below 2e-19), evaluated by Estrin's scheme. Finite (and unused) up to q = 16.
#[inline(always)]
fn exp_small(q: f64) -> f64 {
    let q2 = q * q;
    let q4 = q2 * q2;
    let q8 = q4 * q4;
    let p01 = 1.0 + q;
    let p23 = 0.5 + q * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + q * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + q * (1.0 / 5040.0);
    let p89 = 1.0 / 40320.0 + q * (1.0 / 362_880.0);
    let p1011 = 1.0 / 3_628_800.0 + q * (1.0 / 39_916_800.0);
    let p12 = 1.0 / 479_001_600.0;
    (p01 + q2 * p23) + q4 * (p45 + q2 * p67) + q8 * ((p89 + q2 * p1011) + q4 * p12)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The solver's Estrin-scheme erfcx agrees with Cody's Horner evaluation to a few ulps. (On
    /// (0.47, 4], against mpmath at 40 digits, Horner is within 6.6e-16 and Estrin within
    /// 5.2e-16 of the truth, so they can differ by up to ~1.2e-15.)
    #[test]
    fn erfcx_nonneg_matches_erfcx() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let y = i as f64 * 5e-5;
            let (a, b) = (erfcx_nonneg(y), erfcx(y));
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst <= 6.0 * f64::EPSILON, "worst relative gap {worst:e}");
        assert_eq!(erfcx_nonneg(30.0), erfcx(30.0));
        // The series for e^{y²} on the small-argument path, against libm's exp.
        let mut worst_exp = 0.0f64;
        for i in 0..=100_000 {
            let q = 0.46875f64.powi(2) * i as f64 / 100_000.0;
            worst_exp = worst_exp.max((exp_small(q) / q.exp() - 1.0).abs());
        }
        assert!(
            worst_exp <= 2.0 * f64::EPSILON,
            "exp_small off by {worst_exp:e}"
        );
    }
}
