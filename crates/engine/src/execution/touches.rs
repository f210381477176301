//! Prices to build marketable limits from without asking the broker every time.
//!
//! Kite allows one quote request per second, so a quote per order would queue a burst of orders
//! (a basket, the kill switch squaring off ten positions) for seconds. The engine's full-mode
//! ticks carry the same best bid and ask; circuit limits change once a day and are kept from the
//! last quote. A touch older than [`FRESH`] is not used.

use model::broker::{Quote, TransactionType};
use model::Tick;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How old a ticked touch may be and still price an order.
pub const FRESH: Duration = Duration::from_secs(2);
/// How old a quoted touch may be: long enough for a burst of orders right after one batch quote
/// (the kill switch), shorter than a chase period, so chasing always sees a newer book.
pub const FRESH_QUOTE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
struct Touch {
    bid: f64,
    ask: f64,
    last: f64,
    at: Instant,
    quoted: bool,
}

#[derive(Default)]
pub struct Touches {
    touch: Mutex<HashMap<String, Touch>>,
    /// (lower, upper) circuit limits per `EXCH:SYMBOL`, from quotes.
    circuits: Mutex<HashMap<String, (f64, f64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn best(levels: impl Iterator<Item = (f64, u64)>) -> f64 {
    levels
        .filter(|(p, q)| *p > 0.0 && *q > 0)
        .map(|(p, _)| p)
        .next()
        .unwrap_or(0.0)
}

impl Touches {
    /// Records a full-mode tick of `key` (`EXCH:SYMBOL`).
    pub fn on_tick(&self, key: &str, t: &Tick) {
        let Some(depth) = &t.depth else { return };
        let bid = best(depth.buy.iter().map(|l| (l.price, u64::from(l.quantity))));
        let ask = best(depth.sell.iter().map(|l| (l.price, u64::from(l.quantity))));
        if bid <= 0.0 && ask <= 0.0 && t.last_price <= 0.0 {
            return;
        }
        lock(&self.touch).insert(
            key.to_string(),
            Touch {
                bid,
                ask,
                last: t.last_price,
                at: Instant::now(),
                quoted: false,
            },
        );
    }

    /// Records a quote: its circuit limits, and its book as a fresh touch.
    pub fn on_quote(&self, key: &str, q: &Quote) {
        if q.lower_circuit_limit > 0.0 || q.upper_circuit_limit > 0.0 {
            lock(&self.circuits).insert(
                key.to_string(),
                (q.lower_circuit_limit, q.upper_circuit_limit),
            );
        }
        let bid = best(q.depth.buy.iter().map(|l| (l.price, l.quantity)));
        let ask = best(q.depth.sell.iter().map(|l| (l.price, l.quantity)));
        lock(&self.touch).insert(
            key.to_string(),
            Touch {
                bid,
                ask,
                last: q.last_price,
                at: Instant::now(),
                quoted: true,
            },
        );
    }

    /// The touch an order of `side` trades against and the circuit limits, when both are known
    /// and the touch is fresh. `allow_quoted`: whether a touch from a recent quote will do (a new
    /// order, yes; a chase, which must see a newer book than its order's, no).
    pub fn get(
        &self,
        key: &str,
        side: TransactionType,
        allow_quoted: bool,
    ) -> Option<(f64, f64, f64)> {
        let (lo, hi) = *lock(&self.circuits).get(key)?;
        let t = *lock(&self.touch).get(key)?;
        if t.quoted && !allow_quoted {
            return None;
        }
        if t.at.elapsed() > if t.quoted { FRESH_QUOTE } else { FRESH } {
            return None;
        }
        let px = match side {
            TransactionType::Buy => t.ask,
            TransactionType::Sell => t.bid,
        };
        let px = if px > 0.0 { px } else { t.last };
        (px > 0.0).then_some((px, lo, hi))
    }

    /// Seeds `key` with a last price (a position's) when nothing fresher is known: enough to price
    /// a marketable square-off without a quote request. Circuit limits stay unknown (no clamp)
    /// unless a quote gave them; a band of a few tenths of a percent is far inside any circuit.
    pub fn seed_last(&self, key: &str, last: f64) {
        if !(last.is_finite() && last > 0.0) {
            return;
        }
        lock(&self.circuits)
            .entry(key.to_string())
            .or_insert((0.0, 0.0));
        let mut touch = lock(&self.touch);
        let stale = touch.get(key).is_none_or(|t| t.at.elapsed() > FRESH_QUOTE);
        if stale {
            touch.insert(
                key.to_string(),
                Touch {
                    bid: last,
                    ask: last,
                    last,
                    at: Instant::now(),
                    quoted: true,
                },
            );
        }
    }
}
