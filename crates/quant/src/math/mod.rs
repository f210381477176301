//! Special functions for option pricing, written here rather than pulled from `statrs` so the
//! WASM bundle stays small and so the tails are under our control: [`erfc`] and [`erfcx`] (W. J.
//! Cody's rational Chebyshev approximations, ~1e-16 relative everywhere, no underflow for
//! `erfcx`) and the normal distribution built on them. They are tested against mpmath at 50
//! digits (`fixtures/special.csv`). [`ln`] is a branch-free logarithm (fdlibm's, within 1 ulp)
//! for loops the compiler should vectorise.

mod erf;
mod ln;
mod normal;

pub use erf::{erf, erfc, erfcx};
pub(crate) use erf::{erfcx_nonneg, erfcx_upto4};
pub use ln::ln;
pub use normal::{norm_cdf, norm_inv_cdf, norm_pdf};
