//! Daily candles through the cache: closed sessions come from SQLite (fetched from Kite's
//! historical API only where the cache has no coverage), and the running session's bar from a live
//! quote. The running session is never cached, because its bar changes until the close; so the
//! cache only ever holds final bars and a second scan the same day asks Kite for no history at all.

use crate::db::CandleCache;
use crate::error::EngineError;
use chrono::{Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use kite::KiteClient;
use model::broker::{Candle, Interval, Quote};
use model::InstrumentToken;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// IST, +05:30 all year.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("+05:30 is a valid offset")
}

/// Now on the IST wall clock.
pub fn ist_now() -> NaiveDateTime {
    Utc::now().with_timezone(&ist()).naive_local()
}

/// The session the market is in or last had: today, or the last weekday before a weekend.
/// (Exchange holidays are not known here; the live bar's own date settles those, see [`live_bar`].)
pub fn session_date(today: NaiveDate) -> NaiveDate {
    match today.weekday() {
        Weekday::Sat => today - Days::new(1),
        Weekday::Sun => today - Days::new(2),
        _ => today,
    }
}

/// Calendar days that hold at least `sessions` trading sessions (5 a week, plus 15 holidays a year).
pub fn calendar_days_for(sessions: u32) -> u64 {
    let s = u64::from(sessions);
    s * 7 / 5 + (s / 250 + 1) * 15
}

fn start_of(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN)
}

fn end_of(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(23, 59, 59).unwrap_or_else(|| start_of(d))
}

/// A range's closed candles as last read from the database.
type Memo = HashMap<InstrumentToken, ((NaiveDateTime, NaiveDateTime), Arc<Vec<Candle>>)>;

/// Where daily candles come from: the cache, Kite's history for what it lacks.
///
/// Closed bars never change, so a range read once from SQLite is also kept in memory (about 1 MB for
/// 50 stocks × 400 sessions) and a repeated scan of the same day skips the database reads too. The
/// memory copy of a token is dropped whenever anything is fetched for it.
#[derive(Clone)]
pub struct DailyHistory {
    kite: KiteClient,
    cache: CandleCache,
    memo: Arc<Mutex<Memo>>,
}

impl DailyHistory {
    pub fn new(kite: KiteClient, cache: CandleCache) -> Self {
        Self {
            kite,
            cache,
            memo: Arc::default(),
        }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn range(session: NaiveDate, sessions: u32) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let last_closed = session.pred_opt()?;
        Some((
            start_of(session - Days::new(calendar_days_for(sessions))),
            end_of(last_closed),
        ))
    }

    /// Fetches from Kite what the cache lacks of one token's range; returns the requests made.
    async fn fill(
        &self,
        token: InstrumentToken,
        gaps: &[(NaiveDateTime, NaiveDateTime)],
    ) -> Result<usize, EngineError> {
        if !gaps.is_empty() {
            self.memo().remove(&token);
        }
        for &(a, b) in gaps {
            let got = self
                .kite
                .historical(token, Interval::Day, a, b, false, false)
                .await?;
            // Only what lies in the range asked for, so coverage and content agree.
            let got: Vec<Candle> = got
                .into_iter()
                .filter(|c| c.timestamp >= a && c.timestamp <= b)
                .collect();
            self.cache.store(token, Interval::Day, a, b, &got).await?;
        }
        Ok(gaps.len())
    }

    /// [`DailyHistory::closed`] for many tokens: one coverage query, fetches for the gaps (calling
    /// `on_token` after each token is complete), one read. Returns candles per token and the
    /// number of historical requests made.
    pub async fn closed_many(
        &self,
        tokens: &[InstrumentToken],
        session: NaiveDate,
        sessions: u32,
        mut on_token: impl FnMut(),
    ) -> Result<(HashMap<InstrumentToken, Vec<Candle>>, usize), EngineError> {
        let Some((from, to)) = Self::range(session, sessions) else {
            return Ok((HashMap::new(), 0));
        };
        let missing = self
            .cache
            .missing_many(tokens, Interval::Day, from, to)
            .await?;
        let mut calls = 0;
        for t in tokens {
            if let Some(gaps) = missing.get(t) {
                calls += self.fill(*t, gaps).await?;
            }
            on_token();
        }
        let mut out = HashMap::with_capacity(tokens.len());
        let mut unread = Vec::new();
        {
            let memo = self.memo();
            for t in tokens {
                match memo.get(t) {
                    Some((range, c)) if *range == (from, to) => {
                        out.insert(*t, c.as_ref().clone());
                    }
                    _ => unread.push(*t),
                }
            }
        }
        if !unread.is_empty() {
            let read = self
                .cache
                .load_many(&unread, Interval::Day, from, to)
                .await?;
            let mut memo = self.memo();
            for (t, c) in read {
                memo.insert(t, ((from, to), Arc::new(c.clone())));
                out.insert(t, c);
            }
        }
        Ok((out, calls))
    }

    /// Final daily candles of the `sessions` sessions before `session` (about; holidays make it
    /// fewer), oldest first. Fetches from Kite only the ranges the cache has never covered.
    /// Returns the candles and how many historical requests were made.
    pub async fn closed(
        &self,
        token: InstrumentToken,
        session: NaiveDate,
        sessions: u32,
    ) -> Result<(Vec<Candle>, usize), EngineError> {
        let Some((from, to)) = Self::range(session, sessions) else {
            return Ok((Vec::new(), 0));
        };
        let gaps = self.cache.missing(token, Interval::Day, from, to).await?;
        let calls = self.fill(token, &gaps).await?;
        Ok((
            self.cache.load(token, Interval::Day, from, to).await?,
            calls,
        ))
    }
}

/// Today's (running) daily bar from a full quote, dated by the session it belongs to: the last
/// trade's day when that is earlier than `session` (a holiday, a weekend), else `session`.
/// `None` when the quote has no price yet.
pub fn live_bar(q: &Quote, session: NaiveDate) -> Option<Candle> {
    if !(q.last_price > 0.0 && q.ohlc.open > 0.0) {
        return None;
    }
    let day = q
        .last_trade_time
        .map(|t| t.date().min(session))
        .unwrap_or(session);
    Some(Candle {
        timestamp: start_of(day),
        open: q.ohlc.open,
        high: q.ohlc.high.max(q.last_price),
        low: if q.ohlc.low > 0.0 {
            q.ohlc.low.min(q.last_price)
        } else {
            q.last_price
        },
        close: q.last_price,
        volume: q.volume,
        oi: None,
    })
}

/// Appends the live bar to closed candles: replaces a bar of the same day, ignores an older one.
pub fn with_live(mut candles: Vec<Candle>, live: Option<Candle>) -> Vec<Candle> {
    if let Some(bar) = live {
        match candles.last() {
            Some(last) if last.timestamp.date() == bar.timestamp.date() => {
                if let Some(l) = candles.last_mut() {
                    *l = bar;
                }
            }
            Some(last) if last.timestamp > bar.timestamp => {}
            _ => candles.push(bar),
        }
    }
    candles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekends_belong_to_friday() {
        assert_eq!(session_date(d(2026, 11, 28)), d(2026, 11, 27)); // Saturday
        assert_eq!(session_date(d(2026, 11, 29)), d(2026, 11, 27)); // Sunday
        assert_eq!(session_date(d(2026, 11, 30)), d(2026, 11, 30)); // Monday
        assert!(calendar_days_for(400) >= 400 * 7 / 5 + 15);
    }

    fn quote(last: f64, traded: Option<NaiveDateTime>) -> Quote {
        let mut q: Quote = serde_json::from_value(serde_json::json!({
            "instrument_token": 408065, "last_price": last, "volume": 5000,
            "ohlc": {"open": 100.0, "high": 104.0, "low": 99.0, "close": 98.0}
        }))
        .unwrap();
        q.last_trade_time = traded;
        q
    }

    #[test]
    fn live_bar_is_dated_by_its_session() {
        let fri = d(2026, 11, 27);
        // A trade on Saturday's clock (the sandbox trades all week) still belongs to Friday.
        let sat = d(2026, 11, 28).and_hms_opt(10, 0, 0);
        let b = live_bar(&quote(105.0, sat), fri).unwrap();
        assert_eq!(b.timestamp.date(), fri);
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (100.0, 105.0, 99.0, 105.0, 5000)
        );
        // On a holiday the quote still shows the last session: dated by its trade.
        let thu = d(2026, 11, 26).and_hms_opt(15, 29, 0);
        assert_eq!(
            live_bar(&quote(101.0, thu), fri).unwrap().timestamp.date(),
            d(2026, 11, 26)
        );
        assert!(live_bar(&quote(0.0, None), fri).is_none());
    }

    #[test]
    fn live_bar_replaces_same_day_and_never_goes_back() {
        let bar = |day: u32, close: f64| Candle {
            timestamp: start_of(d(2026, 11, day)),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1,
            oi: None,
        };
        let closed = vec![bar(25, 1.0), bar(26, 2.0)];
        assert_eq!(with_live(closed.clone(), Some(bar(27, 3.0))).len(), 3);
        let same = with_live(closed.clone(), Some(bar(26, 9.0)));
        assert_eq!((same.len(), same[1].close), (2, 9.0));
        assert_eq!(with_live(closed.clone(), Some(bar(24, 9.0))), closed);
        assert_eq!(with_live(closed.clone(), None), closed);
    }
}
