//! Why a basket could not be chosen from a chain, or why the state machine refused a report.

use super::OptionType;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionError {
    #[error("the option chain has no strikes")]
    EmptyChain,
    #[error("the option chain lists one strike: no strike step to count distances in")]
    NoStrikeStep,
    #[error("no {option} at strike {strike} in the chain")]
    MissingLeg { strike: f64, option: OptionType },
    #[error("{tradingsymbol} has no usable price (ltp {ltp})")]
    NoPrice { tradingsymbol: String, ltp: f64 },
    #[error("{tradingsymbol} has a lot size of 0")]
    NoLotSize { tradingsymbol: String },
    #[error("no {option} in the chain has a delta to match {target}")]
    NoDelta { option: OptionType, target: f64 },
    #[error("{structure}: {reason}")]
    Unbuildable {
        structure: &'static str,
        reason: String,
    },
    #[error("{got} fill prices for a basket of {expected} legs")]
    FillCount { expected: usize, got: usize },
    #[error("fill price {price} for leg {leg} is not a positive number")]
    BadFill { leg: usize, price: f64 },
    #[error("{event} reported while the strategy is {phase}")]
    OutOfTurn {
        event: &'static str,
        phase: &'static str,
    },
}
