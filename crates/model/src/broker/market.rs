//! Market data over REST (SPEC §7.1, §7.3): quotes and historical candles.

use super::enums::wire_enum;
use super::error::ModelError;
use super::json::null_as_default;
use super::time::{format_candle_time, opt_datetime, parse_candle_time};
use crate::{InstrumentToken, Ohlc};
use chrono::NaiveDateTime;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Quote replies are objects keyed by the exact `EX:SYMBOL` strings requested; instruments without
/// data are left out.
pub type QuoteMap<T> = BTreeMap<String, T>;

/// One price level of market depth.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DepthEntry {
    pub price: f64,
    pub quantity: u64,
    pub orders: u64,
}

/// Five levels per side, zero-padded by Kite. Kept as vectors so a short side still decodes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QuoteDepth {
    #[serde(deserialize_with = "null_as_default")]
    pub buy: Vec<DepthEntry>,
    #[serde(deserialize_with = "null_as_default")]
    pub sell: Vec<DepthEntry>,
}

/// Full quote, `GET /quote`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub instrument_token: InstrumentToken,
    #[serde(default, with = "opt_datetime")]
    pub timestamp: Option<NaiveDateTime>,
    #[serde(default, with = "opt_datetime")]
    pub last_trade_time: Option<NaiveDateTime>,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub last_quantity: u64,
    #[serde(default)]
    pub buy_quantity: u64,
    #[serde(default)]
    pub sell_quantity: u64,
    #[serde(default)]
    pub volume: u64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub oi: f64,
    #[serde(default)]
    pub oi_day_high: f64,
    #[serde(default)]
    pub oi_day_low: f64,
    /// Documented as the absolute change from the previous close.
    #[serde(default)]
    pub net_change: f64,
    #[serde(default)]
    pub lower_circuit_limit: f64,
    #[serde(default)]
    pub upper_circuit_limit: f64,
    /// `close` is the previous session's close.
    #[serde(default)]
    pub ohlc: Ohlc,
    #[serde(default)]
    pub depth: QuoteDepth,
}

/// `GET /quote/ohlc`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OhlcQuote {
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub ohlc: Ohlc,
}

/// `GET /quote/ltp`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LtpQuote {
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub last_price: f64,
}

/// Legacy `GET /instruments/trigger_range/{side}` (CO era).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TriggerRange {
    #[serde(default)]
    pub instrument_token: InstrumentToken,
    pub lower: f64,
    pub upper: f64,
}

wire_enum! {
    /// Candle interval of `/instruments/historical/{token}/{interval}`.
    Interval ("interval") {
        Minute => "minute",
        Minute3 => "3minute",
        Minute5 => "5minute",
        Minute10 => "10minute",
        Minute15 => "15minute",
        Minute30 => "30minute",
        Minute60 => "60minute",
        Day => "day",
    }
}

impl Interval {
    /// Longest `from..to` span Kite serves in one request, in days (SPEC §7.3); longer spans are an
    /// `InputException`, so callers split their range by this.
    pub const fn max_days(self) -> u32 {
        match self {
            Self::Minute => 60,
            Self::Minute3 | Self::Minute5 | Self::Minute10 => 100,
            Self::Minute15 | Self::Minute30 => 200,
            Self::Minute60 => 400,
            Self::Day => 2000,
        }
    }

    /// Candle length in minutes; `None` for day candles (a session, not a fixed span).
    pub const fn minutes(self) -> Option<u32> {
        match self {
            Self::Minute => Some(1),
            Self::Minute3 => Some(3),
            Self::Minute5 => Some(5),
            Self::Minute10 => Some(10),
            Self::Minute15 => Some(15),
            Self::Minute30 => Some(30),
            Self::Minute60 => Some(60),
            Self::Day => None,
        }
    }
}

/// One OHLCV candle, labelled by its start time (IST). On the wire it is an array,
/// `["2017-12-15T09:15:00+0530", open, high, low, close, volume(, oi)]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candle {
    pub timestamp: NaiveDateTime,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: u64,
    /// Present when requested with `oi=1`.
    pub oi: Option<u64>,
}

impl Serialize for Candle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(if self.oi.is_some() { 7 } else { 6 }))?;
        seq.serialize_element(&format_candle_time(&self.timestamp))?;
        seq.serialize_element(&self.open)?;
        seq.serialize_element(&self.high)?;
        seq.serialize_element(&self.low)?;
        seq.serialize_element(&self.close)?;
        seq.serialize_element(&self.volume)?;
        if let Some(oi) = self.oi {
            seq.serialize_element(&oi)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Candle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CandleVisitor;

        /// Volume and OI are integers in practice; a whole float is accepted too.
        #[derive(Deserialize)]
        struct Count(#[serde(deserialize_with = "super::json::whole_u64")] u64);

        impl<'de> Visitor<'de> for CandleVisitor {
            type Value = Candle;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a candle array [timestamp, open, high, low, close, volume(, oi)]")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Candle, A::Error> {
                let missing = |i: usize| de::Error::invalid_length(i, &self);
                let ts: String = seq.next_element()?.ok_or_else(|| missing(0))?;
                let timestamp = parse_candle_time(&ts).map_err(de::Error::custom)?;
                let open = seq.next_element()?.ok_or_else(|| missing(1))?;
                let high = seq.next_element()?.ok_or_else(|| missing(2))?;
                let low = seq.next_element()?.ok_or_else(|| missing(3))?;
                let close = seq.next_element()?.ok_or_else(|| missing(4))?;
                let Count(volume) = seq.next_element()?.ok_or_else(|| missing(5))?;
                let oi = seq.next_element::<Option<Count>>()?.flatten().map(|c| c.0);
                // Tolerate extra trailing elements a future API might add.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Candle {
                    timestamp,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    oi,
                })
            }
        }

        d.deserialize_seq(CandleVisitor)
    }
}

/// `data` of a historical request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Candles {
    #[serde(default, deserialize_with = "null_as_default")]
    pub candles: Vec<Candle>,
}

impl Candle {
    /// Parses the wire array from JSON text, for callers holding a single candle.
    pub fn from_json(s: &str) -> Result<Self, ModelError> {
        serde_json::from_str(s).map_err(|e| ModelError::Json {
            field: "candle",
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::time::parse_datetime;

    #[test]
    fn candle_arrays_with_and_without_oi() {
        let c: Candle =
            serde_json::from_str(r#"["2017-12-15T09:15:00+0530",1704.5,1705,1699.25,1702.8,2499]"#)
                .unwrap();
        assert_eq!(c.timestamp, parse_datetime("2017-12-15 09:15:00").unwrap());
        assert_eq!(
            (c.open, c.high, c.low, c.close),
            (1704.5, 1705.0, 1699.25, 1702.8)
        );
        assert_eq!((c.volume, c.oi), (2499, None));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"["2017-12-15T09:15:00+0530",1704.5,1705.0,1699.25,1702.8,2499]"#
        );

        let c: Candle = serde_json::from_str(
            r#"["2019-12-04T09:15:00+05:30",12009.9,12019.35,12001.25,12001.5,163275,13667775]"#,
        )
        .unwrap();
        assert_eq!((c.volume, c.oi), (163275, Some(13667775)));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"["2019-12-04T09:15:00+0530",12009.9,12019.35,12001.25,12001.5,163275,13667775]"#
        );
        assert_eq!(
            Candle::from_json(&serde_json::to_string(&c).unwrap()),
            Ok(c)
        );
    }

    #[test]
    fn malformed_candles_are_errors_not_panics() {
        for bad in [
            r#"[]"#,
            r#"["2017-12-15T09:15:00+0530",1,2,3]"#,
            r#"["2017-12-15 09:15:00",1,2,3,4,5]"#,
            r#"["2017-12-15T09:15:00+0530",1,2,3,4,5.5]"#,
            r#"["2017-12-15T09:15:00+0530","1",2,3,4,5]"#,
            r#"{"timestamp":"x"}"#,
        ] {
            assert!(Candle::from_json(bad).is_err(), "{bad}");
        }
        // A whole float volume and trailing extras are tolerated.
        let c = Candle::from_json(r#"["2017-12-15T09:15:00+0530",1,2,3,4,5.0,null,"x"]"#).unwrap();
        assert_eq!((c.volume, c.oi), (5, None));
    }

    #[test]
    fn interval_limits_and_names() {
        let want = [
            ("minute", 60),
            ("3minute", 100),
            ("5minute", 100),
            ("10minute", 100),
            ("15minute", 200),
            ("30minute", 200),
            ("60minute", 400),
            ("day", 2000),
        ];
        assert_eq!(Interval::ALL.len(), want.len());
        for (iv, (name, days)) in Interval::ALL.iter().zip(want) {
            assert_eq!(iv.as_str(), name);
            assert_eq!(iv.max_days(), days);
            assert_eq!(name.parse::<Interval>().unwrap(), *iv);
            assert_eq!(serde_json::to_string(iv).unwrap(), format!("\"{name}\""));
        }
        assert!("hour".parse::<Interval>().is_err());
        assert_eq!(Interval::Minute60.minutes(), Some(60));
        assert_eq!(Interval::Day.minutes(), None);
    }
}
