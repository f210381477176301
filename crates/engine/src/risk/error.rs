//! Why the risk manager refused an input (limits, a fill or a price), as opposed to a verdict on an
//! intent, which is a [`model::trading::RiskVerdict`].

/// Input the risk manager cannot use. Nothing is changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RiskError {
    #[error("risk limit {field} = {value}: expected {expected}")]
    InvalidLimit {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{what} for {instrument}: {value} is not a finite price above zero")]
    BadPrice {
        what: &'static str,
        instrument: String,
        value: f64,
    },
    #[error("fill for {instrument}: quantity must be above zero")]
    ZeroQuantity { instrument: String },
    #[error("fill for {instrument}: charges {value} must be finite and not negative")]
    BadCharges { instrument: String, value: f64 },
    #[error("instrument name is empty")]
    EmptyInstrument,
}
