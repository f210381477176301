//! Average true range, TA-Lib `ATR`: the first value (index `period`) is the plain mean of the
//! first `period` true ranges (bars 1..=period), then Wilder's smoothing
//! `atr = (atr·(n-1) + tr) / n`.

use super::true_range::tr;
use super::{check_len, check_period, BarIndicator, IndicatorError};
use crate::Bar;

/// Streaming ATR.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
}

impl Atr {
    /// `period >= 1` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ATR", period, 1)?;
        Ok(Self {
            period,
            prev_close: None,
            ranges: 0,
            value: 0.0,
        })
    }

    /// Feeds one bar's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let range = tr(high, low, prev);
        let n = self.period as f64;
        if self.ranges >= self.period {
            // TA-Lib's order: prev *= n-1; prev += tr; prev /= n.
            self.value = (self.value * (n - 1.0) + range) / n;
            return Some(self.value);
        }
        self.value += range;
        self.ranges += 1;
        if self.ranges == self.period {
            self.value /= n;
            Some(self.value)
        } else {
            None
        }
    }

    pub fn reset(&mut self) {
        self.prev_close = None;
        self.ranges = 0;
        self.value = 0.0;
    }
}

impl BarIndicator for Atr {
    type Output = f64;
    fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.high, bar.low, bar.close)
    }
}

/// Batch ATR: `NaN` for the first `period` values.
pub fn atr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<Vec<f64>, IndicatorError> {
    check_len(high.len(), low.len())?;
    check_len(high.len(), close.len())?;
    let mut a = Atr::new(period)?;
    Ok(high
        .iter()
        .zip(low)
        .zip(close)
        .map(|((&h, &l), &c)| a.update(h, l, c).unwrap_or(f64::NAN))
        .collect())
}
