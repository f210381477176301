//! A full-precision natural logarithm without branches, for the implied-volatility solver.
//!
//! Why not `f64::ln`: that is a libm call, one value at a time, which the compiler can neither
//! inline nor vectorise; the batch solver evaluates its objective for two options per SSE2
//! instruction, and a call in the middle would split every pair. This is fdlibm's `__ieee754_log`
//! (Sun Microsystems, 1993; the algorithm musl and FreeBSD ship), error below 1 ulp, with its
//! branches turned into arithmetic and bit-mask selects:
//! `x = 2^k·(1 + f)` with `1 + f ∈ [√2/2, √2)`, `s = f/(2 + f)`, and
//! `ln(1 + f) = f - f²/2 + s·(f²/2 + R(s²))`, `R` a degree-14 minimax polynomial in `s`.
#![allow(clippy::excessive_precision)]

use super::select;

const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3fe62e42_fee00000: k·LN2_HI is exact
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3dea39ef_35793c76
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;
/// 2^54, to bring subnormal inputs into the normal range.
const TWO54: f64 = 18_014_398_509_481_984.0;

/// `ln x`, within 1 ulp of the exact value (tested against `f64::ln` on millions of inputs
/// across the whole double range, subnormals included): `-∞` at ±0, `NaN` below 0 and for
/// `NaN`, `+∞` at `+∞`. No branch and no call, so a loop over it vectorises.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let subnormal = x < f64::MIN_POSITIVE;
    let xs = select(subnormal, x * TWO54, x);
    let mut bits = xs.to_bits();
    // Shift the mantissa range from [1, 2) to [√2/2, √2): adding this moves the exponent up by
    // one exactly when the mantissa's high word is at least √2's (0x6a09e).
    bits = bits.wrapping_add((0x3ff0_0000 - 0x3fe6_a09e) << 32);
    let exponent = bits >> 52;
    let mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff).wrapping_add(0x3fe6_a09e << 32));
    // The exponent as a double without an integer conversion (SSE2 has none for 64-bit
    // integers): 2^52 + e, exactly, then minus the bias, minus 54 for scaled subnormals.
    let k = f64::from_bits(0x4330_0000_0000_0000 | (exponent & 0x7ff))
        - (4_503_599_627_370_496.0 + 1023.0)
        - select(subnormal, 54.0, 0.0);
    let f = mantissa - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let value = s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
    // Outside (0, ∞): ±0 → -∞, +∞ → +∞, negative or NaN → NaN.
    let special = select(
        x == 0.0,
        f64::NEG_INFINITY,
        select(x == f64::INFINITY, f64::INFINITY, f64::NAN),
    );
    select(x > 0.0 && x < f64::INFINITY, value, special)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ulps;

    /// Against libm's `ln` (itself correctly rounded or within half an ulp): at most 1 ulp
    /// apart on 4 million random doubles over the whole positive range (uniform bit patterns,
    /// subnormals included) and 4 million uniform in [0.5, 2], where the result is near 0 and
    /// a relative error would show most; identical on the special values.
    #[test]
    fn within_one_ulp_of_std() {
        let mut rng = crate::test_support::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next_u64();
        let (mut worst, mut differ) = (0u64, 0usize);
        for _ in 0..4_000_000 {
            // Any positive finite double: a random exponent and mantissa.
            let x = f64::from_bits(next() % 0x7ff0_0000_0000_0000);
            if x == 0.0 {
                continue;
            }
            let (a, b) = (ln(x), x.ln());
            worst = worst.max(ulps(a, b));
            differ += usize::from(a != b);
        }
        for _ in 0..4_000_000 {
            let x = 0.5 + 1.5 * ((next() >> 11) as f64 / (1u64 << 53) as f64);
            let (a, b) = (ln(x), x.ln());
            // (At x = 1 both are zero, possibly of different signs: 0 ulps.)
            worst = worst.max(ulps(a, b));
            differ += usize::from(a != b);
        }
        assert!(worst <= 1, "worst {worst} ulps");
        // Mostly identical (measured: 3.9% an ulp apart, where the exact value is near a
        // rounding tie).
        assert!(differ < 400_000, "{differ} of 8M differ by an ulp");
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(-0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan() && ln(f64::NEG_INFINITY).is_nan());
        assert_eq!(ln(f64::MAX), f64::MAX.ln());
        assert_eq!(ln(f64::MIN_POSITIVE), f64::MIN_POSITIVE.ln());
        assert_eq!(ln(5e-324), 5e-324f64.ln());
        assert_eq!(ln(std::f64::consts::E), 1.0);
    }
}
