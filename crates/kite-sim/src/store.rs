//! Write-through persistence of the sandbox's accounts in SQLite (sqlx), so a practice account survives
//! a restart: funds, every order's history and bookkeeping, trades, holdings and GTTs.
//!
//! The order book works under a plain mutex, so writes go through a queue to one writer task that applies
//! them in order; a REST reply waits for its writes ([`Store::flush`]), so whatever a client was told
//! exists is on disk.

use crate::accounts::{Account, Change, Extra, Funds};
use model::broker::{Gtt, Holding, Order, Trade};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use std::path::Path;
use tokio::sync::{mpsc, oneshot};

/// The file the sandbox keeps in its data directory.
pub const FILE_NAME: &str = "sandbox.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sandbox store: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("sandbox store migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("sandbox store: corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("sandbox store: cannot create {path}: {reason}")]
    Dir { path: String, reason: String },
}

enum Job {
    Write(Vec<(String, Vec<Change>, Funds)>),
    Gtts(String, Vec<Gtt>),
    Reset(String),
    Barrier(oneshot::Sender<()>),
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Store {
    tx: mpsc::UnboundedSender<Job>,
}

/// Everything loaded at start.
pub struct Loaded {
    pub accounts: Vec<Account>,
    pub gtts: Vec<Gtt>,
}

fn corrupt(table: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        table,
        reason: e.to_string(),
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, loads every account and starts the writer.
    pub async fn open(dir: &Path) -> Result<(Self, Loaded), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join(FILE_NAME))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let loaded = load(&pool).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(pool, rx));
        Ok((Self { tx }, loaded))
    }

    pub fn write(&self, changes: Vec<(String, Vec<Change>, Funds)>) {
        if !changes.is_empty() {
            let _ = self.tx.send(Job::Write(changes));
        }
    }

    pub fn write_gtts(&self, user_id: &str, gtts: Vec<Gtt>) {
        let _ = self.tx.send(Job::Gtts(user_id.to_string(), gtts));
    }

    pub fn reset(&self, user_id: &str) {
        let _ = self.tx.send(Job::Reset(user_id.to_string()));
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Barrier(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

async fn writer(pool: SqlitePool, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        let result = match job {
            Job::Write(changes) => write(&pool, changes).await,
            Job::Gtts(user, gtts) => write_gtts(&pool, &user, gtts).await,
            Job::Reset(user) => reset(&pool, &user).await,
            Job::Barrier(done) => {
                let _ = done.send(());
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "sandbox store write failed");
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

async fn write(
    pool: &SqlitePool,
    changes: Vec<(String, Vec<Change>, Funds)>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for (user, list, funds) in changes {
        for c in list {
            match c {
                Change::OrderState { seq, order } => {
                    sqlx::query(
                        "INSERT INTO sim_order_states (user_id, order_id, seq, state) VALUES (?, ?, ?, ?) \
                         ON CONFLICT (order_id, seq) DO UPDATE SET state = excluded.state",
                    )
                    .bind(&user)
                    .bind(order.order_id.as_str())
                    .bind(seq as i64)
                    .bind(json(&order))
                    .execute(&mut *tx)
                    .await?;
                }
                Change::OrderExtra { order_id, extra } => {
                    sqlx::query(
                        "INSERT INTO sim_order_extras (order_id, user_id, extra) VALUES (?, ?, ?) \
                         ON CONFLICT (order_id) DO UPDATE SET extra = excluded.extra",
                    )
                    .bind(order_id.as_str())
                    .bind(&user)
                    .bind(json(&extra))
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Trade(t) => {
                    sqlx::query(
                        "INSERT INTO sim_trades (user_id, trade_id, trade) VALUES (?, ?, ?) \
                         ON CONFLICT (user_id, trade_id) DO UPDATE SET trade = excluded.trade",
                    )
                    .bind(&user)
                    .bind(&t.trade_id)
                    .bind(json(&t))
                    .execute(&mut *tx)
                    .await?;
                }
                Change::ClearDay => {
                    for table in ["sim_order_states", "sim_order_extras", "sim_trades"] {
                        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ?"))
                            .bind(&user)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Change::Holdings(list) => {
                    sqlx::query("DELETE FROM sim_holdings WHERE user_id = ?")
                        .bind(&user)
                        .execute(&mut *tx)
                        .await?;
                    for (i, h) in list.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO sim_holdings (user_id, position, holding) VALUES (?, ?, ?)",
                        )
                        .bind(&user)
                        .bind(i as i64)
                        .bind(json(h))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
        }
        sqlx::query(
            "INSERT INTO sim_accounts (user_id, funds) VALUES (?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET funds = excluded.funds",
        )
        .bind(&user)
        .bind(json(&funds))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn write_gtts(pool: &SqlitePool, user: &str, gtts: Vec<Gtt>) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sim_gtts WHERE user_id = ?")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for g in gtts {
        sqlx::query("INSERT INTO sim_gtts (user_id, gtt_id, gtt) VALUES (?, ?, ?)")
            .bind(user)
            .bind(g.id as i64)
            .bind(json(&g))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn reset(pool: &SqlitePool, user: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for table in [
        "sim_accounts",
        "sim_order_states",
        "sim_order_extras",
        "sim_trades",
        "sim_holdings",
        "sim_gtts",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ?"))
            .bind(user)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn load(pool: &SqlitePool) -> Result<Loaded, StoreError> {
    let mut funds: BTreeMap<String, Funds> = BTreeMap::new();
    for row in sqlx::query("SELECT user_id, funds FROM sim_accounts")
        .fetch_all(pool)
        .await?
    {
        let f: String = row.try_get("funds")?;
        funds.insert(
            row.try_get("user_id")?,
            serde_json::from_str(&f).map_err(corrupt("sim_accounts"))?,
        );
    }
    type Book = BTreeMap<String, (String, Vec<Order>)>;
    let mut orders: Book = BTreeMap::new();
    for row in
        sqlx::query("SELECT user_id, order_id, state FROM sim_order_states ORDER BY order_id, seq")
            .fetch_all(pool)
            .await?
    {
        let s: String = row.try_get("state")?;
        let o: Order = serde_json::from_str(&s).map_err(corrupt("sim_order_states"))?;
        orders
            .entry(row.try_get("order_id")?)
            .or_insert_with(|| (row.try_get("user_id").unwrap_or_default(), Vec::new()))
            .1
            .push(o);
    }
    let mut extras: BTreeMap<String, Extra> = BTreeMap::new();
    for row in sqlx::query("SELECT order_id, extra FROM sim_order_extras")
        .fetch_all(pool)
        .await?
    {
        let s: String = row.try_get("extra")?;
        extras.insert(
            row.try_get("order_id")?,
            serde_json::from_str(&s).map_err(corrupt("sim_order_extras"))?,
        );
    }
    let mut trades: BTreeMap<String, Vec<Trade>> = BTreeMap::new();
    for row in sqlx::query("SELECT user_id, trade FROM sim_trades ORDER BY trade_id")
        .fetch_all(pool)
        .await?
    {
        let s: String = row.try_get("trade")?;
        trades
            .entry(row.try_get("user_id")?)
            .or_default()
            .push(serde_json::from_str(&s).map_err(corrupt("sim_trades"))?);
    }
    let mut holdings: BTreeMap<String, Vec<Holding>> = BTreeMap::new();
    for row in sqlx::query("SELECT user_id, holding FROM sim_holdings ORDER BY user_id, position")
        .fetch_all(pool)
        .await?
    {
        let s: String = row.try_get("holding")?;
        holdings
            .entry(row.try_get("user_id")?)
            .or_default()
            .push(serde_json::from_str(&s).map_err(corrupt("sim_holdings"))?);
    }
    let mut gtts = Vec::new();
    for row in sqlx::query("SELECT gtt FROM sim_gtts ORDER BY gtt_id")
        .fetch_all(pool)
        .await?
    {
        let s: String = row.try_get("gtt")?;
        gtts.push(serde_json::from_str(&s).map_err(corrupt("sim_gtts"))?);
    }
    let mut by_user: BTreeMap<String, Vec<(Vec<Order>, Extra)>> = BTreeMap::new();
    for (order_id, (user, history)) in orders {
        let extra = extras.remove(&order_id).unwrap_or_default();
        by_user.entry(user).or_default().push((history, extra));
    }
    let accounts = funds
        .into_iter()
        .map(|(user, f)| {
            Account::restore(
                &user,
                f,
                by_user.remove(&user).unwrap_or_default(),
                trades.remove(&user).unwrap_or_default(),
                holdings.remove(&user).unwrap_or_default(),
            )
        })
        .collect();
    Ok(Loaded { accounts, gtts })
}
