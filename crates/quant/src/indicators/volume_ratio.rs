//! Volume ratio: this bar's volume over the simple average volume of the last `period` bars,
//! this bar included (so a steady volume reads 1.0). First value at index `period-1`; where the
//! average is 0 (no trades in the whole window) the ratio is undefined: `None` / `NaN`.

use super::{check_period, IndicatorError, Sma};

/// Streaming volume ratio.
#[derive(Debug, Clone)]
pub struct VolumeRatio {
    avg: Sma,
}

impl VolumeRatio {
    /// `period >= 1`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("volume ratio", period, 1)?;
        Ok(Self {
            avg: Sma::new_unchecked(period),
        })
    }

    /// Feeds one bar's volume.
    #[inline]
    pub fn update(&mut self, volume: f64) -> Option<f64> {
        let avg = self.avg.update(volume)?;
        (avg != 0.0).then(|| volume / avg)
    }

    pub fn reset(&mut self) {
        self.avg.reset();
    }
}

/// Batch volume ratio.
pub fn volume_ratio(volume: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut r = VolumeRatio::new(period)?;
    Ok(volume
        .iter()
        .map(|&v| r.update(v).unwrap_or(f64::NAN))
        .collect())
}
