//! The OHLCV bar that bar-based indicators consume.

use serde::{Deserialize, Serialize};

/// Seconds east of UTC for India Standard Time (UTC+05:30, no daylight saving).
pub const IST_OFFSET_SECS: i64 = 5 * 3600 + 30 * 60;

/// One OHLCV bar. `ts` is the bar's start as Unix seconds (UTC); only [`crate::indicators::Vwap`]
/// reads it, to find session boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Bar {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Bar {
    /// A bar from its fields, in the usual OHLCV order.
    pub fn new(ts: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        Self {
            ts,
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// The IST calendar day of this bar, as days since 1970-01-01: Indian sessions never cross
    /// IST midnight, so this identifies the trading session.
    pub fn ist_day(&self) -> i64 {
        (self.ts + IST_OFFSET_SECS).div_euclid(86_400)
    }
}
