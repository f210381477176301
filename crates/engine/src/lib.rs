//! Trading engines, one per user, and the hub that hosts them.
//!
//! An engine keeps the market watch fed from its user's ticker and fans ticks out to that user's
//! dashboards; it builds option chains, tracks open interest and runs the stock scanner over a
//! candle cache in the engine's database; and it trades: strategies, risk manager, execution
//! engine, journal and kill switch ([`trading`]).
#![forbid(unsafe_code)]

pub mod alerts;
pub mod backtest;
pub mod db;
pub mod error;
pub mod execution;
pub mod hub;
pub mod instruments;
pub mod journal;
pub mod manager;
pub mod market_watch;
pub mod options;
pub mod risk;
pub mod scanner;
pub mod strategy;
pub mod trading;
pub mod user_engine;
pub mod users;

pub use db::{Db, DbError};
pub use error::EngineError;
pub use hub::{EngineHub, HubInfo, UserId};
pub use journal::Journal;
pub use manager::{EngineManager, KiteSession, ManagerError, Upstream};
pub use market_watch::MarketWatch;
pub use options::OiTracker;
pub use scanner::Scanner;
pub use user_engine::{AnalyticsConfig, UserEngine};
