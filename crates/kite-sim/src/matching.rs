//! Matching against the visible depth: a marketable order takes the opposite side's five levels in
//! price order, each at its own price, so size costs slippage and what the book cannot absorb is left.
//!
//! The market rebuilds its depth every step, so what orders took from a level is remembered only until
//! the next step ([`DepthUse::clear`]): two orders in the same step cannot both take the same shares.

use crate::market::{Level, Quote};
use model::InstrumentToken;
use std::collections::HashMap;

/// One fill: quantity at a price in paise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub quantity: u32,
    pub price: u32,
}

/// Side of the book an order takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A buy takes the asks.
    Asks,
    /// A sell takes the bids.
    Bids,
}

/// Quantity already taken from each level since the market last moved.
#[derive(Debug, Default)]
pub struct DepthUse {
    taken: HashMap<(InstrumentToken, Side, u32), u32>,
}

impl DepthUse {
    /// The market moved: its new depth is untouched.
    pub fn clear(&mut self) {
        self.taken.clear();
    }

    /// Walks `side` of `quote` for up to `want`, never past `limit` (paise; `None` = any price), and
    /// records what it took.
    pub fn take(&mut self, quote: &Quote, side: Side, want: u32, limit: Option<u32>) -> Vec<Fill> {
        let levels: &[Level; 5] = match side {
            Side::Asks => &quote.asks,
            Side::Bids => &quote.bids,
        };
        let mut left = want;
        let mut fills = Vec::new();
        for level in levels {
            if left == 0 {
                break;
            }
            if level.quantity == 0 || level.price == 0 {
                continue;
            }
            let within = match (side, limit) {
                (_, None) => true,
                (Side::Asks, Some(l)) => level.price <= l,
                (Side::Bids, Some(l)) => level.price >= l,
            };
            if !within {
                break;
            }
            let used = self
                .taken
                .entry((quote.token, side, level.price))
                .or_insert(0);
            let free = level.quantity.saturating_sub(*used);
            if free == 0 {
                continue;
            }
            let q = free.min(left);
            *used += q;
            left -= q;
            fills.push(Fill {
                quantity: q,
                price: level.price,
            });
        }
        fills
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn quote() -> Quote {
        let mut q = crate::market::Market::new(Default::default()).quotes()[5].clone();
        q.symbol = Arc::from("TEST");
        for k in 0..5u32 {
            q.asks[k as usize] = Level {
                quantity: 100 * (k + 1),
                price: 10_000 + 5 * (k + 1),
                orders: 1,
            };
            q.bids[k as usize] = Level {
                quantity: 50,
                price: 10_000 - 5 * k,
                orders: 1,
            };
        }
        q
    }

    #[test]
    fn walks_levels_in_price_order_at_each_levels_price() {
        let q = quote();
        let mut d = DepthUse::default();
        let fills = d.take(&q, Side::Asks, 450, None);
        assert_eq!(
            fills,
            vec![
                Fill {
                    quantity: 100,
                    price: 10_005
                },
                Fill {
                    quantity: 200,
                    price: 10_010
                },
                Fill {
                    quantity: 150,
                    price: 10_015
                },
            ]
        );
        // The rest of the third level is still there, the first two are gone until the next step.
        let next = d.take(&q, Side::Asks, 200, None);
        assert_eq!(
            next,
            vec![
                Fill {
                    quantity: 150,
                    price: 10_015
                },
                Fill {
                    quantity: 50,
                    price: 10_020
                },
            ]
        );
        d.clear();
        assert_eq!(d.take(&q, Side::Asks, 1, None)[0].price, 10_005);
    }

    #[test]
    fn stops_at_the_limit_and_at_the_end_of_the_book() {
        let q = quote();
        let mut d = DepthUse::default();
        let fills = d.take(&q, Side::Bids, 1_000, Some(9_995));
        assert_eq!(fills.iter().map(|f| f.quantity).sum::<u32>(), 100);
        assert_eq!(fills.last().unwrap().price, 9_995);
        let all = DepthUse::default().take(&q, Side::Asks, 10_000, None);
        assert_eq!(all.iter().map(|f| f.quantity).sum::<u32>(), 1_500);
        assert!(DepthUse::default()
            .take(&q, Side::Asks, 10, Some(10_000))
            .is_empty());
    }
}
