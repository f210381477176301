//! Exponential moving average, TA-Lib `EMA` (default compatibility): seeded with the SMA of the
//! first `period` values, then `ema = ema·(1-k) + x·k` with `k = 2/(period+1)`; first value at
//! index `period-1`.
//!
//! Past the seed the recurrence runs in the block-scaled form of [`super::decay`] (one add per
//! bar on the loop-carried chain); results differ from TA-Lib's `((x - prev)·k) + prev` by a few
//! ulps.

use super::decay::DecayTable;
use super::{check_out, check_period, IndicatorError};

/// Streaming EMA.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    /// The warm-up sum, then the EMA.
    value: f64,
    /// The current block's scaled sum and position in it.
    sum: f64,
    pos: usize,
    /// `None` when `1-k = 0` (period 1, only as a MACD signal), where the EMA is the input.
    table: Option<DecayTable>,
}

impl Ema {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EMA", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    pub(crate) fn new_unchecked(period: usize) -> Self {
        let k = 2.0 / (period as f64 + 1.0);
        let one_minus_k = 1.0 - 2.0 / (period as f64 + 1.0);
        Self {
            period,
            k,
            seen: 0,
            value: 0.0,
            sum: 0.0,
            pos: 0,
            table: (one_minus_k > 0.0).then(|| DecayTable::new(one_minus_k, k)),
        }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value; the EMA once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen >= self.period {
            self.value = match &self.table {
                Some(table) => {
                    let [w, p] = table.steps()[self.pos];
                    self.sum += x * w;
                    let v = self.sum * p;
                    self.pos += 1;
                    if self.pos == table.len() {
                        // The block ends: its EMA starts the next one.
                        self.sum = v;
                        self.pos = 0;
                    }
                    v
                }
                None => x * self.k,
            };
            return Some(self.value);
        }
        // Warm-up: TA-Lib sums the seed values left to right, then divides once.
        self.value += x;
        self.seen += 1;
        if self.seen == self.period {
            self.value /= self.period as f64;
            self.sum = self.value;
            self.pos = 0;
            Some(self.value)
        } else {
            None
        }
    }

    /// The current value, if warmed up.
    pub fn value(&self) -> Option<f64> {
        (self.seen >= self.period).then_some(self.value)
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.value = 0.0;
        self.sum = 0.0;
        self.pos = 0;
    }
}

/// Batch EMA: `NaN` for the first `period-1` values.
pub fn ema(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![f64::NAN; values.len()];
    ema_into(values, period, &mut out)?;
    Ok(out)
}

/// Batch EMA into a caller's buffer of the same length (no allocation).
pub fn ema_into(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_out(values.len(), out.len())?;
    let mut e = Ema::new(period)?;
    let warm = period.min(values.len());
    let (head, tail) = values.split_at(warm);
    let (out_head, out_tail) = out.split_at_mut(warm);
    for (o, &x) in out_head.iter_mut().zip(head) {
        *o = e.update(x).unwrap_or(f64::NAN);
    }
    let Some(table) = &e.table else {
        // Period 1 cannot reach here (`Ema::new` wants 2), but stays correct: the EMA is x·k.
        for (o, &x) in out_tail.iter_mut().zip(tail) {
            *o = x * e.k;
        }
        return Ok(());
    };
    // Past warm-up (block position 0): the same steps as `Ema::update`, block by block, with the
    // scaled sum in a register and no flags, `Option` or bounds checks. A block's last EMA
    // starts the next; after a short final block it is not used.
    let steps = table.steps();
    let mut sum = e.sum;
    for (out_block, block) in out_tail
        .chunks_mut(steps.len())
        .zip(tail.chunks(steps.len()))
    {
        let mut v = sum;
        for ((o, &x), &[w, p]) in out_block.iter_mut().zip(block).zip(steps) {
            sum += x * w;
            v = sum * p;
            *o = v;
        }
        sum = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Period 1 (reachable as a MACD signal): `k = 1`, the EMA is the input itself.
    #[test]
    fn period_one_follows_the_input() {
        let mut e = Ema::new_unchecked(1);
        assert_eq!(e.update(5.0), Some(5.0));
        assert_eq!(e.update(7.5), Some(7.5));
        assert_eq!(e.value(), Some(7.5));
    }

    /// Past a block boundary the EMA still follows the textbook recurrence (to rounding).
    #[test]
    fn long_series_match_the_textbook_recurrence() {
        let xs: Vec<f64> = (0..1000).map(|i| 100.0 + (i as f64 * 0.37).sin()).collect();
        let got = ema(&xs, 10).unwrap();
        let k = 2.0 / 11.0;
        let mut want = xs[..10].iter().sum::<f64>() / 10.0;
        for i in 10..xs.len() {
            want = (xs[i] - want) * k + want;
            assert!(
                (got[i] - want).abs() <= 1e-13 * want,
                "{i}: {} vs {want}",
                got[i]
            );
        }
    }
}
