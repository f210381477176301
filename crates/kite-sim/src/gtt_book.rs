//! Good-till-triggered orders held by the sandbox, and their triggering against the live market.

use model::broker::{Gtt, GttStatus, GttType, OrderParams, Variety};
use model::InstrumentToken;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct GttBook {
    next: u64,
    gtts: BTreeMap<u64, Gtt>,
}

/// A trigger that fired: whose, which leg, the order to place and the price that fired it.
pub struct Fired {
    pub user_id: String,
    pub id: u64,
    pub leg: usize,
    pub order: OrderParams,
    pub price: f64,
}

impl GttBook {
    pub fn next_id(&mut self) -> u64 {
        self.next += 1;
        100_000 + self.next
    }

    pub fn insert(&mut self, g: Gtt) {
        self.gtts.insert(g.id, g);
    }

    pub fn of_user(&self, user_id: &str) -> Vec<Gtt> {
        self.gtts
            .values()
            .filter(|g| g.user_id == user_id)
            .cloned()
            .collect()
    }

    pub fn get(&self, user_id: &str, id: u64) -> Option<Gtt> {
        self.gtts.get(&id).filter(|g| g.user_id == user_id).cloned()
    }

    pub fn get_mut(&mut self, user_id: &str, id: u64) -> Option<&mut Gtt> {
        self.gtts.get_mut(&id).filter(|g| g.user_id == user_id)
    }

    /// Active triggers whose condition the last price meets. A single trigger fires when the price
    /// reaches its value from the side it was created on; a two-leg (OCO) fires its lower leg at or
    /// below the lower value and its upper leg at or above the upper value. Fired triggers are marked.
    pub fn check(&mut self, last: &dyn Fn(InstrumentToken) -> Option<f64>) -> Vec<Fired> {
        let mut out = Vec::new();
        for g in self.gtts.values_mut() {
            if g.status != GttStatus::Active {
                continue;
            }
            let Some(ltp) = last(g.condition.instrument_token) else {
                continue;
            };
            let tv = &g.condition.trigger_values;
            let leg = match g.gtt_type {
                GttType::Single => {
                    let t = tv.first().copied().unwrap_or(f64::NAN);
                    let from_below = g.condition.last_price < t;
                    ((from_below && ltp >= t) || (!from_below && ltp <= t)).then_some(0)
                }
                GttType::TwoLeg => {
                    if tv.len() < 2 {
                        None
                    } else if ltp <= tv[0] {
                        Some(0)
                    } else if ltp >= tv[1] {
                        Some(1)
                    } else {
                        None
                    }
                }
            };
            let Some(leg) = leg else { continue };
            let Some(o) = g.orders.get(leg) else { continue };
            g.status = GttStatus::Triggered;
            let mut order = OrderParams::new(
                o.exchange,
                o.tradingsymbol.clone(),
                o.transaction_type,
                o.order_type,
                o.quantity,
                o.product,
            );
            order.variety = Variety::Regular;
            order.price = (o.price > 0.0).then_some(o.price);
            out.push(Fired {
                user_id: g.user_id.clone(),
                id: g.id,
                leg,
                order,
                price: ltp,
            });
        }
        out
    }
}

impl GttBook {
    /// Drops every GTT of a user (account reset).
    pub fn remove_user(&mut self, user_id: &str) {
        self.gtts.retain(|_, g| g.user_id != user_id);
    }

    /// Loads stored GTTs; new ids continue after the highest.
    pub fn restore(&mut self, gtts: Vec<Gtt>) {
        for g in gtts {
            self.next = self.next.max(g.id.saturating_sub(100_000));
            self.gtts.insert(g.id, g);
        }
    }
}
