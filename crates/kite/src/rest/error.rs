//! Errors of the REST client. Every Kite `error_type` is its own variant carrying the broker's message,
//! so callers match on what went wrong, not on strings.

use model::broker::ErrorType;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum KiteError {
    /// Kite refused the session (expired daily around 06:00 IST, logged out, or wrong key).
    #[error("session expired, log in again ({message})")]
    Token { status: u16, message: String },
    #[error("not permitted: {message}")]
    Permission { status: u16, message: String },
    #[error("account problem: {message}")]
    User { status: u16, message: String },
    #[error("invalid input: {message}")]
    Input { status: u16, message: String },
    #[error("insufficient margin: {message}")]
    Margin { status: u16, message: String },
    #[error("holding problem: {message}")]
    Holding { status: u16, message: String },
    #[error("order problem: {message}")]
    Order { status: u16, message: String },
    /// Kite's OMS unreachable (5xx) or a rate-limit rejection (429).
    #[error("Kite network error (HTTP {status}): {message}")]
    Network { status: u16, message: String },
    #[error("Kite data error: {message}")]
    Data { status: u16, message: String },
    #[error("Kite error (HTTP {status}): {message}")]
    General { status: u16, message: String },
    /// No answer, or the connection broke: whether the server acted is unknown.
    #[error("could not reach Kite: {0}")]
    Transport(String),
    #[error("Kite did not answer in time")]
    Timeout,
    /// The reply was not what the protocol promises.
    #[error("unexpected reply from Kite: {0}")]
    Decode(String),
    /// Rejected before sending (bad parameters, too many instruments, ...).
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("no Kite session: log in first")]
    NotLoggedIn,
    /// An order placement failed in a way that leaves its fate unknown, and looking it up by its tag
    /// did not settle it. The caller must not place it again without checking the order book.
    #[error("order placement outcome unknown (tag {tag}): {cause}")]
    OrderOutcomeUnknown { tag: String, cause: String },
}

impl KiteError {
    /// Builds the typed error for an `error_type` from Kite's JSON body.
    pub fn from_api(kind: &ErrorType, status: u16, message: String) -> Self {
        match kind {
            ErrorType::TokenException => Self::Token { status, message },
            ErrorType::PermissionException => Self::Permission { status, message },
            ErrorType::UserException | ErrorType::TwoFAException => Self::User { status, message },
            ErrorType::InputException => Self::Input { status, message },
            ErrorType::MarginException => Self::Margin { status, message },
            ErrorType::HoldingException => Self::Holding { status, message },
            ErrorType::OrderException => Self::Order { status, message },
            ErrorType::NetworkException => Self::Network { status, message },
            ErrorType::DataException => Self::Data { status, message },
            ErrorType::GeneralException | ErrorType::Other(_) => Self::General { status, message },
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Token { status, .. }
            | Self::Permission { status, .. }
            | Self::User { status, .. }
            | Self::Input { status, .. }
            | Self::Margin { status, .. }
            | Self::Holding { status, .. }
            | Self::Order { status, .. }
            | Self::Network { status, .. }
            | Self::Data { status, .. }
            | Self::General { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth trying again for a request that is safe to repeat (reads): transport failures, time-outs,
    /// rate limits and server-side errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout => true,
            other => other.status().is_some_and(|s| s == 429 || s >= 500),
        }
    }

    /// For a write: the server may or may not have acted. (A 4xx is a definite "no".)
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout | Self::Decode(_) => true,
            other => other.status().is_some_and(|s| s >= 500),
        }
    }

    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::Token { .. })
    }
}

pub type Result<T, E = KiteError> = std::result::Result<T, E>;
