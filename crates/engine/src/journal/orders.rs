//! Orders the engine placed, one row per tag. The row is written *before* the order is sent, so
//! after a crash the engine knows every tag it may have placed and looks for it at the broker
//! instead of sending it again.

use super::{corrupt, Journal};
use crate::db::DbError;
use model::broker::{Product, TransactionType};
use model::trading::{ExecStatus, OrderRecord};
use model::Exchange;
use sqlx::Row;

const COLUMNS: &str = "tag, order_id, strategy_id, basket, exchange, tradingsymbol, side, product, \
     quantity, filled_quantity, price, average_price, status, message, modifications, created_ms, updated_ms";

/// What the broker (a postback or a poll) says about an order now.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderUpdate {
    pub order_id: Option<String>,
    pub status: ExecStatus,
    pub filled_quantity: u32,
    pub average_price: f64,
    pub message: Option<String>,
    /// A new limit price after a modification.
    pub price: Option<f64>,
    pub updated_ms: u64,
}

pub(crate) fn status_str(s: ExecStatus) -> &'static str {
    match s {
        ExecStatus::Pending => "pending",
        ExecStatus::Open => "open",
        ExecStatus::PartiallyFilled => "partially_filled",
        ExecStatus::Filled => "filled",
        ExecStatus::Cancelled => "cancelled",
        ExecStatus::Rejected => "rejected",
    }
}

pub(crate) fn parse_status(s: &str) -> Result<ExecStatus, DbError> {
    Ok(match s {
        "pending" => ExecStatus::Pending,
        "open" => ExecStatus::Open,
        "partially_filled" => ExecStatus::PartiallyFilled,
        "filled" => ExecStatus::Filled,
        "cancelled" => ExecStatus::Cancelled,
        "rejected" => ExecStatus::Rejected,
        other => return Err(corrupt("orders", format!("unknown status {other:?}"))),
    })
}

pub(crate) fn parse_side(table: &'static str, s: &str) -> Result<TransactionType, DbError> {
    s.parse()
        .map_err(|_| corrupt(table, format!("unknown side {s:?}")))
}

pub(crate) fn parse_exchange(table: &'static str, s: &str) -> Result<Exchange, DbError> {
    s.parse()
        .map_err(|_| corrupt(table, format!("unknown exchange {s:?}")))
}

fn row_to_order(r: &sqlx::sqlite::SqliteRow) -> Result<OrderRecord, DbError> {
    let product: String = r.try_get("product")?;
    Ok(OrderRecord {
        tag: r.try_get("tag")?,
        order_id: r.try_get("order_id")?,
        strategy_id: r.try_get("strategy_id")?,
        basket: r.try_get("basket")?,
        exchange: parse_exchange("orders", &r.try_get::<String, _>("exchange")?)?,
        tradingsymbol: r.try_get("tradingsymbol")?,
        side: parse_side("orders", &r.try_get::<String, _>("side")?)?,
        product: product
            .parse::<Product>()
            .map_err(|_| corrupt("orders", format!("unknown product {product:?}")))?,
        quantity: r.try_get::<i64, _>("quantity")? as u32,
        filled_quantity: r.try_get::<i64, _>("filled_quantity")? as u32,
        price: r.try_get("price")?,
        average_price: r.try_get("average_price")?,
        status: parse_status(&r.try_get::<String, _>("status")?)?,
        message: r.try_get("message")?,
        modifications: r.try_get::<i64, _>("modifications")? as u32,
        created_ms: r.try_get::<i64, _>("created_ms")? as u64,
        updated_ms: r.try_get::<i64, _>("updated_ms")? as u64,
    })
}

impl Journal {
    /// Records an order about to be sent. Returns `false` (and changes nothing) when the tag is
    /// already journalled: the caller must then reconcile that tag, never send it again.
    pub async fn insert_order(&self, o: &OrderRecord) -> Result<bool, DbError> {
        let r = sqlx::query(&format!(
            "INSERT INTO orders (user_id, {COLUMNS}) VALUES \
             (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (user_id, tag) DO NOTHING"
        ))
        .bind(self.uid())
        .bind(&o.tag)
        .bind(&o.order_id)
        .bind(o.strategy_id)
        .bind(&o.basket)
        .bind(o.exchange.as_str())
        .bind(&o.tradingsymbol)
        .bind(o.side.as_str())
        .bind(o.product.as_str())
        .bind(o.quantity as i64)
        .bind(o.filled_quantity as i64)
        .bind(o.price)
        .bind(o.average_price)
        .bind(status_str(o.status))
        .bind(&o.message)
        .bind(o.modifications as i64)
        .bind(o.created_ms as i64)
        .bind(o.updated_ms as i64)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Applies a broker update to the order with `tag`, moving forward only: an update whose status
    /// ranks below the stored one, or whose filled quantity is smaller, is ignored (postbacks and
    /// polls race). Returns the order as stored afterwards, or `None` for an unknown tag.
    pub async fn update_order(
        &self,
        tag: &str,
        u: &OrderUpdate,
    ) -> Result<Option<OrderRecord>, DbError> {
        // IMMEDIATE: take the write lock before reading, so a concurrent writer makes this wait
        // (busy timeout) instead of failing the upgrade from reader to writer with SQLITE_BUSY.
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? AND tag = ?"
        ))
        .bind(self.uid())
        .bind(tag)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut o = row_to_order(&row)?;
        let forward = u.status.rank() > o.status.rank()
            || (u.status.rank() == o.status.rank() && !o.status.is_terminal())
            || (o.status == ExecStatus::Cancelled && u.filled_quantity > o.filled_quantity);
        if u.order_id.is_some() && o.order_id.is_none() {
            o.order_id = u.order_id.clone();
        }
        if u.filled_quantity >= o.filled_quantity {
            if u.filled_quantity > o.filled_quantity || u.average_price > 0.0 {
                o.average_price = u.average_price;
            }
            o.filled_quantity = u.filled_quantity;
        }
        if forward {
            o.status = u.status;
            if u.message.is_some() {
                o.message = u.message.clone();
            }
            if let Some(p) = u.price {
                if o.price != Some(p) && o.price.is_some() {
                    o.modifications += 1;
                }
                o.price = Some(p);
            }
        }
        o.updated_ms = o.updated_ms.max(u.updated_ms);
        sqlx::query(
            "UPDATE orders SET order_id = ?, filled_quantity = ?, average_price = ?, status = ?, \
             message = ?, price = ?, modifications = ?, updated_ms = ? WHERE user_id = ? AND tag = ?",
        )
        .bind(&o.order_id)
        .bind(o.filled_quantity as i64)
        .bind(o.average_price)
        .bind(status_str(o.status))
        .bind(&o.message)
        .bind(o.price)
        .bind(o.modifications as i64)
        .bind(o.updated_ms as i64)
        .bind(self.uid())
        .bind(tag)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(o))
    }

    pub async fn order(&self, tag: &str) -> Result<Option<OrderRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? AND tag = ?"
        ))
        .bind(self.uid())
        .bind(tag)
        .fetch_optional(self.pool())
        .await?
        .map(|r| row_to_order(&r))
        .transpose()
    }

    pub async fn order_by_id(&self, order_id: &str) -> Result<Option<OrderRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? AND order_id = ?"
        ))
        .bind(self.uid())
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| row_to_order(&r))
        .transpose()
    }

    /// Orders not yet terminal (pending, open, partially filled), oldest first: what a restart must
    /// reconcile.
    pub async fn live_orders(&self) -> Result<Vec<OrderRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? \
             AND status IN ('pending', 'open', 'partially_filled') ORDER BY created_ms, tag"
        ))
        .bind(self.uid())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_order)
        .collect()
    }

    /// The newest `limit` orders, newest first.
    pub async fn orders(&self, limit: u32) -> Result<Vec<OrderRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? ORDER BY created_ms DESC, tag DESC LIMIT ?"
        ))
        .bind(self.uid())
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_order)
        .collect()
    }

    /// Every order of a basket, in placement order.
    pub async fn basket_orders(&self, basket: &str) -> Result<Vec<OrderRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE user_id = ? AND basket = ? ORDER BY created_ms, tag"
        ))
        .bind(self.uid())
        .bind(basket)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_order)
        .collect()
    }
}
