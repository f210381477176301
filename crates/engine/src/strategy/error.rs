//! Why a strategy could not be built.

use super::options::OptionError;
use quant::indicators::IndicatorError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    #[error("unknown strategy {name:?}; accepted: {}", accepted.join(", "))]
    UnknownStrategy {
        name: String,
        accepted: &'static [&'static str],
    },
    #[error("{strategy} has no parameter {key:?}; accepted: {}", accepted.join(", "))]
    UnknownParam {
        strategy: &'static str,
        key: String,
        accepted: &'static [&'static str],
    },
    #[error("parameter {given:?} is not of the form key=value")]
    MalformedParam { given: String },
    #[error("parameter {key}={value:?}: expected {expected}")]
    BadValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("{strategy}: {reason}")]
    Invalid {
        strategy: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Indicator(#[from] IndicatorError),
    /// An option structure could not be chosen from the chain, or a report came out of turn.
    #[error(transparent)]
    Option(#[from] OptionError),
}
