//! MACD, TA-Lib `MACD` (fast 12, slow 26, signal 9 by default).
//!
//! TA-Lib seeds the fast EMA late: both EMAs start at index `slow-1`, the fast one seeded with
//! the SMA of the `fast` values ending there (not of the first `fast` values). The signal is an
//! EMA of the MACD line seeded with the SMA of its first `signal` values; all three outputs
//! start at index `slow-1 + signal-1` (33 for 12/26/9). If `fast > slow` they are swapped, as
//! TA-Lib does.

use super::{check_period, Ema, IndicatorError};

/// One MACD reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdOutput {
    pub macd: f64,
    pub signal: f64,
    pub hist: f64,
}

/// Batch MACD columns, `NaN` during warm-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MacdSeries {
    pub macd: Vec<f64>,
    pub signal: Vec<f64>,
    pub hist: Vec<f64>,
}

/// Streaming MACD.
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    fast_start: usize,
    seen: usize,
}

impl Macd {
    /// `fast, slow >= 2`, `signal >= 1` (TA-Lib's minimums).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        check_period("MACD fast", fast, 2)?;
        check_period("MACD slow", slow, 2)?;
        check_period("MACD signal", signal, 1)?;
        let (fast, slow) = if fast > slow {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Self {
            fast: Ema::new_unchecked(fast),
            slow: Ema::new_unchecked(slow),
            signal: Ema::new_unchecked(signal),
            fast_start: slow - fast,
            seen: 0,
        })
    }

    /// TA-Lib's defaults 12/26/9.
    pub fn standard() -> Self {
        Self::new(12, 26, 9).expect("12/26/9 is valid")
    }

    /// Index of the first output.
    pub fn lookback(&self) -> usize {
        self.slow.period() - 1 + self.signal.period() - 1
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<MacdOutput> {
        let slow = self.slow.update(x);
        let fast = if self.seen >= self.fast_start {
            self.fast.update(x)
        } else {
            None
        };
        self.seen = self.seen.saturating_add(1);
        let (Some(fast), Some(slow)) = (fast, slow) else {
            return None;
        };
        let macd = fast - slow;
        let signal = self.signal.update(macd)?;
        Some(MacdOutput {
            macd,
            signal,
            hist: macd - signal,
        })
    }

    pub fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.seen = 0;
    }
}

/// Batch MACD.
pub fn macd(
    values: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<MacdSeries, IndicatorError> {
    let mut m = Macd::new(fast, slow, signal)?;
    let n = values.len();
    let mut out = MacdSeries {
        macd: vec![f64::NAN; n],
        signal: vec![f64::NAN; n],
        hist: vec![f64::NAN; n],
    };
    for (i, &x) in values.iter().enumerate() {
        if let Some(o) = m.update(x) {
            out.macd[i] = o.macd;
            out.signal[i] = o.signal;
            out.hist[i] = o.hist;
        }
    }
    Ok(out)
}
