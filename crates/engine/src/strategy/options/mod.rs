//! Option structures (iron condor, straddle, strangle, bull call and bear put spreads): legs chosen
//! from an [`OptionChain`], entered and exited as one basket.
//!
//! This is pure logic. [`select_legs`] turns parameters and a chain into a [`Basket`];
//! [`OptionStrategy`] decides on each fresh chain whether to enter or exit, and the engine, which
//! places the orders, reports back what happened (`on_entered`, `on_exited`, ...).
//!
//! Prices and P&L here are per unit of the underlying (what a chain quotes); multiply by
//! `lots × lot_size` for rupees. A premium is positive for a credit (sold more than bought).

mod error;
mod machine;
mod params;
mod select;
mod spec;

pub use error::OptionError;
pub use machine::{ExitReason, OptionAction, OptionStrategy, Phase, Position, SavedPhase};
pub use params::{
    BasketRules, BearPutParams, BullCallParams, ClockTime, IronCondorParams, Select, SpreadParams,
    StraddleParams, StrangleParams,
};
pub use select::{select_legs, OptionStructure};
pub use spec::{OptionSpec, OPTION_STRATEGY_NAMES};

use model::broker::TransactionType;
use model::options::{OptionChain, Underlying};
use model::{Exchange, InstrumentToken};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Call or put, as Kite names them in tradingsymbols and instrument types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OptionType {
    Ce,
    Pe,
}

impl OptionType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ce => "CE",
            Self::Pe => "PE",
        }
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One option of a basket and the side the entry takes on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasketLeg {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub instrument_token: InstrumentToken,
    pub strike: f64,
    pub option_type: OptionType,
    /// The entry's side; the exit takes the opposite one.
    pub side: TransactionType,
    pub lots: u32,
    pub lot_size: u32,
    /// The chain's last price when the leg was chosen.
    pub ltp: f64,
}

impl BasketLeg {
    /// Units to trade (`lots × lot_size`), as Kite's `quantity`.
    pub fn quantity(&self) -> u64 {
        u64::from(self.lots) * u64::from(self.lot_size)
    }

    /// +1 for a sold leg (premium received), −1 for a bought one.
    pub fn premium_sign(&self) -> f64 {
        match self.side {
            TransactionType::Sell => 1.0,
            TransactionType::Buy => -1.0,
        }
    }
}

/// A structure's legs, entered together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Basket {
    /// Registry name of the structure (`iron_condor`, ...).
    pub structure: String,
    pub underlying: Underlying,
    /// `YYYY-MM-DD`.
    pub expiry: String,
    /// Bought legs first: placed in this order, the hedges are on before the sold legs, which is
    /// what earns the exchange's spread margin benefit.
    pub legs: Vec<BasketLeg>,
    /// Premium per unit at the chain's LTPs: > 0 a credit, < 0 a debit.
    pub net_premium: f64,
    /// Best outcome at expiry per unit; `None` when unbounded (a long straddle or strangle).
    pub max_profit: Option<f64>,
    /// Worst outcome at expiry per unit, as a positive number; `None` when unbounded (a short
    /// straddle or strangle).
    pub max_loss: Option<f64>,
}

impl Basket {
    /// Net premium per unit were the legs traded at `prices` (in leg order).
    pub fn premium_at(&self, prices: &[f64]) -> f64 {
        self.legs
            .iter()
            .zip(prices)
            .map(|(l, p)| l.premium_sign() * p)
            .sum()
    }

    /// The legs that close this basket: the same options on the opposite sides, sold legs first
    /// (buying back the shorts before giving up their hedges).
    pub fn closing_legs(&self) -> Vec<BasketLeg> {
        let mut legs: Vec<BasketLeg> = self
            .legs
            .iter()
            .map(|l| BasketLeg {
                side: l.side.opposite(),
                ..l.clone()
            })
            .collect();
        legs.sort_by_key(|l| l.side == TransactionType::Sell);
        legs
    }

    /// Each leg's current LTP in the chain (by instrument token), `None` for a leg missing or
    /// without a positive price.
    pub fn ltps(&self, chain: &OptionChain) -> Vec<Option<f64>> {
        self.legs
            .iter()
            .map(|leg| {
                chain
                    .rows
                    .iter()
                    .flat_map(|r| [r.call.as_ref(), r.put.as_ref()])
                    .flatten()
                    .find(|l| l.token == leg.instrument_token)
                    .map(|l| l.ltp)
                    .filter(|p| p.is_finite() && *p > 0.0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
