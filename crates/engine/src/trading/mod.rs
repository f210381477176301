//! Live trading for one user: strategies fed from the ticker, every signal through the risk manager,
//! approved orders through the execution engine, everything in the journal, and the kill switch.
//!
//! The pieces live apart so each can be tested alone: [`bars`] (ticks → bars), [`runner`] (a
//! strategy on its own thread), [`intent`] (signal → order), `crate::risk`, `crate::execution`,
//! `crate::journal`. [`TradingService`] wires them.

mod backtest_job;
pub mod bars;
pub mod intent;
mod options_runner;
pub mod runner;
mod service;

pub use service::{TradingConfig, TradingService};
