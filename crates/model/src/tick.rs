//! A decoded market tick: every field that any of Kite's five binary packet kinds carries.

use crate::instrument::InstrumentToken;
use serde::{Deserialize, Serialize};

/// Levels of market depth per side in a full packet.
pub const DEPTH_LEVELS: usize = 5;

/// Streaming mode of a subscription; also tells which fields a tick carries.
/// Ordered by richness: `Ltp < Quote < Full`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Ltp,
    /// Kite streams a newly subscribed token in quote mode until told otherwise.
    #[default]
    Quote,
    Full,
}

impl Mode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ltp => "ltp",
            Self::Quote => "quote",
            Self::Full => "full",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Ohlc {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    /// Previous session's close.
    pub close: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DepthLevel {
    pub quantity: u32,
    pub price: f64,
    pub orders: u16,
}

/// One instrument's state as of one packet. Fields a packet kind does not carry are zero / `None`:
/// `mode` says which are meaningful. Prices are rupees (already divided by the segment divisor).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Tick {
    pub token: InstrumentToken,
    pub mode: Mode,
    pub tradable: bool,
    pub last_price: f64,
    pub last_traded_quantity: u32,
    pub average_traded_price: f64,
    pub volume_traded: u32,
    pub total_buy_quantity: u32,
    pub total_sell_quantity: u32,
    pub ohlc: Ohlc,
    /// Index packets only: the exchange's own signed change field, divided like a price.
    pub index_change: Option<f64>,
    /// Unix seconds.
    pub last_trade_time: Option<u32>,
    pub oi: u32,
    pub oi_day_high: u32,
    pub oi_day_low: u32,
    /// Unix seconds.
    pub exchange_timestamp: Option<u32>,
    pub depth: Option<Depth>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Depth {
    pub buy: [DepthLevel; DEPTH_LEVELS],
    pub sell: [DepthLevel; DEPTH_LEVELS],
}

impl Tick {
    /// Absolute change from the previous close (what gokiteconnect calls `NetChange`).
    pub fn net_change(&self) -> f64 {
        if self.ohlc.close == 0.0 {
            0.0
        } else {
            self.last_price - self.ohlc.close
        }
    }

    /// Percentage change from the previous close, 0 when the close is unknown (Python/JS convention).
    pub fn change_percent(&self) -> f64 {
        if self.ohlc.close == 0.0 {
            0.0
        } else {
            (self.last_price - self.ohlc.close) * 100.0 / self.ohlc.close
        }
    }

    pub fn best_bid(&self) -> Option<DepthLevel> {
        self.depth.map(|d| d.buy[0]).filter(|l| l.quantity > 0)
    }

    pub fn best_ask(&self) -> Option<DepthLevel> {
        self.depth.map(|d| d.sell[0]).filter(|l| l.quantity > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_zero_without_close() {
        let t = Tick {
            last_price: 10.0,
            ..Tick::default()
        };
        assert_eq!(t.change_percent(), 0.0);
        assert_eq!(t.net_change(), 0.0);
        let t = Tick {
            last_price: 110.0,
            ohlc: Ohlc {
                close: 100.0,
                ..Ohlc::default()
            },
            ..Tick::default()
        };
        assert!((t.change_percent() - 10.0).abs() < 1e-12);
        assert!((t.net_change() - 10.0).abs() < 1e-12);
    }
}
