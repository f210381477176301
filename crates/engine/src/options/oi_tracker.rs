//! Live open interest of the nearest expiry of NIFTY, BANKNIFTY and SENSEX.
//!
//! `start` seeds each underlying from the chain snapshot (instrument dump + one batched quote),
//! subscribes its options and its index on the user's ticker in full mode (the only mode whose
//! packets carry OI), then ticks keep OI, volume and the spot current. Every 2 s a summary per
//! underlying is computed, kept as the latest and sent on a broadcast channel. OI change is against
//! the day's base ([`super::OiBase`]: the first OI seen that day).

use super::chain::{now_ms, stats, ChainSource};
use crate::scanner::history::ist_now;
use chrono::Datelike;
use kite::TickerHandle;
use model::options::{OiStrike, OiSummary, Underlying};
use model::{InstrumentToken, Mode, Tick};
use quant::options::chain::StrikeRow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use tokio::sync::broadcast;
use tracing::{info, warn};

/// How often summaries are published.
pub const PUBLISH_EVERY: Duration = Duration::from_secs(2);
const CHANNEL_CAPACITY: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Leg {
    underlying: Underlying,
    /// Strike in paise, the key of its row.
    strike: i64,
    call: bool,
    oi: u64,
    volume: u64,
}

#[derive(Debug, Clone)]
struct Book {
    expiry: String,
    /// 15:30 IST on the expiry date, Unix seconds: past it the book rolls to the next expiry.
    expiry_unix: i64,
    spot: f64,
    /// Legs by token; rows are rebuilt from them at each publish.
    legs: Vec<InstrumentToken>,
}

#[derive(Default)]
struct Books {
    books: HashMap<Underlying, Book>,
    legs: HashMap<InstrumentToken, Leg>,
    /// Spot index token → underlyings priced off it.
    spots: HashMap<InstrumentToken, Vec<Underlying>>,
    /// Options of expired books: still legs for [`OiTracker::is_leg`], because ticks sent before
    /// the unsubscribe took effect keep arriving and must not reach the dashboards as market-watch
    /// ticks. A few hundred tokens per roll; an expired contract never trades again.
    retired: HashSet<InstrumentToken>,
}

struct Inner {
    source: ChainSource,
    ticker: TickerHandle,
    books: RwLock<Books>,
    latest: Mutex<HashMap<Underlying, OiSummary>>,
    tx: broadcast::Sender<OiSummary>,
    /// Serialises `start` so two callers never seed the same underlying twice.
    starting: tokio::sync::Mutex<()>,
    publisher: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Why the last attempt to track an underlying failed, until one succeeds.
    failures: Mutex<HashMap<Underlying, String>>,
}

/// Cheap to clone; clones share the books.
#[derive(Clone)]
pub struct OiTracker {
    inner: Arc<Inner>,
}

impl OiTracker {
    pub fn new(source: ChainSource, ticker: TickerHandle) -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                source,
                ticker,
                books: RwLock::new(Books::default()),
                latest: Mutex::new(HashMap::new()),
                tx,
                starting: tokio::sync::Mutex::new(()),
                publisher: Mutex::new(None),
                failures: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Starts tracking `underlyings` (those already tracked are left as they are) and returns every
    /// underlying tracked now. One that cannot be seeded (no options listed, a broker error) is
    /// logged and left out; calling again retries it.
    pub async fn start(&self, underlyings: &[Underlying]) -> Vec<Underlying> {
        let _one_at_a_time = self.inner.starting.lock().await;
        for &u in underlyings {
            if self.read().books.contains_key(&u) {
                continue;
            }
            match self.seed(u).await {
                Ok(n) => {
                    info!(underlying = %u, legs = n, "OI tracking started");
                    self.failures().remove(&u);
                }
                Err(e) => {
                    warn!(underlying = %u, error = %e, "OI tracking could not start");
                    self.failures().insert(u, e.to_string());
                }
            }
        }
        self.ensure_publisher();
        // A first summary at once, so nobody waits a whole period.
        self.publish();
        self.tracking()
    }

    async fn seed(&self, u: Underlying) -> Result<usize, crate::EngineError> {
        let snap = self.inner.source.snapshot(u, None).await?;
        let today = ist_now().date();
        let mut tokens = Vec::with_capacity(snap.contracts.len() + 1);
        {
            let mut b = self.inner.books.write().unwrap_or_else(|p| p.into_inner());
            for c in &snap.contracts {
                let q = snap
                    .quotes
                    .get(&c.instrument_token)
                    .copied()
                    .unwrap_or_default();
                // Record the day's base now, from the seeding quote.
                self.inner
                    .source
                    .base()
                    .change(today, c.instrument_token, q.oi);
                b.legs.insert(
                    c.instrument_token,
                    Leg {
                        underlying: u,
                        strike: (c.strike * 100.0).round() as i64,
                        call: c.instrument_type == model::broker::InstrumentType::Ce,
                        oi: q.oi,
                        volume: q.volume,
                    },
                );
                tokens.push(c.instrument_token);
            }
            b.spots.entry(snap.spot_token).or_default().push(u);
            b.books.insert(
                u,
                Book {
                    expiry: snap.expiry.to_string(),
                    expiry_unix: quant::options::expiry_unix(
                        snap.expiry.year(),
                        snap.expiry.month(),
                        snap.expiry.day(),
                    )
                    .unwrap_or(i64::MAX),
                    spot: snap.spot,
                    legs: tokens.clone(),
                },
            );
        }
        let n = tokens.len();
        tokens.push(snap.spot_token);
        self.inner.ticker.subscribe(&tokens, Mode::Full);
        Ok(n)
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<Underlying, String>> {
        self.inner
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Underlyings whose tracking could not start, with the reason (cleared once one starts).
    pub fn failed(&self) -> Vec<(Underlying, String)> {
        let mut out: Vec<_> = self
            .failures()
            .iter()
            .map(|(u, e)| (*u, e.clone()))
            .collect();
        out.sort_by_key(|(u, _)| order(*u));
        out
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Books> {
        self.inner.books.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Underlyings tracked now.
    pub fn tracking(&self) -> Vec<Underlying> {
        let mut out: Vec<Underlying> = self.read().books.keys().copied().collect();
        out.sort_by_key(|u| order(*u));
        out
    }

    pub fn is_tracking(&self, u: Underlying) -> bool {
        self.read().books.contains_key(&u)
    }

    /// Whether `token` is an option this tracker follows (its ticks are not market-watch ticks).
    pub fn is_leg(&self, token: InstrumentToken) -> bool {
        let b = self.read();
        b.legs.contains_key(&token) || b.retired.contains(&token)
    }

    /// Takes a tick's OI, volume or spot price, if the token is tracked. Ticks in a mode without
    /// OI (the quote-mode snapshot right after subscribing) only update the volume.
    pub fn on_tick(&self, tick: &Tick) {
        let mut b = self.inner.books.write().unwrap_or_else(|p| p.into_inner());
        if let Some(leg) = b.legs.get_mut(&tick.token) {
            if tick.mode >= Mode::Quote {
                leg.volume = u64::from(tick.volume_traded);
            }
            if tick.mode == Mode::Full {
                leg.oi = u64::from(tick.oi);
            }
        }
        if tick.last_price > 0.0 {
            if let Some(us) = b.spots.get(&tick.token).cloned() {
                for u in us {
                    if let Some(book) = b.books.get_mut(&u) {
                        book.spot = tick.last_price;
                    }
                }
            }
        }
    }

    /// The latest summary of every tracked underlying.
    pub fn summaries(&self) -> Vec<OiSummary> {
        let mut out: Vec<OiSummary> = self
            .inner
            .latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        out.sort_by_key(|s| order(s.underlying));
        out
    }

    pub fn summary(&self, u: Underlying) -> Option<OiSummary> {
        self.inner
            .latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&u)
            .cloned()
    }

    /// Summaries as they are published (every 2 s per tracked underlying).
    pub fn subscribe(&self) -> broadcast::Receiver<OiSummary> {
        self.inner.tx.subscribe()
    }

    /// Rolls every book whose expiry has passed at `now_unix` to its underlying's next nearest
    /// expiry: the expired options are unsubscribed and the underlying is seeded again. Returns the
    /// underlyings rolled. The publisher calls it before each round.
    pub async fn roll_expired(&self, now_unix: i64) -> Vec<Underlying> {
        let expired: Vec<Underlying> = self
            .read()
            .books
            .iter()
            .filter(|(_, b)| b.expiry_unix <= now_unix)
            .map(|(u, _)| *u)
            .collect();
        if expired.is_empty() {
            return expired;
        }
        let mut gone = Vec::new();
        {
            let mut b = self.inner.books.write().unwrap_or_else(|p| p.into_inner());
            for u in &expired {
                if let Some(book) = b.books.remove(u) {
                    for t in &book.legs {
                        b.legs.remove(t);
                        b.retired.insert(*t);
                    }
                    gone.extend(book.legs);
                }
                for us in b.spots.values_mut() {
                    us.retain(|x| x != u);
                }
            }
            // Index tokens stay subscribed: the market watch shows them too.
            b.spots.retain(|_, us| !us.is_empty());
        }
        self.inner.ticker.unsubscribe(&gone);
        self.inner
            .latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|u, _| !expired.contains(u));
        info!(?expired, "OI tracking rolls to the next expiry");
        self.start(&expired).await;
        expired
    }

    fn ensure_publisher(&self) {
        let mut p = self
            .inner
            .publisher
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if p.is_some() {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        *p = Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(PUBLISH_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let tracker = OiTracker { inner };
                tracker.roll_expired(super::chain::now_unix()).await;
                tracker.publish();
            }
        }));
    }

    /// Computes, stores and broadcasts a summary of every tracked underlying.
    fn publish(&self) {
        let today = ist_now().date();
        let summaries: Vec<OiSummary> = {
            let b = self.read();
            b.books
                .iter()
                .map(|(u, book)| {
                    summarize(*u, book, &b.legs, |t, oi| {
                        self.inner.source.base().change(today, t, oi)
                    })
                })
                .collect()
        };
        let mut latest = self.inner.latest.lock().unwrap_or_else(|p| p.into_inner());
        for s in summaries {
            latest.insert(s.underlying, s.clone());
            let _ = self.inner.tx.send(s);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(h) = self.publisher.get_mut().ok().and_then(|p| p.take()) {
            h.abort();
        }
    }
}

/// Position in [`Underlying::ALL`], the order lists are given in.
fn order(u: Underlying) -> usize {
    Underlying::ALL
        .iter()
        .position(|x| *x == u)
        .unwrap_or(usize::MAX)
}

fn summarize(
    u: Underlying,
    book: &Book,
    legs: &HashMap<InstrumentToken, Leg>,
    mut change: impl FnMut(InstrumentToken, u64) -> i64,
) -> OiSummary {
    let mut rows: BTreeMap<i64, OiStrike> = BTreeMap::new();
    for t in &book.legs {
        let Some(leg) = legs.get(t).filter(|l| l.underlying == u) else {
            continue;
        };
        let row = rows.entry(leg.strike).or_insert(OiStrike {
            strike: leg.strike as f64 / 100.0,
            ..OiStrike::default()
        });
        let d = change(*t, leg.oi);
        if leg.call {
            row.call_oi = leg.oi;
            row.call_oi_change = d;
            row.call_volume = leg.volume;
        } else {
            row.put_oi = leg.oi;
            row.put_oi_change = d;
            row.put_volume = leg.volume;
        }
    }
    let strikes: Vec<OiStrike> = rows.into_values().collect();
    let sr: Vec<StrikeRow> = strikes
        .iter()
        .map(|s| StrikeRow {
            strike: s.strike,
            call_oi: s.call_oi as f64,
            put_oi: s.put_oi as f64,
            call_volume: s.call_volume as f64,
            put_volume: s.put_volume as f64,
        })
        .collect();
    let st = stats(&sr, book.spot);
    OiSummary {
        underlying: u,
        expiry: book.expiry.clone(),
        spot: book.spot,
        atm_strike: st.atm_strike,
        max_pain: st.max_pain,
        pcr_oi: st.pcr_oi,
        pcr_volume: st.pcr_volume,
        total_call_oi: strikes.iter().map(|s| s.call_oi).sum(),
        total_put_oi: strikes.iter().map(|s| s.put_oi).sum(),
        total_call_oi_change: strikes.iter().map(|s| s.call_oi_change).sum(),
        total_put_oi_change: strikes.iter().map(|s| s.put_oi_change).sum(),
        strikes,
        updated_ms: now_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_adds_up_strikes_and_changes() {
        let u = Underlying::Nifty;
        let mk = |strike: f64, call: bool, oi: u64, volume: u64| Leg {
            underlying: u,
            strike: (strike * 100.0) as i64,
            call,
            oi,
            volume,
        };
        let legs: HashMap<InstrumentToken, Leg> = [
            (InstrumentToken(1), mk(100.0, true, 50, 100)),
            (InstrumentToken(2), mk(100.0, false, 10, 250)),
            (InstrumentToken(3), mk(110.0, true, 40, 200)),
            (InstrumentToken(4), mk(110.0, false, 30, 150)),
        ]
        .into_iter()
        .collect();
        let book = Book {
            expiry: "2026-12-01".into(),
            expiry_unix: 0,
            spot: 108.0,
            legs: vec![
                InstrumentToken(3),
                InstrumentToken(1),
                InstrumentToken(4),
                InstrumentToken(2),
            ],
        };
        // Base 5 below every reading.
        let s = summarize(u, &book, &legs, |_, _| 5);
        assert_eq!(s.strikes.len(), 2);
        assert_eq!(s.strikes[0].strike, 100.0);
        assert_eq!((s.strikes[0].call_oi, s.strikes[0].put_oi), (50, 10));
        assert_eq!((s.total_call_oi, s.total_put_oi), (90, 40));
        assert_eq!((s.total_call_oi_change, s.total_put_oi_change), (10, 10));
        assert_eq!(s.atm_strike, Some(110.0));
        assert!((s.pcr_oi.unwrap() - 40.0 / 90.0).abs() < 1e-12);
        assert!((s.pcr_volume.unwrap() - 400.0 / 300.0).abs() < 1e-12);
        // Writers pay at 100: puts 30·10 = 300; at 110: calls 50·10 = 500. Max pain 100.
        assert_eq!(s.max_pain, Some(100.0));
    }
}
