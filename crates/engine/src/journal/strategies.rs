//! The strategies a user configured. Removal is a soft delete: the orders, fills and signals that
//! name a strategy id stay explainable after the strategy is gone, and ids are never reused
//! (AUTOINCREMENT).

use super::{corrupt, Journal};
use crate::db::DbError;
use model::trading::{StrategyConfig, StrategyId};
use sqlx::Row;
use std::collections::BTreeMap;

const COLUMNS: &str =
    "id, kind, instrument, params, bar_seconds, product, quantity, enabled, created_ms";

fn row_to_strategy(r: &sqlx::sqlite::SqliteRow) -> Result<StrategyConfig, DbError> {
    let params: String = r.try_get("params")?;
    let params: BTreeMap<String, String> = serde_json::from_str(&params)
        .map_err(|e| corrupt("strategies", format!("params {params:?}: {e}")))?;
    let product: String = r.try_get("product")?;
    let bar_seconds: i64 = r.try_get("bar_seconds")?;
    let quantity: i64 = r.try_get("quantity")?;
    Ok(StrategyConfig {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        instrument: r.try_get("instrument")?,
        params,
        bar_seconds: u32::try_from(bar_seconds)
            .map_err(|_| corrupt("strategies", format!("bar_seconds {bar_seconds}")))?,
        product: product
            .parse()
            .map_err(|_| corrupt("strategies", format!("unknown product {product:?}")))?,
        quantity: u32::try_from(quantity)
            .map_err(|_| corrupt("strategies", format!("quantity {quantity}")))?,
        enabled: r.try_get("enabled")?,
        created_ms: r.try_get::<i64, _>("created_ms")? as u64,
    })
}

impl Journal {
    /// Stores a new strategy as given (kind, instrument, params, bar length, product, quantity,
    /// enabled, created time) and returns it with the id it was given; `s.id` is ignored. The kind
    /// and parameters are validated (and defaults filled in) by the caller before this; here they
    /// are only recorded.
    pub async fn add_strategy(&self, s: &StrategyConfig) -> Result<StrategyConfig, DbError> {
        let params = serde_json::to_string(&s.params)
            .map_err(|e| corrupt("strategies", format!("params do not serialise: {e}")))?;
        let id: i64 = sqlx::query(
            "INSERT INTO strategies (user_id, kind, instrument, params, bar_seconds, product, \
             quantity, enabled, created_ms, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(self.uid())
        .bind(&s.kind)
        .bind(&s.instrument)
        .bind(&params)
        .bind(s.bar_seconds as i64)
        .bind(s.product.as_str())
        .bind(s.quantity as i64)
        .bind(s.enabled)
        .bind(s.created_ms as i64)
        .bind(false)
        .fetch_one(self.pool())
        .await?
        .try_get("id")?;
        Ok(StrategyConfig { id, ..s.clone() })
    }

    /// The user's strategies that are not removed, in the order they were added.
    pub async fn strategies(&self) -> Result<Vec<StrategyConfig>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM strategies WHERE user_id = ? AND removed = FALSE ORDER BY id"
        ))
        .bind(self.uid())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_strategy)
        .collect()
    }

    /// One of the user's strategies; `None` when unknown, removed, or another user's.
    pub async fn strategy(&self, id: StrategyId) -> Result<Option<StrategyConfig>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM strategies WHERE user_id = ? AND id = ? AND removed = FALSE"
        ))
        .bind(self.uid())
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| row_to_strategy(&r))
        .transpose()
    }

    /// Enables or disables a strategy; returns it as stored afterwards, or `None` when it is
    /// unknown, removed, or another user's.
    pub async fn set_strategy_enabled(
        &self,
        id: StrategyId,
        enabled: bool,
    ) -> Result<Option<StrategyConfig>, DbError> {
        let r = sqlx::query(
            "UPDATE strategies SET enabled = ? WHERE user_id = ? AND id = ? AND removed = FALSE",
        )
        .bind(enabled)
        .bind(self.uid())
        .bind(id)
        .execute(self.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Ok(None);
        }
        self.strategy(id).await
    }

    /// Removes a strategy (soft: it is also disabled, and its journal rows stay). `false` when it
    /// is unknown, already removed, or another user's.
    pub async fn remove_strategy(&self, id: StrategyId) -> Result<bool, DbError> {
        let r = sqlx::query(
            "UPDATE strategies SET removed = TRUE, enabled = FALSE \
             WHERE user_id = ? AND id = ? AND removed = FALSE",
        )
        .bind(self.uid())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }
}
