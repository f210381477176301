//! The stock scanner: loads ~400 daily sessions per stock of its universe through the candle cache,
//! then runs the pure [`evaluate`] (trend template, RS rating, movers, triggers). One scan at a time
//! runs in the background; callers poll [`Scanner::status`] and read [`Scanner::results`].

pub mod evaluate;
pub mod history;
pub mod universe;

pub use evaluate::{evaluate, UniverseEntry};
pub use history::DailyHistory;

use crate::db::CandleCache;
use crate::error::EngineError;
use crate::instruments::InstrumentStore;
use chrono::Utc;
use history::{ist, ist_now, live_bar, session_date, with_live};
use kite::KiteClient;
use model::analysis::{ScanResults, ScanStarted, ScanStatus};
use model::broker::{Candle, Instrument, InstrumentType};
use model::{Exchange, InstrumentToken};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::{info, warn};

/// Sessions loaded per stock: 52 weeks, SMA200 a month back and slack for holidays.
pub const SCAN_SESSIONS: u32 = 400;
/// Most sessions a chart may ask for.
pub const MAX_CHART_SESSIONS: u32 = 2000;

#[derive(Default)]
struct State {
    status: ScanStatus,
    results: Option<ScanResults>,
    /// Historical requests made by the last scan (0 when the cache covered everything).
    last_historical_calls: usize,
}

struct Inner {
    kite: KiteClient,
    history: DailyHistory,
    instruments: Arc<InstrumentStore>,
    universe: Vec<String>,
    state: Mutex<State>,
}

/// Cheap to clone; clones share the scan state.
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

impl Scanner {
    pub fn new(
        kite: KiteClient,
        cache: CandleCache,
        instruments: Arc<InstrumentStore>,
        universe: Vec<String>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                history: DailyHistory::new(kite.clone(), cache),
                kite,
                instruments,
                universe,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn universe(&self) -> &[String] {
        &self.inner.universe
    }

    /// Starts a scan in the background unless one is running (then `started` is false).
    pub fn start(&self) -> ScanStarted {
        let mut st = self.state();
        if st.status.scanning {
            return ScanStarted {
                started: false,
                status: st.status.clone(),
            };
        }
        st.status.scanning = true;
        st.status.done = 0;
        st.status.total = self.inner.universe.len();
        st.status.progress = 0.0;
        st.status.error = None;
        let status = st.status.clone();
        drop(st);
        let me = self.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let outcome = me.scan().await;
            let mut st = me.state();
            st.status.scanning = false;
            st.status.last_scan_time = Some(Utc::now().with_timezone(&ist()).to_rfc3339());
            match outcome {
                Ok((mut results, calls)) => {
                    results.elapsed_ms = started.elapsed().as_millis() as u64;
                    results.scanned_at = st.status.last_scan_time.clone().unwrap_or_default();
                    info!(
                        stocks = results.stocks.len(),
                        historical_calls = calls,
                        ms = results.elapsed_ms,
                        "scan finished"
                    );
                    st.status.done = st.status.total;
                    st.status.progress = 1.0;
                    st.results = Some(results);
                    st.last_historical_calls = calls;
                }
                Err(e) => {
                    warn!(error = %e, "scan failed");
                    st.status.error = Some(e.to_string());
                }
            }
        });
        ScanStarted {
            started: true,
            status,
        }
    }

    pub fn status(&self) -> ScanStatus {
        self.state().status.clone()
    }

    /// The last finished scan.
    pub fn results(&self) -> Option<ScanResults> {
        self.state().results.clone()
    }

    /// Historical requests the last finished scan made (0: everything came from the cache).
    pub fn last_historical_calls(&self) -> usize {
        self.state().last_historical_calls
    }

    async fn nse(&self) -> Result<HashMap<String, Instrument>, EngineError> {
        let dump = self
            .inner
            .instruments
            .get(&self.inner.kite, Exchange::Nse)
            .await?;
        Ok(dump
            .iter()
            .filter(|i| i.instrument_type == InstrumentType::Eq)
            .map(|i| (i.tradingsymbol.clone(), i.clone()))
            .collect())
    }

    async fn scan(&self) -> Result<(ScanResults, usize), EngineError> {
        let nse = self.nse().await?;
        let session = session_date(ist_now().date());
        let mut listed: Vec<(String, InstrumentToken)> = Vec::new();
        for symbol in &self.inner.universe {
            match nse.get(symbol) {
                Some(inst) => listed.push((symbol.clone(), inst.instrument_token)),
                None => {
                    warn!(%symbol, "not in the NSE instrument list; skipped");
                    self.progress();
                }
            }
        }
        let tokens: Vec<InstrumentToken> = listed.iter().map(|(_, t)| *t).collect();
        let (mut by_token, calls) = self
            .inner
            .history
            .closed_many(&tokens, session, SCAN_SESSIONS, || self.progress())
            .await?;
        let mut loaded: Vec<(String, InstrumentToken, Vec<Candle>)> = listed
            .into_iter()
            .map(|(s, t)| {
                let c = by_token.remove(&t).unwrap_or_default();
                (s, t, c)
            })
            .collect();
        let keys: Vec<String> = loaded.iter().map(|(s, _, _)| format!("NSE:{s}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let quotes = self.inner.kite.quote(&refs).await?;
        for ((_, _, candles), key) in loaded.iter_mut().zip(&keys) {
            let live = quotes.get(key).and_then(|q| live_bar(q, session));
            *candles = with_live(std::mem::take(candles), live);
        }
        let entries: Vec<UniverseEntry<'_>> = loaded
            .iter()
            .map(|(s, t, c)| (s.as_str(), *t, c.as_slice()))
            .collect();
        Ok((evaluate(&entries), calls))
    }

    fn progress(&self) {
        let mut st = self.state();
        st.status.done += 1;
        st.status.progress = if st.status.total == 0 {
            1.0
        } else {
            st.status.done as f64 / st.status.total as f64
        };
    }

    /// The last `days` daily sessions of an NSE stock, for charts: closed bars from the cache
    /// (fetched when missing) and today's running bar from a quote.
    pub async fn candles(&self, symbol: &str, days: u32) -> Result<Vec<Candle>, EngineError> {
        if days == 0 || days > MAX_CHART_SESSIONS {
            return Err(EngineError::Invalid(format!(
                "days must be 1 to {MAX_CHART_SESSIONS}, got {days}"
            )));
        }
        let symbol = symbol.trim().to_ascii_uppercase();
        let nse = self.nse().await?;
        let inst = nse
            .get(&symbol)
            .ok_or_else(|| EngineError::UnknownSymbol(symbol.clone()))?;
        let session = session_date(ist_now().date());
        let (closed, _) = self
            .inner
            .history
            .closed(inst.instrument_token, session, days)
            .await?;
        let key = format!("NSE:{symbol}");
        let quotes = self.inner.kite.quote(&[key.as_str()]).await?;
        let live = quotes.get(&key).and_then(|q| live_bar(q, session));
        let all = with_live(closed, live);
        let skip = all.len().saturating_sub(days as usize);
        Ok(all[skip..].to_vec())
    }
}
