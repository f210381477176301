//! Mutual funds (SPEC §10): orders, SIPs, holdings. Ids are UUIDs or digit strings, quantities are
//! fractional units, and several dates are date-only.

use super::enums::TransactionType;
use super::json::null_as_default;
use super::time::{date_or_empty, datetime, opt_date, opt_datetime};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One MF order (`GET /mf/orders[/{order_id}]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfOrder {
    /// A UUID.
    pub order_id: String,
    #[serde(default)]
    pub exchange_order_id: Option<String>,
    pub tradingsymbol: String,
    /// `OPEN`, `COMPLETE`, `REJECTED`, `CANCELLED`, ...
    pub status: String,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub folio: Option<String>,
    #[serde(default)]
    pub fund: String,
    #[serde(with = "datetime")]
    pub order_timestamp: NaiveDateTime,
    /// Date only.
    #[serde(default, with = "opt_date")]
    pub exchange_timestamp: Option<NaiveDate>,
    #[serde(default)]
    pub settlement_id: Option<String>,
    pub transaction_type: TransactionType,
    /// `regular`, `sip`, `amc_sip`, ...
    #[serde(default)]
    pub variety: String,
    /// `FRESH` or `ADDITIONAL`.
    #[serde(default)]
    pub purchase_type: String,
    /// Units (fractional).
    #[serde(default)]
    pub quantity: f64,
    #[serde(default)]
    pub amount: f64,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub placed_by: String,
    #[serde(default, with = "opt_date")]
    pub last_price_date: Option<NaiveDate>,
    #[serde(default)]
    pub tag: Option<String>,
}

/// `data` of MF order place and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfOrderResponse {
    pub order_id: String,
}

/// One SIP (`GET /mf/sips[/{sip_id}]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfSip {
    pub sip_id: String,
    pub tradingsymbol: String,
    #[serde(default)]
    pub fund: String,
    #[serde(default)]
    pub dividend_type: String,
    pub transaction_type: TransactionType,
    /// `ACTIVE`, `PAUSED`, `CANCELLED`, ...
    pub status: String,
    /// `sip` or `amc_sip`.
    #[serde(default)]
    pub sip_type: String,
    #[serde(default)]
    pub sip_reg_num: Option<String>,
    #[serde(with = "datetime")]
    pub created: NaiveDateTime,
    /// `weekly`, `monthly`, `quarterly`.
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub instalment_amount: f64,
    /// `-1` for "until cancelled".
    #[serde(default)]
    pub instalments: i64,
    #[serde(default)]
    pub completed_instalments: i64,
    /// `-1` for "until cancelled".
    #[serde(default)]
    pub pending_instalments: i64,
    /// Day of month; 0 for weekly SIPs.
    #[serde(default)]
    pub instalment_day: u32,
    #[serde(default, with = "opt_datetime")]
    pub last_instalment: Option<NaiveDateTime>,
    #[serde(default, with = "opt_date")]
    pub next_instalment: Option<NaiveDate>,
    #[serde(default)]
    pub trigger_price: f64,
    /// Yearly step-up percentage keyed by `DD-MM`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub step_up: BTreeMap<String, f64>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Only in the single-SIP reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_source: Option<String>,
}

/// `data` of SIP place, modify and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfSipResponse {
    pub sip_id: String,
}

/// One MF holding (`GET /mf/holdings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfHolding {
    pub tradingsymbol: String,
    #[serde(default)]
    pub folio: String,
    #[serde(default)]
    pub fund: String,
    /// Units (fractional).
    #[serde(default)]
    pub quantity: f64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub last_price: f64,
    /// Written as `""` when unknown, as Kite does.
    #[serde(default, with = "date_or_empty")]
    pub last_price_date: Option<NaiveDate>,
    #[serde(default)]
    pub pnl: f64,
    #[serde(default)]
    pub pledged_quantity: f64,
}
