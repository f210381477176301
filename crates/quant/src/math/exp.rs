//! A full-precision exponential without branches, for the implied-volatility solver.
//!
//! Why not `f64::exp`: that is a libm call, one value at a time, which the compiler can neither
//! inline nor vectorise; the batch solver normalises a block of options per pass, several per
//! vector instruction, and a call would split every group. `x = k·ln 2 + r` with
//! `|r| ≤ ln 2 / 2` (Cody and Waite's two-part `ln 2`, so `r` is exact), `e^r` by its Taylor
//! polynomial to `r¹³` (the next term is below 4e-18 relative) in Estrin's scheme, and `2^k`
//! as two exact power-of-two factors built from bits, so results down in the subnormal range
//! round once. Integer work stays in 64-bit adds and logical shifts, which SSE2 has.
#![allow(clippy::excessive_precision)]

use super::select;

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` in two parts: the high part has its low 32 bits zero, so `k·LN2_HI` is exact for
/// every `|k| ≤ 2^20`.
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/// 1.5·2^52: adding it rounds a double below 2^51 in magnitude to an integer, which then sits
/// in the low bits of the sum's representation.
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// `e^x`, within 1 ulp of the exact value (tested against `f64::exp` on millions of inputs
/// over its whole finite range): `+∞` above ~709.78, `0` below ~-745.13, `NaN` for `NaN`.
/// No branch and no call, so a loop over it vectorises.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // Beyond these the result is ∞ or 0 anyway; clamping keeps k's factors in range.
    let xc = x.clamp(-746.0, 710.0);
    let kf = (xc * LOG2_E + SHIFT) - SHIFT;
    let r = (xc - kf * LN2_HI) - kf * LN2_LO;
    // e^r - 1 - r = r²·(1/2 + r/6 + …), Estrin's scheme on r², r⁴, r⁸.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = C[0] + r * C[1];
    let p23 = C[2] + r * C[3];
    let p45 = C[4] + r * C[5];
    let p67 = C[6] + r * C[7];
    let p89 = C[8] + r * C[9];
    let p1011 = C[10] + r * C[11];
    let poly = (p01 + r2 * p23 + r4 * (p45 + r2 * p67)) + r8 * (p89 + r2 * p1011);
    // 1 + r rounded, plus what that rounding lost (exact, Fast2Sum as |r| < 1), so the only
    // rounding left that matters is the final add's.
    let one_r = 1.0 + r;
    let lost = (1.0 - one_r) + r;
    let er = one_r + (lost + r2 * poly);
    // k = kf as an integer from the rounding's bits, then 2^k = 2^k1·2^k2 with k1 = ⌊k/2⌋
    // (an offset makes the shift a logical one): each factor is a normal double.
    let k = ((kf + SHIFT).to_bits().wrapping_sub(SHIFT.to_bits())).wrapping_add(2048);
    let k1 = (k >> 1).wrapping_sub(1024);
    let k2 = k.wrapping_sub(2048).wrapping_sub(k1);
    let f1 = f64::from_bits(k1.wrapping_add(1023) << 52);
    let f2 = f64::from_bits(k2.wrapping_add(1023) << 52);
    select(x.is_nan(), x, er * f1 * f2)
}

/// 1/(n+2)! for n = 0..12: the Taylor coefficients of (e^r - 1 - r)/r².
const C: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ulps;

    /// Against libm's `exp` (within an ulp of exact itself): at most 1 ulp apart on 4 million
    /// inputs uniform over the whole finite range (subnormal and overflowing results
    /// included) and 4 million in [-1, 1], where the solver's discount factors are; identical
    /// on the special values.
    #[test]
    fn within_one_ulp_of_std() {
        let mut rng = crate::test_support::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut uniform = move || rng.uniform();
        let (mut worst, mut differ) = (0u64, 0usize);
        for i in 0..8_000_000 {
            let x = if i % 2 == 0 {
                -750.0 + 1465.0 * uniform()
            } else {
                -1.0 + 2.0 * uniform()
            };
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(ulps(a, b));
            differ += usize::from(a != b);
        }
        assert!(worst <= 1, "worst {worst} ulps");
        // Mostly identical (measured: 4.3% an ulp apart).
        assert!(differ < 500_000, "{differ} of 8M differ by an ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(709.78), 709.78f64.exp());
        assert_eq!(exp(-745.0), (-745.0f64).exp());
    }
}
