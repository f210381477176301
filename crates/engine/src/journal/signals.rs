//! Every signal a strategy raised, with the risk manager's verdict, so a rejected or reduced trade
//! can be explained afterwards. The verdict is stored as its JSON (it carries a reason and a
//! quantity depending on the decision).

use super::{corrupt, Journal};
use crate::db::DbError;
use model::trading::{RiskVerdict, SignalEvent, SignalSide, StrategyId};
use sqlx::Row;

const COLUMNS: &str = "id, ts_ms, strategy_id, kind, instrument, side, strength, reason, verdict";

pub(crate) fn signal_side_str(s: SignalSide) -> &'static str {
    match s {
        SignalSide::Buy => "buy",
        SignalSide::Sell => "sell",
        SignalSide::Exit => "exit",
    }
}

fn parse_signal_side(s: &str) -> Result<SignalSide, DbError> {
    Ok(match s {
        "buy" => SignalSide::Buy,
        "sell" => SignalSide::Sell,
        "exit" => SignalSide::Exit,
        other => return Err(corrupt("signals", format!("unknown side {other:?}"))),
    })
}

fn row_to_signal(r: &sqlx::sqlite::SqliteRow) -> Result<SignalEvent, DbError> {
    let verdict: String = r.try_get("verdict")?;
    let verdict: RiskVerdict = serde_json::from_str(&verdict)
        .map_err(|e| corrupt("signals", format!("verdict {verdict:?}: {e}")))?;
    Ok(SignalEvent {
        id: r.try_get("id")?,
        ts_ms: r.try_get::<i64, _>("ts_ms")? as u64,
        strategy_id: r.try_get("strategy_id")?,
        kind: r.try_get("kind")?,
        instrument: r.try_get("instrument")?,
        side: parse_signal_side(&r.try_get::<String, _>("side")?)?,
        strength: r.try_get("strength")?,
        reason: r.try_get("reason")?,
        verdict,
    })
}

impl Journal {
    /// Journals a signal and returns the id it was given (the event's own `id` is ignored).
    pub async fn insert_signal(&self, s: &SignalEvent) -> Result<i64, DbError> {
        let verdict = serde_json::to_string(&s.verdict)
            .map_err(|e| corrupt("signals", format!("verdict does not serialise: {e}")))?;
        let id: i64 = sqlx::query(
            "INSERT INTO signals (user_id, ts_ms, strategy_id, kind, instrument, side, strength, \
             reason, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(self.uid())
        .bind(s.ts_ms as i64)
        .bind(s.strategy_id)
        .bind(&s.kind)
        .bind(&s.instrument)
        .bind(signal_side_str(s.side))
        .bind(s.strength)
        .bind(&s.reason)
        .bind(&verdict)
        .fetch_one(self.pool())
        .await?
        .try_get("id")?;
        Ok(id)
    }

    /// The newest `limit` signals, newest first.
    pub async fn signals(&self, limit: u32) -> Result<Vec<SignalEvent>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signals WHERE user_id = ? ORDER BY ts_ms DESC, id DESC LIMIT ?"
        ))
        .bind(self.uid())
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(row_to_signal)
        .collect()
    }

    /// How many signals a strategy raised.
    pub async fn signal_count(&self, strategy_id: StrategyId) -> Result<u64, DbError> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM signals WHERE user_id = ? AND strategy_id = ?")
                .bind(self.uid())
                .bind(strategy_id)
                .fetch_one(self.pool())
                .await?
                .try_get("n")?;
        Ok(n as u64)
    }

    /// A strategy's most recent signal.
    pub async fn last_signal(
        &self,
        strategy_id: StrategyId,
    ) -> Result<Option<SignalEvent>, DbError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM signals WHERE user_id = ? AND strategy_id = ? \
             ORDER BY ts_ms DESC, id DESC LIMIT 1"
        ))
        .bind(self.uid())
        .bind(strategy_id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| row_to_signal(&r))
        .transpose()
    }
}
