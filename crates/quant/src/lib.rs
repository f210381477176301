//! Pure trading math shared by the server and the WASM dashboard.
//!
//! * [`indicators`]: TA-Lib-compatible technical indicators, each in a batch form (slice in,
//!   `Vec<f64>` out, `NaN` during warm-up) and a streaming form (`update` returns `None` during
//!   warm-up, O(1) per bar, bit-for-bit equal to the batch form, which is built on it).
//! * [`options`]: Black-Scholes prices and greeks, implied volatility, time to expiry and
//!   option-chain statistics (max pain, PCR, ATM strike).
//! * [`math`]: the special functions underneath (error function family, normal distribution).
//! * `tools` (feature `tools`): offline CSV/JSON helpers over `std::io` readers and writers.
//!
//! No I/O, no clocks, no threads: everything here builds for `wasm32-unknown-unknown` without
//! JavaScript glue. One `unsafe` call, in `options::batch`: running the batch implied-vol passes
//! compiled for AVX2 or AVX-512 after the standard library's check that the CPU has them.
#![deny(unsafe_code)]

pub mod bar;
pub mod indicators;
pub mod math;
pub mod options;
#[cfg(test)]
mod test_support;
#[cfg(feature = "tools")]
pub mod tools;

pub use bar::Bar;
