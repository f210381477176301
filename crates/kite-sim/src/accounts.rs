//! Per-user accounts of the sandbox: funds, the order book with each order's history, trades, positions
//! and holdings. Orders match against the live market: MARKET at the touch, LIMIT when crossed, SL/SL-M
//! when triggered. (Depth walking, partial fills and the full exchange rules are the sandbox-exchange
//! work; this is the lifecycle and the shapes.)

use crate::market::Quote;
use chrono::{DateTime, NaiveDateTime};
use model::broker::{
    ConvertPositionParams, ErrorType, Holding, ModifyParams, MtfHolding, Order, OrderId,
    OrderParams, OrderStatus, OrderType, Position, Positions, Product, Trade, TransactionType,
    Validity, Variety,
};
use model::{Exchange, InstrumentToken};
use std::collections::{BTreeMap, HashMap};

/// Funds every new sandbox account starts with: ₹10 lakh.
pub const OPENING_BALANCE: f64 = 1_000_000.0;
/// Intraday (MIS) orders block a fifth of their value, as a simple leverage rule.
pub const MIS_MARGIN_FRACTION: f64 = 0.2;
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

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn paise(p: f64) -> i64 {
    (p * 100.0).round() as i64
}

struct OrderBookEntry {
    history: Vec<Order>,
    modifications: u32,
}

impl OrderBookEntry {
    fn current(&self) -> &Order {
        self.history
            .last()
            .expect("an order always has a first state")
    }
}

/// One trader's account.
pub struct Account {
    pub user_id: String,
    opening_balance: f64,
    orders: Vec<OrderBookEntry>,
    by_id: HashMap<OrderId, usize>,
    trades: Vec<Trade>,
    holdings: Vec<Holding>,
    next_trade: u64,
}

impl Account {
    pub fn new(user_id: &str, holdings: Vec<Holding>) -> Self {
        Self {
            user_id: user_id.to_string(),
            opening_balance: OPENING_BALANCE,
            orders: Vec::new(),
            by_id: HashMap::new(),
            trades: Vec::new(),
            holdings,
            next_trade: 1,
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

    /// Cash blocked by open orders and used by today's net buys.
    pub fn used_margin(&self, quotes: &dyn Fn(InstrumentToken) -> Option<f64>) -> f64 {
        let mut used = 0.0;
        for e in &self.orders {
            let o = e.current();
            if !o.status.is_terminal() && o.transaction_type == TransactionType::Buy {
                let px = if o.price > 0.0 {
                    o.price
                } else {
                    quotes(o.instrument_token).unwrap_or(0.0)
                };
                used += required(o.product, px, o.pending_quantity);
            }
        }
        for p in self.positions(quotes).net {
            if p.quantity > 0 {
                used += required(p.product, p.average_price, p.quantity as u32);
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

    /// Positions from today's trades (SPEC §6.2 identities hold for every row).
    pub fn positions(&self, last: &dyn Fn(InstrumentToken) -> Option<f64>) -> Positions {
        #[derive(Default)]
        struct Agg {
            buy_q: i64,
            buy_v: f64,
            sell_q: i64,
            sell_v: f64,
        }
        type Key = (String, String, String);
        let mut aggs: BTreeMap<Key, (Agg, InstrumentToken, Exchange, Product)> = BTreeMap::new();
        for t in &self.trades {
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
                    overnight_quantity: 0,
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
                    day_buy_quantity: a.buy_q,
                    day_buy_price: buy_price,
                    day_buy_value: a.buy_v,
                    day_sell_quantity: a.sell_q,
                    day_sell_price: sell_price,
                    day_sell_value: a.sell_v,
                }
            })
            .collect();
        Positions {
            net: rows.clone(),
            day: rows,
        }
    }

    fn push_state(&mut self, idx: usize, f: impl FnOnce(&mut Order)) -> Order {
        let mut next = self.orders[idx].current().clone();
        f(&mut next);
        self.orders[idx].history.push(next.clone());
        next
    }

    fn fill(&mut self, idx: usize, price: f64, now: i64) -> Order {
        let o = self.orders[idx].current().clone();
        let qty = o.pending_quantity;
        let trade_id = format!("{:08}", self.next_trade);
        self.next_trade += 1;
        let ts = ist(now);
        self.trades.push(Trade {
            trade_id,
            order_id: o.order_id.clone(),
            exchange_order_id: o.exchange_order_id.clone(),
            exchange: o.exchange,
            tradingsymbol: o.tradingsymbol.clone(),
            instrument_token: o.instrument_token,
            product: o.product,
            transaction_type: o.transaction_type,
            average_price: price,
            quantity: qty,
            fill_timestamp: Some(ts),
            order_timestamp: ts.format("%H:%M:%S").to_string(),
            exchange_timestamp: Some(ts),
        });
        self.push_state(idx, |n| {
            n.status = OrderStatus::Complete;
            n.filled_quantity += qty;
            n.pending_quantity = 0;
            n.average_price = price;
            n.exchange_update_timestamp = Some(ts);
            n.status_message = None;
        })
    }
}

fn required(product: Product, price: f64, qty: u32) -> f64 {
    let value = price * qty as f64;
    match product {
        Product::Mis | Product::Co | Product::Bo => value * MIS_MARGIN_FRACTION,
        _ => value,
    }
}

/// What an order needs to know about its instrument.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub symbol: &'a str,
    pub tick_paise: i64,
    pub lot_size: u32,
    pub quote: &'a Quote,
}

/// Price at which a marketable order trades now, or `None` if it rests.
fn execution_price(o: &Order, q: &Quote) -> Option<f64> {
    let bid = q.bids[0].price as f64 / 100.0;
    let ask = q.asks[0].price as f64 / 100.0;
    let last = q.last as f64 / 100.0;
    let buy = o.transaction_type == TransactionType::Buy;
    let touch = if buy { ask } else { bid };
    match (o.order_type, o.status.clone()) {
        (OrderType::Market, _) => Some(touch),
        (OrderType::Limit, _) => {
            if (buy && o.price >= touch) || (!buy && o.price <= touch) {
                Some(touch)
            } else if (buy && o.price >= last) || (!buy && o.price <= last) {
                // A trade printed through the limit: fill at the limit.
                Some(o.price)
            } else {
                None
            }
        }
        (OrderType::Sl | OrderType::SlM, OrderStatus::TriggerPending) => {
            let hit = if buy {
                last >= o.trigger_price
            } else {
                last <= o.trigger_price
            };
            let limit_crossed = (buy && o.price >= touch) || (!buy && o.price <= touch);
            if !hit {
                None
            } else if o.order_type == OrderType::SlM || limit_crossed {
                Some(touch)
            } else {
                Some(o.price)
            }
        }
        _ => None,
    }
}

/// All accounts of the sandbox, keyed by user id.
#[derive(Default)]
pub struct Accounts {
    accounts: HashMap<String, Account>,
    next_order: u64,
}

/// Demo holdings every account starts with, so the Holdings page has something to show.
fn demo_holdings(lookup: &dyn Fn(&str) -> Option<(InstrumentToken, f64)>) -> Vec<Holding> {
    [("INFY", 25i64), ("TCS", 10), ("ITC", 100), ("HDFCBANK", 40)]
        .iter()
        .filter_map(|&(sym, qty)| {
            let (token, price) = lookup(sym)?;
            let avg = (price * 0.92 * 20.0).round() / 20.0;
            Some(Holding {
                tradingsymbol: sym.to_string(),
                exchange: Exchange::Nse,
                instrument_token: token,
                isin: format!("INE{:06}01", token.0 % 1_000_000),
                product: Product::Cnc,
                price: 0.0,
                quantity: qty,
                used_quantity: 0,
                t1_quantity: 0,
                realised_quantity: qty,
                authorised_quantity: 0,
                authorised_date: None,
                authorisation: Default::default(),
                opening_quantity: qty,
                short_quantity: 0,
                collateral_quantity: 0,
                collateral_type: String::new(),
                discrepancy: false,
                average_price: avg,
                last_price: price,
                close_price: price,
                pnl: (price - avg) * qty as f64,
                day_change: 0.0,
                day_change_percentage: 0.0,
                mtf: MtfHolding::default(),
            })
        })
        .collect()
}

impl Accounts {
    pub fn account_mut(
        &mut self,
        user_id: &str,
        lookup: &dyn Fn(&str) -> Option<(InstrumentToken, f64)>,
    ) -> &mut Account {
        self.accounts
            .entry(user_id.to_string())
            .or_insert_with(|| Account::new(user_id, demo_holdings(lookup)))
    }

    pub fn account(&self, user_id: &str) -> Option<&Account> {
        self.accounts.get(user_id)
    }

    /// Drops a user's account (admin reset); it is recreated fresh on next use.
    pub fn reset(&mut self, user_id: &str) {
        self.accounts.remove(user_id);
    }

    fn new_order_id(&mut self) -> OrderId {
        self.next_order += 1;
        // 15 digits like Kite's, unique within the sandbox's run.
        OrderId(format!("26{:013}", self.next_order))
    }

    /// Places an order: validates it, records its lifecycle and executes it if marketable.
    pub fn place(
        &mut self,
        user_id: &str,
        p: &OrderParams,
        listing: Listing<'_>,
        available: f64,
        now: i64,
        lookup: &dyn Fn(&str) -> Option<(InstrumentToken, f64)>,
    ) -> Result<OrderId, SimError> {
        p.validate().map_err(|e| SimError::input(e.to_string()))?;
        if p.exchange != listing.exchange {
            return Err(SimError::input("Invalid `tradingsymbol`."));
        }
        if listing.lot_size > 1 && !p.quantity.is_multiple_of(listing.lot_size) {
            return Err(SimError::input(format!(
                "Quantity should be a multiple of lot size {}.",
                listing.lot_size
            )));
        }
        for (name, v) in [("price", p.price), ("trigger_price", p.trigger_price)] {
            if let Some(v) = v.filter(|v| *v > 0.0) {
                if paise(v) % listing.tick_paise != 0 {
                    return Err(SimError::input(format!(
                        "Tick size for this script is {:.2}. Kindly enter `{name}` in the multiple of tick size.",
                        listing.tick_paise as f64 / 100.0
                    )));
                }
            }
        }
        if matches!(p.variety, Variety::Iceberg | Variety::Auction) {
            return Err(SimError::input(format!(
                "The {} variety is not supported by the sandbox yet.",
                p.variety.as_str()
            )));
        }
        let id = self.new_order_id();
        let ts = ist(now);
        let product = if p.variety == Variety::Co {
            Product::Co
        } else {
            p.product
        };
        let order = Order {
            order_id: id.clone(),
            exchange_order_id: None,
            parent_order_id: None,
            placed_by: user_id.to_string(),
            account_id: Some(user_id.to_string()),
            terminal_id: None,
            status: OrderStatus::PutOrderReqReceived,
            status_message: None,
            status_message_raw: None,
            order_timestamp: ts,
            exchange_update_timestamp: None,
            exchange_timestamp: None,
            variety: p.variety,
            modified: false,
            exchange: p.exchange,
            tradingsymbol: listing.symbol.to_string(),
            instrument_token: listing.token,
            order_type: p.order_type,
            transaction_type: p.transaction_type,
            validity: p.validity.unwrap_or(Validity::Day),
            validity_ttl: p.validity_ttl.unwrap_or(0),
            product,
            quantity: p.quantity,
            disclosed_quantity: p.disclosed_quantity.unwrap_or(0),
            price: if matches!(p.order_type, OrderType::Market | OrderType::SlM) {
                0.0
            } else {
                p.price.unwrap_or(0.0)
            },
            trigger_price: p.trigger_price.unwrap_or(0.0),
            average_price: 0.0,
            filled_quantity: 0,
            pending_quantity: p.quantity,
            cancelled_quantity: 0,
            market_protection: p.market_protection.unwrap_or(0.0),
            auction_number: p.auction_number.clone(),
            meta: Default::default(),
            tag: p.tag.clone(),
            tags: p.tag.iter().cloned().collect(),
            guid: None,
        };
        let account = self.account_mut(user_id, lookup);
        let idx = account.orders.len();
        account.orders.push(OrderBookEntry {
            history: vec![order.clone()],
            modifications: 0,
        });
        account.by_id.insert(id.clone(), idx);
        account.push_state(idx, |o| o.status = OrderStatus::ValidationPending);

        // Funds check happens after acceptance, as at Kite: the order is REJECTED, not refused.
        let ref_price = order.price.max(listing.quote.asks[0].price as f64 / 100.0);
        let need = required(product, ref_price, p.quantity);
        if p.transaction_type == TransactionType::Buy && need > available {
            let msg = format!(
                "Insufficient funds. Required margin is {need:.2} but available margin is {available:.2}."
            );
            account.push_state(idx, |o| {
                o.status = OrderStatus::Rejected;
                o.status_message = Some(msg.clone());
                o.status_message_raw = Some(format!("RMS:Margin Exceeds,{msg}"));
                o.cancelled_quantity = 0;
                o.pending_quantity = 0;
            });
            return Ok(id);
        }
        let exch_id = format!("1300000{:09}", idx + 1);
        account.push_state(idx, |o| {
            o.status = OrderStatus::OpenPending;
            o.exchange_order_id = Some(exch_id.clone());
            o.exchange_timestamp = Some(ts);
        });
        let resting = if matches!(p.order_type, OrderType::Sl | OrderType::SlM) {
            OrderStatus::TriggerPending
        } else {
            OrderStatus::Open
        };
        account.push_state(idx, |o| o.status = resting);
        let current = account.orders[idx].current().clone();
        if let Some(px) = execution_price(&current, listing.quote) {
            account.fill(idx, px, now);
        } else if current.validity == Validity::Ioc {
            account.push_state(idx, |o| {
                o.status = OrderStatus::Cancelled;
                o.cancelled_quantity = o.pending_quantity;
                o.pending_quantity = 0;
            });
        }
        Ok(id)
    }

    /// The account and book position of one of the user's orders.
    fn live_order(
        &mut self,
        user_id: &str,
        id: &OrderId,
    ) -> Result<(&mut Account, usize), SimError> {
        let account = self
            .accounts
            .get_mut(user_id)
            .ok_or_else(|| SimError::order("Order not found."))?;
        let idx = *account
            .by_id
            .get(id)
            .ok_or_else(|| SimError::order("Order not found."))?;
        Ok((account, idx))
    }

    pub fn modify(
        &mut self,
        user_id: &str,
        id: &OrderId,
        m: &ModifyParams,
        listing_quote: Option<&Quote>,
        now: i64,
    ) -> Result<OrderId, SimError> {
        let (account, idx) = self.live_order(user_id, id)?;
        let cur = account.orders[idx].current().clone();
        if cur.status.is_terminal() {
            return Err(SimError::order(format!(
                "Order cannot be modified as it is {}.",
                cur.status.as_str().to_lowercase()
            )));
        }
        if account.orders[idx].modifications >= MAX_MODIFICATIONS {
            return Err(SimError::order(
                "Maximum allowed order modifications exceeded.",
            ));
        }
        if m.quantity == Some(0) {
            return Err(SimError::input("Quantity should be greater than 0."));
        }
        account.orders[idx].modifications += 1;
        account.push_state(idx, |o| o.status = OrderStatus::ModifyValidationPending);
        account.push_state(idx, |o| o.status = OrderStatus::ModifyPending);
        account.push_state(idx, |o| {
            o.status = OrderStatus::Modified;
            o.modified = true;
            if let Some(q) = m.quantity {
                o.quantity = q;
                o.pending_quantity = q.saturating_sub(o.filled_quantity);
            }
            if let Some(p) = m.price {
                o.price = p;
            }
            if let Some(t) = m.order_type {
                o.order_type = t;
            }
            if let Some(t) = m.trigger_price {
                o.trigger_price = t;
            }
            if let Some(v) = m.validity {
                o.validity = v;
            }
            if let Some(d) = m.disclosed_quantity {
                o.disclosed_quantity = d;
            }
            o.exchange_update_timestamp = Some(ist(now));
        });
        let resting = if matches!(cur.status, OrderStatus::TriggerPending) {
            OrderStatus::TriggerPending
        } else {
            OrderStatus::Open
        };
        let after = account.push_state(idx, |o| o.status = resting);
        if let Some(q) = listing_quote {
            if let Some(px) = execution_price(&after, q) {
                account.fill(idx, px, now);
            }
        }
        Ok(id.clone())
    }

    pub fn cancel(&mut self, user_id: &str, id: &OrderId, now: i64) -> Result<OrderId, SimError> {
        let (account, idx) = self.live_order(user_id, id)?;
        let cur = account.orders[idx].current().clone();
        if cur.status.is_terminal() {
            return Err(SimError::order(format!(
                "Order cannot be cancelled as it is {}.",
                cur.status.as_str().to_lowercase()
            )));
        }
        account.push_state(idx, |o| o.status = OrderStatus::CancelPending);
        account.push_state(idx, |o| {
            o.status = OrderStatus::Cancelled;
            o.cancelled_quantity = o.pending_quantity;
            o.pending_quantity = 0;
            o.exchange_update_timestamp = Some(ist(now));
        });
        Ok(id.clone())
    }

    /// Moves `quantity` of today's trades in a symbol from one product to another (e.g. MIS → CNC).
    pub fn convert(&mut self, user_id: &str, p: &ConvertPositionParams) -> Result<(), SimError> {
        let account = self
            .accounts
            .get_mut(user_id)
            .ok_or_else(|| SimError::input("No position to convert."))?;
        let matching = |t: &Trade| {
            t.exchange == p.exchange
                && t.tradingsymbol == p.tradingsymbol
                && t.product == p.old_product
                && t.transaction_type == p.transaction_type
        };
        let available: u32 = account
            .trades
            .iter()
            .filter(|t| matching(t))
            .map(|t| t.quantity)
            .sum();
        if available < p.quantity {
            return Err(SimError::input(format!(
                "Insufficient quantity to convert: {available} available."
            )));
        }
        let mut left = p.quantity;
        let mut split = Vec::new();
        for t in account.trades.iter_mut().filter(|t| matching(t)) {
            if left == 0 {
                break;
            }
            if t.quantity <= left {
                left -= t.quantity;
                t.product = p.new_product;
            } else {
                // Split the trade: the converted part becomes its own row.
                let mut part = t.clone();
                part.quantity = left;
                part.product = p.new_product;
                part.trade_id = format!("{}C", t.trade_id);
                t.quantity -= left;
                left = 0;
                split.push(part);
            }
        }
        account.trades.extend(split);
        Ok(())
    }

    /// Matches every resting order against the market after a step. Returns the orders that changed.
    pub fn on_market(
        &mut self,
        quote_of: &dyn Fn(InstrumentToken) -> Option<Quote>,
        now: i64,
    ) -> Vec<(String, Order)> {
        let mut changed = Vec::new();
        for account in self.accounts.values_mut() {
            for idx in 0..account.orders.len() {
                let o = account.orders[idx].current().clone();
                if !matches!(o.status, OrderStatus::Open | OrderStatus::TriggerPending) {
                    continue;
                }
                let Some(q) = quote_of(o.instrument_token) else {
                    continue;
                };
                if let Some(px) = execution_price(&o, &q) {
                    let filled = account.fill(idx, px, now);
                    changed.push((account.user_id.clone(), filled));
                }
            }
        }
        changed
    }
}
