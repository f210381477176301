//! Session-anchored VWAP: Σ(typical price × volume) / Σ volume since the session's first bar,
//! with typical price `(high + low + close) / 3`. A bar whose session differs from the previous
//! bar's starts a new sum. Undefined (`None` / `NaN`) while the session has traded no volume.

use super::{check_len, BarIndicator};
use crate::indicators::IndicatorError;
use crate::Bar;

/// Streaming VWAP.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    session: Option<i64>,
    pv: f64,
    volume: f64,
}

impl Vwap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one bar of session `session` (any id that changes between sessions, e.g. the IST
    /// day from [`Bar::ist_day`]).
    #[inline]
    pub fn update(
        &mut self,
        session: i64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Option<f64> {
        if self.session != Some(session) {
            self.session = Some(session);
            self.pv = 0.0;
            self.volume = 0.0;
        }
        let typical = (high + low + close) / 3.0;
        self.pv += typical * volume;
        self.volume += volume;
        (self.volume != 0.0).then(|| self.pv / self.volume)
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

impl BarIndicator for Vwap {
    type Output = f64;
    /// Sessions are IST calendar days.
    fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.ist_day(), bar.high, bar.low, bar.close, bar.volume)
    }
}

/// Batch VWAP over bars, sessions being IST calendar days.
pub fn vwap(bars: &[Bar]) -> Vec<f64> {
    let mut v = Vwap::new();
    bars.iter()
        .map(|b| v.update_bar(b).unwrap_or(f64::NAN))
        .collect()
}

/// Batch VWAP over columns with explicit session ids.
pub fn vwap_by_session(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    session: &[i64],
) -> Result<Vec<f64>, IndicatorError> {
    let n = high.len();
    for len in [low.len(), close.len(), volume.len(), session.len()] {
        check_len(n, len)?;
    }
    let mut v = Vwap::new();
    Ok((0..n)
        .map(|i| {
            v.update(session[i], high[i], low[i], close[i], volume[i])
                .unwrap_or(f64::NAN)
        })
        .collect())
}
