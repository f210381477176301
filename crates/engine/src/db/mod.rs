//! The engine's database: one SQLite file (WAL) under the data directory, its schema kept by the
//! migrations in `crates/engine/migrations`. Queries stay portable SQL so a Postgres pool can follow.

pub mod candles;

pub use candles::{CandleCache, Coverage};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the database directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value that cannot be what the schema promises (a negative volume, a bad interval).
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}

static OPENING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), primary or extended.
fn is_busy(e: &dyn sqlx::error::DatabaseError) -> bool {
    e.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// A handle on the database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating when missing) the database file at `path` and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Db, DbError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL: readers (charts, scans) never wait for the writer (the cache filling up).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // One opener at a time per process: switching a new file to WAL takes an exclusive lock
        // that SQLite does not wait for (SQLITE_BUSY at once), and two first migrations would race.
        let _one = OPENING.lock().await;
        let mut attempt = 0;
        let pool = loop {
            let r = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts.clone())
                .await;
            match r {
                // Another process opening the same file: wait a little and try again.
                Err(sqlx::Error::Database(e)) if is_busy(e.as_ref()) && attempt < 50 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                r => break r?,
            }
        };
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
    }

    /// A private in-memory database (tests, tools). One connection, kept for the pool's life, since
    /// every SQLite in-memory connection is a database of its own.
    pub async fn open_memory() -> Result<Db, DbError> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The candle cache over this database.
    pub fn candles(&self) -> CandleCache {
        CandleCache::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn many_pools_can_open_one_new_file_at_once() {
        let dir = std::env::temp_dir().join(format!("engine-db-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("kite-agent.db");
        let opens = (0..8).map(|_| {
            let p = path.clone();
            tokio::spawn(async move { Db::open(p).await.map(|_| ()) })
        });
        for h in opens {
            h.await.unwrap().unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
