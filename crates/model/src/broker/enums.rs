//! The closed vocabularies of Kite's order API (SPEC §5.2, §5.7, §6.1, §8), each with its exact wire
//! string, because the client writes them into forms and the sandbox into JSON.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Declares a fieldless enum whose serde form, `as_str`, `Display` and `FromStr` all use one table of
/// wire strings, so the four can never disagree.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The exact string Kite uses on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::broker::error::ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok(Self::$variant),)+
                    other => Err($crate::broker::error::ModelError::unknown($kind, other)),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    TransactionType ("transaction_type") {
        Buy => "BUY",
        Sell => "SELL",
    }
}

impl TransactionType {
    /// The side that closes a position opened on this side.
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }
}

wire_enum! {
    OrderType ("order_type") {
        Market => "MARKET",
        Limit => "LIMIT",
        /// Stop-loss limit: needs both `price` and `trigger_price`.
        Sl => "SL",
        /// Stop-loss market: needs `trigger_price` only.
        SlM => "SL-M",
    }
}

impl OrderType {
    /// LIMIT and SL carry a limit price.
    pub const fn needs_price(self) -> bool {
        matches!(self, Self::Limit | Self::Sl)
    }

    /// SL and SL-M wait for a trigger.
    pub const fn needs_trigger(self) -> bool {
        matches!(self, Self::Sl | Self::SlM)
    }
}

wire_enum! {
    Product ("product") {
        /// Equity delivery.
        Cnc => "CNC",
        /// Overnight F&O / commodity.
        Nrml => "NRML",
        /// Intraday.
        Mis => "MIS",
        /// Margin trading facility.
        Mtf => "MTF",
        /// Cover order (the order book reports CO orders with this product).
        Co => "CO",
        /// Bracket order: listed in profiles, no longer accepted by the venue.
        Bo => "BO",
    }
}

wire_enum! {
    /// Defaults to `DAY`, as Kite does when the field is left out.
    #[derive(Default)]
    Validity ("validity") {
        #[default]
        Day => "DAY",
        Ioc => "IOC",
        /// Lives `validity_ttl` minutes.
        Ttl => "TTL",
    }
}

wire_enum! {
    /// The path segment of `/orders/{variety}`.
    #[derive(Default)]
    Variety ("variety") {
        #[default]
        Regular => "regular",
        /// After-market order.
        Amo => "amo",
        /// Cover order.
        Co => "co",
        Iceberg => "iceberg",
        Auction => "auction",
    }
}

wire_enum! {
    PositionType ("position_type") {
        Day => "day",
        Overnight => "overnight",
    }
}

wire_enum! {
    GttType ("gtt type") {
        /// One trigger value, one order.
        Single => "single",
        /// OCO: two trigger values (lower first) and two orders.
        TwoLeg => "two-leg",
    }
}

impl GttType {
    /// How many trigger values and orders a GTT of this type has.
    pub const fn legs(self) -> usize {
        match self {
            Self::Single => 1,
            Self::TwoLeg => 2,
        }
    }
}

wire_enum! {
    /// Segment of `/user/margins/{segment}`.
    MarginSegment ("margin segment") {
        Equity => "equity",
        Commodity => "commodity",
    }
}

/// Declares an enum that accepts any string: known values get a variant, anything else is kept in
/// `Other` and written back verbatim. Used where Kite's list is open-ended (SPEC §5.7: "clients must
/// accept any other string").
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept exactly as received. Never holds a known value
            /// when produced by parsing.
            Other(String),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name] = &[$(Self::$variant),+];

            /// The exact string Kite uses on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl FromStr for $name {
            /// Never fails: unknown values become `Other`.
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                s.parse().unwrap_or_else(|never| match never {})
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}

open_enum! {
    /// Order status over the whole lifecycle (SPEC §5.7).
    OrderStatus {
        Open => "OPEN",
        Complete => "COMPLETE",
        Cancelled => "CANCELLED",
        Rejected => "REJECTED",
        TriggerPending => "TRIGGER PENDING",
        PutOrderReqReceived => "PUT ORDER REQ RECEIVED",
        ValidationPending => "VALIDATION PENDING",
        OpenPending => "OPEN PENDING",
        ModifyValidationPending => "MODIFY VALIDATION PENDING",
        ModifyPending => "MODIFY PENDING",
        Modified => "MODIFIED",
        NotModified => "NOT MODIFIED",
        CancelPending => "CANCEL PENDING",
        AmoReqReceived => "AMO REQ RECEIVED",
        /// Postbacks use it for partial fills and modifications.
        Update => "UPDATE",
    }
}

impl OrderStatus {
    /// COMPLETE, CANCELLED or REJECTED: the order will not change again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Complete | Self::Cancelled | Self::Rejected)
    }

    /// Anything not terminal, unknown statuses included (SPEC §5.7, per Zerodha staff).
    pub fn is_pending(&self) -> bool {
        !self.is_terminal()
    }
}

open_enum! {
    /// State of a GTT trigger (SPEC §8).
    GttStatus {
        Active => "active",
        Triggered => "triggered",
        Disabled => "disabled",
        Expired => "expired",
        Cancelled => "cancelled",
        Rejected => "rejected",
        Deleted => "deleted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::error::ModelError;

    fn round_trip<T>(all: &[T])
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug + fmt::Display,
    {
        for v in all {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v);
        }
    }

    #[test]
    fn closed_enums_round_trip_through_their_wire_strings() {
        round_trip(TransactionType::ALL);
        round_trip(OrderType::ALL);
        round_trip(Product::ALL);
        round_trip(Validity::ALL);
        round_trip(Variety::ALL);
        round_trip(PositionType::ALL);
        round_trip(GttType::ALL);
        round_trip(MarginSegment::ALL);
        for v in OrderType::ALL {
            assert_eq!(v.as_str().parse::<OrderType>().unwrap(), *v);
        }
        assert_eq!(OrderType::SlM.as_str(), "SL-M");
        assert_eq!(GttType::TwoLeg.as_str(), "two-leg");
        assert_eq!(Variety::Iceberg.as_str(), "iceberg");
    }

    #[test]
    fn closed_enums_reject_unknown_strings_with_a_typed_error() {
        assert_eq!(
            "SLM".parse::<OrderType>(),
            Err(ModelError::UnknownValue {
                kind: "order_type",
                value: "SLM".into()
            })
        );
        assert!("buy".parse::<TransactionType>().is_err());
        assert!(serde_json::from_str::<Product>("\"XYZ\"").is_err());
    }

    #[test]
    fn open_enums_round_trip_and_keep_unknown_values() {
        round_trip(OrderStatus::KNOWN);
        round_trip(GttStatus::KNOWN);
        let odd: OrderStatus = serde_json::from_str("\"CANCELLED AMO\"").unwrap();
        assert_eq!(odd, OrderStatus::Other("CANCELLED AMO".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"CANCELLED AMO\"");
        assert!(odd.is_pending());
        assert_eq!(
            "paused".parse::<GttStatus>().unwrap(),
            GttStatus::Other("paused".into())
        );
    }

    #[test]
    fn terminal_and_pending_statuses() {
        let terminal: Vec<_> = OrderStatus::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [
                &OrderStatus::Complete,
                &OrderStatus::Cancelled,
                &OrderStatus::Rejected
            ]
        );
        assert!(OrderStatus::TriggerPending.is_pending());
        assert!(OrderStatus::Open.is_pending());
        assert_eq!(
            OrderStatus::PutOrderReqReceived.as_str(),
            "PUT ORDER REQ RECEIVED"
        );
    }
}
