//! Exponential smoothing `a ← a·d + c·x` (EMA, Wilder's averages) with one addition per step on
//! the loop-carried chain instead of a multiply and an add, about twice as fast.
//!
//! Within a block of `B` steps from a start value `a₀`,
//! `a_j = d^j·(a₀ + Σ_{i≤j} c·d^{-i}·x_i)`: the bracket is a running sum (one add per step on
//! the chain) and multiplying it by `d^j` gives the average off the chain. At a block's end the
//! average becomes the next block's start, so the scale `d^{-j}` stays below 2^20 and the sum
//! (at most 64 terms of at most 2^20 times an input) cannot overflow for inputs below ~1e300.
//! Batch and streaming forms step through the same table in the same order, so they agree bit
//! for bit; against the textbook recurrence the results differ by a few ulps (a sum of at most
//! 64 rounded terms, then one rounding).

/// Longest block. The scale also stays below 2^20 (see [`DecayTable::new`]); 64 keeps the table
/// at 1 KiB, in L1.
const MAX_BLOCK: usize = 64;

/// The per-step weights of one block.
#[derive(Debug, Clone)]
pub(crate) struct DecayTable {
    /// `[c·d^{-j}, d^j]` for `j = 1..=B`.
    steps: Vec<[f64; 2]>,
}

impl DecayTable {
    /// For `0 < d < 1` and finite `c`: blocks as long as `d^{-B} ≤ 2^20` allows, at most 64.
    pub(crate) fn new(d: f64, c: f64) -> Self {
        debug_assert!(d > 0.0 && d < 1.0);
        let by_growth = (20.0 * std::f64::consts::LN_2 / -d.ln()).floor();
        let len = if by_growth >= MAX_BLOCK as f64 {
            MAX_BLOCK
        } else {
            (by_growth as usize).max(1)
        };
        let q = 1.0 / d;
        let (mut grow, mut shrink) = (1.0, 1.0);
        let steps = (0..len)
            .map(|_| {
                grow *= q;
                shrink *= d;
                [c * grow, shrink]
            })
            .collect();
        Self { steps }
    }

    /// `[c·d^{-j}, d^j]` for `j = 1..=B`, in order.
    #[inline(always)]
    pub(crate) fn steps(&self) -> &[[f64; 2]] {
        &self.steps
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `a ← a·d + c·x` both ways over a long series (many blocks) and returns the largest
    /// relative difference.
    fn worst_gap(d: f64, c: f64, xs: &[f64]) -> f64 {
        let table = DecayTable::new(d, c);
        let (mut plain, mut sum, mut pos, mut worst) = (xs[0], xs[0], 0, 0.0f64);
        for &x in &xs[1..] {
            plain = plain * d + c * x;
            let [w, p] = table.steps()[pos];
            sum += x * w;
            let scaled = sum * p;
            pos += 1;
            if pos == table.len() {
                sum = scaled;
                pos = 0;
            }
            worst = worst.max(((scaled - plain) / plain).abs());
        }
        worst
    }

    #[test]
    fn scaled_blocks_track_the_plain_recurrence() {
        // A positive random walk, 20,000 steps.
        let mut rng = crate::test_support::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut price = 100.0;
        let xs: Vec<f64> = (0..20_000)
            .map(|_| {
                price *= 1.0 + 0.01 * (rng.uniform() - 0.5);
                price
            })
            .collect();
        for period in [2usize, 3, 5, 14, 20, 200, 5000] {
            let n = period as f64;
            // EMA and Wilder weights.
            for (d, c) in [
                (1.0 - 2.0 / (n + 1.0), 2.0 / (n + 1.0)),
                ((n - 1.0) / n, 1.0 / n),
            ] {
                if d <= 0.0 {
                    continue;
                }
                let gap = worst_gap(d, c, &xs);
                assert!(gap < 1e-13, "period {period} d {d}: {gap:e}");
            }
        }
    }

    #[test]
    fn blocks_keep_the_scale_below_2_pow_20() {
        for d in [1.0 / 3.0, 0.5, 0.9, 0.999_999] {
            let table = DecayTable::new(d, 1.0);
            assert!((1..=MAX_BLOCK).contains(&table.len()));
            let [w, p] = *table.steps().last().unwrap();
            assert!(w <= 1.0 + f64::from(1u32 << 20), "d {d}: {w}");
            assert!((w * p - 1.0).abs() < 1e-13);
        }
        assert_eq!(DecayTable::new(0.5, 1.0).len(), 20);
        assert_eq!(DecayTable::new(0.99, 1.0).len(), MAX_BLOCK);
    }
}
