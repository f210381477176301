//! The instrument dump (SPEC §7.2): CSV, parsed into typed instruments, cached on disk for the day.
//!
//! Kite regenerates the dump once a day, so a file named after today's IST date is as fresh as the
//! server's copy; anything older is fetched again.

use super::client::KiteClient;
use super::error::{KiteError, Result};
use super::limits::Class;
use chrono::{FixedOffset, NaiveDate, Utc};
use model::broker::Instrument;
use model::Exchange;
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

/// Today's date in IST, the day the dump belongs to.
pub fn ist_today() -> NaiveDate {
    let ist = FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("valid offset");
    Utc::now().with_timezone(&ist).date_naive()
}

/// Parses a dump (CRLF or LF line ends, RFC 4180 quoting). A malformed row is an error naming its line.
pub fn parse_instruments_csv(text: &str) -> Result<Vec<Instrument>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| KiteError::Decode(format!("instrument dump header: {e}")))?
        .clone();
    if headers.len() != 12 || headers.get(0) != Some("instrument_token") {
        return Err(KiteError::Decode(format!(
            "instrument dump header has unexpected columns: {:?}",
            headers.iter().collect::<Vec<_>>()
        )));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.map_err(|e| KiteError::Decode(format!("instrument dump row {}: {e}", i + 2)))?;
        let fields: Vec<&str> = rec.iter().collect();
        let inst = Instrument::from_csv_record(&fields)
            .map_err(|e| KiteError::Decode(format!("instrument dump row {}: {e}", i + 2)))?;
        out.push(inst);
    }
    Ok(out)
}

fn cache_file(dir: &Path, exchange: Option<Exchange>, day: NaiveDate) -> PathBuf {
    let scope = exchange.map(|e| e.as_str()).unwrap_or("all");
    dir.join(format!("instruments-{scope}-{day}.csv"))
}

impl KiteClient {
    /// The instrument dump for one exchange or all of them. With `cache_dir`, today's copy is read from
    /// disk when present and written there after a download (older copies are removed).
    pub async fn instruments(
        &self,
        exchange: Option<Exchange>,
        cache_dir: Option<&Path>,
    ) -> Result<Vec<Instrument>> {
        let today = ist_today();
        if let Some(dir) = cache_dir {
            let file = cache_file(dir, exchange, today);
            if let Ok(text) = tokio::fs::read_to_string(&file).await {
                match parse_instruments_csv(&text) {
                    Ok(list) => {
                        debug!(file = %file.display(), "instrument dump from cache");
                        return Ok(list);
                    }
                    Err(e) => warn!(error = %e, "ignoring a corrupt cached dump"),
                }
            }
        }
        let path = match exchange {
            Some(e) => format!("/instruments/{}", e.as_str()),
            None => "/instruments".to_string(),
        };
        let text = self.call_text(&path, Class::Other).await?;
        let list = parse_instruments_csv(&text)?;
        if let Some(dir) = cache_dir {
            if let Err(e) = write_cache(dir, exchange, today, &text).await {
                warn!(error = %e, "could not cache the instrument dump");
            }
        }
        Ok(list)
    }
}

async fn write_cache(
    dir: &Path,
    exchange: Option<Exchange>,
    day: NaiveDate,
    text: &str,
) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let file = cache_file(dir, exchange, day);
    // Write then rename, so a crash never leaves half a dump that looks like today's.
    let tmp = file.with_extension("csv.part");
    tokio::fs::write(&tmp, text).await?;
    tokio::fs::rename(&tmp, &file).await?;
    let scope = exchange.map(|e| e.as_str()).unwrap_or("all");
    let prefix = format!("instruments-{scope}-");
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(&prefix) && entry.path() != file {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
    Ok(())
}
