//! What the risk manager did outside the per-signal verdicts: rejections worth a trail, halts, the
//! kill switch firing and being reset, limits changed. An audit trail, newest first.

use super::{now_ms, Journal};
use crate::db::DbError;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// One journalled risk event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskEvent {
    pub id: i64,
    pub ts_ms: u64,
    /// What happened: `rejected`, `halt`, `kill_switch_fired`, `kill_switch_reset`,
    /// `limits_changed`, `order_failed`, ... (open-ended: the trading service names its events).
    pub kind: String,
    /// Free text: the limit and numbers involved, or the reason given.
    pub detail: String,
}

impl Journal {
    /// Journals a risk event now; returns its id.
    pub async fn insert_risk_event(&self, kind: &str, detail: &str) -> Result<i64, DbError> {
        let id: i64 = sqlx::query(
            "INSERT INTO risk_events (user_id, ts_ms, kind, detail) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(self.uid())
        .bind(now_ms() as i64)
        .bind(kind)
        .bind(detail)
        .fetch_one(self.pool())
        .await?
        .try_get("id")?;
        Ok(id)
    }

    /// The newest `limit` risk events, newest first.
    pub async fn risk_events(&self, limit: u32) -> Result<Vec<RiskEvent>, DbError> {
        sqlx::query(
            "SELECT id, ts_ms, kind, detail FROM risk_events WHERE user_id = ? \
             ORDER BY ts_ms DESC, id DESC LIMIT ?",
        )
        .bind(self.uid())
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(RiskEvent {
                id: r.try_get("id")?,
                ts_ms: r.try_get::<i64, _>("ts_ms")? as u64,
                kind: r.try_get("kind")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
    }
}
