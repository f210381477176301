//! One trader's account: funds, each order's history and bookkeeping, trades, holdings, and the change
//! journal the store writes. The books of all users are [`crate::order_book`], an accepted order's way
//! through the exchange is [`crate::lifecycle`], positions and the day roll are [`crate::positions`].
//!
//! Orders execute against the visible depth ([`crate::matching`]): a marketable order takes level after
//! level at each level's price, each take is a trade, and what the book cannot fill waits for the next
//! market step (MARKET, LIMIT) or is cancelled (IOC). Every change is journalled for the store.
//!
//! Order updates (postbacks on the ticker) go out for what happens at the exchange after acceptance:
//! each fill (`UPDATE` while partial, then `COMPLETE`), a stop's trigger and an AMO's release (`OPEN`),
//! modification, cancellation and rejection. The OMS's transient states (`PUT ORDER REQ RECEIVED`,
//! `VALIDATION PENDING`, `OPEN PENDING`, `MODIFY/CANCEL PENDING`) and a placement's own acceptance are
//! in the order history only: Kite does not post a plain placement (SPEC §12.6).

use crate::charges;
use crate::market::Quote;
use crate::matching::Fill;
pub(crate) use crate::order_book::Ids;
pub use crate::order_book::{Accounts, OrderFaults, Outcome};
use crate::positions::book;
pub use crate::positions::Carried;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use model::broker::{
    ErrorType, Holding, Order, OrderId, OrderStatus, Positions, Product, Trade, TransactionType,
};
use model::{Exchange, InstrumentToken};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Funds every new sandbox account starts with: ₹10 lakh.
pub const OPENING_BALANCE: f64 = 1_000_000.0;
/// Intraday (MIS, CO) equity orders block a fifth of their value, as a simple leverage rule.
pub const MIS_MARGIN_FRACTION: f64 = 0.2;
/// Futures and option writing block this fraction of the contract value, a flat stand-in for SPAN plus
/// exposure margin (NSE's index SPAN is typically 9-12 % plus 2-3 % exposure).
pub const FNO_MARGIN_FRACTION: f64 = 0.15;
/// Kite's cap on modifications of one order.
pub const MAX_MODIFICATIONS: u32 = 25;

/// A sandbox-side failure with Kite's error type and message.
#[derive(Debug, Clone, PartialEq)]
pub struct SimError {
    pub error_type: ErrorType,
    pub status: u16,
    pub message: String,
}

impl SimError {
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        let status = error_type.http_status();
        Self {
            error_type,
            status,
            message: message.into(),
        }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorType::InputException, message)
    }
    pub fn order(message: impl Into<String>) -> Self {
        Self::new(ErrorType::OrderException, message)
    }
}

/// IST wall-clock time for `unix` seconds (Kite's timestamps are naive IST).
pub fn ist(unix: i64) -> NaiveDateTime {
    DateTime::from_timestamp(unix + 19_800, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// Real Unix seconds (session timestamps; the order book uses the sandbox clock).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn rupees(paise: u32) -> f64 {
    paise as f64 / 100.0
}

/// How an order relates to others: the sandbox's bookkeeping beyond Kite's order object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Plan {
    #[default]
    Plain,
    /// A cover order's entry; its stop leg is placed when it fills.
    CoEntry {
        stop_trigger: f64,
    },
    /// A cover order's stop leg; cancelling it exits the position at market, as on Kite.
    CoStop,
    /// The order the trader placed as an iceberg: it never trades itself, its legs do, one at a time.
    IcebergParent {
        legs: u32,
        leg_quantity: u32,
        placed: u32,
        current: Option<OrderId>,
    },
    IcebergLeg {
        parent: OrderId,
    },
}

/// Per-order state kept next to its history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    pub modifications: u32,
    pub plan: Plan,
    /// Fault knob: the order stops filling once this much has filled.
    pub fill_limit: Option<u32>,
    /// Charges already debited for this order's fills.
    pub charges: f64,
    /// Margin one unit of this order blocks while it is open.
    pub unit_margin: f64,
}

pub(crate) struct OrderBookEntry {
    pub(crate) history: Vec<Order>,
    pub(crate) extra: Extra,
}

impl OrderBookEntry {
    pub(crate) fn current(&self) -> &Order {
        self.history
            .last()
            .expect("an order always has a first state")
    }
}

/// One change to persist, in the order it happened.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new history row of an order (`seq` = its index in the history).
    OrderState {
        seq: u32,
        order: Box<Order>,
    },
    OrderExtra {
        order_id: OrderId,
        extra: Extra,
    },
    Trade(Box<Trade>),
    Holdings(Vec<Holding>),
    /// A new session: the stored day book (orders, trades) is cleared; kept orders follow in full.
    ClearDay,
}

/// The account row: funds and counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funds {
    pub opening_balance: f64,
    pub charges: f64,
    pub next_trade: u64,
    /// Margin per unit of an open position, by instrument and product (see [`Extra::unit_margin`]).
    #[serde(default)]
    pub unit_margins: Vec<(u32, String, f64)>,
    /// The IST session date the account's day book belongs to.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Positions carried from earlier sessions.
    #[serde(default)]
    pub carried: Vec<Carried>,
}

/// One trader's account.
pub struct Account {
    pub user_id: String,
    pub(crate) opening_balance: f64,
    pub(crate) orders: Vec<OrderBookEntry>,
    pub(crate) by_id: HashMap<OrderId, usize>,
    pub(crate) trades: Vec<Trade>,
    pub(crate) holdings: Vec<Holding>,
    pub(crate) next_trade: u64,
    pub(crate) charges: f64,
    pub(crate) unit_margins: HashMap<(InstrumentToken, Product), f64>,
    pub(crate) date: Option<NaiveDate>,
    pub(crate) carried: Vec<Carried>,
    /// Order states to post to the owner's ticker sockets.
    pub(crate) outbox: Vec<Order>,
    pub(crate) journal: Vec<Change>,
}

/// What an order needs to know about its instrument.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub symbol: &'a str,
    pub lot_size: u32,
    pub is_option: bool,
    /// Last price of the underlying, for option writing margin.
    pub underlying_last: Option<f64>,
    pub quote: &'a Quote,
}

/// Margin one unit blocks: delivery the full price, intraday equity a fifth, futures and written
/// options [`FNO_MARGIN_FRACTION`] of the contract value, bought options their premium.
pub fn unit_margin(
    listing: &Listing<'_>,
    product: Product,
    side: TransactionType,
    price: f64,
) -> f64 {
    let derivative = matches!(listing.exchange, Exchange::Nfo | Exchange::Bfo);
    if derivative {
        if listing.is_option {
            match side {
                TransactionType::Buy => price,
                TransactionType::Sell => {
                    listing.underlying_last.unwrap_or(price) * FNO_MARGIN_FRACTION
                }
            }
        } else {
            price * FNO_MARGIN_FRACTION
        }
    } else {
        match product {
            Product::Mis | Product::Co | Product::Bo => price * MIS_MARGIN_FRACTION,
            _ => price,
        }
    }
}

impl Account {
    pub fn new(user_id: &str, holdings: Vec<Holding>) -> Self {
        let mut a = Self {
            user_id: user_id.to_string(),
            opening_balance: OPENING_BALANCE,
            orders: Vec::new(),
            by_id: HashMap::new(),
            trades: Vec::new(),
            holdings,
            next_trade: 1,
            charges: 0.0,
            unit_margins: HashMap::new(),
            date: None,
            carried: Vec::new(),
            outbox: Vec::new(),
            journal: Vec::new(),
        };
        a.journal.push(Change::Holdings(a.holdings.clone()));
        a
    }

    /// Rebuilds an account from its stored rows.
    pub fn restore(
        user_id: &str,
        funds: Funds,
        orders: Vec<(Vec<Order>, Extra)>,
        trades: Vec<Trade>,
        holdings: Vec<Holding>,
    ) -> Self {
        let mut by_id = HashMap::new();
        let mut entries = Vec::new();
        for (history, extra) in orders {
            if history.is_empty() {
                continue;
            }
            by_id.insert(history[0].order_id.clone(), entries.len());
            entries.push(OrderBookEntry { history, extra });
        }
        let unit_margins = funds
            .unit_margins
            .iter()
            .filter_map(|(t, p, m)| Some(((InstrumentToken(*t), p.parse().ok()?), *m)))
            .collect();
        Self {
            user_id: user_id.to_string(),
            opening_balance: funds.opening_balance,
            orders: entries,
            by_id,
            trades,
            holdings,
            next_trade: funds.next_trade,
            charges: funds.charges,
            unit_margins,
            date: funds.date,
            carried: funds.carried,
            outbox: Vec::new(),
            journal: Vec::new(),
        }
    }

    pub fn funds(&self) -> Funds {
        let mut unit_margins: Vec<_> = self
            .unit_margins
            .iter()
            .map(|((t, p), m)| (t.0, p.as_str().to_string(), *m))
            .collect();
        unit_margins.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Funds {
            opening_balance: self.opening_balance,
            charges: self.charges,
            next_trade: self.next_trade,
            unit_margins,
            date: self.date,
            carried: self.carried.clone(),
        }
    }

    pub fn orders(&self) -> Vec<Order> {
        self.orders.iter().map(|e| e.current().clone()).collect()
    }

    pub fn order_history(&self, id: &OrderId) -> Option<Vec<Order>> {
        self.by_id.get(id).map(|&i| self.orders[i].history.clone())
    }

    pub fn trades(&self) -> Vec<Trade> {
        self.trades.clone()
    }

    pub fn order_trades(&self, id: &OrderId) -> Option<Vec<Trade>> {
        self.by_id.get(id)?;
        Some(
            self.trades
                .iter()
                .filter(|t| &t.order_id == id)
                .cloned()
                .collect(),
        )
    }

    /// Charges debited so far for today's fills.
    pub fn charges_paid(&self) -> f64 {
        self.charges
    }

    /// Margin blocked by open orders and open positions.
    pub fn used_margin(&self, quotes: &dyn Fn(InstrumentToken) -> Option<f64>) -> f64 {
        let mut used = 0.0;
        for e in &self.orders {
            let o = e.current();
            let trades = !matches!(e.extra.plan, Plan::IcebergParent { .. } | Plan::CoStop);
            if !o.status.is_terminal() && trades {
                used += e.extra.unit_margin * o.pending_quantity as f64;
            }
        }
        for p in self.positions(quotes).net {
            if p.quantity != 0 {
                let unit = self
                    .unit_margins
                    .get(&(p.instrument_token, p.product))
                    .copied()
                    .unwrap_or(p.average_price);
                used += unit * p.quantity.unsigned_abs() as f64;
            }
        }
        used
    }

    pub fn opening_balance(&self) -> f64 {
        self.opening_balance
    }

    pub fn realised_pnl(&self, quotes: &dyn Fn(InstrumentToken) -> Option<f64>) -> f64 {
        self.positions(quotes).net.iter().map(|p| p.realised).sum()
    }

    pub fn holdings(&self, quotes: &dyn Fn(InstrumentToken) -> Option<(f64, f64)>) -> Vec<Holding> {
        self.holdings
            .iter()
            .map(|h| {
                let mut h = h.clone();
                if let Some((last, close)) = quotes(h.instrument_token) {
                    h.last_price = last;
                    h.close_price = close;
                    h.pnl = (last - h.average_price) * h.quantity as f64;
                    h.day_change = last - close;
                    h.day_change_percentage = if close > 0.0 {
                        (last - close) * 100.0 / close
                    } else {
                        0.0
                    };
                }
                h
            })
            .collect()
    }

    /// Positions: `net` = carried positions plus today's trades, `day` = today's trades only (SPEC
    /// §6.2 identities hold for every row).
    pub fn positions(&self, last: &dyn Fn(InstrumentToken) -> Option<f64>) -> Positions {
        Positions {
            net: book(&self.trades, &self.carried, last),
            day: book(&self.trades, &[], last),
        }
    }

    /// Appends a state to an order's history; `post` queues it as an order update too.
    pub(crate) fn push_state(
        &mut self,
        idx: usize,
        post: bool,
        f: impl FnOnce(&mut Order),
    ) -> Order {
        let mut next = self.orders[idx].current().clone();
        f(&mut next);
        self.orders[idx].history.push(next.clone());
        self.journal.push(Change::OrderState {
            seq: self.orders[idx].history.len() as u32 - 1,
            order: Box::new(next.clone()),
        });
        if post {
            self.outbox.push(next.clone());
        }
        next
    }

    pub(crate) fn journal_extra(&mut self, idx: usize) {
        self.journal.push(Change::OrderExtra {
            order_id: self.orders[idx].current().order_id.clone(),
            extra: self.orders[idx].extra.clone(),
        });
    }

    pub(crate) fn insert(&mut self, order: Order, extra: Extra) -> usize {
        let idx = self.orders.len();
        self.by_id.insert(order.order_id.clone(), idx);
        self.journal.push(Change::OrderState {
            seq: 0,
            order: Box::new(order.clone()),
        });
        self.orders.push(OrderBookEntry {
            history: vec![order],
            extra,
        });
        self.journal_extra(idx);
        idx
    }

    /// Records one fill of order `idx`: a trade, a history row (OPEN with the new filled quantity, or
    /// COMPLETE) and an update (`UPDATE` for a partial fill).
    pub(crate) fn record_fill(&mut self, idx: usize, fill: Fill, now: i64) -> Order {
        let o = self.orders[idx].current().clone();
        let trade_id = format!("{:08}", self.next_trade);
        self.next_trade += 1;
        let ts = ist(now);
        let price = rupees(fill.price);
        let trade = Trade {
            trade_id,
            order_id: o.order_id.clone(),
            exchange_order_id: o.exchange_order_id.clone(),
            exchange: o.exchange,
            tradingsymbol: o.tradingsymbol.clone(),
            instrument_token: o.instrument_token,
            product: o.product,
            transaction_type: o.transaction_type,
            average_price: price,
            quantity: fill.quantity,
            fill_timestamp: Some(ts),
            order_timestamp: ts.format("%H:%M:%S").to_string(),
            exchange_timestamp: Some(ts),
        };
        self.journal.push(Change::Trade(Box::new(trade.clone())));
        self.trades.push(trade);
        let filled = o.filled_quantity + fill.quantity;
        let average = (o.average_price * o.filled_quantity as f64 + price * fill.quantity as f64)
            / filled as f64;
        let pending = o.pending_quantity.saturating_sub(fill.quantity);
        let next = self.push_state(idx, false, |n| {
            n.status = if pending == 0 {
                OrderStatus::Complete
            } else {
                OrderStatus::Open
            };
            n.filled_quantity = filled;
            n.pending_quantity = pending;
            n.average_price = (average * 100.0).round() / 100.0;
            n.exchange_update_timestamp = Some(ts);
            n.status_message = None;
        });
        let mut post = next.clone();
        if pending > 0 {
            post.status = OrderStatus::Update;
        }
        self.outbox.push(post);
        self.debit_charges(idx);
        next
    }

    /// Charges are per executed order (brokerage caps apply per order), so each fill re-prices the
    /// order's charges on its filled quantity and debits the difference.
    pub(crate) fn debit_charges(&mut self, idx: usize) {
        let o = self.orders[idx].current();
        let is_option = o.tradingsymbol.ends_with("CE") || o.tradingsymbol.ends_with("PE");
        let kind = charges::kind(o.exchange, o.product, is_option);
        let total =
            charges::charges(kind, o.transaction_type, o.filled_quantity, o.average_price).total;
        let delta = total - self.orders[idx].extra.charges;
        self.orders[idx].extra.charges = total;
        self.charges += delta;
        self.journal_extra(idx);
    }

    pub(crate) fn cancel_rest(&mut self, idx: usize, now: i64, message: Option<String>) -> Order {
        self.push_state(idx, true, |o| {
            o.status = OrderStatus::Cancelled;
            o.cancelled_quantity = o.pending_quantity;
            o.pending_quantity = 0;
            o.exchange_update_timestamp = Some(ist(now));
            o.status_message = message;
        })
    }
}
