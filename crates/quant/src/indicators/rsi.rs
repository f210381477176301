//! Relative strength index, TA-Lib `RSI`: Wilder's smoothing seeded with the plain average gain
//! and loss of the first `period` changes; first value at index `period`. When average gain plus
//! average loss is (TA-Lib's) zero, as in a flat run, the RSI is 0, as TA-Lib reports it.
//!
//! Past the seed the averages run in the block-scaled form of [`super::decay`] (one add per bar
//! on each loop-carried chain). The RSI is a ratio of the two averages, so it is taken straight
//! from the scaled sums; only TA-Lib's zero test needs the true total. TA-Lib computes
//! `(avg·(n-1) + x) / n`; results differ from it by a few ulps.

use super::decay::DecayTable;
use super::{check_out, check_period, IndicatorError, TA_EPSILON};

/// Streaming RSI.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: f64,
    changes: usize,
    started: bool,
    /// Gains and gains plus losses (`|change|`): the warm-up sums, then the current block's
    /// scaled sums. Tracking the total rather than the losses saves an add and a shuffle per bar.
    gain: f64,
    total: f64,
    /// Position in the block.
    pos: usize,
    /// Wilder's `avg·(n-1)/n + x/n`: decay `(n-1)/n`, input weight `1/n`.
    table: DecayTable,
    /// TA-Lib's zero band for the scaled total at each block position: `ε/d^j`, so the test
    /// is one comparison (the total is a sum of non-negative terms).
    zero_below: Vec<f64>,
}

impl Rsi {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RSI", period, 2)?;
        let table = DecayTable::new((period - 1) as f64 / period as f64, 1.0 / period as f64);
        let zero_below = table.steps().iter().map(|&[_, p]| TA_EPSILON / p).collect();
        Ok(Self {
            period,
            prev: 0.0,
            changes: 0,
            started: false,
            gain: 0.0,
            total: 0.0,
            pos: 0,
            table,
            zero_below,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one close; the RSI once `period` changes have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !self.started {
            self.started = true;
            self.prev = x;
            return None;
        }
        let (up, size) = split(x - self.prev);
        self.prev = x;
        if self.changes >= self.period {
            let [w, p] = self.table.steps()[self.pos];
            self.gain += up * w;
            self.total += size * w;
            let rsi = ratio(self.gain, self.total, self.zero_below[self.pos]);
            self.pos += 1;
            if self.pos == self.table.len() {
                // The block ends: its averages start the next one.
                self.gain *= p;
                self.total *= p;
                self.pos = 0;
            }
            return Some(rsi);
        }
        self.gain += up;
        self.total += size;
        self.changes += 1;
        if self.changes == self.period {
            self.gain /= self.period as f64;
            self.total /= self.period as f64;
            self.pos = 0;
            Some(ratio(self.gain, self.total, TA_EPSILON))
        } else {
            None
        }
    }

    pub fn reset(&mut self) {
        self.prev = 0.0;
        self.changes = 0;
        self.started = false;
        self.gain = 0.0;
        self.total = 0.0;
        self.pos = 0;
    }
}

/// Batch RSI: `NaN` for the first `period` values.
pub fn rsi(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![f64::NAN; values.len()];
    rsi_into(values, period, &mut out)?;
    Ok(out)
}

/// Batch RSI into a caller's buffer of the same length (no allocation).
pub fn rsi_into(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_out(values.len(), out.len())?;
    let mut r = Rsi::new(period)?;
    // The first value and `period` changes warm the state up through `Rsi::update`.
    let warm = (period + 1).min(values.len());
    let (out_head, out_tail) = out.split_at_mut(warm);
    for (o, &x) in out_head.iter_mut().zip(&values[..warm]) {
        *o = r.update(x).unwrap_or(f64::NAN);
    }
    // Past warm-up (block position 0): the same steps as `Rsi::update`, block by block, reading
    // each change from adjacent slice elements, with the sums in registers and no flags,
    // `Option` or bounds checks.
    let steps = r.table.steps();
    let zero_below = &r.zero_below[..];
    let (mut gain, mut total) = (r.gain, r.total);
    let tail = &values[warm..];
    let prev = &values[warm.saturating_sub(1)..];
    let blocks = out_tail
        .chunks_mut(steps.len())
        .zip(tail.chunks(steps.len()).zip(prev.chunks(steps.len())));
    for (out_block, (block, prev_block)) in blocks {
        let weights = steps.iter().zip(zero_below);
        for (((o, &x), &p), (&[w, _], &limit)) in
            out_block.iter_mut().zip(block).zip(prev_block).zip(weights)
        {
            let (up, size) = split(x - p);
            gain += up * w;
            total += size * w;
            *o = ratio(gain, total, limit);
        }
        // Only used after a full block, where `scale` is the block's last, as in `update`.
        let scale = steps[steps.len() - 1][1];
        gain *= scale;
        total *= scale;
    }
    Ok(())
}

/// A change as (gain, size): `max(change, 0)` and `|change|` (gain plus loss). Branch-free: a
/// mispredicted branch per bar would cost more than the whole step.
#[inline(always)]
fn split(diff: f64) -> (f64, f64) {
    (diff.max(0.0), diff.abs())
}

/// `100·gain/total` from sums that are the averages times the same scale, or 0 where TA-Lib
/// deems the averages' total zero (a flat run): below `limit`, its `ε` in the sums' scale. The
/// quotient is computed either way and then selected, so the per-bar path has no branch; it is
/// the one division per bar.
#[inline(always)]
fn ratio(gain: f64, total: f64, limit: f64) -> f64 {
    let r = 100.0 * (gain / total);
    if total < limit {
        0.0
    } else {
        r
    }
}
