//! Lenient parsing of Kite's form and query parameters (SPEC §1.3): unknown keys ignored, path values
//! taken from the path, floats in any notation Go or Python writes, booleans in any case.

use crate::accounts::SimError;
use model::broker::{
    ModifyParams, OrderParams, OrderType, Product, TransactionType, Validity, Variety,
};
use model::Exchange;
use std::collections::HashMap;
use std::str::FromStr;

/// Decoded `application/x-www-form-urlencoded` pairs; later keys win, except repeated ones kept in `all`.
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: &[u8]) -> Result<Self, SimError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw)
            .map_err(|e| SimError::input(format!("Malformed parameters: {e}")))?;
        Ok(Self { pairs })
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, k: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn required(&self, k: &str) -> Result<&str, SimError> {
        self.get(k)
            .ok_or_else(|| SimError::input(format!("Missing or empty field `{k}`")))
    }

    pub fn parsed<T: FromStr>(&self, k: &str) -> Result<Option<T>, SimError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|_| SimError::input(format!("Invalid `{k}`."))),
        }
    }

    pub fn float(&self, k: &str) -> Result<Option<f64>, SimError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Some(f)),
                _ => Err(SimError::input(format!("Invalid `{k}`."))),
            },
        }
    }

    /// A whole number (Go may write `1e+06`; `65.5` is refused).
    pub fn whole(&self, k: &str) -> Result<Option<u32>, SimError> {
        match self.float(k)? {
            None => Ok(None),
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u32::MAX as f64 => Ok(Some(f as u32)),
            Some(_) => Err(SimError::input(format!(
                "Invalid `{k}`: it must be a positive whole number."
            ))),
        }
    }

    pub fn boolean(&self, k: &str) -> Option<bool> {
        self.get(k)
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
    }

    pub fn map(&self) -> HashMap<&str, &str> {
        self.pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

pub fn order_params(variety: Variety, p: &Params) -> Result<OrderParams, SimError> {
    let quantity = p
        .whole("quantity")?
        .ok_or_else(|| SimError::input("Missing or empty field `quantity`"))?;
    Ok(OrderParams {
        variety,
        exchange: Exchange::from_str(p.required("exchange")?)
            .map_err(|_| SimError::input("Invalid `exchange`."))?,
        tradingsymbol: p.required("tradingsymbol")?.to_string(),
        transaction_type: TransactionType::from_str(p.required("transaction_type")?)
            .map_err(|_| SimError::input("Invalid `transaction_type`."))?,
        order_type: OrderType::from_str(p.required("order_type")?)
            .map_err(|_| SimError::input("Invalid `order_type`."))?,
        quantity,
        product: Product::from_str(p.required("product")?)
            .map_err(|_| SimError::input("Invalid `product`."))?,
        price: p.float("price")?.filter(|v| *v != 0.0),
        trigger_price: p.float("trigger_price")?.filter(|v| *v != 0.0),
        validity: p.parsed::<Validity>("validity")?,
        validity_ttl: p.whole("validity_ttl")?,
        disclosed_quantity: p.whole("disclosed_quantity")?,
        iceberg_legs: p.whole("iceberg_legs")?,
        iceberg_quantity: p.whole("iceberg_quantity")?,
        auction_number: p.get("auction_number").map(str::to_string),
        market_protection: p.float("market_protection")?,
        autoslice: p.boolean("autoslice"),
        tag: p.get("tag").map(str::to_string),
        algo_id: p.get("algo_id").map(str::to_string),
    })
}

pub fn modify_params(p: &Params) -> Result<ModifyParams, SimError> {
    Ok(ModifyParams {
        quantity: p.whole("quantity")?,
        price: p.float("price")?,
        order_type: p.parsed::<OrderType>("order_type")?,
        trigger_price: p.float("trigger_price")?,
        validity: p.parsed::<Validity>("validity")?,
        validity_ttl: p.whole("validity_ttl")?,
        disclosed_quantity: p.whole("disclosed_quantity")?,
        market_protection: p.float("market_protection")?,
        parent_order_id: p.get("parent_order_id").map(Into::into),
    })
}
