//! The journal as CSV for spreadsheets and tax records: every fill, every order, oldest first, with
//! a header row and RFC 4180 quoting (CRLF line ends, fields with commas, quotes or line breaks
//! quoted), so a symbol like `M&M,X` survives the round trip.

use super::{corrupt, Journal};
use crate::db::DbError;
use chrono::DateTime;
use model::trading::{FillRecord, OrderRecord};
use serde::Serialize;

/// A UTC timestamp for people: `2026-11-27T10:15:00.000Z` (empty when out of range).
fn utc(ts_ms: u64) -> String {
    i64::try_from(ts_ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct FillLine<'a> {
    trade_id: &'a str,
    order_id: &'a str,
    tag: &'a str,
    strategy_id: Option<i64>,
    exchange: &'static str,
    tradingsymbol: &'a str,
    side: &'static str,
    quantity: u32,
    price: f64,
    charges: f64,
    ts_ms: u64,
    time_utc: String,
}

impl<'a> From<&'a FillRecord> for FillLine<'a> {
    fn from(f: &'a FillRecord) -> Self {
        Self {
            trade_id: &f.trade_id,
            order_id: &f.order_id,
            tag: &f.tag,
            strategy_id: f.strategy_id,
            exchange: f.exchange.as_str(),
            tradingsymbol: &f.tradingsymbol,
            side: f.side.as_str(),
            quantity: f.quantity,
            price: f.price,
            charges: f.charges,
            ts_ms: f.ts_ms,
            time_utc: utc(f.ts_ms),
        }
    }
}

#[derive(Serialize)]
struct OrderLine<'a> {
    tag: &'a str,
    order_id: Option<&'a str>,
    strategy_id: Option<i64>,
    basket: Option<&'a str>,
    exchange: &'static str,
    tradingsymbol: &'a str,
    side: &'static str,
    product: &'static str,
    quantity: u32,
    filled_quantity: u32,
    price: Option<f64>,
    average_price: f64,
    status: &'static str,
    message: Option<&'a str>,
    modifications: u32,
    created_ms: u64,
    updated_ms: u64,
    created_utc: String,
}

impl<'a> From<&'a OrderRecord> for OrderLine<'a> {
    fn from(o: &'a OrderRecord) -> Self {
        Self {
            tag: &o.tag,
            order_id: o.order_id.as_deref(),
            strategy_id: o.strategy_id,
            basket: o.basket.as_deref(),
            exchange: o.exchange.as_str(),
            tradingsymbol: &o.tradingsymbol,
            side: o.side.as_str(),
            product: o.product.as_str(),
            quantity: o.quantity,
            filled_quantity: o.filled_quantity,
            price: o.price,
            average_price: o.average_price,
            status: super::orders::status_str(o.status),
            message: o.message.as_deref(),
            modifications: o.modifications,
            created_ms: o.created_ms,
            updated_ms: o.updated_ms,
            created_utc: utc(o.created_ms),
        }
    }
}

/// Writes rows as RFC 4180 CSV under a header row (written even when there are no rows, so an
/// empty export still says what its columns are). Writing into memory cannot fail on I/O; a row
/// that still cannot be written is reported as a corrupt row of `table`.
fn to_csv<T: Serialize>(
    table: &'static str,
    header: &[&str],
    rows: impl IntoIterator<Item = T>,
) -> Result<String, DbError> {
    let bad = |e: String| corrupt(table, format!("csv export: {e}"));
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(header).map_err(|e| bad(e.to_string()))?;
    for row in rows {
        w.serialize(row).map_err(|e| bad(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| bad(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| bad(e.to_string()))
}

const FILL_HEADER: &[&str] = &[
    "trade_id",
    "order_id",
    "tag",
    "strategy_id",
    "exchange",
    "tradingsymbol",
    "side",
    "quantity",
    "price",
    "charges",
    "ts_ms",
    "time_utc",
];

const ORDER_HEADER: &[&str] = &[
    "tag",
    "order_id",
    "strategy_id",
    "basket",
    "exchange",
    "tradingsymbol",
    "side",
    "product",
    "quantity",
    "filled_quantity",
    "price",
    "average_price",
    "status",
    "message",
    "modifications",
    "created_ms",
    "updated_ms",
    "created_utc",
];

impl Journal {
    /// Every fill, oldest first.
    pub async fn fills_csv(&self) -> Result<String, DbError> {
        let fills = self.all_fills().await?;
        to_csv("fills", FILL_HEADER, fills.iter().map(FillLine::from))
    }

    /// Every order, oldest first.
    pub async fn orders_csv(&self) -> Result<String, DbError> {
        let mut orders = self.orders(u32::MAX).await?;
        orders.reverse();
        to_csv("orders", ORDER_HEADER, orders.iter().map(OrderLine::from))
    }
}
