//! Per-user settings that must survive a restart: the risk limits, the kill switch, and the state
//! of strategies that hold a multi-day-safe phase (option structures). A fired kill
//! switch in particular must still be fired after the process comes back. Each is one JSON value
//! under a fixed key.

use super::{corrupt, Journal};
use crate::db::DbError;
use model::trading::{KillSwitchState, RiskLimits};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::Row;

const RISK_LIMITS: &str = "risk_limits";
const KILL_SWITCH: &str = "kill_switch";
const ALERT_EMAIL: &str = "alert_email";

impl Journal {
    async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, DbError> {
        let row = sqlx::query(
            "SELECT setting_value FROM user_settings WHERE user_id = ? AND setting_key = ?",
        )
        .bind(self.uid())
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text: String = row.try_get("setting_value")?;
        // A value that no longer parses is an error, not the default: silently loosening risk
        // limits or un-firing a kill switch is worse than refusing to start.
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| corrupt("user_settings", format!("{key}: {e}")))
    }

    async fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<(), DbError> {
        let text = serde_json::to_string(value)
            .map_err(|e| corrupt("user_settings", format!("{key} does not serialise: {e}")))?;
        sqlx::query(
            "INSERT INTO user_settings (user_id, setting_key, setting_value) VALUES (?, ?, ?) \
             ON CONFLICT (user_id, setting_key) DO UPDATE SET setting_value = excluded.setting_value",
        )
        .bind(self.uid())
        .bind(key)
        .bind(&text)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The user's risk limits; the defaults until they are first set.
    pub async fn risk_limits(&self) -> Result<RiskLimits, DbError> {
        Ok(self.setting(RISK_LIMITS).await?.unwrap_or_default())
    }

    pub async fn set_risk_limits(&self, limits: &RiskLimits) -> Result<(), DbError> {
        self.set_setting(RISK_LIMITS, limits).await
    }

    /// A strategy's state kept across restarts (an option structure's open basket), if any.
    pub async fn strategy_state<T: DeserializeOwned>(
        &self,
        strategy_id: i64,
    ) -> Result<Option<T>, DbError> {
        self.setting(&format!("strategy_state:{strategy_id}")).await
    }

    pub async fn set_strategy_state<T: Serialize>(
        &self,
        strategy_id: i64,
        state: &T,
    ) -> Result<(), DbError> {
        self.set_setting(&format!("strategy_state:{strategy_id}"), state)
            .await
    }

    /// Whether the user asked for their alerts by mail; off until they first say. A value that
    /// does not parse is an error, not "off": they would silently stop getting mails they asked for.
    pub async fn alert_email(&self) -> Result<bool, DbError> {
        Ok(self.setting(ALERT_EMAIL).await?.unwrap_or(false))
    }

    pub async fn set_alert_email(&self, on: bool) -> Result<(), DbError> {
        self.set_setting(ALERT_EMAIL, &on).await
    }

    /// The kill switch as last stored; inactive until first set.
    pub async fn kill_switch(&self) -> Result<KillSwitchState, DbError> {
        Ok(self.setting(KILL_SWITCH).await?.unwrap_or_default())
    }

    pub async fn set_kill_switch(&self, state: &KillSwitchState) -> Result<(), DbError> {
        self.set_setting(KILL_SWITCH, state).await
    }
}
