//! Price alerts (SPEC §10; Go client only). Exchanges are text here: alerts also watch `INDICES`.

use super::json::{null_as_default, Meta};
use super::time::{datetime, opt_datetime};
use crate::{InstrumentToken, Ohlc};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// One alert (`GET/POST /alerts`, `GET/PUT /alerts/{uuid}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub uuid: String,
    /// `simple` or `ato` (alert triggers order).
    #[serde(rename = "type")]
    pub alert_type: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub name: String,
    /// `enabled`, `disabled`, `deleted`.
    pub status: String,
    #[serde(default)]
    pub disabled_reason: String,
    /// e.g. `LastTradedPrice`.
    #[serde(default)]
    pub lhs_attribute: String,
    #[serde(default)]
    pub lhs_exchange: String,
    #[serde(default)]
    pub lhs_tradingsymbol: String,
    /// `<=`, `>=`, `<`, `>`, `==`.
    pub operator: String,
    /// `constant` or `instrument`.
    #[serde(default)]
    pub rhs_type: String,
    #[serde(default)]
    pub rhs_attribute: String,
    #[serde(default)]
    pub rhs_exchange: String,
    #[serde(default)]
    pub rhs_tradingsymbol: String,
    #[serde(default)]
    pub rhs_constant: f64,
    #[serde(default)]
    pub alert_count: u64,
    #[serde(with = "datetime")]
    pub created_at: NaiveDateTime,
    #[serde(with = "datetime")]
    pub updated_at: NaiveDateTime,
    /// The orders an `ato` alert places.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basket: Option<AlertBasket>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertBasket {
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<AlertBasketItem>,
}

/// One order of an `ato` basket. `params` (variety, product, quantity, price, gtt, tags, ...) is kept
/// as a JSON object: its shape is undocumented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertBasketItem {
    #[serde(default)]
    pub id: u64,
    pub tradingsymbol: String,
    pub exchange: String,
    #[serde(default)]
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub weight: f64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub params: Meta,
}

/// One firing of an alert (`GET /alerts/{uuid}/history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertHistory {
    pub uuid: String,
    #[serde(rename = "type")]
    pub alert_type: String,
    /// The market state(s) that fired it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: Vec<AlertHistoryMeta>,
    /// The condition as text, e.g. `LastTradedPrice("INDICES:NIFTY NEXT 50") <= 58290.35`.
    #[serde(default)]
    pub condition: String,
    #[serde(with = "datetime")]
    pub created_at: NaiveDateTime,
    #[serde(default)]
    pub order_meta: Option<serde_json::Value>,
}

/// A quote snapshot inside alert history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertHistoryMeta {
    pub instrument_token: InstrumentToken,
    pub tradingsymbol: String,
    #[serde(default)]
    pub exchange: String,
    #[serde(default, with = "opt_datetime")]
    pub timestamp: Option<NaiveDateTime>,
    /// `0001-01-01 00:00:00` when there was no trade.
    #[serde(default, with = "opt_datetime")]
    pub last_trade_time: Option<NaiveDateTime>,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub ohlc: Ohlc,
    #[serde(default)]
    pub net_change: f64,
    #[serde(default)]
    pub last_quantity: u64,
    #[serde(default)]
    pub buy_quantity: u64,
    #[serde(default)]
    pub sell_quantity: u64,
    #[serde(default)]
    pub volume: u64,
    #[serde(default)]
    pub volume_tick: u64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub oi: f64,
    #[serde(default)]
    pub oi_day_high: f64,
    #[serde(default)]
    pub oi_day_low: f64,
    #[serde(default)]
    pub lower_circuit_limit: f64,
    #[serde(default)]
    pub upper_circuit_limit: f64,
}
