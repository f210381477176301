//! Exponential moving average, TA-Lib `EMA` (default compatibility): seeded with the SMA of the
//! first `period` values, then `ema = ema·(1-k) + x·k` with `k = 2/(period+1)`; first value at
//! index `period-1`.

use super::{check_out, check_period, IndicatorError};

/// Streaming EMA.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    one_minus_k: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EMA", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    pub(crate) fn new_unchecked(period: usize) -> Self {
        Self {
            period,
            k: 2.0 / (period as f64 + 1.0),
            one_minus_k: 1.0 - 2.0 / (period as f64 + 1.0),
            seen: 0,
            value: 0.0,
        }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value; the EMA once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen >= self.period {
            // TA-Lib writes ((x - prev)·k) + prev: a subtract, a multiply and an add on the
            // loop-carried chain. prev·(1-k) + x·k leaves one multiply and one add on it (x·k
            // is computed off the chain), 1.5x faster; results differ by an ulp or two.
            self.value = self.value * self.one_minus_k + x * self.k;
            return Some(self.value);
        }
        // Warm-up: TA-Lib sums the seed values left to right, then divides once.
        self.value += x;
        self.seen += 1;
        if self.seen == self.period {
            self.value /= self.period as f64;
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
    for (o, &x) in out[..warm].iter_mut().zip(&values[..warm]) {
        *o = e.update(x).unwrap_or(f64::NAN);
    }
    // Past warm-up the streaming step is the same expression without the branch; kept in one
    // place (Ema::update) for the bit-for-bit guarantee, the compiler hoists the check.
    for (o, &x) in out[warm..].iter_mut().zip(&values[warm..]) {
        *o = e.update(x).unwrap_or(f64::NAN);
    }
    Ok(())
}
