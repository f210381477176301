//! One module per route.

pub mod analysis;
pub mod funds;
pub mod holdings;
pub mod login;
pub mod market_watch;
pub mod options;
pub mod orders;
pub mod positions;
pub mod profile;

// Trading (issue #7).
pub mod backtest;
pub mod journal;
pub mod risk;
pub mod signals;
pub mod strategies;

// Alerts and health (issue #8).
pub mod alerts;
pub mod health;
