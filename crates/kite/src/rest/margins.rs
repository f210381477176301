//! Margin and charge calculators (SPEC §9): JSON array bodies, flags in the query string.

use super::client::{Body, KiteClient};
use super::error::{KiteError, Result};
use super::limits::Class;
use model::broker::{BasketMargins, ChargesOrder, ContractNote, MarginOrder, OrderMargin};
use reqwest::Method;

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| KiteError::Invalid(e.to_string()))
}

impl KiteClient {
    /// Margin required for each order on its own. These are calculations, safe to repeat.
    pub async fn order_margins(
        &self,
        orders: &[MarginOrder],
        compact: bool,
    ) -> Result<Vec<OrderMargin>> {
        let q: Vec<(&str, String)> = if compact {
            vec![("mode", "compact".into())]
        } else {
            vec![]
        };
        self.call(
            Method::POST,
            "/margins/orders",
            &q,
            Body::Json(json(&orders)?),
            Class::Other,
            true,
        )
        .await
    }

    /// Margin for a basket, with the hedge benefit, optionally counting open positions.
    pub async fn basket_margins(
        &self,
        orders: &[MarginOrder],
        consider_positions: bool,
        compact: bool,
    ) -> Result<BasketMargins> {
        let mut q: Vec<(&str, String)> =
            vec![("consider_positions", consider_positions.to_string())];
        if compact {
            q.push(("mode", "compact".into()));
        }
        self.call(
            Method::POST,
            "/margins/basket",
            &q,
            Body::Json(json(&orders)?),
            Class::Other,
            true,
        )
        .await
    }

    /// Charges (brokerage, taxes) of executed orders: a virtual contract note.
    pub async fn order_charges(&self, orders: &[ChargesOrder]) -> Result<Vec<ContractNote>> {
        self.call(
            Method::POST,
            "/charges/orders",
            &[],
            Body::Json(json(&orders)?),
            Class::Other,
            true,
        )
        .await
    }
}
