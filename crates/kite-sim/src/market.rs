//! The sandbox's market: a seeded random walk per stock, indices computed from their constituents.
//!
//! All state is in raw integer units of the wire (paise for every segment here), so what is encoded is
//! exactly what was decided: no float rounding between the model and the packet. Deterministic: the same
//! seed and the same sequence of `step` calls give the same prices.

use crate::instruments::{InstrumentType, Underlying, Universe};
use crate::universe::{EQUITY_TICK_PAISE, INDICES, NIFTY_50};
use model::Exchange;
use model::InstrumentToken;
use quant::options::{Contract as OptionContract, OptionKind};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::collections::HashMap;
use std::sync::Arc;

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
    pub symbol: Arc<str>,
    pub exchange: Exchange,
    /// Contracts per lot (1 for cash equities and indices).
    pub lot_size: u32,
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
    fn new(token: u32, symbol: &str, is_index: bool, close_paise: u32) -> Self {
        Self {
            token: InstrumentToken(token),
            symbol: Arc::from(symbol),
            exchange: Exchange::Nse,
            lot_size: 1,
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

/// How a derivative is priced from its underlying index.
#[derive(Debug, Clone, Copy)]
enum Contract {
    Future,
    Option(OptionKind),
}

struct Derivative {
    quote: usize,
    underlying: usize,
    contract: Contract,
    strike: f64,
    /// Unix seconds of 15:30 IST on the expiry date.
    expiry: i64,
    /// At-the-money volatility.
    atm_vol: f64,
}

/// Risk-free rate used for derivative prices.
pub const RATE: f64 = 0.065;
/// Curvature of the smile: vol = atm × (1 + SMILE × ln(K/S)²).
pub const SMILE: f64 = 12.0;

pub struct Market {
    config: MarketConfig,
    rng: StdRng,
    quotes: Vec<Quote>,
    by_token: HashMap<InstrumentToken, usize>,
    indices: Vec<IndexCalc>,
    derivatives: Vec<Derivative>,
    steps: u64,
}

/// Fair value of a derivative, in rupees, at spot `s` and time `now`.
fn fair_value(d: &Derivative, s: f64, now: i64) -> Option<f64> {
    let t = (d.expiry - now) as f64 / (365.0 * 86_400.0);
    if t <= 0.0 || s <= 0.0 {
        return None;
    }
    match d.contract {
        Contract::Future => Some(s * (RATE * t).exp()),
        Contract::Option(kind) => {
            let m = (d.strike / s).ln();
            let vol = d.atm_vol * (1.0 + SMILE * m * m);
            OptionContract::new(kind, s, d.strike, t, RATE)
                .price(vol)
                .ok()
        }
    }
}

/// Whether quote index `i` is a stock (stocks follow the indices; derivatives come after them).
pub fn is_stock(i: usize) -> bool {
    (INDICES.len()..INDICES.len() + NIFTY_50.len()).contains(&i)
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
            let mut q = Quote::new(def.token, def.symbol, true, (def.base * 100.0) as u32);
            q.exchange = def.exchange;
            quotes.push(q);
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
            .map(|(i, q)| (&*q.symbol, first_stock + i))
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
            derivatives: Vec::new(),
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

    /// The equity market plus the universe's futures and options on NIFTY, BANKNIFTY and SENSEX,
    /// priced from their index with Black-Scholes and a volatility smile at every step.
    pub fn with_universe(config: MarketConfig, universe: &Universe, now: i64) -> Self {
        let mut m = Self::new(config);
        for inst in universe.instruments() {
            let (Some(u), Some(expiry)) = (inst.underlying, inst.expiry) else {
                continue;
            };
            let contract = match inst.instrument_type {
                InstrumentType::Fut => Contract::Future,
                InstrumentType::Ce => Contract::Option(OptionKind::Call),
                InstrumentType::Pe => Contract::Option(OptionKind::Put),
                _ => continue,
            };
            let Some(&underlying) = m.by_token.get(&InstrumentToken(u.index_token())) else {
                continue;
            };
            let close_time = expiry
                .and_hms_opt(10, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .unwrap_or(0);
            let atm_vol = match u {
                Underlying::Nifty => 0.12,
                Underlying::BankNifty => 0.14,
                Underlying::Sensex => 0.12,
            };
            let d = Derivative {
                quote: m.quotes.len(),
                underlying,
                contract,
                strike: inst.strike as f64 / 100.0,
                expiry: close_time,
                atm_vol,
            };
            let idx = &m.quotes[underlying];
            let close = fair_value(&d, idx.close as f64 / 100.0, now).unwrap_or(0.05);
            let open = fair_value(&d, idx.last as f64 / 100.0, now).unwrap_or(0.05);
            let mut q = Quote::new(
                inst.token.0,
                &inst.tradingsymbol,
                false,
                round_to_tick(close * 100.0, EQUITY_TICK_PAISE),
            );
            q.exchange = inst.exchange;
            q.lot_size = inst.lot_size;
            let open = round_to_tick(open * 100.0, EQUITY_TICK_PAISE);
            q.open = open;
            q.high = open;
            q.low = open;
            q.last = open;
            q.fair = open as f64;
            let lots = m.rng.gen_range(1_000..200_000u32);
            q.oi = lots.saturating_mul(inst.lot_size).min(RAW_MAX as u32);
            q.oi_day_high = q.oi;
            q.oi_day_low = q.oi;
            q.volume = m
                .rng
                .gen_range(100..50_000u32)
                .saturating_mul(inst.lot_size);
            q.buy_quantity = m.rng.gen_range(10..5_000u32) * inst.lot_size;
            q.sell_quantity = m.rng.gen_range(10..5_000u32) * inst.lot_size;
            m.by_token.insert(q.token, m.quotes.len());
            m.quotes.push(q);
            m.derivatives.push(d);
            let i = m.quotes.len() - 1;
            m.rebuild_depth(i);
        }
        m
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
        // Orders match against this depth, so it is sized in what trades: at least 10 shares a level
        // for stocks (so small orders fill at the touch in one trade) and 1 to 200 lots for contracts.
        let lot = q.lot_size.max(1);
        let size = |raw: u32| {
            if lot > 1 {
                raw.div_ceil(10) * lot
            } else {
                raw.max(10)
            }
        };
        // Best bid at or one tick under the last price, best ask one tick above the best bid.
        let best_bid = q
            .last
            .saturating_sub(if rng.gen_bool(0.5) { 0 } else { tick })
            .max(tick);
        for k in 0..5u32 {
            q.bids[k as usize] = Level {
                quantity: size(rng.gen_range(1..2_000)),
                price: best_bid.saturating_sub(k * tick).max(tick),
                orders: rng.gen_range(1..40),
            };
            q.asks[k as usize] = Level {
                quantity: size(rng.gen_range(1..2_000)),
                price: best_bid + (k + 1) * tick,
                orders: rng.gen_range(1..40),
            };
        }
    }

    /// Moves one stock's price by `factor` at once (a news gap), for tests and chaos runs that need the
    /// market at a price rather than waiting for the walk to get there. Indices and derivatives follow
    /// on the next step. `false` when `i` is not a stock or the factor is not a positive number.
    pub fn jump(&mut self, i: usize, factor: f64) -> bool {
        if !(is_stock(i) && factor.is_finite() && factor > 0.0) {
            return false;
        }
        let q = &mut self.quotes[i];
        q.fair = (q.fair * factor).max(EQUITY_TICK_PAISE as f64);
        q.last = round_to_tick(q.fair, EQUITY_TICK_PAISE);
        q.high = q.high.max(q.last);
        q.low = q.low.min(q.last);
        self.rebuild_depth(i);
        true
    }

    /// Advances the market one step at wall time `now` (Unix seconds). Returns the quotes that changed.
    pub fn step(&mut self, now: u32) -> Vec<usize> {
        self.steps += 1;
        let normal = Normal::new(0.0, self.config.step_sigma).expect("valid sigma");
        let first_stock = INDICES.len();
        let mut changed = Vec::new();
        for i in first_stock..first_stock + NIFTY_50.len() {
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
        for k in 0..self.derivatives.len() {
            let d = &self.derivatives[k];
            let s_now = self.quotes[d.underlying].last as f64 / 100.0;
            let Some(fair) = fair_value(d, s_now, now as i64) else {
                continue;
            };
            let last = round_to_tick(fair * 100.0, EQUITY_TICK_PAISE);
            let qi = d.quote;
            let trades = self.rng.gen_bool(0.3);
            let lots: u32 = self.rng.gen_range(1..50);
            let oi_move: i64 = if self.rng.gen_bool(0.2) {
                self.rng.gen_range(-20..=25)
            } else {
                0
            };
            let q = &mut self.quotes[qi];
            if last == q.last && !trades {
                continue;
            }
            q.last = last;
            q.fair = last as f64;
            q.high = q.high.max(last);
            q.low = q.low.min(last);
            if trades {
                let qty = lots.saturating_mul(q.lot_size);
                q.last_quantity = qty;
                q.volume = sat(q.volume as u64 + qty as u64);
                q.turnover += last as f64 * qty as f64;
                q.average = sat((q.turnover / q.volume.max(1) as f64).round() as u64);
                q.last_trade_time = now;
                let oi = (q.oi as i64 + oi_move * q.lot_size as i64).max(0) as u64;
                q.oi = sat(oi);
                q.oi_day_high = q.oi_day_high.max(q.oi);
                q.oi_day_low = q.oi_day_low.min(q.oi);
            }
            q.exchange_timestamp = now;
            self.rebuild_depth(qi);
            changed.push(qi);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_moves_a_stock_and_its_book_but_refuses_indices_and_bad_factors() {
        let mut m = Market::new(MarketConfig::default());
        let i = INDICES.len() + 3;
        let before = m.quotes()[i].last;
        assert!(m.jump(i, 0.9));
        let q = &m.quotes()[i];
        let want = round_to_tick(before as f64 * 0.9, EQUITY_TICK_PAISE);
        assert!(
            q.last.abs_diff(want) <= EQUITY_TICK_PAISE,
            "{} vs {want}",
            q.last
        );
        assert!(q.asks[0].price > q.bids[0].price && q.bids[0].price <= q.last);
        assert_eq!(q.low, q.last);
        assert!(!m.jump(0, 1.1), "an index follows its stocks");
        assert!(!m.jump(i, 0.0) && !m.jump(i, f64::NAN) && !m.jump(i, -1.0));
        assert!(!m.jump(INDICES.len() + NIFTY_50.len(), 1.1));
    }

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
        let mean_ratio: f64 = m.quotes()[3..53]
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

    #[test]
    fn derivatives_follow_their_index() {
        use crate::instruments::Universe;
        use chrono::NaiveDate;
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let now = today.and_hms_opt(5, 0, 0).unwrap().and_utc().timestamp();
        let universe = Universe::build(today, 42).unwrap();
        let mut m = Market::with_universe(MarketConfig::default(), &universe, now);
        for s in 0..20 {
            m.step((now + s) as u32);
        }
        let nifty = m.quotes()[0].last as f64 / 100.0;
        let by_symbol: HashMap<&str, &Quote> = m.quotes().iter().map(|q| (&*q.symbol, q)).collect();
        let mut pairs = 0;
        for inst in universe.instruments() {
            if inst.instrument_type != InstrumentType::Ce
                || inst.underlying != Some(Underlying::Nifty)
            {
                continue;
            }
            let put_symbol = format!("{}PE", inst.tradingsymbol.trim_end_matches("CE"));
            let (Some(c), Some(p)) = (
                by_symbol.get(&*inst.tradingsymbol),
                by_symbol.get(&*put_symbol),
            ) else {
                continue;
            };
            assert_eq!(c.lot_size, inst.lot_size);
            assert!(c.oi > 0 && c.last >= EQUITY_TICK_PAISE);
            let k = inst.strike as f64 / 100.0;
            let expiry = inst
                .expiry
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp();
            let t = (expiry - now) as f64 / (365.0 * 86_400.0);
            // Put-call parity, up to rounding both prices to the tick (and the 0.05 floor).
            let parity = nifty - k * (-RATE * t).exp();
            let diff = (c.last as f64 - p.last as f64) / 100.0;
            if (k - nifty).abs() < 500.0 {
                assert!(
                    (diff - parity).abs() < 0.2,
                    "{}: C-P {diff} vs {parity}",
                    inst.tradingsymbol
                );
                pairs += 1;
            }
        }
        assert!(pairs > 10, "{pairs} near-the-money pairs checked");
        // A future trades above spot by the carry.
        let fut = m
            .quotes()
            .iter()
            .find(|q| q.symbol.starts_with("NIFTY") && q.symbol.ends_with("FUT"))
            .unwrap();
        assert!(fut.last as f64 / 100.0 > nifty);
    }
}
