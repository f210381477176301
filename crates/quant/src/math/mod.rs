//! Special functions for option pricing, written here rather than pulled from `statrs` so the
//! WASM bundle stays small and so the tails are under our control: [`erfc`] and [`erfcx`] (W. J.
//! Cody's rational Chebyshev approximations, ~1e-16 relative everywhere, no underflow for
//! `erfcx`) and the normal distribution built on them. They are tested against mpmath at 50
//! digits (`fixtures/special.csv`). [`ln`] and [`exp`] are branch-free (within 1 ulp) for loops
//! the compiler should vectorise.

mod erf;
mod exp;
mod ln;
mod normal;

pub use erf::{erf, erfc, erfcx};
pub(crate) use erf::{erfcx_nonneg, erfcx_upto4};
pub use exp::exp;
pub use ln::ln;
pub use normal::{norm_cdf, norm_inv_cdf, norm_pdf};

/// `if c { a } else { b }` through bit masks, so the compiler emits no branch.
#[inline(always)]
pub(crate) fn select(c: bool, a: f64, b: f64) -> f64 {
    let mask = u64::from(c).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}
