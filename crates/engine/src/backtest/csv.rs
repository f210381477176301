//! OHLCV bars from CSV: a header row naming `date,open,high,low,close,volume` (any order, any
//! case, extra columns ignored; an unnamed first column is taken as the date, as pandas writes
//! its index). Dates without an offset are IST wall time (Kite's convention); `+05:30`-style
//! offsets are honoured.

use super::BacktestError;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use quant::bar::IST_OFFSET_SECS;
use quant::Bar;
use std::io::Read;
use std::path::Path;

fn column(headers: &csv::StringRecord, name: &'static str) -> Result<usize, BacktestError> {
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
        .ok_or(BacktestError::MissingColumn(name))
}

fn date_column(headers: &csv::StringRecord) -> Result<usize, BacktestError> {
    ["date", "datetime", "timestamp", "time"]
        .iter()
        .find_map(|name| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        })
        .or_else(|| (headers.get(0).map(str::trim) == Some("")).then_some(0))
        .ok_or(BacktestError::MissingColumn("date"))
}

/// Unix seconds of a date cell.
pub(crate) fn parse_time(cell: &str) -> Option<i64> {
    let cell = cell.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(cell, fmt) {
            return Some(t.timestamp());
        }
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(cell, fmt).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(cell, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    Some(naive.and_utc().timestamp() - IST_OFFSET_SECS)
}

/// Reads every bar; rows must be in strictly increasing time, prices finite and positive,
/// volume finite and not negative.
pub fn read_ohlcv(input: impl Read) -> Result<Vec<Bar>, BacktestError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr.headers()?.clone();
    let date = date_column(&headers)?;
    let cols = [
        ("open", column(&headers, "open")?),
        ("high", column(&headers, "high")?),
        ("low", column(&headers, "low")?),
        ("close", column(&headers, "close")?),
        ("volume", column(&headers, "volume")?),
    ];
    let mut bars: Vec<Bar> = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row = 1;
    while rdr.read_record(&mut rec)? {
        row += 1;
        let cell = rec.get(date).unwrap_or("");
        let ts = parse_time(cell).ok_or_else(|| BacktestError::BadDate {
            row,
            value: cell.to_string(),
        })?;
        let mut v = [0.0; 5];
        for (slot, (name, idx)) in v.iter_mut().zip(cols) {
            let cell = rec.get(idx).unwrap_or("").trim();
            *slot = cell
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| BacktestError::BadNumber {
                    row,
                    column: name,
                    value: cell.to_string(),
                })?;
        }
        let [open, high, low, close, volume] = v;
        if open <= 0.0 || high <= 0.0 || low <= 0.0 || close <= 0.0 {
            return Err(BacktestError::BadRow {
                row,
                reason: "prices must be positive".into(),
            });
        }
        if volume < 0.0 {
            return Err(BacktestError::BadRow {
                row,
                reason: "volume must not be negative".into(),
            });
        }
        if bars.last().is_some_and(|b| b.ts >= ts) {
            return Err(BacktestError::NotIncreasing {
                row,
                value: cell.to_string(),
            });
        }
        bars.push(Bar::new(ts, open, high, low, close, volume));
    }
    Ok(bars)
}

/// [`read_ohlcv`] on a file.
pub fn read_ohlcv_path(path: &Path) -> Result<Vec<Bar>, BacktestError> {
    let file = std::fs::File::open(path).map_err(|source| BacktestError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_ohlcv(std::io::BufReader::new(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pandas_style_and_named_headers() {
        let a = read_ohlcv(
            ",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].close, 100.34);
        // Midnight IST of 2004-08-19 is 18:30 UTC the day before.
        assert_eq!(a[0].ts, 1_092_873_600 - 5 * 3600 - 1800);
        assert_eq!(a[0].ist_day(), 12_649);
        let b = read_ohlcv(
            "volume,close,low,high,open,date\n5,10,9,11,9.5,2024-01-02T09:15:00+0530\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(b[0].open, 9.5);
        assert_eq!(b[0].ts, parse_time("2024-01-02 09:15").unwrap());
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let r = read_ohlcv("date,open,high,low,close\n2024-01-01,1,1,1,1\n".as_bytes());
        assert!(
            matches!(r, Err(BacktestError::MissingColumn("volume"))),
            "{r:?}"
        );
        let r = read_ohlcv("date,open,high,low,close,volume\n2024-01-01,1,x,1,1,1\n".as_bytes());
        assert!(
            matches!(
                r,
                Err(BacktestError::BadNumber {
                    row: 2,
                    column: "high",
                    ..
                })
            ),
            "{r:?}"
        );
        let r = read_ohlcv("date,open,high,low,close,volume\nyesterday,1,1,1,1,1\n".as_bytes());
        assert!(
            matches!(r, Err(BacktestError::BadDate { row: 2, .. })),
            "{r:?}"
        );
        let r = read_ohlcv(
            "date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-01,1,1,1,1,1\n"
                .as_bytes(),
        );
        assert!(
            matches!(r, Err(BacktestError::NotIncreasing { row: 3, .. })),
            "{r:?}"
        );
        let r = read_ohlcv("date,open,high,low,close,volume\n2024-01-02,1,1,-1,1,1\n".as_bytes());
        assert!(
            matches!(r, Err(BacktestError::BadRow { row: 2, .. })),
            "{r:?}"
        );
    }
}
