//! Bollinger Bands, TA-Lib `BBANDS` with a simple moving average (default 20 / 2.0): middle =
//! SMA, bands = middle ± k·σ with σ the *population* standard deviation of the window.
//!
//! The middle band is TA-Lib's running-sum SMA. σ follows TA-Lib 0.6+: running sums of
//! deviations from a shift (a recent window mean), rebuilt by an exact two-pass over the window
//! whenever the variance falls below 1e-6 of the largest sum of squares since the last rebuild
//! (the sums then hold mostly rounding: a flat run after a jump) and at least every 32 windows.
//! That keeps σ accurate for moves of 1e-6 on prices of 100 and exactly 0 on flat runs, in O(1)
//! amortised per bar. A variance below TA-Lib's epsilon (1e-14) gives σ = 0.

use super::{check_period, IndicatorError, Window, TA_EPSILON};

/// One Bollinger reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerOutput {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Batch columns, `NaN` for the first `period-1` values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BollingerSeries {
    pub upper: Vec<f64>,
    pub middle: Vec<f64>,
    pub lower: Vec<f64>,
}

/// Streaming Bollinger Bands.
#[derive(Debug, Clone)]
pub struct Bollinger {
    period: usize,
    k: f64,
    window: Window,
    sum: f64,
    /// Shift, Σ(x-shift), Σ(x-shift)² over the window, and the peak of the latter.
    shift: f64,
    dev: f64,
    dev_sq: f64,
    peak_sq: f64,
    since_rebuild: usize,
    seen: usize,
}

impl Bollinger {
    /// `period >= 2`; `k` (the number of standard deviations) must be finite.
    pub fn new(period: usize, k: f64) -> Result<Self, IndicatorError> {
        check_period("Bollinger", period, 2)?;
        if !k.is_finite() {
            return Err(IndicatorError::InvalidParameter {
                name: "Bollinger k",
                value: k,
            });
        }
        Ok(Self {
            period,
            k,
            window: Window::new(period),
            sum: 0.0,
            shift: 0.0,
            dev: 0.0,
            dev_sq: 0.0,
            peak_sq: 0.0,
            since_rebuild: 0,
            seen: 0,
        })
    }

    /// The usual 20 bars, 2 standard deviations.
    pub fn standard() -> Self {
        Self::new(20, 2.0).expect("20/2.0 is valid")
    }

    /// Feeds one close.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<BollingerOutput> {
        if self.seen == 0 {
            self.shift = x;
        }
        self.seen = self.seen.saturating_add(1);
        self.sum += x;
        let d = x - self.shift;
        self.dev += d;
        self.dev_sq += d * d;
        self.peak_sq = self.peak_sq.max(self.dev_sq);
        let oldest = self.window.push(x)?;
        let n = self.period as f64;
        let middle = self.sum / n;
        self.sum -= oldest;

        let mean_dev = self.dev / n;
        let mut var = self.dev_sq / n - mean_dev * mean_dev;
        self.since_rebuild += 1;
        if var < 1e-6 * (self.peak_sq / n) || self.since_rebuild >= 32 * self.period {
            var = self.rebuild();
        }
        let d = oldest - self.shift;
        self.dev -= d;
        self.dev_sq -= d * d;

        let sd = if var < TA_EPSILON { 0.0 } else { var.sqrt() };
        let width = sd * self.k;
        Some(BollingerOutput {
            upper: middle + width,
            middle,
            lower: middle - width,
        })
    }

    /// Exact two-pass variance of the full window; re-anchors the running sums on its mean.
    #[cold]
    fn rebuild(&mut self) -> f64 {
        let values = self.window.values();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let (mut dev, mut dev_sq) = (0.0, 0.0);
        for &v in values {
            let d = v - mean;
            dev += d;
            dev_sq += d * d;
        }
        self.shift = mean;
        self.dev = dev;
        self.dev_sq = dev_sq;
        self.peak_sq = dev_sq;
        self.since_rebuild = 0;
        let m = dev / n;
        dev_sq / n - m * m
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.shift = 0.0;
        self.dev = 0.0;
        self.dev_sq = 0.0;
        self.peak_sq = 0.0;
        self.since_rebuild = 0;
        self.seen = 0;
    }
}

/// Batch Bollinger Bands.
pub fn bollinger(values: &[f64], period: usize, k: f64) -> Result<BollingerSeries, IndicatorError> {
    let mut b = Bollinger::new(period, k)?;
    let n = values.len();
    let mut out = BollingerSeries {
        upper: vec![f64::NAN; n],
        middle: vec![f64::NAN; n],
        lower: vec![f64::NAN; n],
    };
    for (i, &x) in values.iter().enumerate() {
        if let Some(o) = b.update(x) {
            out.upper[i] = o.upper;
            out.middle[i] = o.middle;
            out.lower[i] = o.lower;
        }
    }
    Ok(out)
}
