//! Kite Connect v3 over HTTP: one method per endpoint on [`KiteClient`], typed results from
//! `model::broker`, typed errors, Kite's rate limits, retries for reads only.

pub mod client;
pub mod error;
pub mod gtt;
pub mod instruments;
pub mod limits;
pub mod margins;
pub mod market;
pub mod orders;
pub mod portfolio;
pub mod session;

pub use client::{KiteClient, KiteConfig, KITE_API_ROOT, KITE_LOGIN_URL};
pub use error::KiteError;
pub use limits::{urgent, Class, RateLimits};
