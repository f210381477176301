//! Index options: chains with IV and greeks per leg ([`chain`]), and the live open-interest tracker
//! ([`oi_tracker`]). Both read the same per-day OI base ([`OiBase`]).

pub mod chain;
pub mod oi_base;
pub mod oi_tracker;

pub use chain::{ChainSource, DEFAULT_RATE};
pub use oi_base::OiBase;
pub use oi_tracker::OiTracker;
