//! Positions and holdings (SPEC §6).

use super::enums::{PositionType, Product, TransactionType};
use super::json::{null_as_default, Meta};
use super::time::opt_datetime;
use crate::{Exchange, InstrumentToken};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// One position (SPEC §6.2), the same shape in `net` and `day`. Quantities are signed (a short is
/// negative) and integers on the wire; money is `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub tradingsymbol: String,
    pub exchange: Exchange,
    pub instrument_token: InstrumentToken,
    pub product: Product,
    /// Signed net quantity.
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub overnight_quantity: i64,
    /// Contract multiplier (e.g. 1000 for LEADMINI).
    #[serde(default)]
    pub multiplier: f64,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub close_price: f64,
    #[serde(default)]
    pub last_price: f64,
    /// `sell_value − buy_value`.
    #[serde(default)]
    pub value: f64,
    #[serde(default)]
    pub pnl: f64,
    #[serde(default)]
    pub m2m: f64,
    #[serde(default)]
    pub unrealised: f64,
    #[serde(default)]
    pub realised: f64,
    #[serde(default)]
    pub buy_quantity: i64,
    #[serde(default)]
    pub buy_price: f64,
    #[serde(default)]
    pub buy_value: f64,
    #[serde(default)]
    pub buy_m2m: f64,
    #[serde(default)]
    pub sell_quantity: i64,
    #[serde(default)]
    pub sell_price: f64,
    #[serde(default)]
    pub sell_value: f64,
    #[serde(default)]
    pub sell_m2m: f64,
    #[serde(default)]
    pub day_buy_quantity: i64,
    #[serde(default)]
    pub day_buy_price: f64,
    #[serde(default)]
    pub day_buy_value: f64,
    #[serde(default)]
    pub day_sell_quantity: i64,
    #[serde(default)]
    pub day_sell_price: f64,
    #[serde(default)]
    pub day_sell_value: f64,
}

/// `GET /portfolio/positions`: `net` includes carried positions, `day` only today's trades.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Positions {
    #[serde(default, deserialize_with = "null_as_default")]
    pub net: Vec<Position>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub day: Vec<Position>,
}

/// The margin-trading part of a holding.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MtfHolding {
    pub quantity: i64,
    pub used_quantity: i64,
    pub average_price: f64,
    pub value: f64,
    pub initial_margin: f64,
}

/// One long-term holding (SPEC §6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    pub tradingsymbol: String,
    pub exchange: Exchange,
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub isin: String,
    pub product: Product,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub used_quantity: i64,
    /// Bought, not yet delivered (T+1).
    #[serde(default)]
    pub t1_quantity: i64,
    #[serde(default)]
    pub realised_quantity: i64,
    #[serde(default)]
    pub authorised_quantity: i64,
    #[serde(default, with = "opt_datetime")]
    pub authorised_date: Option<NaiveDateTime>,
    /// Free-form; `{}` in the mocks.
    #[serde(default, deserialize_with = "null_as_default")]
    pub authorisation: Meta,
    #[serde(default)]
    pub opening_quantity: i64,
    #[serde(default)]
    pub short_quantity: i64,
    #[serde(default)]
    pub collateral_quantity: i64,
    #[serde(default)]
    pub collateral_type: String,
    #[serde(default)]
    pub discrepancy: bool,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub close_price: f64,
    /// `(last_price − average_price) × quantity`.
    #[serde(default)]
    pub pnl: f64,
    /// `last_price − close_price`.
    #[serde(default)]
    pub day_change: f64,
    #[serde(default)]
    pub day_change_percentage: f64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub mtf: MtfHolding,
}

/// A holding that can be offered in an exchange auction (`GET /portfolio/holdings/auctions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuctionInstrument {
    pub tradingsymbol: String,
    pub exchange: Exchange,
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub isin: String,
    pub product: Product,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub t1_quantity: i64,
    #[serde(default)]
    pub realised_quantity: i64,
    #[serde(default)]
    pub authorised_quantity: i64,
    #[serde(default, with = "opt_datetime")]
    pub authorised_date: Option<NaiveDateTime>,
    #[serde(default)]
    pub opening_quantity: i64,
    #[serde(default)]
    pub collateral_quantity: i64,
    #[serde(default)]
    pub collateral_type: String,
    #[serde(default)]
    pub discrepancy: bool,
    #[serde(default)]
    pub average_price: f64,
    #[serde(default)]
    pub last_price: f64,
    #[serde(default)]
    pub close_price: f64,
    #[serde(default)]
    pub pnl: f64,
    #[serde(default)]
    pub day_change: f64,
    #[serde(default)]
    pub day_change_percentage: f64,
    /// A string on the wire; passed back as `auction_number` when placing the auction order.
    pub auction_number: String,
}

/// One item of `GET /portfolio/holdings/compact` (Go only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldingsCompact {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub instrument_token: InstrumentToken,
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub t1_quantity: i64,
}

/// `GET /portfolio/holdings/summary` (Go only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HoldingsSummary {
    pub total_pnl: f64,
    pub total_pnl_percent: f64,
    pub today_pnl: f64,
    pub today_pnl_percent: f64,
    pub invested_amount: f64,
    pub current_value: f64,
}

/// `data` of `POST /portfolio/holdings/authorise`; the user then opens Kite's authorisation page with
/// this id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldingsAuth {
    pub request_id: String,
}

/// Form of `PUT /portfolio/positions` (product conversion). The reply `data` is `true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvertPositionParams {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    pub position_type: PositionType,
    pub quantity: u32,
    pub old_product: Product,
    pub new_product: Product,
}

impl ConvertPositionParams {
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("exchange", self.exchange.as_str().to_owned()),
            ("tradingsymbol", self.tradingsymbol.clone()),
            (
                "transaction_type",
                self.transaction_type.as_str().to_owned(),
            ),
            ("position_type", self.position_type.as_str().to_owned()),
            ("quantity", self.quantity.to_string()),
            ("old_product", self.old_product.as_str().to_owned()),
            ("new_product", self.new_product.as_str().to_owned()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_form() {
        let p = ConvertPositionParams {
            exchange: Exchange::Nse,
            tradingsymbol: "SBIN".into(),
            transaction_type: TransactionType::Buy,
            position_type: PositionType::Day,
            quantity: 3,
            old_product: Product::Mis,
            new_product: Product::Cnc,
        };
        let form = p.to_form();
        assert_eq!(form[3], ("position_type", "day".to_string()));
        assert_eq!(form[4], ("quantity", "3".to_string()));
        assert_eq!(form[6], ("new_product", "CNC".to_string()));
    }
}
