//! Good-till-triggered orders (SPEC §8).

use super::enums::{GttStatus, GttType, OrderType, Product, TransactionType, Validity};
use super::error::ModelError;
use super::json::{null_as_default, Meta};
use super::time::{datetime, opt_datetime};
use crate::{Exchange, InstrumentToken};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// What a trigger watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttCondition {
    pub exchange: Exchange,
    /// The price when the trigger was set.
    #[serde(default)]
    pub last_price: f64,
    pub tradingsymbol: String,
    /// One value for `single`, two ascending values for `two-leg`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub trigger_values: Vec<f64>,
    #[serde(default)]
    pub instrument_token: InstrumentToken,
}

/// An order a trigger places when its value is hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttOrder {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub product: Product,
    pub order_type: OrderType,
    pub transaction_type: TransactionType,
    pub quantity: u32,
    #[serde(default)]
    pub price: f64,
    /// `None` (written as `null`) until the trigger fires.
    #[serde(default)]
    pub result: Option<GttResult>,
}

/// What happened when the trigger fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttResult {
    #[serde(default)]
    pub account_id: String,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    #[serde(default)]
    pub validity: Validity,
    pub product: Product,
    pub order_type: OrderType,
    pub transaction_type: TransactionType,
    pub quantity: u32,
    #[serde(default)]
    pub price: f64,
    /// JSON-encoded **text** on the wire (e.g. `{"app_id":12617,"gtt":105099}`), kept as is.
    #[serde(default)]
    pub meta: String,
    #[serde(default, with = "opt_datetime")]
    pub timestamp: Option<NaiveDateTime>,
    /// The price that fired the trigger.
    #[serde(default)]
    pub triggered_at: f64,
    pub order_result: GttOrderResult,
}

/// The placement that followed a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GttOrderResult {
    /// `success` or `failed`.
    pub status: String,
    /// Empty when the placement failed.
    pub order_id: String,
    pub rejection_reason: String,
}

/// A GTT trigger as `GET /gtt/triggers[/{id}]` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gtt {
    pub id: u64,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub parent_trigger: Option<u64>,
    #[serde(rename = "type")]
    pub gtt_type: GttType,
    #[serde(with = "datetime")]
    pub created_at: NaiveDateTime,
    #[serde(with = "datetime")]
    pub updated_at: NaiveDateTime,
    /// About a year after creation.
    #[serde(default, with = "opt_datetime")]
    pub expires_at: Option<NaiveDateTime>,
    pub status: GttStatus,
    pub condition: GttCondition,
    #[serde(default, deserialize_with = "null_as_default")]
    pub orders: Vec<GttOrder>,
    /// `null` in one official mock; always written as `{}` (the Python read test wants a dict).
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: Meta,
}

/// The `condition` form field of a placement or modification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttConditionParams {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub trigger_values: Vec<f64>,
    pub last_price: f64,
}

/// One item of the `orders` form field. Go serialises its whole order struct here, so decoding ignores
/// the many extra keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttOrderParams {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    #[serde(deserialize_with = "super::json::whole_u32")]
    pub quantity: u32,
    pub order_type: OrderType,
    pub product: Product,
    pub price: f64,
}

/// Form of `POST /gtt/triggers` and `PUT /gtt/triggers/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GttParams {
    #[serde(rename = "type")]
    pub gtt_type: GttType,
    pub condition: GttConditionParams,
    pub orders: Vec<GttOrderParams>,
}

impl GttParams {
    /// A single trigger needs one value and one order; a two-leg one two ascending values and two
    /// orders (the order at index k fires at value k).
    pub fn validate(&self) -> Result<(), ModelError> {
        let n = self.gtt_type.legs();
        let (triggers, orders) = (self.condition.trigger_values.len(), self.orders.len());
        if triggers != n || orders != n {
            return Err(ModelError::GttShape {
                gtt_type: self.gtt_type.as_str(),
                expected: n,
                triggers,
                orders,
            });
        }
        let values = &self.condition.trigger_values;
        if values.iter().any(|v| !v.is_finite() || *v <= 0.0) {
            return Err(ModelError::InvalidPrice);
        }
        if values.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ModelError::GttTriggersNotAscending);
        }
        for o in &self.orders {
            if o.quantity == 0 {
                return Err(ModelError::ZeroQuantity);
            }
            if !o.price.is_finite() || o.price < 0.0 {
                return Err(ModelError::InvalidPrice);
            }
        }
        Ok(())
    }

    /// `type`, then `condition` and `orders` as JSON text, as Kite expects.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("type", self.gtt_type.as_str().to_owned()),
            ("condition", json_text(&self.condition)),
            ("orders", json_text(&self.orders)),
        ]
    }

    /// Rebuilds the parameters from the three form values (the sandbox's side of [`Self::to_form`]).
    pub fn from_form(gtt_type: &str, condition: &str, orders: &str) -> Result<Self, ModelError> {
        let json_err = |field| {
            move |e: serde_json::Error| ModelError::Json {
                field,
                reason: e.to_string(),
            }
        };
        Ok(Self {
            gtt_type: gtt_type.parse()?,
            condition: serde_json::from_str(condition).map_err(json_err("condition"))?,
            orders: serde_json::from_str(orders).map_err(json_err("orders"))?,
        })
    }
}

/// Serialises a plain data value as JSON text. These types hold only strings, numbers and enums, whose
/// serialisation cannot fail; the fallback keeps the function total anyway.
fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

/// `data` of GTT place, modify and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GttResponse {
    pub trigger_id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_leg() -> GttParams {
        let leg = |price| GttOrderParams {
            exchange: Exchange::Nse,
            tradingsymbol: "RAIN".into(),
            transaction_type: TransactionType::Sell,
            quantity: 1,
            order_type: OrderType::Limit,
            product: Product::Cnc,
            price,
        };
        GttParams {
            gtt_type: GttType::TwoLeg,
            condition: GttConditionParams {
                exchange: Exchange::Nse,
                tradingsymbol: "RAIN".into(),
                trigger_values: vec![102.0, 103.7],
                last_price: 102.6,
            },
            orders: vec![leg(101.5), leg(104.0)],
        }
    }

    #[test]
    fn form_json_encodes_condition_and_orders_and_reads_back() {
        let p = two_leg();
        assert_eq!(p.validate(), Ok(()));
        let form = p.to_form();
        assert_eq!(form[0], ("type", "two-leg".to_string()));
        assert_eq!(
            form[1].1,
            r#"{"exchange":"NSE","tradingsymbol":"RAIN","trigger_values":[102.0,103.7],"last_price":102.6}"#
        );
        let orders: serde_json::Value = serde_json::from_str(&form[2].1).unwrap();
        assert_eq!(orders[1]["price"], 104.0);
        assert_eq!(orders[0]["quantity"], 1);
        assert!(orders[0]["quantity"].is_u64());
        assert_eq!(
            GttParams::from_form(&form[0].1, &form[1].1, &form[2].1),
            Ok(p)
        );
    }

    #[test]
    fn from_form_ignores_go_extra_keys() {
        let orders = r#"[{"exchange":"NSE","tradingsymbol":"INFY","transaction_type":"BUY",
            "quantity":1.0,"order_type":"LIMIT","product":"CNC","price":702.5,
            "order_id":"","exchange_timestamp":"0001-01-01T00:00:00Z","tag":""}]"#;
        let cond =
            r#"{"exchange":"NSE","tradingsymbol":"INFY","trigger_values":[702],"last_price":798}"#;
        let p = GttParams::from_form("single", cond, orders).unwrap();
        assert_eq!(p.orders[0].quantity, 1);
        assert_eq!(p.validate(), Ok(()));
        assert!(matches!(
            GttParams::from_form("single", "{", orders),
            Err(ModelError::Json {
                field: "condition",
                ..
            })
        ));
    }

    #[test]
    fn validate_checks_shape() {
        let mut p = two_leg();
        p.condition.trigger_values.reverse();
        assert_eq!(p.validate(), Err(ModelError::GttTriggersNotAscending));
        let mut p = two_leg();
        p.gtt_type = GttType::Single;
        assert!(matches!(p.validate(), Err(ModelError::GttShape { .. })));
    }
}
