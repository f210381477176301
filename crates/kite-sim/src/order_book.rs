//! The sandbox's order books: every user's account, order ids, the placement of new orders with the
//! funds check, modification, cancellation (a cover order's exit), position conversion, and the
//! matching of working orders on each market step.

use crate::accounts::{
    ist, rupees, unit_margin, Account, Change, Extra, Funds, Listing, Plan, SimError,
    MAX_MODIFICATIONS,
};
use crate::lifecycle::{execute, iceberg_meta, open};
use crate::market::Quote;
use crate::matching::DepthUse;
use model::broker::{
    ConvertPositionParams, Holding, IcebergMeta, ModifyParams, MtfHolding, Order, OrderId,
    OrderParams, OrderStatus, OrderType, Product, Trade, TransactionType, Validity, Variety,
};
use model::{Exchange, InstrumentToken};
use std::collections::HashMap;

/// The exchange-facing order fields of a new order.
fn new_order(
    id: OrderId,
    user_id: &str,
    p: &OrderParams,
    listing: &Listing<'_>,
    now: i64,
) -> Order {
    Order {
        order_id: id,
        exchange_order_id: None,
        parent_order_id: None,
        placed_by: user_id.to_string(),
        account_id: Some(user_id.to_string()),
        terminal_id: None,
        status: OrderStatus::PutOrderReqReceived,
        status_message: None,
        status_message_raw: None,
        order_timestamp: ist(now),
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
        product: if p.variety == Variety::Co {
            Product::Co
        } else {
            p.product
        },
        quantity: p.quantity,
        disclosed_quantity: p.disclosed_quantity.unwrap_or(0),
        price: if matches!(p.order_type, OrderType::Market | OrderType::SlM) {
            0.0
        } else {
            p.price.unwrap_or(0.0)
        },
        trigger_price: if p.variety == Variety::Co {
            0.0
        } else {
            p.trigger_price.unwrap_or(0.0)
        },
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
    }
}

/// Sandbox-wide fault knobs on the order path.
#[derive(Debug, Default, Clone, Copy)]
pub struct OrderFaults {
    /// The next N orders fill only this percentage of their quantity, then stop.
    pub partial_orders: u32,
    pub partial_percent: f64,
    /// The next N orders are accepted, then rejected.
    pub reject_orders: u32,
}

/// Order ids, unique within the sandbox and across restarts.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    pub(crate) next_order: u64,
}

impl Ids {
    pub(crate) fn next(&mut self) -> OrderId {
        self.next_order += 1;
        // 15 digits like Kite's.
        OrderId(format!("26{:013}", self.next_order))
    }
}

/// All accounts of the sandbox, keyed by user id.
#[derive(Default)]
pub struct Accounts {
    accounts: HashMap<String, Account>,
    ids: Ids,
    depth: DepthUse,
    pub faults: OrderFaults,
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

/// What one operation produced: updates to post and changes to store, per user.
#[derive(Debug, Default)]
pub struct Outcome {
    pub posts: Vec<(String, Order)>,
    pub changes: Vec<(String, Vec<Change>, Funds)>,
}

impl Outcome {
    pub fn is_empty(&self) -> bool {
        self.posts.is_empty() && self.changes.is_empty()
    }
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

    /// Adds an account loaded from the store.
    pub fn restore(&mut self, account: Account) {
        for e in &account.orders {
            let n = e.history[0]
                .order_id
                .0
                .get(2..)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            self.ids.next_order = self.ids.next_order.max(n);
        }
        self.accounts.insert(account.user_id.clone(), account);
    }

    /// Drops a user's account (admin reset); it is recreated fresh on next use.
    pub fn reset(&mut self, user_id: &str) {
        self.accounts.remove(user_id);
    }

    /// Takes every queued update and change.
    pub fn drain(&mut self) -> Outcome {
        let mut out = Outcome::default();
        for a in self.accounts.values_mut() {
            for o in a.outbox.drain(..) {
                out.posts.push((a.user_id.clone(), o));
            }
            if !a.journal.is_empty() {
                let changes = std::mem::take(&mut a.journal);
                out.changes.push((a.user_id.clone(), changes, a.funds()));
            }
        }
        out
    }

    /// A fresh order id that no order uses (an autoslice parent's).
    pub fn reserve_id(&mut self) -> OrderId {
        self.ids.next()
    }

    /// Places an order that passed the synchronous checks: records its lifecycle, checks funds, and
    /// executes it if the market is open for it and it is marketable.
    #[allow(clippy::too_many_arguments)]
    pub fn place(
        &mut self,
        user_id: &str,
        p: &OrderParams,
        listing: Listing<'_>,
        available: f64,
        now: i64,
        in_session: bool,
        system_tags: &[String],
        lookup: &dyn Fn(&str) -> Option<(InstrumentToken, f64)>,
    ) -> Result<OrderId, SimError> {
        let id = self.ids.next();
        let mut order = new_order(id.clone(), user_id, p, &listing, now);
        order.tags.extend(system_tags.iter().cloned());
        let ref_price = if order.price > 0.0 {
            order.price
        } else {
            let touch = match p.transaction_type {
                TransactionType::Buy => listing.quote.asks[0].price,
                TransactionType::Sell => listing.quote.bids[0].price,
            };
            rupees(touch.max(listing.quote.last))
        };
        let unit = unit_margin(&listing, order.product, p.transaction_type, ref_price);
        let mut extra = Extra {
            unit_margin: unit,
            ..Extra::default()
        };
        if self.faults.partial_orders > 0 {
            self.faults.partial_orders -= 1;
            let lot = listing.lot_size.max(1);
            let part = (p.quantity as f64 * self.faults.partial_percent / 100.0).floor() as u32;
            extra.fill_limit = Some(part / lot * lot);
        }
        let reject = self.faults.reject_orders > 0;
        if reject {
            self.faults.reject_orders -= 1;
        }
        let plan = match p.variety {
            Variety::Co => Plan::CoEntry {
                stop_trigger: p.trigger_price.unwrap_or(0.0),
            },
            Variety::Iceberg => Plan::IcebergParent {
                legs: p.iceberg_legs.unwrap_or(2),
                leg_quantity: p.iceberg_quantity.unwrap_or(p.quantity),
                placed: 0,
                current: None,
            },
            _ => Plan::Plain,
        };
        if let Plan::IcebergParent {
            legs, leg_quantity, ..
        } = plan
        {
            order.meta = iceberg_meta(IcebergMeta {
                leg: 0,
                legs,
                leg_quantity,
                total_quantity: p.quantity,
                remaining_quantity: p.quantity,
            });
        }
        extra.plan = plan;
        let Accounts {
            accounts,
            ids,
            depth,
            ..
        } = self;
        let account = accounts
            .entry(user_id.to_string())
            .or_insert_with(|| Account::new(user_id, demo_holdings(lookup)));
        account
            .unit_margins
            .insert((listing.token, order.product), unit);
        account.date.get_or_insert(ist(now).date());
        let idx = account.insert(order, extra);
        account.push_state(idx, false, |o| o.status = OrderStatus::ValidationPending);

        if reject {
            account.push_state(idx, true, |o| {
                o.status = OrderStatus::Rejected;
                o.status_message = Some("Order rejected by the exchange (sandbox fault).".into());
                o.status_message_raw = Some("RMS:Rule: sandbox injected rejection".into());
                o.pending_quantity = 0;
            });
            return Ok(id);
        }
        // Funds are checked after acceptance, as at Kite: the order is REJECTED, not refused.
        let need = unit * p.quantity as f64;
        let blocks = p.transaction_type == TransactionType::Buy
            || !matches!(listing.exchange, Exchange::Nse | Exchange::Bse)
            || p.product != Product::Cnc;
        if blocks && need > available {
            let msg = format!(
                "Insufficient funds. Required margin is {need:.2} but available margin is {available:.2}."
            );
            account.push_state(idx, true, |o| {
                o.status = OrderStatus::Rejected;
                o.status_message = Some(msg.clone());
                o.status_message_raw = Some(format!("RMS:Margin Exceeds,{msg}"));
                o.pending_quantity = 0;
            });
            return Ok(id);
        }
        if p.variety == Variety::Amo && !in_session {
            account.push_state(idx, false, |o| o.status = OrderStatus::AmoReqReceived);
            return Ok(id);
        }
        open(account, ids, depth, idx, listing.quote, now, false);
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
        if account.orders[idx].extra.modifications >= MAX_MODIFICATIONS {
            return Err(SimError::order(
                "Maximum allowed order modifications exceeded.",
            ));
        }
        if m.quantity == Some(0) {
            return Err(SimError::input("Quantity should be greater than 0."));
        }
        if m.quantity.is_some_and(|q| q <= cur.filled_quantity) {
            return Err(SimError::input(
                "Quantity should be more than the quantity already filled.",
            ));
        }
        account.orders[idx].extra.modifications += 1;
        account.journal_extra(idx);
        account.push_state(idx, false, |o| {
            o.status = OrderStatus::ModifyValidationPending
        });
        account.push_state(idx, false, |o| o.status = OrderStatus::ModifyPending);
        account.push_state(idx, false, |o| {
            o.status = OrderStatus::Modified;
            o.modified = true;
            if let Some(q) = m.quantity {
                o.quantity = q;
                o.pending_quantity = q - o.filled_quantity;
            }
            if let Some(p) = m.price {
                o.price = p;
            }
            if let Some(t) = m.order_type {
                o.order_type = t;
                if matches!(t, OrderType::Market | OrderType::SlM) {
                    o.price = 0.0;
                }
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
        let resting = match cur.status {
            OrderStatus::TriggerPending => OrderStatus::TriggerPending,
            OrderStatus::AmoReqReceived => OrderStatus::AmoReqReceived,
            _ => OrderStatus::Open,
        };
        account.push_state(idx, true, |o| o.status = resting);
        if let Some(q) = listing_quote {
            let Accounts {
                accounts,
                ids,
                depth,
                ..
            } = self;
            if let Some(account) = accounts.get_mut(user_id) {
                execute(account, ids, depth, idx, q, now);
            }
        }
        Ok(id.clone())
    }

    pub fn cancel(
        &mut self,
        user_id: &str,
        id: &OrderId,
        quote: Option<&Quote>,
        now: i64,
    ) -> Result<OrderId, SimError> {
        let (account, idx) = self.live_order(user_id, id)?;
        let cur = account.orders[idx].current().clone();
        if cur.status.is_terminal() {
            return Err(SimError::order(format!(
                "Order cannot be cancelled as it is {}.",
                cur.status.as_str().to_lowercase()
            )));
        }
        let plan = account.orders[idx].extra.plan.clone();
        match plan {
            // Exiting a cover order: its stop leg becomes a market order and closes the position.
            Plan::CoStop => {
                account.push_state(idx, false, |o| {
                    o.status = OrderStatus::Open;
                    o.order_type = OrderType::Market;
                    o.trigger_price = 0.0;
                });
                if let Some(q) = quote {
                    let Accounts {
                        accounts,
                        ids,
                        depth,
                        ..
                    } = self;
                    if let Some(account) = accounts.get_mut(user_id) {
                        execute(account, ids, depth, idx, q, now);
                    }
                }
            }
            Plan::IcebergParent { current, .. } => {
                if let Some(leg) = current.and_then(|c| account.by_id.get(&c).copied()) {
                    if !account.orders[leg].current().status.is_terminal() {
                        account.push_state(leg, false, |o| o.status = OrderStatus::CancelPending);
                        account.cancel_rest(leg, now, None);
                    }
                }
                account.push_state(idx, false, |o| o.status = OrderStatus::CancelPending);
                account.cancel_rest(idx, now, None);
            }
            _ => {
                account.push_state(idx, false, |o| o.status = OrderStatus::CancelPending);
                account.cancel_rest(idx, now, None);
                if let Plan::IcebergLeg { parent } = plan {
                    if let Some(p) = account.by_id.get(&parent).copied() {
                        if !account.orders[p].current().status.is_terminal() {
                            account.cancel_rest(p, now, None);
                        }
                    }
                }
            }
        }
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
        let mut changed = Vec::new();
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
            changed.push(t.clone());
        }
        account.trades.extend(split.iter().cloned());
        for t in changed.into_iter().chain(split) {
            account.journal.push(Change::Trade(Box::new(t)));
        }
        Ok(())
    }

    /// The market moved: releases AMOs if the session is open, then matches every working order
    /// against the new depth.
    pub fn on_market(
        &mut self,
        quote_of: &dyn Fn(InstrumentToken) -> Option<Quote>,
        now: i64,
        in_session: bool,
    ) {
        let Accounts {
            accounts,
            ids,
            depth,
            ..
        } = self;
        depth.clear();
        let today = ist(now).date();
        let last = |t| quote_of(t).map(|q| rupees(q.last));
        for account in accounts.values_mut() {
            match account.date {
                None => account.date = Some(today),
                Some(d) if d < today => account.roll_day(today, &last, now),
                _ => {}
            }
            let mut idx = 0;
            while idx < account.orders.len() {
                let (status, token, plan, expires) = {
                    let e = &account.orders[idx];
                    let o = e.current();
                    // A TTL order lives `validity_ttl` minutes from its placement.
                    let expires = (o.validity == Validity::Ttl).then(|| {
                        crate::clock::unix_of_ist(o.order_timestamp) + o.validity_ttl as i64 * 60
                    });
                    (
                        o.status.clone(),
                        o.instrument_token,
                        e.extra.plan.clone(),
                        expires,
                    )
                };
                let working = matches!(status, OrderStatus::Open | OrderStatus::TriggerPending);
                if working && expires.is_some_and(|t| now >= t) {
                    account.cancel_rest(
                        idx,
                        now,
                        Some("Order expired: its TTL has passed.".into()),
                    );
                    idx += 1;
                    continue;
                }
                let amo = status == OrderStatus::AmoReqReceived && in_session;
                if (working || amo) && !matches!(plan, Plan::IcebergParent { .. }) {
                    if let Some(q) = quote_of(token) {
                        if amo {
                            open(account, ids, depth, idx, &q, now, true);
                        } else {
                            execute(account, ids, depth, idx, &q, now);
                        }
                    }
                }
                idx += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Level, Market};

    fn quote() -> Quote {
        let mut q = Market::new(Default::default()).quotes()[5].clone();
        q.last = 100_000;
        for k in 0..5u32 {
            q.asks[k as usize] = Level {
                quantity: 10,
                price: 100_000 + 5 * (k + 1),
                orders: 1,
            };
            q.bids[k as usize] = Level {
                quantity: 10,
                price: 100_000 - 5 * k,
                orders: 1,
            };
        }
        q
    }

    fn listing(q: &Quote) -> Listing<'_> {
        Listing {
            token: q.token,
            exchange: Exchange::Nse,
            symbol: &q.symbol,
            lot_size: 1,
            is_option: false,
            underlying_last: None,
            quote: q,
        }
    }

    fn none(_: &str) -> Option<(InstrumentToken, f64)> {
        None
    }

    #[test]
    fn market_order_walks_the_book_then_keeps_filling() {
        let q = quote();
        let mut a = Accounts::default();
        let p = OrderParams::new(
            Exchange::Nse,
            &*q.symbol,
            TransactionType::Buy,
            OrderType::Market,
            65,
            Product::Mis,
        );
        let id = a
            .place("U1", &p, listing(&q), 1e9, 1_700_000_000, true, &[], &none)
            .unwrap();
        let acc = a.account("U1").unwrap();
        let o = acc.order_history(&id).unwrap().pop().unwrap();
        assert_eq!(
            (o.status.clone(), o.filled_quantity, o.pending_quantity),
            (OrderStatus::Open, 50, 15)
        );
        // VWAP of 10 each at 1000.05 .. 1000.25.
        assert!(
            (o.average_price - 1000.15).abs() < 1e-9,
            "{}",
            o.average_price
        );
        assert_eq!(acc.order_trades(&id).unwrap().len(), 5);
        let posts = a.drain().posts;
        let statuses: Vec<_> = posts
            .iter()
            .map(|(_, o)| o.status.as_str().to_string())
            .collect();
        assert_eq!(statuses, vec!["UPDATE"; 5]);
        a.on_market(&|_| Some(q.clone()), 1_700_000_001, true);
        let o = a
            .account("U1")
            .unwrap()
            .order_history(&id)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(o.status, OrderStatus::Complete);
        assert_eq!(o.filled_quantity, 65);
    }

    #[test]
    fn funds_rejection_and_injected_rejection_are_posted() {
        let q = quote();
        let mut a = Accounts::default();
        let p = OrderParams {
            price: Some(1000.0),
            ..OrderParams::new(
                Exchange::Nse,
                &*q.symbol,
                TransactionType::Buy,
                OrderType::Limit,
                100,
                Product::Cnc,
            )
        };
        let id = a
            .place("U1", &p, listing(&q), 50_000.0, 0, true, &[], &none)
            .unwrap();
        let o = a
            .account("U1")
            .unwrap()
            .order_history(&id)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(o.status, OrderStatus::Rejected);
        assert!(o.status_message.unwrap().starts_with(
            "Insufficient funds. Required margin is 100000.00 but available margin is 50000.00."
        ));
        a.faults.reject_orders = 1;
        let id = a
            .place("U1", &p, listing(&q), 1e9, 0, true, &[], &none)
            .unwrap();
        let o = a
            .account("U1")
            .unwrap()
            .order_history(&id)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(o.status, OrderStatus::Rejected);
        assert_eq!(a.drain().posts.len(), 2);
    }

    #[test]
    fn ttl_orders_expire_after_their_minutes() {
        let q = quote();
        let mut a = Accounts::default();
        let p = OrderParams {
            price: Some(990.0),
            validity: Some(Validity::Ttl),
            validity_ttl: Some(1),
            ..OrderParams::new(
                Exchange::Nse,
                &*q.symbol,
                TransactionType::Buy,
                OrderType::Limit,
                5,
                Product::Mis,
            )
        };
        let t0 = 1_700_000_000;
        let id = a
            .place("U1", &p, listing(&q), 1e9, t0, true, &[], &none)
            .unwrap();
        let state = |a: &Accounts| {
            a.account("U1")
                .unwrap()
                .order_history(&id)
                .unwrap()
                .pop()
                .unwrap()
        };
        a.on_market(&|_| Some(q.clone()), t0 + 59, true);
        assert_eq!(state(&a).status, OrderStatus::Open);
        a.on_market(&|_| Some(q.clone()), t0 + 60, true);
        let o = state(&a);
        assert_eq!(
            (o.status, o.cancelled_quantity),
            (OrderStatus::Cancelled, 5)
        );
        assert!(o.status_message.unwrap().contains("TTL"));
    }
}
