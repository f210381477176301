//! Kite's response envelope and error vocabulary (SPEC §2), plus the model's own parse/validation error.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a value could not be parsed or an order could not be sent. Never produced by a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A wire string that is not one of the values this enum knows.
    #[error("unknown {kind} value {value:?}")]
    UnknownValue { kind: &'static str, value: String },
    /// A timestamp or date in a format Kite does not use.
    #[error("invalid {expected} timestamp {value:?}")]
    InvalidTimestamp {
        expected: &'static str,
        value: String,
    },
    /// A CSV record with the wrong number of columns.
    #[error("CSV record has {found} fields, expected {expected}")]
    CsvFieldCount { expected: usize, found: usize },
    /// A CSV cell that does not parse as its column's type.
    #[error("CSV column {column}: invalid value {value:?}")]
    CsvField { column: &'static str, value: String },
    /// JSON text inside a form field (GTT `condition`/`orders`) that does not decode.
    #[error("invalid JSON in {field}: {reason}")]
    Json { field: &'static str, reason: String },

    // --- order validation (SPEC §5.3), caught before a request is sent ---
    #[error("quantity must be positive")]
    ZeroQuantity,
    #[error("{0} orders need a positive price")]
    MissingPrice(&'static str),
    #[error("{0} orders need a positive trigger_price")]
    MissingTriggerPrice(&'static str),
    #[error("price and trigger_price must be finite and not negative")]
    InvalidPrice,
    #[error("iceberg_legs must be 2..=10, got {0:?}")]
    InvalidIcebergLegs(Option<u32>),
    #[error("iceberg orders need a positive iceberg_quantity")]
    MissingIcebergQuantity,
    #[error("tag must be 1 to 20 ASCII letters or digits, got {0:?}")]
    InvalidTag(String),
    #[error("TTL validity needs a positive validity_ttl (minutes)")]
    MissingValidityTtl,
    #[error("auction orders need an auction_number")]
    MissingAuctionNumber,
    #[error("market_protection must be -1, 0 or 1..=100, got {0}")]
    InvalidMarketProtection(f64),

    // --- GTT validation (SPEC §8) ---
    #[error("a {gtt_type} GTT needs {expected} trigger value(s) and order(s), got {triggers} and {orders}")]
    GttShape {
        gtt_type: &'static str,
        expected: usize,
        triggers: usize,
        orders: usize,
    },
    #[error("two-leg GTT trigger values must be ascending")]
    GttTriggersNotAscending,
}

impl ModelError {
    pub(crate) fn unknown(kind: &'static str, value: &str) -> Self {
        Self::UnknownValue {
            kind,
            value: value.to_owned(),
        }
    }
}

/// `error_type` of an error body (SPEC §2.3). Unknown names are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ErrorType {
    TokenException,
    PermissionException,
    UserException,
    TwoFAException,
    InputException,
    MarginException,
    HoldingException,
    OrderException,
    NetworkException,
    DataException,
    #[default]
    GeneralException,
    Other(String),
}

impl ErrorType {
    /// Every named variant, for tests and exhaustive tables.
    pub const KNOWN: [ErrorType; 11] = [
        Self::TokenException,
        Self::PermissionException,
        Self::UserException,
        Self::TwoFAException,
        Self::InputException,
        Self::MarginException,
        Self::HoldingException,
        Self::OrderException,
        Self::NetworkException,
        Self::DataException,
        Self::GeneralException,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Self::TokenException => "TokenException",
            Self::PermissionException => "PermissionException",
            Self::UserException => "UserException",
            Self::TwoFAException => "TwoFAException",
            Self::InputException => "InputException",
            Self::MarginException => "MarginException",
            Self::HoldingException => "HoldingException",
            Self::OrderException => "OrderException",
            Self::NetworkException => "NetworkException",
            Self::DataException => "DataException",
            Self::GeneralException => "GeneralException",
            Self::Other(s) => s,
        }
    }

    /// The HTTP status to send with this type by default (SPEC §2.3). Rate limits are the exception:
    /// they use `NetworkException` with 429, which the caller chooses explicitly.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TokenException
            | Self::PermissionException
            | Self::UserException
            | Self::TwoFAException => 403,
            Self::InputException
            | Self::MarginException
            | Self::HoldingException
            | Self::OrderException => 400,
            Self::NetworkException => 503,
            Self::DataException => 502,
            Self::GeneralException | Self::Other(_) => 500,
        }
    }
}

impl FromStr for ErrorType {
    type Err = std::convert::Infallible;

    /// Never fails: unknown names become [`ErrorType::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Self::Other(s.to_owned())))
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(s.parse().unwrap_or_else(|never| match never {}))
    }
}

/// The `status` key of every envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseStatus {
    #[default]
    Success,
    Error,
}

/// A successful reply, `{"status":"success","data":...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Defaults to success: one official mock (`mf_sips.json`) has no `status` key.
    #[serde(default)]
    pub status: ResponseStatus,
    pub data: T,
}

impl<T> Envelope<T> {
    pub fn success(data: T) -> Self {
        Self {
            status: ResponseStatus::Success,
            data,
        }
    }
}

/// An error reply. Always carries all four keys (SPEC §2.2: Python crashes without `error_type` or
/// `message`), so `data` serialises as `null` rather than being left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default = "error_status")]
    pub status: ResponseStatus,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub error_type: ErrorType,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

fn error_status() -> ResponseStatus {
    ResponseStatus::Error
}

impl ErrorBody {
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        Self {
            status: ResponseStatus::Error,
            message: message.into(),
            error_type,
            data: None,
        }
    }

    /// The status to send with this body by default.
    pub fn http_status(&self) -> u16 {
        self.error_type.http_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_round_trip_and_map_to_statuses() {
        for t in ErrorType::KNOWN {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<ErrorType>(&json).unwrap(), t);
        }
        assert_eq!(ErrorType::TokenException.http_status(), 403);
        assert_eq!(ErrorType::InputException.http_status(), 400);
        assert_eq!(ErrorType::NetworkException.http_status(), 503);
        assert_eq!(ErrorType::DataException.http_status(), 502);
        assert_eq!(ErrorType::GeneralException.http_status(), 500);
        let odd: ErrorType = serde_json::from_str("\"AlienException\"").unwrap();
        assert_eq!(odd, ErrorType::Other("AlienException".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"AlienException\"");
    }

    #[test]
    fn error_body_has_all_four_keys() {
        let body = ErrorBody::new(ErrorType::NetworkException, "Too many requests");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"status":"error","message":"Too many requests",
                               "error_type":"NetworkException","data":null})
        );
    }

    #[test]
    fn envelope_encodes_success() {
        let env = Envelope::success(true);
        assert_eq!(
            serde_json::to_string(&env).unwrap(),
            r#"{"status":"success","data":true}"#
        );
        let back: Envelope<bool> = serde_json::from_str(r#"{"data":true}"#).unwrap();
        assert!(back.data);
    }
}
