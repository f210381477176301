//! "Email me my alerts": a per-user opt-in, off until the trader turns it on. Stored in the journal's
//! `user_settings` table (one JSON value under its own key, beside the risk limits and the kill
//! switch) so it survives restarts; the mailer reads it when a mail is about to go, so turning it off
//! stops the very next mail.

use crate::db::{Db, DbError};
use crate::hub::UserId;
use crate::journal::Journal;
use serde::{Deserialize, Serialize};

/// What the Alerts page shows: whether alerts are mailed, and to which registered address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEmail {
    pub enabled: bool,
    /// The user's address in the registry (the one their login codes go to).
    pub email: String,
}

/// Whether `user` asked for alert mails; `false` until they first say.
pub async fn enabled(db: &Db, user: &UserId) -> Result<bool, DbError> {
    Journal::new(db.clone(), user.clone()).alert_email().await
}

pub async fn set_enabled(db: &Db, user: &UserId, on: bool) -> Result<(), DbError> {
    Journal::new(db.clone(), user.clone())
        .set_alert_email(on)
        .await
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
        .bind("alert_email")
        .execute(db.pool())
        .await
        .unwrap();
        assert!(matches!(
            enabled(&db, &a).await,
            Err(DbError::Corrupt { .. })
        ));
    }
}
