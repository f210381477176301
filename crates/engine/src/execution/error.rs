//! What can go wrong between a request to trade and the broker's last word on it.

use crate::db::DbError;
use kite::KiteError;
use model::trading::OrderRecord;

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The request cannot be sent as given (zero quantity, a bad tick, a non-finite price).
    #[error("invalid order request: {0}")]
    Invalid(String),
    /// The broker refused the order, synchronously or after accepting it; `message` is its reason.
    #[error("order {tag} rejected: {message}")]
    Rejected { tag: String, message: String },
    /// The placement's fate is unknown (the reply was lost); the order stays `Pending` in the journal
    /// and reconciliation settles it. It is never sent again.
    #[error("order {tag}: placement outcome unknown, left to reconciliation: {cause}")]
    OutcomeUnknown { tag: String, cause: String },
    /// The tag is already journalled, so this order must not be sent (it may be at the broker).
    #[error("tag {0} is already journalled; not sent again")]
    DuplicateTag(String),
    /// The margin calculator says the order needs more than the account has.
    #[error("insufficient margin: required {required:.2}, available {available:.2}")]
    InsufficientMargin { required: f64, available: f64 },
    /// The quote has no price to build a marketable limit from.
    #[error("no price to trade {0} at")]
    NoPrice(String),
    /// A leg of a basket failed; every leg already filled was unwound by an opposite order.
    #[error("basket failed: {reason} ({} unwind order(s))", unwound.len())]
    BasketFailed {
        reason: String,
        unwound: Vec<OrderRecord>,
    },
    /// An account-wide action (cancel all, flatten) left something behind.
    #[error("{what} incomplete: {}", failures.join("; "))]
    Incomplete {
        what: &'static str,
        failures: Vec<String>,
    },
    #[error(transparent)]
    Kite(#[from] KiteError),
    #[error(transparent)]
    Journal(#[from] DbError),
}

impl ExecError {
    /// Refused before the order was journalled, so no order event will ever follow for it (a
    /// caller holding a risk reservation for it must release it). Errors that may come after
    /// journalling answer `false`: their order's terminal event releases it, and keeping a
    /// reservation too long only ever blocks more, never less.
    pub fn before_journal(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_) | Self::NoPrice(_) | Self::InsufficientMargin { .. }
        )
    }
}
