//! Orders and trades (SPEC §5): the order book entry, the trade, what a placement sends and returns.

use super::enums::{OrderStatus, OrderType, Product, TransactionType, Validity, Variety};
use super::error::{ErrorType, ModelError};
use super::json::{null_as_default, Meta};
use super::time::{opt_datetime, parse_datetime};
use crate::{Exchange, InstrumentToken};
use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Kite order id: a digit string of 15 to 19 digits, above 2^53, so it is kept as text and never passes
/// through a float.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub String);

impl OrderId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for OrderId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for OrderId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// One order as `GET /orders`, `GET /orders/{id}` (one row per state change) and postbacks report it
/// (SPEC §5.5). Keys that older orders leave out decode to their defaults; encoding always writes every
/// key the official mocks have, plus the optional ones that are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: OrderId,
    /// `None` until the exchange has the order.
    #[serde(default)]
    pub exchange_order_id: Option<String>,
    /// Set on the stop leg of a cover order.
    #[serde(default)]
    pub parent_order_id: Option<OrderId>,
    #[serde(default)]
    pub placed_by: String,
    /// Only on newer orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Only on newer orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    pub status: OrderStatus,
    /// Readable reason, e.g. the funds message of a rejection.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The OMS's raw text behind `status_message`.
    #[serde(default)]
    pub status_message_raw: Option<String>,
    #[serde(with = "super::time::datetime")]
    pub order_timestamp: NaiveDateTime,
    #[serde(default, with = "opt_datetime")]
    pub exchange_update_timestamp: Option<NaiveDateTime>,
    #[serde(default, with = "opt_datetime")]
    pub exchange_timestamp: Option<NaiveDateTime>,
    pub variety: Variety,
    #[serde(default)]
    pub modified: bool,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub instrument_token: InstrumentToken,
    pub order_type: OrderType,
    pub transaction_type: TransactionType,
    #[serde(default)]
    pub validity: Validity,
    /// Minutes, for TTL validity; 0 otherwise (absent on old orders).
    #[serde(default)]
    pub validity_ttl: u32,
    pub product: Product,
    pub quantity: u32,
    #[serde(default)]
    pub disclosed_quantity: u32,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub trigger_price: f64,
    /// Fill-weighted; 0 until something fills.
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub filled_quantity: u32,
    /// Kite's numbers do not always add up to `quantity` (SPEC §5.5); do not assume they do.
    #[serde(default)]
    pub pending_quantity: u32,
    #[serde(default)]
    pub cancelled_quantity: u32,
    /// 0 none, 1..=100 percent, -1 automatic.
    #[serde(default)]
    pub market_protection: f64,
    /// Auction orders only; a string on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auction_number: Option<String>,
    /// `{}` normally; `{"iceberg": {...}}` for iceberg legs (see [`Order::iceberg`]).
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: Meta,
    #[serde(default)]
    pub tag: Option<String>,
    /// The user's tag plus system tags (`mktp`, `autoslice:<parent>`). Left out when empty, as Kite does.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(default)]
    pub guid: Option<String>,
}

/// `meta.iceberg` of an iceberg leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IcebergMeta {
    pub leg: u32,
    pub legs: u32,
    pub leg_quantity: u32,
    pub total_quantity: u32,
    pub remaining_quantity: u32,
}

impl Order {
    /// The iceberg progress of this leg, if it is one.
    pub fn iceberg(&self) -> Option<IcebergMeta> {
        self.meta
            .get("iceberg")
            .and_then(|v| IcebergMeta::deserialize(v).ok())
    }

    /// The parent id of an autoslice child, from its `autoslice:<parent id>` tag.
    pub fn autoslice_parent(&self) -> Option<OrderId> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix("autoslice:"))
            .map(OrderId::from)
    }
}

/// An order update as posted to the app's postback URL or sent on the ticker socket: an [`Order`] plus
/// a few envelope keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPostback {
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub app_id: u64,
    /// SHA-256 hex of `order_id ‖ order_timestamp ‖ api_secret`.
    #[serde(default)]
    pub checksum: String,
    #[serde(default)]
    pub unfilled_quantity: u32,
    #[serde(flatten)]
    pub order: Order,
}

/// One fill (SPEC §5.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// A digit string.
    pub trade_id: String,
    pub order_id: OrderId,
    #[serde(default)]
    pub exchange_order_id: Option<String>,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub instrument_token: InstrumentToken,
    pub product: Product,
    pub transaction_type: TransactionType,
    /// The fill price.
    pub average_price: f64,
    pub quantity: u32,
    #[serde(default, with = "opt_datetime")]
    pub fill_timestamp: Option<NaiveDateTime>,
    /// Time only (`HH:MM:SS`) in the official mocks, a full timestamp elsewhere: kept verbatim, read it
    /// with [`Trade::order_time`].
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_timestamp: String,
    #[serde(default, with = "opt_datetime")]
    pub exchange_timestamp: Option<NaiveDateTime>,
}

impl Trade {
    /// The time of day of `order_timestamp`, whichever of its two forms it has.
    pub fn order_time(&self) -> Option<NaiveTime> {
        let s = self.order_timestamp.as_str();
        NaiveTime::parse_from_str(s, "%H:%M:%S")
            .ok()
            .or_else(|| parse_datetime(s).ok().map(|t| t.time()))
    }
}

/// A new order (SPEC §5.3). `variety` goes into the path, everything else into the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderParams {
    #[serde(default)]
    pub variety: Variety,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    pub order_type: OrderType,
    pub quantity: u32,
    pub product: Product,
    /// LIMIT and SL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// SL, SL-M, and the stop of a CO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<f64>,
    /// Kite defaults to DAY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    /// Minutes, with TTL validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosed_quantity: Option<u32>,
    /// Iceberg variety: 2..=10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iceberg_legs: Option<u32>,
    /// Iceberg variety: quantity of each leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iceberg_quantity: Option<u32>,
    /// Auction variety, from `/portfolio/holdings/auctions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auction_number: Option<String>,
    /// 0 none, 1..=100 percent, -1 automatic. Live Kite requires it for MARKET and SL-M.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_protection: Option<f64>,
    /// Split a quantity above the freeze limit (§5.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoslice: Option<bool>,
    /// Up to 20 ASCII letters or digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algo_id: Option<String>,
}

impl OrderParams {
    /// A DAY order with no optional fields set.
    pub fn new(
        exchange: Exchange,
        tradingsymbol: impl Into<String>,
        transaction_type: TransactionType,
        order_type: OrderType,
        quantity: u32,
        product: Product,
    ) -> Self {
        Self {
            variety: Variety::Regular,
            exchange,
            tradingsymbol: tradingsymbol.into(),
            transaction_type,
            order_type,
            quantity,
            product,
            price: None,
            trigger_price: None,
            validity: None,
            validity_ttl: None,
            disclosed_quantity: None,
            iceberg_legs: None,
            iceberg_quantity: None,
            auction_number: None,
            market_protection: None,
            autoslice: None,
            tag: None,
            algo_id: None,
        }
    }

    /// Checks what Kite would reject synchronously as an `InputException`, so the mistake is caught
    /// before a request is spent.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.quantity == 0 {
            return Err(ModelError::ZeroQuantity);
        }
        check_prices(self.price, self.trigger_price)?;
        if self.order_type.needs_price() && !positive(self.price) {
            return Err(ModelError::MissingPrice(self.order_type.as_str()));
        }
        if self.order_type.needs_trigger() && !positive(self.trigger_price) {
            return Err(ModelError::MissingTriggerPrice(self.order_type.as_str()));
        }
        if self.variety == Variety::Co && !positive(self.trigger_price) {
            return Err(ModelError::MissingTriggerPrice("CO"));
        }
        if self.variety == Variety::Iceberg || self.iceberg_legs.is_some() {
            match self.iceberg_legs {
                Some(2..=10) => {}
                other => return Err(ModelError::InvalidIcebergLegs(other)),
            }
            if !matches!(self.iceberg_quantity, Some(q) if q > 0) {
                return Err(ModelError::MissingIcebergQuantity);
            }
        }
        if self.variety == Variety::Auction
            && self.auction_number.as_deref().is_none_or(str::is_empty)
        {
            return Err(ModelError::MissingAuctionNumber);
        }
        if self.validity == Some(Validity::Ttl) && !matches!(self.validity_ttl, Some(m) if m > 0) {
            return Err(ModelError::MissingValidityTtl);
        }
        check_market_protection(self.market_protection)?;
        if let Some(tag) = &self.tag {
            let ok =
                (1..=20).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                return Err(ModelError::InvalidTag(tag.clone()));
            }
        }
        Ok(())
    }

    /// The form body of `POST /orders/{variety}`, in Kite's field names. Absent optionals are left out;
    /// numbers are plain decimal text (never exponent notation), quantities whole.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("exchange", self.exchange.as_str().to_owned()),
            ("tradingsymbol", self.tradingsymbol.clone()),
            (
                "transaction_type",
                self.transaction_type.as_str().to_owned(),
            ),
            ("order_type", self.order_type.as_str().to_owned()),
            ("quantity", self.quantity.to_string()),
            ("product", self.product.as_str().to_owned()),
        ];
        push(&mut f, "price", self.price);
        push(&mut f, "trigger_price", self.trigger_price);
        push(&mut f, "validity", self.validity.map(|v| v.as_str()));
        push(&mut f, "validity_ttl", self.validity_ttl);
        push(&mut f, "disclosed_quantity", self.disclosed_quantity);
        push(&mut f, "iceberg_legs", self.iceberg_legs);
        push(&mut f, "iceberg_quantity", self.iceberg_quantity);
        push(&mut f, "auction_number", self.auction_number.as_deref());
        push(&mut f, "market_protection", self.market_protection);
        push(&mut f, "autoslice", self.autoslice);
        push(&mut f, "tag", self.tag.as_deref());
        push(&mut f, "algo_id", self.algo_id.as_deref());
        f
    }
}

/// Changes to an open order (SPEC §5.4); only the fields set are sent. The variety and order id go
/// into the path of `PUT /orders/{variety}/{order_id}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModifyParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<OrderType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosed_quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_protection: Option<f64>,
    /// The entry order's id, when modifying the stop leg of a cover order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_order_id: Option<OrderId>,
}

impl ModifyParams {
    /// Rejects values Kite would refuse whatever the order: zero quantity, negative or non-finite
    /// prices, bad market protection. Whether the new order type fits the prices is checked by Kite
    /// against the order's current state.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.quantity == Some(0) {
            return Err(ModelError::ZeroQuantity);
        }
        check_prices(self.price, self.trigger_price)?;
        if self.validity == Some(Validity::Ttl) && !matches!(self.validity_ttl, Some(m) if m > 0) {
            return Err(ModelError::MissingValidityTtl);
        }
        check_market_protection(self.market_protection)
    }

    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        push(&mut f, "quantity", self.quantity);
        push(&mut f, "price", self.price);
        push(&mut f, "order_type", self.order_type.map(|v| v.as_str()));
        push(&mut f, "trigger_price", self.trigger_price);
        push(&mut f, "validity", self.validity.map(|v| v.as_str()));
        push(&mut f, "validity_ttl", self.validity_ttl);
        push(&mut f, "disclosed_quantity", self.disclosed_quantity);
        push(&mut f, "market_protection", self.market_protection);
        push(
            &mut f,
            "parent_order_id",
            self.parent_order_id.as_ref().map(OrderId::as_str),
        );
        f
    }
}

fn positive(p: Option<f64>) -> bool {
    matches!(p, Some(p) if p > 0.0)
}

fn check_prices(price: Option<f64>, trigger: Option<f64>) -> Result<(), ModelError> {
    let bad = |p: Option<f64>| matches!(p, Some(p) if !p.is_finite() || p < 0.0);
    if bad(price) || bad(trigger) {
        return Err(ModelError::InvalidPrice);
    }
    Ok(())
}

fn check_market_protection(mp: Option<f64>) -> Result<(), ModelError> {
    match mp {
        Some(m) if !(m == -1.0 || (0.0..=100.0).contains(&m)) => {
            Err(ModelError::InvalidMarketProtection(m))
        }
        _ => Ok(()),
    }
}

/// Appends `key=value` when the value is present. `f64` uses Rust's shortest round-trip `Display`,
/// which never switches to exponent notation (`1e6` prints as `1000000`).
pub(crate) fn push<T: fmt::Display>(
    form: &mut Vec<(&'static str, String)>,
    key: &'static str,
    value: Option<T>,
) {
    if let Some(v) = value {
        form.push((key, v.to_string()));
    }
}

/// `data` of place, modify and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResponse {
    pub order_id: OrderId,
}

/// `data` of a placement with `autoslice=true` (SPEC §5.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutosliceResponse {
    /// The parent id the children are tagged with.
    pub order_id: OrderId,
    #[serde(default, deserialize_with = "null_as_default")]
    pub children: Vec<AutosliceChild>,
}

/// One slice: placed, or refused with its own error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AutosliceChild {
    Placed { order_id: OrderId },
    Failed { error: AutosliceError },
}

/// The error of a refused slice, shaped like an error body with the HTTP code inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutosliceError {
    pub code: u16,
    pub error_type: ErrorType,
    pub message: String,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_buy() -> OrderParams {
        let mut p = OrderParams::new(
            Exchange::Nse,
            "INFY",
            TransactionType::Buy,
            OrderType::Limit,
            10,
            Product::Cnc,
        );
        p.price = Some(1398.95);
        p
    }

    #[test]
    fn validate_accepts_well_formed_orders() {
        assert_eq!(limit_buy().validate(), Ok(()));
        let mut p = limit_buy();
        p.order_type = OrderType::SlM;
        p.price = None;
        p.trigger_price = Some(1390.0);
        p.market_protection = Some(-1.0);
        p.tag = Some("abc123XYZ".into());
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn validate_reports_each_mistake() {
        let mut p = limit_buy();
        p.quantity = 0;
        assert_eq!(p.validate(), Err(ModelError::ZeroQuantity));

        let mut p = limit_buy();
        p.price = None;
        assert_eq!(p.validate(), Err(ModelError::MissingPrice("LIMIT")));

        let mut p = limit_buy();
        p.order_type = OrderType::Sl;
        assert_eq!(p.validate(), Err(ModelError::MissingTriggerPrice("SL")));
        p.trigger_price = Some(0.0);
        assert_eq!(p.validate(), Err(ModelError::MissingTriggerPrice("SL")));

        let mut p = limit_buy();
        p.order_type = OrderType::SlM;
        p.price = None;
        assert_eq!(p.validate(), Err(ModelError::MissingTriggerPrice("SL-M")));

        let mut p = limit_buy();
        p.variety = Variety::Iceberg;
        p.iceberg_quantity = Some(5);
        assert_eq!(p.validate(), Err(ModelError::InvalidIcebergLegs(None)));
        p.iceberg_legs = Some(1);
        assert_eq!(p.validate(), Err(ModelError::InvalidIcebergLegs(Some(1))));
        p.iceberg_legs = Some(11);
        assert_eq!(p.validate(), Err(ModelError::InvalidIcebergLegs(Some(11))));
        p.iceberg_legs = Some(2);
        assert_eq!(p.validate(), Ok(()));
        p.iceberg_legs = Some(10);
        assert_eq!(p.validate(), Ok(()));

        let mut p = limit_buy();
        p.tag = Some("a".repeat(21));
        assert!(matches!(p.validate(), Err(ModelError::InvalidTag(_))));
        p.tag = Some("has space".into());
        assert!(matches!(p.validate(), Err(ModelError::InvalidTag(_))));
        p.tag = Some(String::new());
        assert!(matches!(p.validate(), Err(ModelError::InvalidTag(_))));
        p.tag = Some("a".repeat(20));
        assert_eq!(p.validate(), Ok(()));

        let mut p = limit_buy();
        p.validity = Some(Validity::Ttl);
        assert_eq!(p.validate(), Err(ModelError::MissingValidityTtl));
        p.validity_ttl = Some(2);
        assert_eq!(p.validate(), Ok(()));

        let mut p = limit_buy();
        p.price = Some(f64::NAN);
        assert_eq!(p.validate(), Err(ModelError::InvalidPrice));

        let mut p = limit_buy();
        p.variety = Variety::Auction;
        assert_eq!(p.validate(), Err(ModelError::MissingAuctionNumber));

        let mut p = limit_buy();
        p.market_protection = Some(101.0);
        assert_eq!(
            p.validate(),
            Err(ModelError::InvalidMarketProtection(101.0))
        );
    }

    #[test]
    fn to_form_uses_kite_names_and_plain_numbers() {
        let mut p = limit_buy();
        p.price = Some(1_000_000.0);
        p.validity = Some(Validity::Ttl);
        p.validity_ttl = Some(5);
        p.tag = Some("t1".into());
        p.autoslice = Some(true);
        p.market_protection = Some(-1.0);
        assert_eq!(
            p.to_form(),
            vec![
                ("exchange", "NSE".to_string()),
                ("tradingsymbol", "INFY".into()),
                ("transaction_type", "BUY".into()),
                ("order_type", "LIMIT".into()),
                ("quantity", "10".into()),
                ("product", "CNC".into()),
                ("price", "1000000".into()),
                ("validity", "TTL".into()),
                ("validity_ttl", "5".into()),
                ("market_protection", "-1".into()),
                ("autoslice", "true".into()),
                ("tag", "t1".into()),
            ]
        );
        let mut p = limit_buy();
        p.price = Some(0.00001);
        assert_eq!(p.to_form()[6], ("price", "0.00001".into()));
        assert_eq!(limit_buy().to_form()[6], ("price", "1398.95".into()));
    }

    #[test]
    fn modify_form_sends_only_changes() {
        let m = ModifyParams {
            price: Some(300.1),
            quantity: Some(2),
            parent_order_id: Some("171229000724687".into()),
            ..Default::default()
        };
        assert_eq!(m.validate(), Ok(()));
        assert_eq!(
            m.to_form(),
            vec![
                ("quantity", "2".to_string()),
                ("price", "300.1".into()),
                ("parent_order_id", "171229000724687".into()),
            ]
        );
        let zero = ModifyParams {
            quantity: Some(0),
            ..Default::default()
        };
        assert_eq!(zero.validate(), Err(ModelError::ZeroQuantity));
    }
}
