//! An accepted order's way through the exchange: sent (OPEN / TRIGGER PENDING), matched against the
//! depth on every market step, stops triggered, IOC remainders cancelled, and what a completed order
//! sets off: a cover order's stop leg, an iceberg's next leg and its parent's progress.

use crate::accounts::{ist, rupees, Account, Extra, Ids, Plan};
use crate::market::Quote;
use crate::matching::{DepthUse, Side};
use model::broker::{IcebergMeta, Order, OrderStatus, OrderType, TransactionType, Validity};

pub(crate) fn iceberg_meta(m: IcebergMeta) -> serde_json::Map<String, serde_json::Value> {
    let mut meta = serde_json::Map::new();
    meta.insert(
        "iceberg".into(),
        serde_json::to_value(m).unwrap_or_default(),
    );
    meta
}

/// The exchange's id for an order: 16 digits, unique because the order id is.
fn exchange_order_id(id: &model::broker::OrderId) -> String {
    let digits = id.as_str();
    let tail = digits
        .get(digits.len().saturating_sub(9)..)
        .unwrap_or(digits);
    format!("1300000{tail}")
}

/// Sends an accepted order to the exchange: OPEN PENDING, then OPEN or TRIGGER PENDING, then a first
/// match. An iceberg parent places its first leg instead. `post` posts the resting state (AMO release).
pub(crate) fn open(
    account: &mut Account,
    ids: &mut Ids,
    depth: &mut DepthUse,
    idx: usize,
    quote: &Quote,
    now: i64,
    post: bool,
) {
    let exch_id = exchange_order_id(&account.orders[idx].current().order_id);
    let ts = ist(now);
    account.push_state(idx, false, |o| {
        o.status = OrderStatus::OpenPending;
        o.exchange_order_id = Some(exch_id.clone());
        o.exchange_timestamp = Some(ts);
    });
    let o = account.orders[idx].current().clone();
    let resting = if matches!(o.order_type, OrderType::Sl | OrderType::SlM) {
        OrderStatus::TriggerPending
    } else {
        OrderStatus::Open
    };
    account.push_state(idx, post, |o| o.status = resting);
    if matches!(account.orders[idx].extra.plan, Plan::IcebergParent { .. }) {
        next_iceberg_leg(account, ids, depth, idx, quote, now);
    } else {
        execute(account, ids, depth, idx, quote, now);
    }
}

/// Matches one working order against the quote's depth: triggers stops, fills what the visible
/// depth allows within the limit, cancels an IOC's remainder, and carries out what a completed order
/// sets off (a cover order's stop, an iceberg's next leg).
pub(crate) fn execute(
    account: &mut Account,
    ids: &mut Ids,
    depth: &mut DepthUse,
    idx: usize,
    quote: &Quote,
    now: i64,
) {
    let o = account.orders[idx].current().clone();
    let buy = o.transaction_type == TransactionType::Buy;
    if o.status == OrderStatus::TriggerPending {
        let last = rupees(quote.last);
        let hit = if buy {
            last >= o.trigger_price
        } else {
            last <= o.trigger_price
        };
        if !hit {
            return;
        }
        // Triggered: from here an SL is a LIMIT at its price, an SL-M a MARKET order.
        account.push_state(idx, true, |n| {
            n.status = OrderStatus::Open;
            n.exchange_update_timestamp = Some(ist(now));
        });
    } else if o.status != OrderStatus::Open {
        return;
    }
    let o = account.orders[idx].current().clone();
    let limit = match o.order_type {
        OrderType::Limit | OrderType::Sl => Some((o.price * 100.0).round() as u32),
        _ => None,
    };
    let mut want = o.pending_quantity;
    if let Some(cap) = account.orders[idx].extra.fill_limit {
        want = want.min(cap.saturating_sub(o.filled_quantity));
    }
    let side = if buy { Side::Asks } else { Side::Bids };
    // Derivatives trade in whole lots.
    let lot = quote.lot_size.max(1);
    let fills = if want > 0 {
        let mut f = depth.take(quote, side, want, limit);
        if lot > 1 {
            let mut left = f.iter().map(|x| x.quantity).sum::<u32>() / lot * lot;
            for x in &mut f {
                x.quantity = x.quantity.min(left);
                left -= x.quantity;
            }
            f.retain(|x| x.quantity > 0);
        }
        f
    } else {
        Vec::new()
    };
    for fill in fills {
        account.record_fill(idx, fill, now);
    }
    let after = account.orders[idx].current().clone();
    if after.status == OrderStatus::Open && after.validity == Validity::Ioc {
        account.cancel_rest(idx, now, None);
    }
    let after = account.orders[idx].current().clone();
    let plan = account.orders[idx].extra.plan.clone();
    match plan {
        Plan::CoEntry { stop_trigger } if after.status == OrderStatus::Complete => {
            place_co_stop(account, ids, idx, stop_trigger, now);
        }
        Plan::IcebergLeg { parent } => {
            if let Some(p) = account.by_id.get(&parent).copied() {
                iceberg_progress(account, ids, depth, p, quote, now);
            }
        }
        _ => {}
    }
}

pub(crate) fn place_co_stop(
    account: &mut Account,
    ids: &mut Ids,
    entry: usize,
    trigger: f64,
    now: i64,
) {
    let e = account.orders[entry].current().clone();
    let mut stop = e.clone();
    stop.order_id = ids.next();
    stop.parent_order_id = Some(e.order_id.clone());
    stop.transaction_type = match e.transaction_type {
        TransactionType::Buy => TransactionType::Sell,
        TransactionType::Sell => TransactionType::Buy,
    };
    stop.order_type = OrderType::SlM;
    stop.price = 0.0;
    stop.trigger_price = trigger;
    stop.quantity = e.filled_quantity;
    stop.pending_quantity = e.filled_quantity;
    stop.filled_quantity = 0;
    stop.cancelled_quantity = 0;
    stop.average_price = 0.0;
    stop.status = OrderStatus::TriggerPending;
    stop.order_timestamp = ist(now);
    stop.exchange_timestamp = Some(ist(now));
    stop.exchange_update_timestamp = None;
    stop.exchange_order_id = Some(exchange_order_id(&stop.order_id));
    let extra = Extra {
        plan: Plan::CoStop,
        ..Extra::default()
    };
    let idx = account.insert(stop, extra);
    let posted = account.orders[idx].current().clone();
    account.outbox.push(posted);
}

/// Brings an iceberg parent up to date with its current leg and places the next one when it is done.
pub(crate) fn iceberg_progress(
    account: &mut Account,
    ids: &mut Ids,
    depth: &mut DepthUse,
    parent: usize,
    quote: &Quote,
    now: i64,
) {
    let Plan::IcebergParent {
        legs,
        leg_quantity,
        placed,
        current,
    } = account.orders[parent].extra.plan.clone()
    else {
        return;
    };
    let legs_done: Vec<Order> = account
        .orders
        .iter()
        .filter(|e| matches!(&e.extra.plan, Plan::IcebergLeg { parent: p } if *p == account.orders[parent].history[0].order_id))
        .map(|e| e.current().clone())
        .collect();
    let filled: u32 = legs_done.iter().map(|o| o.filled_quantity).sum();
    let value: f64 = legs_done
        .iter()
        .map(|o| o.average_price * o.filled_quantity as f64)
        .sum();
    let p = account.orders[parent].current().clone();
    if p.status.is_terminal() {
        return;
    }
    let leg_state = current
        .and_then(|c| account.by_id.get(&c).copied())
        .map(|i| account.orders[i].current().status.clone());
    if filled != p.filled_quantity {
        let total = p.quantity;
        let remaining = total - filled;
        let complete = remaining == 0;
        let next = account.push_state(parent, false, |o| {
            o.filled_quantity = filled;
            o.pending_quantity = remaining;
            o.average_price = ((value / filled as f64) * 100.0).round() / 100.0;
            o.status = if complete {
                OrderStatus::Complete
            } else {
                OrderStatus::Open
            };
            o.meta = iceberg_meta(IcebergMeta {
                leg: placed,
                legs,
                leg_quantity,
                total_quantity: total,
                remaining_quantity: remaining,
            });
            o.exchange_update_timestamp = Some(ist(now));
        });
        let mut post = next;
        if !complete {
            post.status = OrderStatus::Update;
        }
        // Charges were debited by the legs, the orders that traded.
        account.outbox.push(post);
    }
    match leg_state {
        Some(OrderStatus::Complete) if filled < p.quantity => {
            next_iceberg_leg(account, ids, depth, parent, quote, now)
        }
        Some(OrderStatus::Cancelled) | Some(OrderStatus::Rejected) => {
            account.cancel_rest(parent, now, None);
        }
        _ => {}
    }
}

pub(crate) fn next_iceberg_leg(
    account: &mut Account,
    ids: &mut Ids,
    depth: &mut DepthUse,
    parent: usize,
    quote: &Quote,
    now: i64,
) {
    let Plan::IcebergParent {
        legs,
        leg_quantity,
        placed,
        ..
    } = account.orders[parent].extra.plan.clone()
    else {
        return;
    };
    let p = account.orders[parent].current().clone();
    let remaining = p.quantity - p.filled_quantity;
    if remaining == 0 || placed >= legs {
        return;
    }
    let leg_no = placed + 1;
    let qty = if leg_no == legs {
        remaining
    } else {
        leg_quantity.min(remaining)
    };
    let mut leg = p.clone();
    leg.order_id = ids.next();
    leg.parent_order_id = Some(p.order_id.clone());
    leg.quantity = qty;
    leg.pending_quantity = qty;
    leg.filled_quantity = 0;
    leg.cancelled_quantity = 0;
    leg.average_price = 0.0;
    leg.status = OrderStatus::PutOrderReqReceived;
    leg.order_timestamp = ist(now);
    leg.exchange_order_id = None;
    leg.meta = iceberg_meta(IcebergMeta {
        leg: leg_no,
        legs,
        leg_quantity,
        total_quantity: p.quantity,
        remaining_quantity: remaining,
    });
    let leg_id = leg.order_id.clone();
    let unit = account.orders[parent].extra.unit_margin;
    let idx = account.insert(
        leg,
        Extra {
            plan: Plan::IcebergLeg {
                parent: p.order_id.clone(),
            },
            unit_margin: unit,
            fill_limit: account.orders[parent].extra.fill_limit,
            ..Extra::default()
        },
    );
    account.orders[parent].extra.plan = Plan::IcebergParent {
        legs,
        leg_quantity,
        placed: leg_no,
        current: Some(leg_id),
    };
    account.journal_extra(parent);
    account.push_state(idx, false, |o| o.status = OrderStatus::ValidationPending);
    open(account, ids, depth, idx, quote, now, false);
}
