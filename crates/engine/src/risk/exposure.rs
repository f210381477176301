//! Exposure arithmetic: net positions and working orders per instrument and strategy, priced at the
//! marks, and the search for the largest order that keeps every cap.

use super::book::{closable, worst_quantity, Book};
use super::{OrderIntent, RiskManager};
use model::broker::TransactionType;
use model::trading::StrategyId;
use std::collections::BTreeMap;

/// Which exposure cap bound an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cap {
    Instrument,
    Strategy,
    Gross,
}

/// A working order being considered: its units are added to its book's reservation on `side`, and
/// its instrument is priced at `price`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Extra<'a> {
    pub(super) instrument: &'a str,
    pub(super) strategy: Option<StrategyId>,
    pub(super) side: TransactionType,
    pub(super) units: u64,
    pub(super) price: f64,
}

/// Exposure of the instrument, the strategy and everything with one extra working order counted.
#[derive(Debug, Clone, Copy)]
struct Exposures {
    instrument: f64,
    strategy: f64,
    gross: f64,
}

impl RiskManager {
    pub(super) fn mark(&self, instrument: &str, book: &Book) -> f64 {
        self.marks
            .get(instrument)
            .copied()
            .unwrap_or(book.average_price)
    }

    /// Price an intent's instrument is measured at: the higher of its mark and the intent's price.
    pub(super) fn price_for(&self, instrument: &str, price: f64) -> f64 {
        self.marks.get(instrument).map_or(price, |m| m.max(price))
    }

    /// Units of the intent that only close: bounded by its own book and by the instrument's net.
    pub(super) fn closable_units(&self, intent: &OrderIntent) -> u64 {
        let own = self
            .books
            .get(&(intent.instrument.clone(), intent.strategy_id))
            .map_or(0, |b| {
                closable(b.quantity, b.pending_buy, b.pending_sell, intent.side)
            });
        let (q, buy, sell) = self.instrument_totals(&intent.instrument);
        own.min(closable(q, buy, sell, intent.side))
    }

    fn instrument_totals(&self, instrument: &str) -> (i64, u64, u64) {
        self.books
            .range((instrument.to_string(), None)..)
            .take_while(|((i, _), _)| i == instrument)
            .fold((0, 0, 0), |t, (_, b)| add_book(t, b))
    }

    /// Net quantity and working orders of every instrument with a book.
    fn all_totals(&self) -> BTreeMap<&str, (i64, u64, u64)> {
        let mut totals: BTreeMap<&str, (i64, u64, u64)> = BTreeMap::new();
        for ((instrument, _), b) in &self.books {
            let t = totals.entry(instrument.as_str()).or_default();
            *t = add_book(*t, b);
        }
        totals
    }

    pub(super) fn is_open(&self, instrument: &str) -> bool {
        let (q, b, s) = self.instrument_totals(instrument);
        worst_quantity(q, b, s) > 0
    }

    /// Instruments whose net position, or what working orders could make of it, is not flat.
    pub(super) fn open_positions(&self) -> u32 {
        let count = self
            .all_totals()
            .values()
            .filter(|&&(q, b, s)| worst_quantity(q, b, s) > 0)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Exposure of every instrument with a book (and the extra order's), at worst-case quantities.
    pub(super) fn instrument_exposures<'a>(
        &'a self,
        extra: Option<Extra<'a>>,
    ) -> Vec<(&'a str, f64)> {
        let mut totals = self.all_totals();
        if let Some(x) = extra {
            let t = totals.entry(x.instrument).or_default();
            match x.side {
                TransactionType::Buy => t.1 = t.1.saturating_add(x.units),
                TransactionType::Sell => t.2 = t.2.saturating_add(x.units),
            }
        }
        totals
            .into_iter()
            .map(|(instrument, (q, b, s))| {
                let price = match extra {
                    Some(x) if x.instrument == instrument => x.price,
                    _ => self.marks.get(instrument).copied().unwrap_or(0.0),
                };
                (instrument, worst_quantity(q, b, s) as f64 * price)
            })
            .collect()
    }

    fn strategy_exposure(&self, x: Extra<'_>) -> f64 {
        let mut seen_own = false;
        let mut total = 0.0;
        for ((instrument, strategy), b) in &self.books {
            if *strategy != x.strategy {
                continue;
            }
            let mut b = b.clone();
            let price = if instrument == x.instrument {
                seen_own = true;
                b.reserve(x.side, x.units);
                x.price
            } else {
                self.mark(instrument, &b)
            };
            total += b.worst_quantity() as f64 * price;
        }
        if !seen_own {
            let mut b = Book::default();
            b.reserve(x.side, x.units);
            total += b.worst_quantity() as f64 * x.price;
        }
        total
    }

    fn exposures(&self, x: Extra<'_>) -> Exposures {
        let per_instrument = self.instrument_exposures(Some(x));
        Exposures {
            instrument: per_instrument
                .iter()
                .find(|(i, _)| *i == x.instrument)
                .map_or(0.0, |(_, e)| *e),
            strategy: self.strategy_exposure(x),
            gross: per_instrument.iter().map(|(_, e)| e).sum(),
        }
    }

    /// The first cap `units` more of the order would break, if any.
    fn broken_cap(&self, x: Extra<'_>, units: u64) -> Option<Cap> {
        let e = self.exposures(Extra { units, ..x });
        if e.instrument > self.limits.max_instrument_exposure {
            Some(Cap::Instrument)
        } else if e.strategy > self.limits.max_strategy_exposure {
            Some(Cap::Strategy)
        } else if e.gross > self.limits.max_gross_exposure {
            Some(Cap::Gross)
        } else {
            None
        }
    }

    /// Largest number of lots (≤ `max_lots`) that keeps every cap, and the cap that stopped it from
    /// being more. Exposure only grows with the order's size, so a binary search finds it.
    pub(super) fn fitting_lots(&self, x: Extra<'_>, lot: u64, max_lots: u64) -> (u64, Option<Cap>) {
        let broken = |lots: u64| self.broken_cap(x, lots.saturating_mul(lot));
        if max_lots == 0 {
            return (0, None);
        }
        if broken(max_lots).is_none() {
            return (max_lots, None);
        }
        // Invariant: `lo` fits (0 counts as fitting), `hi` does not.
        let (mut lo, mut hi) = (0u64, max_lots);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if broken(mid).is_none() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo, broken(hi))
    }

    pub(super) fn cap_reason(&self, cap: Cap, intent: &OrderIntent) -> String {
        match cap {
            Cap::Instrument => format!(
                "instrument exposure cap ₹{:.0} for {}",
                self.limits.max_instrument_exposure, intent.instrument
            ),
            Cap::Strategy => format!(
                "strategy exposure cap ₹{:.0} for {}",
                self.limits.max_strategy_exposure,
                intent.strategy_id.map_or_else(
                    || "orders without a strategy".into(),
                    |s| format!("strategy {s}")
                )
            ),
            Cap::Gross => format!("gross exposure cap ₹{:.0}", self.limits.max_gross_exposure),
        }
    }
}

fn add_book((q, b, s): (i64, u64, u64), book: &Book) -> (i64, u64, u64) {
    (
        q.saturating_add(book.quantity),
        b.saturating_add(book.pending_buy),
        s.saturating_add(book.pending_sell),
    )
}
