//! The trading journal: a user's strategies, orders, fills, signals, risk events and settings in the
//! engine database. A [`Journal`] is bound to one user, so no query can reach another user's rows.

mod export;
mod fills;
mod orders;
mod pnl;
mod risk_events;
mod settings;
mod signals;
mod strategies;

pub use orders::OrderUpdate;
pub use pnl::{account, instrument_key, strategy_key, InstrumentPosition, PnlBook, MANUAL};
pub use risk_events::RiskEvent;

use crate::db::{Db, DbError};
use crate::hub::UserId;

/// One user's journal. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Journal {
    db: Db,
    user: UserId,
}

impl Journal {
    pub fn new(db: Db, user: UserId) -> Self {
        Self { db, user }
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    fn pool(&self) -> &sqlx::SqlitePool {
        self.db.pool()
    }

    fn uid(&self) -> &str {
        self.user.as_str()
    }
}

/// A stored text that does not parse back into its enum.
pub(crate) fn corrupt(table: &'static str, detail: impl Into<String>) -> DbError {
    DbError::Corrupt {
        table,
        detail: detail.into(),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod tests;
