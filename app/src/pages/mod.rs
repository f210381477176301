//! One module per route.

pub mod market_watch;
