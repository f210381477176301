//! European option math: Black-Scholes(-Merton) prices and greeks, implied volatility, time to
//! expiry for NSE/BSE contracts, and option-chain statistics.
//!
//! Conventions, everywhere in this module:
//! * `t` is in years of **calendar** days: `T = days / 365` (see [`time_to_expiry`]).
//! * rates and the dividend yield are continuously compounded, per year (0.07 = 7%).
//! * volatility is annualised (0.2 = 20%).
//! * theta is **per calendar day** (annual theta / 365), vega **per 1 vol point** (÷100), rho
//!   **per 1 percentage point of rate** (÷100).

mod batch;
mod black_scholes;
pub mod chain;
mod expiry;
mod implied_vol;
mod iv_start;

pub use batch::{implied_vols, implied_vols_vec};
pub use black_scholes::{Contract, Greeks};
pub use expiry::{days_from_civil, expiry_unix, time_to_expiry, EXPIRY_SECS_UTC};
pub use implied_vol::normalised_black;

use serde::{Deserialize, Serialize};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    Call,
    Put,
}

impl OptionKind {
    /// +1 for a call, -1 for a put.
    pub fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }
}

impl std::str::FromStr for OptionKind {
    type Err = OptionsError;
    /// `call`/`c`/`ce` or `put`/`p`/`pe`, any case (CE/PE as on NSE).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "call" | "c" | "ce" => Ok(OptionKind::Call),
            "put" | "p" | "pe" => Ok(OptionKind::Put),
            _ => Err(OptionsError::UnknownKind(s.to_string())),
        }
    }
}

/// Why a price, greek or implied volatility could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// Spot, strike, time and volatility must be finite and positive; rates finite.
    #[error("{name} must be {requirement}, got {value}")]
    InvalidInput {
        name: &'static str,
        requirement: &'static str,
        value: f64,
    },
    /// Below the discounted intrinsic value no volatility reproduces the price.
    #[error("price {price} is below the no-arbitrage minimum {min}")]
    BelowIntrinsic { price: f64, min: f64 },
    /// A call is worth less than the (dividend-discounted) spot, a put less than the
    /// discounted strike; at or above that no finite volatility reproduces the price.
    #[error("price {price} is at or above the no-arbitrage maximum {max}")]
    AboveMaximum { price: f64, max: f64 },
    /// The expiry instant is not after "now".
    #[error("the option has expired ({seconds} s to expiry)")]
    Expired { seconds: i64 },
    /// Not a calendar date.
    #[error("invalid date {year:04}-{month:02}-{day:02}")]
    InvalidDate { year: i32, month: u32, day: u32 },
    /// A batch call's slices must have one entry per option.
    #[error("batch lengths differ: {contracts} contracts, {prices} prices, {out} outputs")]
    LengthMismatch {
        contracts: usize,
        prices: usize,
        out: usize,
    },
    /// Not one of call/put.
    #[error("unknown option kind {0:?} (expected call or put)")]
    UnknownKind(String),
}

pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, OptionsError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(OptionsError::InvalidInput {
            name,
            requirement: "finite and > 0",
            value,
        })
    }
}

pub(crate) fn finite(name: &'static str, value: f64) -> Result<f64, OptionsError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(OptionsError::InvalidInput {
            name,
            requirement: "finite",
            value,
        })
    }
}
