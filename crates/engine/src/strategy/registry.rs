//! Building strategies by name: the CLI's `--strategy NAME --param k=v`, a saved configuration
//! (serde, tagged by `strategy`), or code.

use super::params::{split_pair, Params};
use super::{
    EmaCrossParams, EmaCrossover, MeanReversion, MeanReversionParams, RsiParams, RsiStrategy,
    SmaCrossParams, SmaCrossover, Strategy, StrategyError, VwapBreakout, VwapBreakoutParams,
};
use serde::{Deserialize, Serialize};

/// Every strategy name [`StrategySpec::parse`] accepts.
pub const STRATEGY_NAMES: &[&str] = &[
    "sma_crossover",
    "ema_crossover",
    "rsi",
    "mean_reversion",
    "vwap_breakout",
];

/// A strategy and its validated parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "params", rename_all = "snake_case")]
pub enum StrategySpec {
    SmaCrossover(SmaCrossParams),
    EmaCrossover(EmaCrossParams),
    Rsi(RsiParams),
    MeanReversion(MeanReversionParams),
    VwapBreakout(VwapBreakoutParams),
}

impl StrategySpec {
    /// A spec from a name and `k=v` strings; parameters not given keep their defaults.
    pub fn parse<S: AsRef<str>>(name: &str, params: &[S]) -> Result<Self, StrategyError> {
        let pairs = params
            .iter()
            .map(|p| split_pair(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let pairs = pairs.iter().copied();
        Ok(match name.trim() {
            "sma_crossover" => Self::SmaCrossover(SmaCrossParams::from_pairs(pairs)?),
            "ema_crossover" => Self::EmaCrossover(EmaCrossParams::from_pairs(pairs)?),
            "rsi" => Self::Rsi(RsiParams::from_pairs(pairs)?),
            "mean_reversion" => Self::MeanReversion(MeanReversionParams::from_pairs(pairs)?),
            "vwap_breakout" => Self::VwapBreakout(VwapBreakoutParams::from_pairs(pairs)?),
            other => {
                return Err(StrategyError::UnknownStrategy {
                    name: other.to_string(),
                    accepted: STRATEGY_NAMES,
                })
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::SmaCrossover(_) => SmaCrossParams::STRATEGY,
            Self::EmaCrossover(_) => EmaCrossParams::STRATEGY,
            Self::Rsi(_) => RsiParams::STRATEGY,
            Self::MeanReversion(_) => MeanReversionParams::STRATEGY,
            Self::VwapBreakout(_) => VwapBreakoutParams::STRATEGY,
        }
    }

    /// Validates again (a deserialised spec has not been checked) and builds the strategy.
    pub fn build(&self) -> Result<Box<dyn Strategy>, StrategyError> {
        Ok(match self {
            Self::SmaCrossover(p) => {
                p.validate()?;
                Box::new(SmaCrossover::new(p.0)?)
            }
            Self::EmaCrossover(p) => {
                p.validate()?;
                Box::new(EmaCrossover::new(p.0)?)
            }
            Self::Rsi(p) => Box::new(RsiStrategy::new(*p)?),
            Self::MeanReversion(p) => Box::new(MeanReversion::new(*p)?),
            Self::VwapBreakout(p) => Box::new(VwapBreakout::new(*p)?),
        })
    }
}
