//! Trading strategies fed one closed bar at a time.
//!
//! A [`Strategy`] only ever sees bars that have closed, in order, so it cannot look ahead: what it
//! decides on bar `i`'s close is acted on later (the backtester fills it at bar `i+1`'s open).
//! Each strategy runs the streaming indicators of [`quant::indicators`], so a live engine and the
//! backtester compute the same values bar for bar.
//!
//! Strategies are built by name from `k=v` parameters through [`StrategySpec`], whose typed
//! parameter structs validate themselves and (de)serialise with serde.
//!
//! Option structures (iron condor, straddle, ...) are not bar strategies: they pick a basket of
//! legs from an option chain and manage it as one position; see [`options`].

mod crossover;
mod error;
mod mean_reversion;
pub mod options;
mod params;
mod registry;
mod rsi;
mod vwap_breakout;

pub use crossover::{
    CrossoverParams, EmaCrossParams, EmaCrossover, MaCrossover, MovingAverage, SmaCrossParams,
    SmaCrossover,
};
pub use error::StrategyError;
pub use mean_reversion::{MeanReversion, MeanReversionParams};
pub use options::{
    Basket, BasketLeg, ExitReason, OptionAction, OptionError, OptionSpec, OptionStrategy,
    OptionType, OPTION_STRATEGY_NAMES,
};
pub use params::Params;
pub use registry::{family_of, strategy_kinds, StrategySpec, STRATEGY_NAMES};
pub use rsi::{RsiParams, RsiStrategy};
pub use vwap_breakout::{VwapBreakout, VwapBreakoutParams};

use quant::Bar;
use serde::{Deserialize, Serialize};

/// What a signal asks for. With the backtester's exclusive-orders rule, `Buy` and `Sell` close
/// whatever is open and then go long / short with all the equity; `Exit` only closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
    Exit,
}

/// One decision taken on a closed bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub side: Side,
    /// Conviction in `[0, 1]`, for sizing policies that want it; the all-in backtester ignores it.
    pub strength: f64,
    /// Why, in words, for logs and the dashboard.
    pub reason: String,
}

impl Signal {
    pub fn new(side: Side, strength: f64, reason: impl Into<String>) -> Self {
        Self {
            side,
            strength: strength.clamp(0.0, 1.0),
            reason: reason.into(),
        }
    }
}

/// A strategy: state plus a rule applied to each closed bar.
pub trait Strategy: Send {
    /// The registry name (`sma_crossover`, ...).
    fn name(&self) -> &'static str;

    /// Bars of indicator warm-up: the index of the first bar on which every indicator has a value.
    /// backtesting.py measures buy & hold from this bar, so the backtester does too.
    fn warmup(&self) -> usize;

    /// Feeds the bar that just closed; a signal if the rule fires on it.
    fn on_bar(&mut self, bar: &Bar) -> Option<Signal>;

    /// Feeds a live tick between bar closes. Bar strategies ignore ticks; intrabar ones override.
    fn on_tick(&mut self, _tick: &model::Tick) -> Option<Signal> {
        None
    }

    /// Forgets every bar seen, as if newly built.
    fn reset(&mut self);
}

/// `a` crossed above `b` between the previous and this bar: backtesting.py's `crossover`
/// (`a[-2] < b[-2] and a[-1] > b[-1]`, both strict).
#[inline(always)]
pub(crate) fn crossed_above(prev_a: f64, prev_b: f64, a: f64, b: f64) -> bool {
    prev_a < prev_b && a > b
}

#[cfg(test)]
mod tests;
