//! The candle cache: Kite's historical bars by (token, interval, start), and which time ranges have
//! been fetched, so that only what is missing goes to Kite (whose historical API allows 3 calls/s).
//!
//! Times are IST wall-clock (Kite's candle timestamps are `+0530`), stored as seconds since
//! 1970-01-01 of that wall clock. Ranges are inclusive at both ends, to the second.

use super::{Db, DbError};
use chrono::{DateTime, NaiveDateTime};
use model::broker::{Candle, Interval};
use model::InstrumentToken;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// A fetched range of one token and interval (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct CandleCache {
    db: Db,
}

fn secs(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

fn naive(s: i64) -> Result<NaiveDateTime, DbError> {
    DateTime::from_timestamp(s, 0)
        .map(|d| d.naive_utc())
        .ok_or_else(|| DbError::Corrupt {
            table: "candles",
            detail: format!("timestamp {s} out of range"),
        })
}

fn unsigned(table: &'static str, field: &str, v: i64) -> Result<u64, DbError> {
    u64::try_from(v).map_err(|_| DbError::Corrupt {
        table,
        detail: format!("{field} = {v}"),
    })
}

/// Merges inclusive ranges that overlap or touch (`a.to + 1 == b.from`), sorted by start.
pub fn merge_ranges(mut ranges: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    ranges.retain(|(a, b)| a <= b);
    ranges.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The parts of `[from, to]` that no range of `covered` (merged, sorted) contains.
pub fn gaps(covered: &[(i64, i64)], from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut start = from;
    for &(a, b) in covered {
        if start > to {
            break;
        }
        if b < start {
            continue;
        }
        if a > to {
            break;
        }
        if a > start {
            out.push((start, a - 1));
        }
        start = start.max(b.saturating_add(1));
    }
    if start <= to {
        out.push((start, to));
    }
    out
}

impl CandleCache {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Declares where candles come from from now on (`"kite"`, `"sandbox:42"`). When it differs from
    /// the source that filled the cache, the cache is emptied first: the sandbox uses Kite's tokens,
    /// and its prices must never be shown as a real stock's history. Returns whether it was emptied.
    pub async fn bind_source(&self, source: &str) -> Result<bool, DbError> {
        let mut tx = self.db.pool().begin().await?;
        let current: Option<String> = sqlx::query_scalar(
            "SELECT meta_value FROM cache_meta WHERE meta_key = 'candle_source'",
        )
        .fetch_optional(&mut *tx)
        .await?;
        if current.as_deref() == Some(source) {
            return Ok(false);
        }
        sqlx::query("DELETE FROM candles").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM candle_coverage")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM cache_meta WHERE meta_key = 'candle_source'")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO cache_meta (meta_key, meta_value) VALUES ('candle_source', ?)")
            .bind(source)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(current.is_some())
    }

    async fn covered(
        &self,
        token: InstrumentToken,
        interval: Interval,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        let rows = sqlx::query(
            "SELECT from_ts, to_ts FROM candle_coverage \
             WHERE instrument_token = ? AND candle_interval = ? ORDER BY from_ts",
        )
        .bind(i64::from(token.0))
        .bind(interval.as_str())
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?));
        }
        Ok(merge_ranges(out))
    }

    /// The fetched ranges of a token and interval, merged, oldest first.
    pub async fn coverage(
        &self,
        token: InstrumentToken,
        interval: Interval,
    ) -> Result<Vec<Coverage>, DbError> {
        self.covered(token, interval)
            .await?
            .into_iter()
            .map(|(a, b)| {
                Ok(Coverage {
                    from: naive(a)?,
                    to: naive(b)?,
                })
            })
            .collect()
    }

    /// The parts of `[from, to]` not fetched yet, oldest first.
    pub async fn missing(
        &self,
        token: InstrumentToken,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<(NaiveDateTime, NaiveDateTime)>, DbError> {
        let covered = self.covered(token, interval).await?;
        gaps(&covered, secs(from), secs(to))
            .into_iter()
            .map(|(a, b)| Ok((naive(a)?, naive(b)?)))
            .collect()
    }

    /// Stores the candles Kite returned for `[from, to]` and marks that range as fetched, in one
    /// transaction: a crash never leaves a range marked without its candles.
    pub async fn store(
        &self,
        token: InstrumentToken,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
        candles: &[Candle],
    ) -> Result<(), DbError> {
        let tok = i64::from(token.0);
        let iv = interval.as_str();
        let mut tx = self.db.pool().begin().await?;
        for c in candles {
            sqlx::query(
                "INSERT INTO candles \
                 (instrument_token, candle_interval, ts, open, high, low, close, volume, oi) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (instrument_token, candle_interval, ts) DO UPDATE SET \
                 open = excluded.open, high = excluded.high, low = excluded.low, \
                 close = excluded.close, volume = excluded.volume, oi = excluded.oi",
            )
            .bind(tok)
            .bind(iv)
            .bind(secs(c.timestamp))
            .bind(c.open)
            .bind(c.high)
            .bind(c.low)
            .bind(c.close)
            .bind(i64::try_from(c.volume).unwrap_or(i64::MAX))
            .bind(c.oi.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
            .execute(&mut *tx)
            .await?;
        }
        let rows = sqlx::query(
            "SELECT from_ts, to_ts FROM candle_coverage \
             WHERE instrument_token = ? AND candle_interval = ?",
        )
        .bind(tok)
        .bind(iv)
        .fetch_all(&mut *tx)
        .await?;
        let mut ranges = Vec::with_capacity(rows.len() + 1);
        for r in rows {
            ranges.push((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?));
        }
        ranges.push((secs(from), secs(to)));
        sqlx::query(
            "DELETE FROM candle_coverage WHERE instrument_token = ? AND candle_interval = ?",
        )
        .bind(tok)
        .bind(iv)
        .execute(&mut *tx)
        .await?;
        for (a, b) in merge_ranges(ranges) {
            sqlx::query(
                "INSERT INTO candle_coverage (instrument_token, candle_interval, from_ts, to_ts) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(tok)
            .bind(iv)
            .bind(a)
            .bind(b)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// [`CandleCache::missing`] for many tokens in one query.
    pub async fn missing_many(
        &self,
        tokens: &[InstrumentToken],
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<HashMap<InstrumentToken, Vec<(NaiveDateTime, NaiveDateTime)>>, DbError> {
        let mut covered: HashMap<InstrumentToken, Vec<(i64, i64)>> = HashMap::new();
        if !tokens.is_empty() {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT instrument_token, from_ts, to_ts FROM candle_coverage WHERE candle_interval = ",
            );
            q.push_bind(interval.as_str());
            q.push(" AND instrument_token IN (");
            let mut list = q.separated(", ");
            for t in tokens {
                list.push_bind(i64::from(t.0));
            }
            q.push(")");
            for r in q.build().fetch_all(self.db.pool()).await? {
                let tok: i64 = r.try_get(0)?;
                covered
                    .entry(InstrumentToken(tok as u32))
                    .or_default()
                    .push((r.try_get(1)?, r.try_get(2)?));
            }
        }
        let mut out = HashMap::with_capacity(tokens.len());
        for t in tokens {
            let cov = merge_ranges(covered.remove(t).unwrap_or_default());
            let gaps = gaps(&cov, secs(from), secs(to))
                .into_iter()
                .map(|(a, b)| Ok((naive(a)?, naive(b)?)))
                .collect::<Result<Vec<_>, DbError>>()?;
            out.insert(*t, gaps);
        }
        Ok(out)
    }

    /// [`CandleCache::load`] for many tokens in one query.
    pub async fn load_many(
        &self,
        tokens: &[InstrumentToken],
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<HashMap<InstrumentToken, Vec<Candle>>, DbError> {
        let mut out: HashMap<InstrumentToken, Vec<Candle>> =
            tokens.iter().map(|t| (*t, Vec::new())).collect();
        if tokens.is_empty() {
            return Ok(out);
        }
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT instrument_token, ts, open, high, low, close, volume, oi FROM candles \
             WHERE candle_interval = ",
        );
        q.push_bind(interval.as_str());
        q.push(" AND ts >= ");
        q.push_bind(secs(from));
        q.push(" AND ts <= ");
        q.push_bind(secs(to));
        q.push(" AND instrument_token IN (");
        let mut list = q.separated(", ");
        for t in tokens {
            list.push_bind(i64::from(t.0));
        }
        q.push(") ORDER BY instrument_token, ts");
        for r in q.build().fetch_all(self.db.pool()).await? {
            let tok: i64 = r.try_get(0)?;
            let oi: Option<i64> = r.try_get(7)?;
            let c = Candle {
                timestamp: naive(r.try_get(1)?)?,
                open: r.try_get(2)?,
                high: r.try_get(3)?,
                low: r.try_get(4)?,
                close: r.try_get(5)?,
                volume: unsigned("candles", "volume", r.try_get(6)?)?,
                oi: oi.map(|v| unsigned("candles", "oi", v)).transpose()?,
            };
            out.entry(InstrumentToken(tok as u32)).or_default().push(c);
        }
        Ok(out)
    }

    /// Cached candles starting in `[from, to]`, oldest first.
    pub async fn load(
        &self,
        token: InstrumentToken,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<Candle>, DbError> {
        let rows = sqlx::query(
            "SELECT ts, open, high, low, close, volume, oi FROM candles \
             WHERE instrument_token = ? AND candle_interval = ? AND ts >= ? AND ts <= ? \
             ORDER BY ts",
        )
        .bind(i64::from(token.0))
        .bind(interval.as_str())
        .bind(secs(from))
        .bind(secs(to))
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let oi: Option<i64> = r.try_get(6)?;
            out.push(Candle {
                timestamp: naive(r.try_get(0)?)?,
                open: r.try_get(1)?,
                high: r.try_get(2)?,
                low: r.try_get(3)?,
                close: r.try_get(4)?,
                volume: unsigned("candles", "volume", r.try_get(5)?)?,
                oi: oi.map(|v| unsigned("candles", "oi", v)).transpose()?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        assert_eq!(
            merge_ranges(vec![(10, 20), (0, 5), (21, 30), (4, 8), (40, 50), (3, 2)]),
            vec![(0, 8), (10, 30), (40, 50)]
        );
        assert!(merge_ranges(vec![]).is_empty());
    }

    #[test]
    fn gaps_are_what_coverage_leaves_out() {
        let cov = [(10, 20), (30, 40)];
        assert_eq!(gaps(&cov, 0, 50), vec![(0, 9), (21, 29), (41, 50)]);
        assert_eq!(gaps(&cov, 12, 18), vec![]);
        assert_eq!(gaps(&cov, 15, 35), vec![(21, 29)]);
        assert_eq!(gaps(&cov, 41, 45), vec![(41, 45)]);
        assert_eq!(gaps(&[], 1, 2), vec![(1, 2)]);
    }

    fn day(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 1, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn end(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 1, d)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap()
    }

    fn candle(d: u32, close: f64) -> Candle {
        Candle {
            timestamp: day(d),
            open: close - 1.0,
            high: close + 2.0,
            low: close - 2.0,
            close,
            volume: 1000 + u64::from(d),
            oi: None,
        }
    }

    #[tokio::test]
    async fn a_file_database_keeps_candles_and_coverage() {
        let dir =
            std::env::temp_dir().join(format!("engine-candles-{}-{}", std::process::id(), line!()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("nested").join("kite-agent.db");
        let tok = InstrumentToken(408065);
        {
            let db = Db::open(&path).await.unwrap();
            let cache = db.candles();
            assert_eq!(
                cache
                    .missing(tok, Interval::Day, day(1), end(10))
                    .await
                    .unwrap(),
                vec![(day(1), end(10))]
            );
            // Days 1-5 fetched: 4 and 5 a weekend-like gap with no candles.
            let first = [candle(1, 100.0), candle(2, 101.0), candle(3, 102.0)];
            cache
                .store(tok, Interval::Day, day(1), end(5), &first)
                .await
                .unwrap();
            assert_eq!(
                cache
                    .missing(tok, Interval::Day, day(1), end(10))
                    .await
                    .unwrap(),
                vec![(day(6), end(10))]
            );
            // Re-storing a bar replaces it (Kite corrects bars); touching ranges merge.
            let second = [candle(3, 102.5), candle(6, 104.0)];
            cache
                .store(tok, Interval::Day, day(3), end(6), &second)
                .await
                .unwrap();
            assert_eq!(
                cache.coverage(tok, Interval::Day).await.unwrap(),
                vec![Coverage {
                    from: day(1),
                    to: end(6)
                }]
            );
        }
        // Reopened from disk: same data.
        let db = Db::open(&path).await.unwrap();
        let cache = db.candles();
        let got = cache
            .load(tok, Interval::Day, day(1), end(31))
            .await
            .unwrap();
        assert_eq!(
            got.iter().map(|c| c.close).collect::<Vec<_>>(),
            vec![100.0, 101.0, 102.5, 104.0]
        );
        assert_eq!(got[0], candle(1, 100.0));
        // The batched forms agree with the single ones.
        let other = InstrumentToken(1);
        let many = cache
            .load_many(&[tok, other], Interval::Day, day(1), end(31))
            .await
            .unwrap();
        assert_eq!(many[&tok], got);
        assert!(many[&other].is_empty());
        let gaps = cache
            .missing_many(&[tok, other], Interval::Day, day(1), end(10))
            .await
            .unwrap();
        assert_eq!(gaps[&tok], vec![(day(7), end(10))]);
        assert_eq!(gaps[&other], vec![(day(1), end(10))]);
        // Other tokens and intervals are separate.
        assert!(cache
            .load(InstrumentToken(1), Interval::Day, day(1), end(31))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            cache
                .missing(tok, Interval::Minute, day(1), end(1))
                .await
                .unwrap()
                .len(),
            1
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn switching_source_empties_the_cache() {
        let db = Db::open_memory().await.unwrap();
        let cache = db.candles();
        let tok = InstrumentToken(5);
        assert!(!cache.bind_source("sandbox:42").await.unwrap());
        cache
            .store(tok, Interval::Day, day(1), end(1), &[candle(1, 9.0)])
            .await
            .unwrap();
        assert!(!cache.bind_source("sandbox:42").await.unwrap());
        assert_eq!(
            cache
                .load(tok, Interval::Day, day(1), end(1))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(cache.bind_source("kite").await.unwrap());
        assert!(cache
            .load(tok, Interval::Day, day(1), end(1))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            cache
                .missing(tok, Interval::Day, day(1), end(1))
                .await
                .unwrap()
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn memory_database_migrates() {
        let db = Db::open_memory().await.unwrap();
        let cache = db.candles();
        let tok = InstrumentToken(5);
        cache
            .store(
                tok,
                Interval::Day,
                day(1),
                end(1),
                &[Candle {
                    oi: Some(7),
                    ..candle(1, 9.0)
                }],
            )
            .await
            .unwrap();
        let got = cache
            .load(tok, Interval::Day, day(1), end(1))
            .await
            .unwrap();
        assert_eq!(got[0].oi, Some(7));
    }
}
