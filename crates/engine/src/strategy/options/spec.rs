//! Building option strategies by name from `k=v` text or a saved configuration, like
//! [`crate::strategy::StrategySpec`] for the equity ones.

use super::params::{
    BasketRules, BearPutParams, BullCallParams, IronCondorParams, StraddleParams, StrangleParams,
};
use super::{Basket, OptionStrategy, OptionStructure};
use crate::strategy::params::{split_pair, Params};
use crate::strategy::StrategyError;
use model::options::OptionChain;
use serde::{Deserialize, Serialize};

/// Every option strategy name [`OptionSpec::parse`] accepts.
pub const OPTION_STRATEGY_NAMES: &[&str] = &[
    "iron_condor",
    "straddle",
    "strangle",
    "bull_call_spread",
    "bear_put_spread",
];

/// An option structure and its validated parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "params", rename_all = "snake_case")]
pub enum OptionSpec {
    IronCondor(IronCondorParams),
    Straddle(StraddleParams),
    Strangle(StrangleParams),
    BullCallSpread(BullCallParams),
    BearPutSpread(BearPutParams),
}

impl OptionSpec {
    /// A spec from a name and `k=v` strings; parameters not given keep their defaults.
    pub fn parse<S: AsRef<str>>(name: &str, params: &[S]) -> Result<Self, StrategyError> {
        let pairs = params
            .iter()
            .map(|p| split_pair(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let pairs = pairs.iter().copied();
        Ok(match name.trim() {
            "iron_condor" => Self::IronCondor(IronCondorParams::from_pairs(pairs)?),
            "straddle" => Self::Straddle(StraddleParams::from_pairs(pairs)?),
            "strangle" => Self::Strangle(StrangleParams::from_pairs(pairs)?),
            "bull_call_spread" => Self::BullCallSpread(BullCallParams::from_pairs(pairs)?),
            "bear_put_spread" => Self::BearPutSpread(BearPutParams::from_pairs(pairs)?),
            other => {
                return Err(StrategyError::UnknownStrategy {
                    name: other.to_string(),
                    accepted: OPTION_STRATEGY_NAMES,
                })
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::IronCondor(_) => IronCondorParams::STRATEGY,
            Self::Straddle(_) => StraddleParams::STRATEGY,
            Self::Strangle(_) => StrangleParams::STRATEGY,
            Self::BullCallSpread(_) => BullCallParams::STRATEGY,
            Self::BearPutSpread(_) => BearPutParams::STRATEGY,
        }
    }

    fn structure(&self) -> &dyn Structure {
        match self {
            Self::IronCondor(p) => p,
            Self::Straddle(p) => p,
            Self::Strangle(p) => p,
            Self::BullCallSpread(p) => p,
            Self::BearPutSpread(p) => p,
        }
    }

    pub fn rules(&self) -> &BasketRules {
        self.structure().rules()
    }

    /// Checks the parameters (a deserialised spec has not been checked).
    pub fn validate(&self) -> Result<(), StrategyError> {
        self.structure().validate()
    }

    /// The basket this structure would enter on `chain` now.
    pub fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        self.structure().select_legs(chain)
    }

    /// Validates again and builds the strategy.
    pub fn build(&self) -> Result<OptionStrategy, StrategyError> {
        OptionStrategy::new(self.clone())
    }
}

/// [`OptionStructure`] without its `Params` supertrait's `Sized` bound, so the spec can dispatch
/// through one reference.
trait Structure {
    fn rules(&self) -> &BasketRules;
    fn validate(&self) -> Result<(), StrategyError>;
    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError>;
}

impl<P: OptionStructure> Structure for P {
    fn rules(&self) -> &BasketRules {
        OptionStructure::rules(self)
    }
    fn validate(&self) -> Result<(), StrategyError> {
        Params::validate(self)
    }
    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        OptionStructure::select_legs(self, chain)
    }
}
