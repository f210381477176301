//! Kite's timestamp formats (SPEC §1.4) as serde helpers for `#[serde(with = ...)]`.
//!
//! Every Kite time is Indian wall-clock time without an offset, so values are `chrono::NaiveDateTime`
//! / `NaiveDate` read as IST. Only candles carry an offset (`+0530`); they are converted to IST too, so
//! all times in the model compare directly.

use super::error::ModelError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Deserializer, Serializer};

/// `YYYY-MM-DD HH:MM:SS`.
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// `YYYY-MM-DD`.
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// `YYYY-MM-DDTHH:MM:SS+0530` (no colon in the offset: Go parses exactly this layout).
pub const CANDLE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S+0530";
/// IST is UTC+05:30.
const IST_OFFSET_SECS: i64 = 5 * 3600 + 30 * 60;

/// Parses `YYYY-MM-DD HH:MM:SS` (a `T` separator is accepted too).
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, ModelError> {
    NaiveDateTime::parse_from_str(s, DATETIME_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ModelError::InvalidTimestamp {
            expected: "YYYY-MM-DD HH:MM:SS",
            value: s.to_owned(),
        })
}

pub fn format_datetime(t: &NaiveDateTime) -> String {
    t.format(DATETIME_FORMAT).to_string()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, ModelError> {
    NaiveDate::parse_from_str(s, DATE_FORMAT).map_err(|_| ModelError::InvalidTimestamp {
        expected: "YYYY-MM-DD",
        value: s.to_owned(),
    })
}

pub fn format_date(d: &NaiveDate) -> String {
    d.format(DATE_FORMAT).to_string()
}

/// Parses a candle timestamp with any offset (`+0530`, `+05:30`, or another zone, which is converted)
/// into IST wall-clock time.
pub fn parse_candle_time(s: &str) -> Result<NaiveDateTime, ModelError> {
    let dt = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%:z"))
        .map_err(|_| ModelError::InvalidTimestamp {
            expected: "YYYY-MM-DDTHH:MM:SS+0530",
            value: s.to_owned(),
        })?;
    dt.naive_utc()
        .checked_add_signed(TimeDelta::seconds(IST_OFFSET_SECS))
        .ok_or_else(|| ModelError::InvalidTimestamp {
            expected: "YYYY-MM-DDTHH:MM:SS+0530",
            value: s.to_owned(),
        })
}

/// Formats IST wall-clock time as a candle timestamp, always `+0530`.
pub fn format_candle_time(t: &NaiveDateTime) -> String {
    t.format(CANDLE_FORMAT).to_string()
}

/// Reads a string, or `None` for JSON `null`.
fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// `YYYY-MM-DD HH:MM:SS`, required.
pub mod datetime {
    use super::*;

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format(DATETIME_FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        parse_datetime(&s).map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD HH:MM:SS` or `null`; an empty string also reads as `None` (Go writes zero times so).
/// `None` is written as `null`. Use with `#[serde(default)]` so an absent key is `None` too.
pub mod opt_datetime {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(&t.format(DATETIME_FORMAT)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match opt_str(d)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => parse_datetime(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `YYYY-MM-DD`, required.
pub mod date {
    use super::*;

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format(DATE_FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        parse_date(&s).map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD` or `null` (empty string reads as `None`); `None` is written as `null`.
pub mod opt_date {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.format(DATE_FORMAT)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match opt_str(d)? {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => parse_date(&s).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

/// `YYYY-MM-DD` or `""` for "no date" (MF holdings write it so); `None` is written as `""`.
pub mod date_or_empty {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.format(DATE_FORMAT)),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        super::opt_date::deserialize(d)
    }
}

/// Candle timestamp `YYYY-MM-DDTHH:MM:SS+0530` (reads `+05:30` and other offsets too).
pub mod candle_time {
    use super::*;

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format(CANDLE_FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        parse_candle_time(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ist(s: &str) -> NaiveDateTime {
        parse_datetime(s).unwrap()
    }

    #[test]
    fn plain_timestamps_round_trip() {
        let t = ist("2021-05-31 09:18:57");
        assert_eq!(format_datetime(&t), "2021-05-31 09:18:57");
        assert_eq!(ist("2021-05-31T09:18:57"), t);
        assert!(parse_datetime("09:16:39").is_err());
        assert!(parse_datetime("2021-05-31").is_err());
        let d = parse_date("2021-06-29").unwrap();
        assert_eq!(format_date(&d), "2021-06-29");
        assert!(parse_date("29-06-2021").is_err());
    }

    #[test]
    fn candle_times_accept_both_offset_forms_and_emit_0530() {
        let want = ist("2017-12-15 09:15:00");
        assert_eq!(parse_candle_time("2017-12-15T09:15:00+0530").unwrap(), want);
        assert_eq!(
            parse_candle_time("2017-12-15T09:15:00+05:30").unwrap(),
            want
        );
        assert_eq!(parse_candle_time("2017-12-15T03:45:00+0000").unwrap(), want);
        assert_eq!(format_candle_time(&want), "2017-12-15T09:15:00+0530");
        assert!(parse_candle_time("2017-12-15 09:15:00").is_err());
    }

    #[test]
    fn nullable_helpers_accept_null_and_empty() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct T {
            #[serde(default, with = "opt_datetime")]
            a: Option<NaiveDateTime>,
            #[serde(default, with = "opt_date")]
            b: Option<NaiveDate>,
            #[serde(default, with = "date_or_empty")]
            c: Option<NaiveDate>,
        }
        let t: T = serde_json::from_str(r#"{"a":null,"b":"","c":""}"#).unwrap();
        assert!(t.a.is_none() && t.b.is_none() && t.c.is_none());
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"a":null,"b":null,"c":""}"#
        );
        let t: T = serde_json::from_str("{}").unwrap();
        assert!(t.a.is_none());
        assert!(serde_json::from_str::<T>(r#"{"a":"yesterday"}"#).is_err());
    }
}
