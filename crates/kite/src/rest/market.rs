//! Market data over REST (SPEC §7): quotes in batches within the per-call limits, historical candles
//! split into requests within the per-interval day limits.

use super::client::{Body, KiteClient};
use super::error::{KiteError, Result};
use super::limits::Class;
use chrono::{Duration as Days, NaiveDateTime};
use model::broker::{Candle, Candles, Interval, LtpQuote, OhlcQuote, Quote, QuoteMap};
use model::InstrumentToken;
use reqwest::Method;
use serde::de::DeserializeOwned;

/// Most instruments per `/quote` call.
pub const QUOTE_BATCH: usize = 500;
/// Most instruments per `/quote/ohlc` and `/quote/ltp` call.
pub const OHLC_LTP_BATCH: usize = 1000;

impl KiteClient {
    async fn quotes_batched<T: DeserializeOwned>(
        &self,
        path: &str,
        instruments: &[&str],
        batch: usize,
    ) -> Result<QuoteMap<T>> {
        let mut out = QuoteMap::new();
        for chunk in instruments.chunks(batch) {
            let q: Vec<(&str, String)> = chunk.iter().map(|i| ("i", (*i).to_string())).collect();
            let part: QuoteMap<T> = self
                .call(Method::GET, path, &q, Body::None, Class::Quote, true)
                .await?;
            out.extend(part);
        }
        Ok(out)
    }

    /// Full quotes keyed by `EXCHANGE:SYMBOL`. Instruments with no data are left out, as Kite does.
    pub async fn quote(&self, instruments: &[&str]) -> Result<QuoteMap<Quote>> {
        self.quotes_batched("/quote", instruments, QUOTE_BATCH)
            .await
    }

    pub async fn ohlc(&self, instruments: &[&str]) -> Result<QuoteMap<OhlcQuote>> {
        self.quotes_batched("/quote/ohlc", instruments, OHLC_LTP_BATCH)
            .await
    }

    pub async fn ltp(&self, instruments: &[&str]) -> Result<QuoteMap<LtpQuote>> {
        self.quotes_batched("/quote/ltp", instruments, OHLC_LTP_BATCH)
            .await
    }

    /// Candles for `[from, to]`. A range longer than Kite allows for the interval is split into
    /// consecutive requests (each within the limit), made at the historical rate limit.
    pub async fn historical(
        &self,
        token: InstrumentToken,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
        continuous: bool,
        oi: bool,
    ) -> Result<Vec<Candle>> {
        if from > to {
            return Err(KiteError::Invalid("`from` is after `to`".into()));
        }
        if continuous && interval != Interval::Day {
            return Err(KiteError::Invalid(
                "continuous data exists only for the day interval".into(),
            ));
        }
        let path = format!("/instruments/historical/{}/{}", token.0, interval.as_str());
        let mut out: Vec<Candle> = Vec::new();
        for (start, end) in split_range(from, to, interval) {
            let q = [
                ("from", start.format("%Y-%m-%d %H:%M:%S").to_string()),
                ("to", end.format("%Y-%m-%d %H:%M:%S").to_string()),
                ("continuous", u8::from(continuous).to_string()),
                ("oi", u8::from(oi).to_string()),
            ];
            let part: Candles = self
                .call(Method::GET, &path, &q, Body::None, Class::Historical, true)
                .await?;
            for c in part.candles {
                // Chunks do not overlap, but never emit the same bar twice if a server pads them.
                if out.last().is_none_or(|l| l.timestamp < c.timestamp) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }
}

/// Splits `[from, to]` into consecutive, non-overlapping chunks no longer than the interval allows.
pub fn split_range(
    from: NaiveDateTime,
    to: NaiveDateTime,
    interval: Interval,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let span = Days::days(interval.max_days() as i64);
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + span - Days::seconds(1)).min(to);
        out.push((start, end));
        start = end + Days::seconds(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    #[test]
    fn splits_within_limits_without_gaps_or_overlap() {
        let from = at(2024, 1, 1);
        let to = from + Days::days(400);
        let parts = split_range(from, to, Interval::Minute);
        // 400 days + 1 s in 60-day chunks: 7 requests.
        assert_eq!(parts.len(), 7);
        assert_eq!(parts[0].0, from);
        assert_eq!(parts.last().unwrap().1, to);
        for w in parts.windows(2) {
            assert_eq!(w[0].1 + Days::seconds(1), w[1].0);
        }
        for (a, b) in &parts {
            assert!(*b - *a < Days::days(60));
        }
        assert_eq!(split_range(from, from, Interval::Day).len(), 1);
        assert!(split_range(to, from, Interval::Day).is_empty());
    }
}
