//! True range, TA-Lib `TRANGE`: `max(high-low, |high-prev close|, |low-prev close|)`, defined
//! from the second bar on.

use super::{check_len, IndicatorError};

/// TA-Lib's `TRUE_RANGE` macro, same comparisons in the same order.
#[inline(always)]
pub(crate) fn tr(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut out = high - low;
    let a = (high - prev_close).abs();
    if a > out {
        out = a;
    }
    let b = (low - prev_close).abs();
    if b > out {
        out = b;
    }
    out
}

/// Batch true range: `NaN` at index 0.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Result<Vec<f64>, IndicatorError> {
    check_len(high.len(), low.len())?;
    check_len(high.len(), close.len())?;
    let mut out = vec![f64::NAN; high.len()];
    for i in 1..high.len() {
        out[i] = tr(high[i], low[i], close[i - 1]);
    }
    Ok(out)
}
