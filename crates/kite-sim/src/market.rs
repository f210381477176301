//! The sandbox's market: a seeded random walk per stock, indices computed from their constituents.
//!
//! All state is in raw integer units of the wire (paise for every segment here), so what is encoded is
//! exactly what was decided: no float rounding between the model and the packet. Deterministic: the same
//! seed and the same sequence of `step` calls give the same prices.

use crate::universe::{EQUITY_TICK_PAISE, INDICES, NIFTY_50};
use model::InstrumentToken;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::collections::HashMap;

/// Wire values must stay below 2^31 so every client reads them the same (SPEC §12.3).
const RAW_MAX: u64 = i32::MAX as u64;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Level {
    pub quantity: u32,
    pub price: u32,
    pub orders: u16,
}

/// One instrument's state in wire units (prices in paise, times in Unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub token: InstrumentToken,
    pub symbol: &'static str,
    pub is_index: bool,
    pub last: u32,
    pub last_quantity: u32,
    pub average: u32,
    pub volume: u32,
    pub buy_quantity: u32,
    pub sell_quantity: u32,
    pub open: u32,
    pub high: u32,
    pub low: u32,
    pub close: u32,
    pub last_trade_time: u32,
    pub oi: u32,
    pub oi_day_high: u32,
    pub oi_day_low: u32,
    pub exchange_timestamp: u32,
    pub bids: [Level; 5],
    pub asks: [Level; 5],
    /// Unrounded price in paise that the walk moves; `last` is it rounded to the tick.
    fair: f64,
    turnover: f64,
}

impl Quote {
    fn new(token: u32, symbol: &'static str, is_index: bool, close_paise: u32) -> Self {
        Self {
            token: InstrumentToken(token),
            symbol,
            is_index,
            last: close_paise,
            last_quantity: 0,
            average: 0,
            volume: 0,
            buy_quantity: 0,
            sell_quantity: 0,
            open: close_paise,
            high: close_paise,
            low: close_paise,
            close: close_paise,
            last_trade_time: 0,
            oi: 0,
            oi_day_high: 0,
            oi_day_low: 0,
            exchange_timestamp: 0,
            bids: [Level::default(); 5],
            asks: [Level::default(); 5],
            fair: close_paise as f64,
            turnover: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MarketConfig {
    pub seed: u64,
    /// Standard deviation of one step's log return.
    pub step_sigma: f64,
    /// Chance that a stock trades in a step.
    pub trade_probability: f64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            step_sigma: 0.0002,
            trade_probability: 0.7,
        }
    }
}

struct IndexCalc {
    quote: usize,
    base: f64,
    /// (stock quote index, its starting price) of every constituent.
    members: Vec<(usize, f64)>,
}

pub struct Market {
    config: MarketConfig,
    rng: StdRng,
    quotes: Vec<Quote>,
    by_token: HashMap<InstrumentToken, usize>,
    indices: Vec<IndexCalc>,
    steps: u64,
}

fn round_to_tick(paise: f64, tick: u32) -> u32 {
    let t = tick as f64;
    ((paise / t).round() * t).clamp(t, RAW_MAX as f64) as u32
}

fn sat(v: u64) -> u32 {
    v.min(RAW_MAX) as u32
}

impl Market {
    pub fn new(config: MarketConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let gap = Normal::new(0.0, 0.006).expect("valid sigma");
        let mut quotes = Vec::with_capacity(INDICES.len() + NIFTY_50.len());
        for def in INDICES {
            quotes.push(Quote::new(
                def.token,
                def.symbol,
                true,
                (def.base * 100.0) as u32,
            ));
        }
        let first_stock = quotes.len();
        for &(token, symbol, _, price) in NIFTY_50 {
            let mut q = Quote::new(
                token,
                symbol,
                false,
                round_to_tick(price * 100.0, EQUITY_TICK_PAISE),
            );
            // The day opens a little away from yesterday's close.
            let open = round_to_tick(
                q.close as f64 * (1.0 + gap.sample(&mut rng)),
                EQUITY_TICK_PAISE,
            );
            q.open = open;
            q.high = open;
            q.low = open;
            q.last = open;
            q.fair = open as f64;
            // The sandbox opens mid-session: some of the day's volume has already traded.
            q.volume = rng.gen_range(200_000..3_000_000);
            q.turnover = q.volume as f64 * open as f64;
            q.average = open;
            q.buy_quantity = rng.gen_range(50_000..500_000);
            q.sell_quantity = rng.gen_range(50_000..500_000);
            quotes.push(q);
        }
        let by_token: HashMap<InstrumentToken, usize> = quotes
            .iter()
            .enumerate()
            .map(|(i, q)| (q.token, i))
            .collect();
        let by_symbol: HashMap<&str, usize> = quotes[first_stock..]
            .iter()
            .enumerate()
            .map(|(i, q)| (q.symbol, first_stock + i))
            .collect();
        let indices = INDICES
            .iter()
            .enumerate()
            .map(|(i, def)| {
                let members: Vec<usize> = match def.constituents {
                    Some(list) => list
                        .iter()
                        .filter_map(|s| by_symbol.get(s).copied())
                        .collect(),
                    None => (first_stock..quotes.len()).collect(),
                };
                IndexCalc {
                    quote: i,
                    base: def.base * 100.0,
                    members: members
                        .into_iter()
                        .map(|m| (m, quotes[m].close as f64))
                        .collect(),
                }
            })
            .collect();
        let mut market = Self {
            config,
            rng,
            quotes,
            by_token,
            indices,
            steps: 0,
        };
        for i in 0..market.indices.len() {
            let level = market.index_level(i);
            let q = &mut market.quotes[market.indices[i].quote];
            q.open = level;
            q.high = level;
            q.low = level;
            q.last = level;
        }
        for i in first_stock..market.quotes.len() {
            market.rebuild_depth(i);
        }
        market
    }

    pub fn quotes(&self) -> &[Quote] {
        &self.quotes
    }

    pub fn index_of(&self, token: InstrumentToken) -> Option<usize> {
        self.by_token.get(&token).copied()
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Equal-weighted level of an index: base × mean(price / starting price) over its constituents.
    fn index_level(&self, i: usize) -> u32 {
        let calc = &self.indices[i];
        if calc.members.is_empty() {
            return calc.base as u32;
        }
        let ratio: f64 = calc
            .members
            .iter()
            .map(|&(m, p0)| self.quotes[m].last as f64 / p0)
            .sum::<f64>()
            / calc.members.len() as f64;
        round_to_tick(calc.base * ratio, EQUITY_TICK_PAISE)
    }

    fn rebuild_depth(&mut self, i: usize) {
        let tick = EQUITY_TICK_PAISE;
        let rng = &mut self.rng;
        let q = &mut self.quotes[i];
        // Best bid at or one tick under the last price, best ask one tick above the best bid.
        let best_bid = q
            .last
            .saturating_sub(if rng.gen_bool(0.5) { 0 } else { tick })
            .max(tick);
        for k in 0..5u32 {
            q.bids[k as usize] = Level {
                quantity: rng.gen_range(1..2_000),
                price: best_bid.saturating_sub(k * tick).max(tick),
                orders: rng.gen_range(1..40),
            };
            q.asks[k as usize] = Level {
                quantity: rng.gen_range(1..2_000),
                price: best_bid + (k + 1) * tick,
                orders: rng.gen_range(1..40),
            };
        }
    }

    /// Advances the market one step at wall time `now` (Unix seconds). Returns the quotes that changed.
    pub fn step(&mut self, now: u32) -> Vec<usize> {
        self.steps += 1;
        let normal = Normal::new(0.0, self.config.step_sigma).expect("valid sigma");
        let first_stock = INDICES.len();
        let mut changed = Vec::new();
        for i in first_stock..self.quotes.len() {
            if !self.rng.gen_bool(self.config.trade_probability) {
                continue;
            }
            let z = normal.sample(&mut self.rng);
            let qty: u32 = self.rng.gen_range(1..2_000);
            let dbuy: i64 = self.rng.gen_range(-2_000..2_000);
            let dsell: i64 = self.rng.gen_range(-2_000..2_000);
            let q = &mut self.quotes[i];
            q.fair *= z.exp();
            q.last = round_to_tick(q.fair, EQUITY_TICK_PAISE);
            q.last_quantity = qty;
            q.volume = sat(q.volume as u64 + qty as u64);
            q.turnover += q.last as f64 * qty as f64;
            q.average = sat((q.turnover / q.volume.max(1) as f64).round() as u64);
            q.high = q.high.max(q.last);
            q.low = q.low.min(q.last);
            q.buy_quantity = sat((q.buy_quantity as i64 + dbuy).max(1_000) as u64);
            q.sell_quantity = sat((q.sell_quantity as i64 + dsell).max(1_000) as u64);
            q.last_trade_time = now;
            q.exchange_timestamp = now;
            self.rebuild_depth(i);
            changed.push(i);
        }
        for k in 0..self.indices.len() {
            let level = self.index_level(k);
            let q = &mut self.quotes[self.indices[k].quote];
            if level != q.last {
                q.last = level;
                q.high = q.high.max(level);
                q.low = q.low.min(level);
                q.exchange_timestamp = now;
                changed.push(self.indices[k].quote);
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_prices() {
        let mut a = Market::new(MarketConfig::default());
        let mut b = Market::new(MarketConfig::default());
        for s in 0..200 {
            assert_eq!(a.step(1_700_000_000 + s), b.step(1_700_000_000 + s));
        }
        assert_eq!(a.quotes(), b.quotes());
        let mut c = Market::new(MarketConfig {
            seed: 7,
            ..MarketConfig::default()
        });
        c.step(1_700_000_000);
        assert_ne!(a.quotes()[10].last, c.quotes()[10].last);
    }

    #[test]
    fn quotes_stay_consistent() {
        let mut m = Market::new(MarketConfig::default());
        let mut moved = 0;
        for s in 0..500 {
            moved += m.step(1_700_000_000 + s).len();
            for q in m.quotes() {
                assert!(q.low <= q.last && q.last <= q.high, "{}", q.symbol);
                assert!((q.last as u64) < RAW_MAX);
                if !q.is_index {
                    assert_eq!(q.last % EQUITY_TICK_PAISE, 0, "{} off tick", q.symbol);
                    assert!(q.bids[0].price < q.asks[0].price);
                    assert!(q.bids[0].price + EQUITY_TICK_PAISE >= q.last);
                    for k in 1..5 {
                        assert!(q.bids[k].price <= q.bids[k - 1].price);
                        assert!(q.asks[k].price > q.asks[k - 1].price);
                    }
                }
            }
        }
        assert!(
            moved > 500 * 30,
            "the market should be busy, {moved} changes"
        );
    }

    #[test]
    fn index_follows_constituents() {
        let mut m = Market::new(MarketConfig::default());
        for s in 0..300 {
            m.step(1_700_000_000 + s);
        }
        let nifty = &m.quotes()[0];
        let mean_ratio: f64 = m.quotes()[3..]
            .iter()
            .map(|q| q.last as f64 / q.close as f64)
            .sum::<f64>()
            / 50.0;
        let expected = 26050.0 * 100.0 * mean_ratio;
        assert!(
            (nifty.last as f64 - expected).abs() <= 5.0,
            "{} vs {expected}",
            nifty.last
        );
    }
}
