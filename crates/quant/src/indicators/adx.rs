//! Directional movement: +DI, -DI (TA-Lib `PLUS_DI`/`MINUS_DI`, first value at index `period`)
//! and ADX (TA-Lib `ADX`, first value at index `2·period-1`).
//!
//! TA-Lib's warm-up, reproduced exactly: +DM, -DM and TR are summed over bars `1..period` (that
//! is `period-1` values), then each later bar applies Wilder's step `s = s - s/n + x`. DX is
//! averaged plainly over its first `period` values (bars `period..2·period-1`) to seed ADX, then
//! `adx = (adx·(n-1) + dx) / n`. Where TR or +DI + -DI is zero, DI is reported as 0 and that
//! bar's DX is skipped: it adds nothing to the seed sum and leaves ADX unchanged afterwards.

use super::true_range::tr;
use super::{check_len, check_period, ta_is_zero, BarIndicator, IndicatorError};
use crate::Bar;

/// One directional-movement reading. `adx` is `None` until its longer warm-up is over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdxOutput {
    pub plus_di: f64,
    pub minus_di: f64,
    pub adx: Option<f64>,
}

/// Batch columns, `NaN` during each one's warm-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdxSeries {
    pub adx: Vec<f64>,
    pub plus_di: Vec<f64>,
    pub minus_di: Vec<f64>,
}

/// Streaming ADX with +DI and -DI.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    prev: Option<(f64, f64, f64)>,
    bars: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
}

impl Adx {
    /// `period >= 2` (TA-Lib's minimum).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ADX", period, 2)?;
        Ok(Self {
            period,
            prev: None,
            bars: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
        })
    }

    /// Feeds one bar's high, low and close.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<AdxOutput> {
        let (ph, pl, pc) = self.prev.replace((high, low, close))?;
        self.bars += 1;
        let diff_p = high - ph;
        let diff_m = pl - low;
        let (dm_p, dm_m) = if diff_m > 0.0 && diff_p < diff_m {
            (0.0, diff_m)
        } else if diff_p > 0.0 && diff_p > diff_m {
            (diff_p, 0.0)
        } else {
            (0.0, 0.0)
        };
        let range = tr(high, low, pc);
        let p = self.period;
        let n = p as f64;
        if self.bars < p {
            self.plus_dm += dm_p;
            self.minus_dm += dm_m;
            self.tr += range;
            return None;
        }
        self.plus_dm = self.plus_dm - self.plus_dm / n + dm_p;
        self.minus_dm = self.minus_dm - self.minus_dm / n + dm_m;
        self.tr = self.tr - self.tr / n + range;

        let (plus_di, minus_di, dx) = if ta_is_zero(self.tr) {
            (0.0, 0.0, None)
        } else {
            let plus_di = 100.0 * (self.plus_dm / self.tr);
            let minus_di = 100.0 * (self.minus_dm / self.tr);
            let sum = minus_di + plus_di;
            let dx = (!ta_is_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum));
            (plus_di, minus_di, dx)
        };

        let adx = if self.bars < 2 * p - 1 {
            self.sum_dx += dx.unwrap_or(0.0);
            None
        } else if self.bars == 2 * p - 1 {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = self.sum_dx / n;
            Some(self.adx)
        } else {
            if let Some(dx) = dx {
                self.adx = (self.adx * (n - 1.0) + dx) / n;
            }
            Some(self.adx)
        };
        Some(AdxOutput {
            plus_di,
            minus_di,
            adx,
        })
    }

    pub fn reset(&mut self) {
        *self = Self {
            period: self.period,
            prev: None,
            bars: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
        };
    }
}

impl BarIndicator for Adx {
    type Output = AdxOutput;
    fn update_bar(&mut self, bar: &Bar) -> Option<AdxOutput> {
        self.update(bar.high, bar.low, bar.close)
    }
}

/// Batch ADX, +DI and -DI.
pub fn adx(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<AdxSeries, IndicatorError> {
    check_len(high.len(), low.len())?;
    check_len(high.len(), close.len())?;
    let mut a = Adx::new(period)?;
    let n = high.len();
    let mut out = AdxSeries {
        adx: vec![f64::NAN; n],
        plus_di: vec![f64::NAN; n],
        minus_di: vec![f64::NAN; n],
    };
    for i in 0..n {
        if let Some(o) = a.update(high[i], low[i], close[i]) {
            out.plus_di[i] = o.plus_di;
            out.minus_di[i] = o.minus_di;
            out.adx[i] = o.adx.unwrap_or(f64::NAN);
        }
    }
    Ok(out)
}
