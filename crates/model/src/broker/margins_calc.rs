//! Margin and charge calculators (SPEC §9): JSON-array request bodies and their replies.

use super::enums::{OrderType, Product, TransactionType, Variety};
use super::json::{null_as_default, whole_u32};
use super::order::OrderId;
use crate::Exchange;
use serde::{Deserialize, Serialize};

/// One item of the body of `POST /margins/orders` and `POST /margins/basket`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginOrder {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    #[serde(default)]
    pub variety: Variety,
    pub product: Product,
    pub order_type: OrderType,
    /// Go sends a float here; a whole float is accepted.
    #[serde(deserialize_with = "whole_u32")]
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<f64>,
}

/// Realised and unrealised P&L inside a margin object.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MarginPnl {
    pub realised: f64,
    pub unrealised: f64,
}

/// GST split of the charges.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Gst {
    pub igst: f64,
    pub cgst: f64,
    pub sgst: f64,
    pub total: f64,
}

/// Statutory charges and brokerage of an order or basket.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Charges {
    pub transaction_tax: f64,
    /// `stt`, `ctt` or empty.
    pub transaction_tax_type: String,
    pub exchange_turnover_charge: f64,
    pub sebi_turnover_charge: f64,
    pub brokerage: f64,
    pub stamp_duty: f64,
    pub gst: Gst,
    pub total: f64,
}

/// Margin required by one order, or by a basket in total (where `type`, `tradingsymbol` and
/// `exchange` are empty, hence plain strings).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderMargin {
    /// `equity`, `commodity`, or empty in basket totals.
    #[serde(rename = "type")]
    pub margin_type: String,
    pub tradingsymbol: String,
    pub exchange: String,
    pub span: f64,
    pub exposure: f64,
    /// May be negative in a basket's `final` (premium received).
    pub option_premium: f64,
    pub additional: f64,
    pub bo: f64,
    pub cash: f64,
    pub var: f64,
    pub pnl: MarginPnl,
    pub leverage: f64,
    pub charges: Charges,
    pub total: f64,
}

/// `data` of `POST /margins/basket`: `initial` is the plain sum of the legs, `final` the requirement
/// after hedge benefit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BasketMargins {
    pub initial: OrderMargin,
    #[serde(rename = "final")]
    pub final_: OrderMargin,
    #[serde(deserialize_with = "null_as_default")]
    pub orders: Vec<OrderMargin>,
    pub charges: Charges,
}

/// One item of the body of `POST /charges/orders` (a virtual contract note for executed orders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargesOrder {
    pub order_id: OrderId,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    #[serde(default)]
    pub variety: Variety,
    pub product: Product,
    pub order_type: OrderType,
    #[serde(deserialize_with = "whole_u32")]
    pub quantity: u32,
    pub average_price: f64,
}

/// One item of the reply of `POST /charges/orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractNote {
    pub transaction_type: TransactionType,
    pub tradingsymbol: String,
    pub exchange: Exchange,
    #[serde(default)]
    pub variety: Variety,
    pub product: Product,
    pub order_type: OrderType,
    pub quantity: u32,
    pub price: f64,
    #[serde(default)]
    pub charges: Charges,
}
