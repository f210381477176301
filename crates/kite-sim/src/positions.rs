//! The position book and the day roll: net and day positions from carried positions and today's
//! trades, and what a new session does to positions, holdings and funds.

use crate::accounts::{Account, Change, OrderBookEntry};
use chrono::NaiveDate;
use model::broker::{Holding, MtfHolding, OrderStatus, Position, Product, Trade, TransactionType};
use model::{Exchange, InstrumentToken};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An overnight position (NRML) carried into today: its net quantity and average price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub instrument_token: InstrumentToken,
    pub product: Product,
    pub quantity: i64,
    pub average_price: f64,
}

impl Account {
    /// A new session date. Yesterday's delivery buys become T+1 holdings (and earlier T+1 ones settle),
    /// NRML positions carry over at their average price, intraday (MIS, CO) positions are squared off at
    /// the last price, working DAY orders expire, and the day's cash flow, realised P&L and charges move
    /// into the opening balance. The order book and trades start empty, as Kite's are each morning;
    /// AMOs waiting for the open stay.
    pub fn roll_day(
        &mut self,
        today: NaiveDate,
        last: &dyn Fn(InstrumentToken) -> Option<f64>,
        now: i64,
    ) {
        for idx in 0..self.orders.len() {
            let o = self.orders[idx].current();
            let working = !o.status.is_terminal() && o.status != OrderStatus::AmoReqReceived;
            if working {
                self.cancel_rest(
                    idx,
                    now,
                    Some("Order expired at the end of the day.".into()),
                );
            }
        }
        for h in &mut self.holdings {
            h.quantity += h.t1_quantity;
            h.t1_quantity = 0;
            h.opening_quantity = h.quantity;
            h.realised_quantity = h.quantity;
        }
        let mut balance = -self.charges;
        let mut carried = Vec::new();
        for p in book(&self.trades, &self.carried, last) {
            match p.product {
                Product::Cnc | Product::Mtf => {
                    balance += p.value;
                    self.settle_delivery(&p);
                }
                Product::Nrml => {
                    balance += p.realised;
                    if p.quantity != 0 {
                        carried.push(Carried {
                            exchange: p.exchange,
                            tradingsymbol: p.tradingsymbol.clone(),
                            instrument_token: p.instrument_token,
                            product: p.product,
                            quantity: p.quantity,
                            average_price: p.average_price,
                        });
                    }
                }
                _ => balance += p.pnl,
            }
        }
        self.holdings
            .retain(|h| h.quantity > 0 || h.t1_quantity > 0);
        self.opening_balance += balance;
        self.charges = 0.0;
        self.carried = carried;
        self.trades.clear();
        let kept: Vec<OrderBookEntry> = std::mem::take(&mut self.orders)
            .into_iter()
            .filter(|e| e.current().status == OrderStatus::AmoReqReceived)
            .collect();
        self.by_id = kept
            .iter()
            .enumerate()
            .map(|(i, e)| (e.history[0].order_id.clone(), i))
            .collect();
        self.orders = kept;
        self.date = Some(today);
        self.journal.push(Change::ClearDay);
        for idx in 0..self.orders.len() {
            for (seq, o) in self.orders[idx].history.iter().enumerate() {
                self.journal.push(Change::OrderState {
                    seq: seq as u32,
                    order: Box::new(o.clone()),
                });
            }
            self.journal_extra(idx);
        }
        self.journal.push(Change::Holdings(self.holdings.clone()));
    }

    /// Moves a day's delivery position into holdings: bought shares arrive as T+1, sold ones leave.
    fn settle_delivery(&mut self, p: &Position) {
        let existing = self
            .holdings
            .iter_mut()
            .find(|h| h.instrument_token == p.instrument_token);
        match (existing, p.quantity) {
            (_, 0) => {}
            (Some(h), q) if q > 0 => {
                let held = (h.quantity + h.t1_quantity) as f64;
                h.average_price =
                    (h.average_price * held + p.average_price * q as f64) / (held + q as f64);
                h.t1_quantity += q;
            }
            (Some(h), q) => h.quantity = (h.quantity + q).max(0),
            (None, q) if q > 0 => self.holdings.push(Holding {
                tradingsymbol: p.tradingsymbol.clone(),
                exchange: p.exchange,
                instrument_token: p.instrument_token,
                isin: format!("INE{:06}01", p.instrument_token.0 % 1_000_000),
                product: Product::Cnc,
                price: 0.0,
                quantity: 0,
                used_quantity: 0,
                t1_quantity: q,
                realised_quantity: 0,
                authorised_quantity: 0,
                authorised_date: None,
                authorisation: Default::default(),
                opening_quantity: 0,
                short_quantity: 0,
                collateral_quantity: 0,
                collateral_type: String::new(),
                discrepancy: false,
                average_price: p.average_price,
                last_price: p.last_price,
                close_price: p.last_price,
                pnl: 0.0,
                day_change: 0.0,
                day_change_percentage: 0.0,
                mtf: MtfHolding::default(),
            }),
            (None, _) => {}
        }
    }
}

/// One position row per (exchange, symbol, product) from carried positions and trades.
pub(crate) fn book(
    trades: &[Trade],
    carried: &[Carried],
    last: &dyn Fn(InstrumentToken) -> Option<f64>,
) -> Vec<Position> {
    #[derive(Default)]
    struct Agg {
        buy_q: i64,
        buy_v: f64,
        sell_q: i64,
        sell_v: f64,
        overnight: i64,
        /// The carried part of buy_v / sell_v, left out of the `day_*` fields.
        carried_v: f64,
    }
    type Key = (String, String, String);
    let mut aggs: BTreeMap<Key, (Agg, InstrumentToken, Exchange, Product)> = BTreeMap::new();
    // Carried positions enter the net book as if bought (or sold) at their average price.
    for c in carried {
        let key = (
            c.exchange.as_str().to_string(),
            c.tradingsymbol.clone(),
            c.product.as_str().to_string(),
        );
        let e = aggs
            .entry(key)
            .or_insert_with(|| (Agg::default(), c.instrument_token, c.exchange, c.product));
        e.0.overnight = c.quantity;
        let v = c.average_price * c.quantity.unsigned_abs() as f64;
        e.0.carried_v = v;
        if c.quantity > 0 {
            e.0.buy_q += c.quantity;
            e.0.buy_v += v;
        } else {
            e.0.sell_q -= c.quantity;
            e.0.sell_v += v;
        }
    }
    for t in trades {
        let key = (
            t.exchange.as_str().to_string(),
            t.tradingsymbol.clone(),
            t.product.as_str().to_string(),
        );
        let entry = aggs
            .entry(key)
            .or_insert_with(|| (Agg::default(), t.instrument_token, t.exchange, t.product));
        let v = t.average_price * t.quantity as f64;
        match t.transaction_type {
            TransactionType::Buy => {
                entry.0.buy_q += t.quantity as i64;
                entry.0.buy_v += v;
            }
            TransactionType::Sell => {
                entry.0.sell_q += t.quantity as i64;
                entry.0.sell_v += v;
            }
        }
    }
    let rows: Vec<Position> = aggs
        .into_iter()
        .map(|((_, sym, _), (a, token, exchange, product))| {
            let quantity = a.buy_q - a.sell_q;
            let lp = last(token).unwrap_or(0.0);
            let buy_price = if a.buy_q > 0 {
                a.buy_v / a.buy_q as f64
            } else {
                0.0
            };
            let sell_price = if a.sell_q > 0 {
                a.sell_v / a.sell_q as f64
            } else {
                0.0
            };
            let value = a.sell_v - a.buy_v;
            let pnl = value + quantity as f64 * lp;
            let average_price = if quantity > 0 {
                buy_price
            } else if quantity < 0 {
                sell_price
            } else {
                0.0
            };
            let (long, short) = (a.overnight.max(0), (-a.overnight).max(0));
            let day_buy_q = a.buy_q - long;
            let day_sell_q = a.sell_q - short;
            let day_buy_v = if long > 0 {
                a.buy_v - a.carried_v
            } else {
                a.buy_v
            };
            let day_sell_v = if short > 0 {
                a.sell_v - a.carried_v
            } else {
                a.sell_v
            };
            let unrealised = if quantity != 0 {
                (lp - average_price) * quantity as f64
            } else {
                0.0
            };
            Position {
                tradingsymbol: sym,
                exchange,
                instrument_token: token,
                product,
                quantity,
                overnight_quantity: a.overnight,
                multiplier: 1.0,
                average_price,
                close_price: 0.0,
                last_price: lp,
                value,
                pnl,
                m2m: pnl,
                unrealised,
                realised: pnl - unrealised,
                buy_quantity: a.buy_q,
                buy_price,
                buy_value: a.buy_v,
                buy_m2m: a.buy_v,
                sell_quantity: a.sell_q,
                sell_price,
                sell_value: a.sell_v,
                sell_m2m: a.sell_v,
                day_buy_quantity: day_buy_q,
                day_buy_price: if day_buy_q > 0 {
                    day_buy_v / day_buy_q as f64
                } else {
                    0.0
                },
                day_buy_value: day_buy_v,
                day_sell_quantity: day_sell_q,
                day_sell_price: if day_sell_q > 0 {
                    day_sell_v / day_sell_q as f64
                } else {
                    0.0
                },
                day_sell_value: day_sell_v,
            }
        })
        .collect();
    rows
}
