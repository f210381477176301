//! "Email me my alerts": a per-user opt-in, off until the trader turns it on. Stored in the journal's
//! `user_settings` table (one JSON value under its own key, beside the risk limits and the kill
//! switch) so it survives restarts; the mailer reads it when a mail is about to go, so turning it off
//! stops the very next mail.

use crate::db::{Db, DbError};
use crate::hub::UserId;
use crate::journal::corrupt;
use serde::{Deserialize, Serialize};
use sqlx::Row;

const KEY: &str = "alert_email";

/// What the Alerts page shows: whether alerts are mailed, and to which registered address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEmail {
    pub enabled: bool,
    /// The user's address in the registry (the one their login codes go to).
    pub email: String,
}

/// Whether `user` asked for alert mails; `false` until they first say.
pub async fn enabled(db: &Db, user: &UserId) -> Result<bool, DbError> {
    let row = sqlx::query(
        "SELECT setting_value FROM user_settings WHERE user_id = ? AND setting_key = ?",
    )
    .bind(user.as_str())
    .bind(KEY)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let text: String = row.try_get("setting_value")?;
    // A value that does not parse is reported, not read as "off": the trader would silently stop
    // getting the mails they asked for.
    serde_json::from_str(&text).map_err(|e| corrupt("user_settings", format!("{KEY}: {e}")))
}

pub async fn set_enabled(db: &Db, user: &UserId, on: bool) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO user_settings (user_id, setting_key, setting_value) VALUES (?, ?, ?) \
         ON CONFLICT (user_id, setting_key) DO UPDATE SET setting_value = excluded.setting_value",
    )
    .bind(user.as_str())
    .bind(KEY)
    .bind(if on { "true" } else { "false" })
    .execute(db.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn off_by_default_per_user_and_kept_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let a = UserId::new("AB1234");
        let b = UserId::new("CD5678");
        {
            let db = Db::open(&path).await.unwrap();
            assert!(!enabled(&db, &a).await.unwrap());
            set_enabled(&db, &a, true).await.unwrap();
            assert!(enabled(&db, &a).await.unwrap());
            assert!(!enabled(&db, &b).await.unwrap(), "one user's choice only");
        }
        let db = Db::open(&path).await.unwrap();
        assert!(enabled(&db, &a).await.unwrap(), "survives a reopen");
        set_enabled(&db, &a, false).await.unwrap();
        assert!(!enabled(&db, &a).await.unwrap());
        sqlx::query(
            "UPDATE user_settings SET setting_value = 'yes' WHERE user_id = ? AND setting_key = ?",
        )
        .bind(a.as_str())
        .bind(KEY)
        .execute(db.pool())
        .await
        .unwrap();
        assert!(matches!(
            enabled(&db, &a).await,
            Err(DbError::Corrupt { .. })
        ));
    }
}
