//! Simple moving average, TA-Lib `SMA`: a running sum, first value at index `period-1`.

use super::{check_out, check_period, IndicatorError, Window};

/// Streaming SMA. Keeps the running sum of the last `period-1` values between updates, exactly
/// as TA-Lib's loop does (add the new value, divide, subtract the oldest), so rounding matches.
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    window: Window,
    sum: f64,
}

impl Sma {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("SMA", period, 2)?;
        Ok(Self::new_unchecked(period))
    }

    pub(crate) fn new_unchecked(period: usize) -> Self {
        Self {
            period,
            window: Window::new(period),
            sum: 0.0,
        }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value; the mean of the last `period` values once there are that many.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.sum += x;
        let oldest = self.window.push(x)?;
        let out = self.sum / self.period as f64;
        self.sum -= oldest;
        Some(out)
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
    }
}

/// Batch SMA: `NaN` for the first `period-1` values.
pub fn sma(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut out = vec![f64::NAN; values.len()];
    sma_into(values, period, &mut out)?;
    Ok(out)
}

/// Batch SMA into a caller's buffer of the same length.
pub fn sma_into(values: &[f64], period: usize, out: &mut [f64]) -> Result<(), IndicatorError> {
    check_out(values.len(), out.len())?;
    let mut s = Sma::new(period)?;
    for (o, &x) in out.iter_mut().zip(values) {
        *o = s.update(x).unwrap_or(f64::NAN);
    }
    Ok(())
}
