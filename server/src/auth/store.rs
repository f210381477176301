//! The auth tables (`otp_challenges`, `sessions`) over the engine database. Portable SQL with binds
//! only; every "check then change" is one conditional `UPDATE` whose row count decides, so two
//! concurrent requests can never both spend the last attempt or both consume one code.

use engine::Db;
use sqlx::Row;

/// A stored login challenge (the code itself is never stored, only its keyed hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRow {
    pub zerodha_id: String,
    pub code_hash: String,
    pub salt: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub attempts: i64,
    pub consumed_ms: Option<i64>,
}

/// A stored session, found by the hash of its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

#[derive(Debug, Clone)]
pub struct AuthStore {
    db: Db,
}

impl AuthStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Replaces any challenge of this ID with a fresh one (a new request supersedes the old code).
    pub async fn put_challenge(&self, row: &ChallengeRow) -> Result<(), sqlx::Error> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM otp_challenges WHERE zerodha_id = ?")
            .bind(&row.zerodha_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO otp_challenges \
             (zerodha_id, code_hash, salt, created_ms, expires_ms, attempts, consumed_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.zerodha_id)
        .bind(&row.code_hash)
        .bind(&row.salt)
        .bind(row.created_ms)
        .bind(row.expires_ms)
        .bind(row.attempts)
        .bind(row.consumed_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn challenge(&self, zerodha_id: &str) -> Result<Option<ChallengeRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT zerodha_id, code_hash, salt, created_ms, expires_ms, attempts, consumed_ms \
             FROM otp_challenges WHERE zerodha_id = ?",
        )
        .bind(zerodha_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(ChallengeRow {
                zerodha_id: r.try_get("zerodha_id")?,
                code_hash: r.try_get("code_hash")?,
                salt: r.try_get("salt")?,
                created_ms: r.try_get("created_ms")?,
                expires_ms: r.try_get("expires_ms")?,
                attempts: r.try_get("attempts")?,
                consumed_ms: r.try_get("consumed_ms")?,
            })
        })
        .transpose()
    }

    /// Spends one attempt of the challenge created at `created_ms` (the one that was read), if it
    /// is still unconsumed and has attempts left. `false`: nothing was spent (locked, used, replaced).
    pub async fn take_attempt(
        &self,
        zerodha_id: &str,
        created_ms: i64,
        max_attempts: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE otp_challenges SET attempts = attempts + 1 \
             WHERE zerodha_id = ? AND created_ms = ? AND consumed_ms IS NULL AND attempts < ?",
        )
        .bind(zerodha_id)
        .bind(created_ms)
        .bind(max_attempts)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks the challenge used. `false`: another request consumed it first.
    pub async fn consume(
        &self,
        zerodha_id: &str,
        created_ms: i64,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE otp_challenges SET consumed_ms = ? \
             WHERE zerodha_id = ? AND created_ms = ? AND consumed_ms IS NULL",
        )
        .bind(now_ms)
        .bind(zerodha_id)
        .bind(created_ms)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_session(&self, row: &SessionRow) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(&row.id_hash)
        .bind(&row.user_id)
        .bind(row.created_ms)
        .bind(row.expires_ms)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id_hash, user_id, created_ms, expires_ms FROM sessions WHERE id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                id_hash: r.try_get("id_hash")?,
                user_id: r.try_get("user_id")?,
                created_ms: r.try_get("created_ms")?,
                expires_ms: r.try_get("expires_ms")?,
            })
        })
        .transpose()
    }

    /// Deletes one session; returns whether it existed.
    pub async fn delete_session(&self, id_hash: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes every session of a user (for "log out everywhere" and for disabling a user).
    pub async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Users with at least one session still valid at `now_ms` (their engines stay up).
    pub async fn active_users(&self, now_ms: i64) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT DISTINCT user_id FROM sessions WHERE expires_ms > ?")
            .bind(now_ms)
            .fetch_all(self.db.pool())
            .await
    }

    /// Drops expired sessions and challenges, so neither table grows without bound.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        let s = sqlx::query("DELETE FROM sessions WHERE expires_ms <= ?")
            .bind(now_ms)
            .execute(self.db.pool())
            .await?;
        let c = sqlx::query("DELETE FROM otp_challenges WHERE expires_ms <= ?")
            .bind(now_ms)
            .execute(self.db.pool())
            .await?;
        Ok(s.rows_affected() + c.rows_affected())
    }
}
