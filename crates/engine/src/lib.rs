//! Trading engines, one per user, and the hub that hosts them.
//!
//! Today an engine keeps the market watch fed from its user's ticker and fans ticks out to that user's
//! dashboards; strategies, risk and execution hang off the same engine later.
#![forbid(unsafe_code)]

pub mod hub;
pub mod market_watch;
pub mod user_engine;

pub use hub::{EngineHub, HubInfo, UserId};
pub use market_watch::MarketWatch;
pub use user_engine::UserEngine;
