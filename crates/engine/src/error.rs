//! What can go wrong in the engine's analytics, typed so the API can answer 400 for a bad request
//! and 502 for a broker failure.

use crate::db::DbError;
use kite::KiteError;
use model::options::Underlying;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Kite(#[from] KiteError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The underlying lists no options (or none on the exchange's dump today).
    #[error("no options are listed for {0}")]
    NoOptions(Underlying),
    #[error("{underlying} has no expiry {expiry}; listed: {}", listed.join(", "))]
    UnknownExpiry {
        underlying: Underlying,
        expiry: String,
        listed: Vec<String>,
    },
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// The quote of the underlying's index came back without a price.
    #[error("no spot price for {0}")]
    NoSpot(Underlying),
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl EngineError {
    /// Whether the caller asked for something that cannot exist (HTTP 400) rather than the engine
    /// or the broker failing.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            Self::UnknownExpiry { .. }
                | Self::UnknownSymbol(_)
                | Self::Invalid(_)
                | Self::NoOptions(_)
        )
    }

    /// A stable code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Kite(_) => "broker_error",
            Self::Db(_) => "database_error",
            Self::NoOptions(_) => "no_options",
            Self::UnknownExpiry { .. } => "unknown_expiry",
            Self::UnknownSymbol(_) => "unknown_symbol",
            Self::NoSpot(_) => "no_spot",
            Self::Invalid(_) => "invalid_request",
        }
    }
}
