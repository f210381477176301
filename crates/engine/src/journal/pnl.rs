//! P&L from the journalled fills, by average-cost accounting.
//!
//! Per position: a fill on the side of the position (or into a flat one) moves the average price;
//! a fill against it realises `(exit − average) × closed quantity` with the position's sign, and
//! what is left over opens a new position at the fill's price (the average resets on a flip).
//! Unrealised P&L is `(mark − average) × signed quantity`, and zero without a mark.
//!
//! Positions are kept per instrument (`EXCH:SYMBOL`) for the account view (totals, by instrument,
//! by day, cumulative) and separately per (strategy, instrument) for the by-strategy view, because
//! two strategies may hold opposite positions in one instrument. The two views therefore split
//! realised and unrealised differently when strategies cross; their nets agree when every open
//! instrument has a mark.

use super::{corrupt, Journal};
use crate::db::DbError;
use chrono::DateTime;
use model::broker::{Product, TransactionType};
use model::trading::{FillRecord, JournalReport, PnlRow, PositionRow, StrategyId};
use model::Exchange;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// India Standard Time, UTC+05:30, in ms: the trading day a fill belongs to.
const IST_OFFSET_MS: i64 = (5 * 3600 + 30 * 60) * 1000;

/// `by_strategy` key of fills that no strategy placed.
pub const MANUAL: &str = "manual";

/// One position's quantity and average price.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Lot {
    /// Signed: long > 0, short < 0.
    quantity: i64,
    average: f64,
}

impl Lot {
    /// Applies a fill of signed quantity `q` at `price`; returns the P&L it realised.
    fn apply(&mut self, q: i64, price: f64) -> f64 {
        if self.quantity == 0 || (self.quantity > 0) == (q > 0) {
            let held = self.quantity.unsigned_abs() as f64;
            let added = q.unsigned_abs() as f64;
            self.average = (self.average * held + price * added) / (held + added);
            self.quantity += q;
            return 0.0;
        }
        let closed = self.quantity.abs().min(q.abs());
        let realised = (price - self.average) * (closed * self.quantity.signum()) as f64;
        let before = self.quantity;
        self.quantity += q;
        if self.quantity == 0 {
            self.average = 0.0;
        } else if self.quantity.signum() != before.signum() {
            self.average = price;
        }
        realised
    }

    fn unrealised(&self, mark: Option<f64>) -> f64 {
        match mark {
            Some(m) if self.quantity != 0 => (m - self.average) * self.quantity as f64,
            _ => 0.0,
        }
    }
}

/// A net position per instrument, as computed from the fills.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentPosition {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    /// Signed: long > 0, short < 0.
    pub quantity: i64,
    /// 0 when flat.
    pub average_price: f64,
    /// The mark given, or 0 when none was.
    pub last_price: f64,
    pub realised: f64,
    pub unrealised: f64,
    /// Tag of the instrument's latest fill: its order tells the product.
    pub last_tag: String,
}

/// Everything the journal's P&L views need, computed in one pass over the fills.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PnlBook {
    pub total: PnlRow,
    /// Sorted by `EXCH:SYMBOL`.
    pub by_instrument: Vec<PnlRow>,
    /// Strategy ids ascending, then [`MANUAL`].
    pub by_strategy: Vec<PnlRow>,
    /// IST days ascending; realised on that day and that day's charges (no unrealised: that is
    /// the open positions' now, not any day's).
    pub by_day: Vec<PnlRow>,
    /// Cumulative realised P&L less charges after each fill: (ts_ms, cumulative).
    pub cumulative: Vec<(u64, f64)>,
    /// Sorted by `EXCH:SYMBOL`; every instrument ever traded.
    pub positions: Vec<InstrumentPosition>,
}

/// `EXCH:SYMBOL`, the key marks and P&L rows use.
pub fn instrument_key(exchange: Exchange, tradingsymbol: &str) -> String {
    format!("{}:{tradingsymbol}", exchange.as_str())
}

/// The `by_strategy` key of a strategy id.
pub fn strategy_key(id: Option<StrategyId>) -> String {
    id.map_or_else(|| MANUAL.to_string(), |i| i.to_string())
}

/// `YYYY-MM-DD` of a fill in IST.
fn ist_day(f: &FillRecord) -> Result<String, DbError> {
    i64::try_from(f.ts_ms)
        .ok()
        .and_then(|ms| ms.checked_add(IST_OFFSET_MS))
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
        .ok_or_else(|| {
            corrupt(
                "fills",
                format!("trade {}: timestamp {} ms", f.trade_id, f.ts_ms),
            )
        })
}

fn check(f: &FillRecord) -> Result<(), DbError> {
    let bad = if f.quantity == 0 {
        Some("zero quantity".to_string())
    } else if !(f.price.is_finite() && f.price > 0.0) {
        Some(format!("price {}", f.price))
    } else if !f.charges.is_finite() {
        Some(format!("charges {}", f.charges))
    } else {
        None
    };
    match bad {
        Some(d) => Err(corrupt("fills", format!("trade {}: {d}", f.trade_id))),
        None => Ok(()),
    }
}

/// Counts a fill into a row: quantities, charges, what it realised.
fn count(row: &mut PnlRow, f: &FillRecord, realised: f64) {
    row.fills += 1;
    match f.side {
        TransactionType::Buy => row.buy_quantity += u64::from(f.quantity),
        TransactionType::Sell => row.sell_quantity += u64::from(f.quantity),
    }
    row.charges += f.charges;
    row.realised += realised;
}

fn finish(mut row: PnlRow, key: String, unrealised: f64) -> PnlRow {
    row.key = key;
    row.unrealised = unrealised;
    row.net = row.realised + row.unrealised - row.charges;
    row
}

/// A usable mark: finite and positive, else none.
fn mark_of(marks: &HashMap<String, f64>, key: &str) -> Option<f64> {
    marks
        .get(key)
        .copied()
        .filter(|m| m.is_finite() && *m > 0.0)
}

struct InstrumentAcc {
    lot: Lot,
    row: PnlRow,
    exchange: Exchange,
    tradingsymbol: String,
    last_tag: String,
}

/// Computes the P&L views from fills (sorted here by time, then trade id, so the order given does
/// not matter) and marks (`EXCH:SYMBOL` → last price). A fill with zero quantity, a non-positive
/// or non-finite price, non-finite charges or an unrepresentable timestamp is a corrupt row.
pub fn account(fills: &[FillRecord], marks: &HashMap<String, f64>) -> Result<PnlBook, DbError> {
    let mut order: Vec<&FillRecord> = fills.iter().collect();
    order.sort_by(|a, b| (a.ts_ms, &a.trade_id).cmp(&(b.ts_ms, &b.trade_id)));

    let mut instruments: BTreeMap<String, InstrumentAcc> = BTreeMap::new();
    // (manual?, id) sorts strategies by id with manual last.
    type StrategyAcc = (PnlRow, BTreeMap<String, Lot>);
    let mut strategies: BTreeMap<(bool, StrategyId), StrategyAcc> = BTreeMap::new();
    let mut days: BTreeMap<String, PnlRow> = BTreeMap::new();
    let mut total = PnlRow::default();
    let mut cumulative = Vec::with_capacity(order.len());
    let mut running = 0.0;

    for f in order {
        check(f)?;
        let day = ist_day(f)?;
        let key = instrument_key(f.exchange, &f.tradingsymbol);
        let q = match f.side {
            TransactionType::Buy => i64::from(f.quantity),
            TransactionType::Sell => -i64::from(f.quantity),
        };

        let acc = instruments
            .entry(key.clone())
            .or_insert_with(|| InstrumentAcc {
                lot: Lot::default(),
                row: PnlRow::default(),
                exchange: f.exchange,
                tradingsymbol: f.tradingsymbol.clone(),
                last_tag: String::new(),
            });
        let realised = acc.lot.apply(q, f.price);
        count(&mut acc.row, f, realised);
        acc.last_tag.clone_from(&f.tag);

        let (srow, slots) = strategies
            .entry((f.strategy_id.is_none(), f.strategy_id.unwrap_or(0)))
            .or_default();
        let srealised = slots.entry(key).or_default().apply(q, f.price);
        count(srow, f, srealised);

        count(days.entry(day).or_default(), f, realised);
        count(&mut total, f, realised);
        running += realised - f.charges;
        cumulative.push((f.ts_ms, running));
    }

    let mut by_instrument = Vec::with_capacity(instruments.len());
    let mut positions = Vec::with_capacity(instruments.len());
    let mut unrealised_total = 0.0;
    for (key, acc) in instruments {
        let mark = mark_of(marks, &key);
        let unrealised = acc.lot.unrealised(mark);
        unrealised_total += unrealised;
        positions.push(InstrumentPosition {
            exchange: acc.exchange,
            tradingsymbol: acc.tradingsymbol,
            quantity: acc.lot.quantity,
            average_price: acc.lot.average,
            last_price: mark.unwrap_or(0.0),
            realised: acc.row.realised,
            unrealised,
            last_tag: acc.last_tag,
        });
        by_instrument.push(finish(acc.row, key, unrealised));
    }

    let by_strategy = strategies
        .into_iter()
        .map(|((manual, id), (row, slots))| {
            let unrealised = slots
                .iter()
                .map(|(k, lot)| lot.unrealised(mark_of(marks, k)))
                .sum();
            finish(row, strategy_key((!manual).then_some(id)), unrealised)
        })
        .collect();

    Ok(PnlBook {
        total: finish(total, "total".into(), unrealised_total),
        by_instrument,
        by_strategy,
        by_day: days.into_iter().map(|(d, r)| finish(r, d, 0.0)).collect(),
        cumulative,
        positions,
    })
}

impl Journal {
    /// The journal page: P&L by instrument, strategy and IST day, the total, the cumulative curve,
    /// and the newest `limit` fills and orders.
    pub async fn report(
        &self,
        limit: u32,
        marks: &HashMap<String, f64>,
    ) -> Result<JournalReport, DbError> {
        let fills = self.all_fills().await?;
        let book = account(&fills, marks)?;
        let newest = fills.iter().rev().take(limit as usize).cloned().collect();
        Ok(JournalReport {
            total: book.total,
            by_instrument: book.by_instrument,
            by_strategy: book.by_strategy,
            by_day: book.by_day,
            cumulative: book.cumulative,
            fills: newest,
            orders: self.orders(limit).await?,
        })
    }

    /// Net positions per instrument that are open or have realised P&L, sorted by `EXCH:SYMBOL`.
    /// The product is that of the order behind the instrument's latest fill (an instrument's
    /// orders normally share one); MIS when that order is not journalled.
    pub async fn positions(
        &self,
        marks: &HashMap<String, f64>,
    ) -> Result<Vec<PositionRow>, DbError> {
        let book = account(&self.all_fills().await?, marks)?;
        let products = self.order_products().await?;
        Ok(book
            .positions
            .into_iter()
            .filter(|p| p.quantity != 0 || p.realised != 0.0)
            .map(|p| PositionRow {
                product: products.get(&p.last_tag).copied().unwrap_or(Product::Mis),
                exchange: p.exchange,
                tradingsymbol: p.tradingsymbol,
                quantity: p.quantity,
                average_price: p.average_price,
                last_price: p.last_price,
                realised: p.realised,
                unrealised: p.unrealised,
            })
            .collect())
    }

    /// One strategy's P&L (all zero, keyed by its id, when it has no fills).
    pub async fn strategy_pnl(
        &self,
        strategy_id: StrategyId,
        marks: &HashMap<String, f64>,
    ) -> Result<PnlRow, DbError> {
        let fills: Vec<FillRecord> = self
            .all_fills()
            .await?
            .into_iter()
            .filter(|f| f.strategy_id == Some(strategy_id))
            .collect();
        let key = strategy_key(Some(strategy_id));
        Ok(account(&fills, marks)?
            .by_strategy
            .into_iter()
            .find(|r| r.key == key)
            .unwrap_or(PnlRow {
                key,
                ..PnlRow::default()
            }))
    }

    /// Tag → product of every journalled order.
    async fn order_products(&self) -> Result<HashMap<String, Product>, DbError> {
        sqlx::query("SELECT tag, product FROM orders WHERE user_id = ?")
            .bind(self.uid())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let product: String = r.try_get("product")?;
                let product = product
                    .parse()
                    .map_err(|_| corrupt("orders", format!("unknown product {product:?}")))?;
                Ok((r.try_get("tag")?, product))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lot_averages_realises_and_flips() {
        let mut l = Lot::default();
        assert_eq!(l.apply(10, 100.0), 0.0);
        assert_eq!(l.apply(10, 110.0), 0.0);
        assert_eq!((l.quantity, l.average), (20, 105.0));
        assert_eq!(l.apply(-15, 120.0), 225.0);
        assert_eq!((l.quantity, l.average), (5, 105.0));
        assert_eq!(l.apply(-10, 100.0), -25.0);
        assert_eq!((l.quantity, l.average), (-5, 100.0));
        assert_eq!(l.unrealised(Some(90.0)), 50.0);
        assert_eq!(l.unrealised(None), 0.0);
        // Covering the short at 95 realises (95 − 100) × 5 × −1 = +25 and leaves it flat.
        assert_eq!(l.apply(5, 95.0), 25.0);
        assert_eq!((l.quantity, l.average), (0, 0.0));
    }
}
