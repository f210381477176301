//! [`UserRegistry`]: users and their access tokens in the engine's database, secrets sealed.

use super::cipher::{self, CipherError};
use super::error::UserError;
use super::import::read_users;
use super::key::SecretKey;
use super::user::{check_secret, parse_api_key, AccessToken, User, UserSummary, ZerodhaId};
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::Row;
use std::path::Path;

const API_SECRET: &str = "users.api_secret";
const ACCESS_TOKEN: &str = "user_tokens.access_token";

/// How an import went: new users, and existing users whose email or keys were replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
}

/// The registry over one database and one key. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UserRegistry {
    db: Db,
    key: SecretKey,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn time(table: &'static str, ms: i64) -> Result<DateTime<Utc>, UserError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        UserError::Db(DbError::Corrupt {
            table,
            detail: format!("timestamp {ms} out of range"),
        })
    })
}

fn stored_id(table: &'static str, text: &str) -> Result<ZerodhaId, UserError> {
    ZerodhaId::parse(text).map_err(|_| {
        UserError::Db(DbError::Corrupt {
            table,
            detail: format!("zerodha_id {text:?}"),
        })
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl UserRegistry {
    pub fn new(db: Db, key: SecretKey) -> Self {
        Self { db, key }
    }

    fn seal(
        &self,
        column: &'static str,
        id: &ZerodhaId,
        secret: &SecretString,
    ) -> Result<String, UserError> {
        cipher::seal(
            &self.key,
            &cipher::context(column, id.as_str()),
            secret.expose_secret(),
        )
        .map_err(|source| UserError::Encrypt {
            zerodha_id: id.to_string(),
            field: column,
            source,
        })
    }

    fn open(
        &self,
        column: &'static str,
        id: &ZerodhaId,
        stored: &str,
    ) -> Result<SecretString, UserError> {
        cipher::open(&self.key, &cipher::context(column, id.as_str()), stored)
            .map(SecretString::from)
            .map_err(|source: CipherError| UserError::Decrypt {
                zerodha_id: id.to_string(),
                field: column,
                source,
            })
    }

    /// Registers a new user; an id already registered is [`UserError::Duplicate`].
    pub async fn add(&self, user: &User) -> Result<(), UserError> {
        let id = user.zerodha_id();
        let sealed = self.seal(API_SECRET, id, user.api_secret())?;
        let now = now_ms();
        let r = sqlx::query(
            "INSERT INTO users (zerodha_id, email, api_key, api_secret_enc, created_ms, updated_ms) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(user.email())
        .bind(user.api_key())
        .bind(&sealed)
        .bind(now)
        .bind(now)
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(UserError::Duplicate(id.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// The user with their decrypted api_secret; an unknown id is [`UserError::NotFound`].
    pub async fn get(&self, zerodha_id: &str) -> Result<User, UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        let row =
            sqlx::query("SELECT email, api_key, api_secret_enc FROM users WHERE zerodha_id = ?")
                .bind(id.as_str())
                .fetch_optional(self.db.pool())
                .await?
                .ok_or_else(|| UserError::NotFound(id.to_string()))?;
        let email: String = row.try_get(0)?;
        let api_key: String = row.try_get(1)?;
        let sealed: String = row.try_get(2)?;
        let secret = self.open(API_SECRET, &id, &sealed)?;
        User::new(id.as_str(), &email, &api_key, secret)
    }

    /// Every user, by id, without decrypting anything.
    pub async fn list(&self) -> Result<Vec<UserSummary>, UserError> {
        let rows = sqlx::query(
            "SELECT u.zerodha_id, u.email, u.api_key, t.expires_ms FROM users u \
             LEFT JOIN user_tokens t ON t.zerodha_id = u.zerodha_id ORDER BY u.zerodha_id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let expires: Option<i64> = r.try_get(3)?;
                Ok(UserSummary {
                    zerodha_id: stored_id("users", &r.try_get::<String, _>(0)?)?,
                    email: r.try_get(1)?,
                    api_key: r.try_get(2)?,
                    token_expires: expires.map(|ms| time("user_tokens", ms)).transpose()?,
                })
            })
            .collect()
    }

    /// Removes a user and their token; an unknown id is [`UserError::NotFound`].
    pub async fn remove(&self, zerodha_id: &str) -> Result<(), UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        let mut tx = self.db.pool().begin().await?;
        // Explicitly, not by cascade: the foreign-key pragma is a connection setting.
        sqlx::query("DELETE FROM user_tokens WHERE zerodha_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM users WHERE zerodha_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(UserError::NotFound(id.to_string()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a user's Kite app credentials. The stored access token is dropped with them: a
    /// token belongs to the app that issued it.
    pub async fn set_keys(
        &self,
        zerodha_id: &str,
        api_key: &str,
        api_secret: &SecretString,
    ) -> Result<(), UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        let api_key = parse_api_key(api_key)?;
        check_secret(api_secret, "api_secret")?;
        let sealed = self.seal(API_SECRET, &id, api_secret)?;
        let mut tx = self.db.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE users SET api_key = ?, api_secret_enc = ?, updated_ms = ? WHERE zerodha_id = ?",
        )
        .bind(&api_key)
        .bind(&sealed)
        .bind(now_ms())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(UserError::NotFound(id.to_string()));
        }
        sqlx::query("DELETE FROM user_tokens WHERE zerodha_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores (or replaces) the user's Kite access token, valid until `expires`.
    pub async fn set_access_token(
        &self,
        zerodha_id: &str,
        token: &SecretString,
        expires: DateTime<Utc>,
    ) -> Result<(), UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        check_secret(token, "access_token")?;
        let sealed = self.seal(ACCESS_TOKEN, &id, token)?;
        let mut tx = self.db.pool().begin().await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT zerodha_id FROM users WHERE zerodha_id = ?")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(UserError::NotFound(id.to_string()));
        }
        // ON CONFLICT … DO UPDATE: the same statement in SQLite and Postgres.
        sqlx::query(
            "INSERT INTO user_tokens (zerodha_id, access_token_enc, expires_ms, updated_ms) \
             VALUES (?, ?, ?, ?) ON CONFLICT (zerodha_id) DO UPDATE SET \
             access_token_enc = excluded.access_token_enc, expires_ms = excluded.expires_ms, \
             updated_ms = excluded.updated_ms",
        )
        .bind(id.as_str())
        .bind(&sealed)
        .bind(expires.timestamp_millis())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's access token while it is valid; `None` when there is none or it has expired
    /// (an expired token only earns a `TokenException` from Kite). Unknown id: `NotFound`.
    pub async fn access_token(&self, zerodha_id: &str) -> Result<Option<AccessToken>, UserError> {
        self.access_token_at(zerodha_id, Utc::now()).await
    }

    /// [`UserRegistry::access_token`] as of `now`.
    pub async fn access_token_at(
        &self,
        zerodha_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessToken>, UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        let row = sqlx::query(
            "SELECT t.access_token_enc, t.expires_ms FROM users u \
             LEFT JOIN user_tokens t ON t.zerodha_id = u.zerodha_id WHERE u.zerodha_id = ?",
        )
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| UserError::NotFound(id.to_string()))?;
        let sealed: Option<String> = row.try_get(0)?;
        let expires: Option<i64> = row.try_get(1)?;
        let (Some(sealed), Some(expires)) = (sealed, expires) else {
            return Ok(None);
        };
        let expires = time("user_tokens", expires)?;
        if expires <= now {
            return Ok(None);
        }
        Ok(Some(AccessToken {
            token: self.open(ACCESS_TOKEN, &id, &sealed)?,
            expires,
        }))
    }

    /// Forgets the user's access token (logout, or Kite said it is no longer valid). Returns
    /// whether there was one; an unknown id is `NotFound`.
    pub async fn clear_token(&self, zerodha_id: &str) -> Result<bool, UserError> {
        let id = ZerodhaId::parse(zerodha_id)?;
        let mut tx = self.db.pool().begin().await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT zerodha_id FROM users WHERE zerodha_id = ?")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(UserError::NotFound(id.to_string()));
        }
        let gone = sqlx::query("DELETE FROM user_tokens WHERE zerodha_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone > 0)
    }

    /// Imports a registry file (format in `users/import.rs`) in one transaction: new ids are
    /// added, known ids get the file's email and keys (and lose their token when the api_key
    /// changed, so importing the same file twice logs nobody out). Every entry is validated
    /// first; one bad entry imports nothing.
    pub async fn import_json(&self, path: &Path) -> Result<ImportReport, UserError> {
        let users = read_users(path)?;
        let sealed = users
            .iter()
            .map(|u| self.seal(API_SECRET, u.zerodha_id(), u.api_secret()))
            .collect::<Result<Vec<_>, _>>()?;
        let now = now_ms();
        let mut report = ImportReport::default();
        let mut tx = self.db.pool().begin().await?;
        for (u, sealed) in users.iter().zip(&sealed) {
            let id = u.zerodha_id().as_str();
            let old_key: Option<String> =
                sqlx::query_scalar("SELECT api_key FROM users WHERE zerodha_id = ?")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(old_key) = old_key {
                sqlx::query(
                    "UPDATE users SET email = ?, api_key = ?, api_secret_enc = ?, updated_ms = ? \
                     WHERE zerodha_id = ?",
                )
                .bind(u.email())
                .bind(u.api_key())
                .bind(sealed)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if old_key != u.api_key() {
                    sqlx::query("DELETE FROM user_tokens WHERE zerodha_id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                report.updated += 1;
            } else {
                sqlx::query(
                    "INSERT INTO users \
                     (zerodha_id, email, api_key, api_secret_enc, created_ms, updated_ms) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(u.email())
                .bind(u.api_key())
                .bind(sealed)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                report.added += 1;
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
