//! Technical indicators with TA-Lib's conventions: same seeding, same warm-up lengths, same
//! arithmetic order where it matters, so results agree with TA-Lib to rounding.
//!
//! Every indicator comes in two forms:
//! * **streaming**: a struct whose `update` takes one value (or one [`Bar`]) in O(1) time and
//!   without allocating, and returns `None` until the warm-up is over;
//! * **batch**: a function from slices to `Vec<f64>` with `NaN` during warm-up, plus an `_into`
//!   variant writing into a caller's buffer. The batch form runs the streaming struct (EMA and
//!   RSI past warm-up: the same steps in a bare loop, for speed), so the two agree bit for bit.
//!
//! Warm-up (index of the first value, as in TA-Lib's "lookback"): SMA/EMA/Bollinger `period-1`,
//! RSI/ATR/±DI `period`, ADX `2·period-1`, MACD `slow-1 + signal-1`, volume ratio `period-1`,
//! VWAP `0`.

mod adx;
mod atr;
mod bollinger;
mod decay;
mod ema;
mod macd;
mod rsi;
mod sma;
mod true_range;
mod volume_ratio;
mod vwap;

pub use adx::{adx, Adx, AdxOutput, AdxSeries};
pub use atr::{atr, Atr};
pub use bollinger::{bollinger, Bollinger, BollingerOutput, BollingerSeries};
pub use ema::{ema, ema_into, Ema};
pub use macd::{macd, Macd, MacdOutput, MacdSeries};
pub use rsi::{rsi, rsi_into, Rsi};
pub use sma::{sma, sma_into, Sma};
pub use true_range::true_range;
pub use volume_ratio::{volume_ratio, VolumeRatio};
pub use vwap::{vwap, vwap_by_session, Vwap};

use crate::Bar;

/// Why an indicator could not be built or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndicatorError {
    /// TA-Lib's own lower bounds (2 for averages and oscillators, 1 for ATR, volume ratio and
    /// the MACD signal) are enforced, so a period that TA-Lib rejects is rejected here too.
    #[error("{name} period must be at least {min}, got {got}")]
    InvalidPeriod {
        name: &'static str,
        got: usize,
        min: usize,
    },
    /// A multiplier such as the Bollinger width must be a finite number.
    #[error("{name} must be finite, got {value}")]
    InvalidParameter { name: &'static str, value: f64 },
    /// Parallel input columns (high, low, close, ...) must have the same length.
    #[error("input columns differ in length: {expected} vs {got}")]
    LengthMismatch { expected: usize, got: usize },
    /// An `_into` output buffer must be as long as the input.
    #[error("output buffer has length {got}, input has {expected}")]
    OutputLength { expected: usize, got: usize },
}

/// Indicators that read whole bars, behind one interface so a pipeline can drive a list of them.
pub trait BarIndicator {
    /// What one update yields once warmed up.
    type Output;
    /// Feeds one bar; `None` while warming up.
    fn update_bar(&mut self, bar: &Bar) -> Option<Self::Output>;
}

/// TA-Lib's `TA_IS_ZERO`: its ratios (RSI, DI, DX) fall back to 0 when a denominator is within
/// this band of zero rather than dividing. TA-Lib 0.6+ uses 1e-14 (older releases used 1e-8).
pub(crate) const TA_EPSILON: f64 = 1e-14;

#[inline(always)]
pub(crate) fn ta_is_zero(v: f64) -> bool {
    -TA_EPSILON < v && v < TA_EPSILON
}

pub(crate) fn check_period(
    name: &'static str,
    got: usize,
    min: usize,
) -> Result<(), IndicatorError> {
    if got < min {
        Err(IndicatorError::InvalidPeriod { name, got, min })
    } else {
        Ok(())
    }
}

pub(crate) fn check_len(expected: usize, got: usize) -> Result<(), IndicatorError> {
    if expected != got {
        Err(IndicatorError::LengthMismatch { expected, got })
    } else {
        Ok(())
    }
}

pub(crate) fn check_out(expected: usize, got: usize) -> Result<(), IndicatorError> {
    if expected != got {
        Err(IndicatorError::OutputLength { expected, got })
    } else {
        Ok(())
    }
}

/// Fixed-capacity ring of the last `n` values: O(1) push, no allocation after construction.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Window {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            buf: vec![0.0; n.max(1)],
            head: 0,
            len: 0,
        }
    }

    /// Stores `x`; returns the value that is now the oldest in the window once it is full (the
    /// one that will drop out on the next push), or `None` while filling.
    #[inline(always)]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let n = self.buf.len();
        self.buf[self.head] = x;
        self.head += 1;
        if self.head == n {
            self.head = 0;
        }
        if self.len < n {
            self.len += 1;
            if self.len < n {
                return None;
            }
        }
        Some(self.buf[self.head])
    }

    /// The stored values, in no particular order (only complete once the window is full).
    pub(crate) fn values(&self) -> &[f64] {
        &self.buf[..self.len]
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

macro_rules! close_indicator {
    ($ty:ty, $out:ty) => {
        impl BarIndicator for $ty {
            type Output = $out;
            /// Reads the bar's close.
            fn update_bar(&mut self, bar: &Bar) -> Option<$out> {
                self.update(bar.close)
            }
        }
    };
}
close_indicator!(Sma, f64);
close_indicator!(Ema, f64);
close_indicator!(Rsi, f64);
close_indicator!(Macd, MacdOutput);
close_indicator!(Bollinger, BollingerOutput);

impl BarIndicator for VolumeRatio {
    type Output = f64;
    /// Reads the bar's volume.
    fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.volume)
    }
}
