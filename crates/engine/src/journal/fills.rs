//! Fills, one row per broker trade id: seeing a trade again (a postback and a poll, a restart) never
//! journals it twice.

use super::orders::{parse_exchange, parse_side};
use super::Journal;
use crate::db::DbError;
use model::trading::FillRecord;
use sqlx::Row;

const COLUMNS: &str = "trade_id, order_id, tag, strategy_id, exchange, tradingsymbol, side, \
     quantity, price, charges, ts_ms";

fn row_to_fill(r: &sqlx::sqlite::SqliteRow) -> Result<FillRecord, DbError> {
    Ok(FillRecord {
        trade_id: r.try_get("trade_id")?,
        order_id: r.try_get("order_id")?,
        tag: r.try_get("tag")?,
        strategy_id: r.try_get("strategy_id")?,
        exchange: parse_exchange("fills", &r.try_get::<String, _>("exchange")?)?,
        tradingsymbol: r.try_get("tradingsymbol")?,
        side: parse_side("fills", &r.try_get::<String, _>("side")?)?,
        quantity: r.try_get::<i64, _>("quantity")? as u32,
        price: r.try_get("price")?,
        charges: r.try_get("charges")?,
        ts_ms: r.try_get::<i64, _>("ts_ms")? as u64,
    })
}

impl Journal {
    /// Journals a fill; `false` when that trade id was already journalled (nothing changes).
    pub async fn insert_fill(&self, f: &FillRecord) -> Result<bool, DbError> {
        let r = sqlx::query(&format!(
            "INSERT INTO fills (user_id, {COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (user_id, trade_id) DO NOTHING"
        ))
        .bind(self.uid())
        .bind(&f.trade_id)
        .bind(&f.order_id)
        .bind(&f.tag)
        .bind(f.strategy_id)
        .bind(f.exchange.as_str())
        .bind(&f.tradingsymbol)
        .bind(f.side.as_str())
        .bind(f.quantity as i64)
        .bind(f.price)
        .bind(f.charges)
        .bind(f.ts_ms as i64)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Every fill, oldest first (P&L is computed in this order).
    pub async fn all_fills(&self) -> Result<Vec<FillRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM fills WHERE user_id = ? ORDER BY ts_ms, trade_id"
        ))
        .bind(self.uid())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_fill)
        .collect()
    }

    /// Fills of one order, oldest first.
    pub async fn order_fills(&self, order_id: &str) -> Result<Vec<FillRecord>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM fills WHERE user_id = ? AND order_id = ? ORDER BY ts_ms, trade_id"
        ))
        .bind(self.uid())
        .bind(order_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_fill)
        .collect()
    }
}
