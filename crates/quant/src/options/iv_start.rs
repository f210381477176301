//! Tabulated starting points for the implied-volatility iteration, and the inflexion price.
//!
//! The iteration's cost is its objective evaluations (two `erfcx`, a `ln`, three divisions
//! each). Householder(3) converges with order four, so a start within ~1e-4 of the root needs
//! ONE evaluation to reach double precision; the closed-form starts are only that close for
//! about a quarter of a typical chain (1.86 evaluations per option on the bench's mix). Here
//! the inverse `s(x, β)` of the normalised Black price is tabulated over coordinates in which
//! it is smooth, one table per objective, and read back by 4×4-point (bicubic Lagrange)
//! interpolation: a few dozen multiplications and adds, a `sqrt` and an inline logarithm
//! ([`ln_approx`], no libm call), against an evaluation's `ln`, `erfcx`s and divisions. On
//! the bench's mix the start is within 1e-4 for all upper-branch options and 99.8% of the
//! lower ones: 1.002 evaluations per option.
//!
//! The inflexion price `b_c` (which chooses the objective) gets a 1-D table too, with a
//! bounded error: options whose price is within that bound of `b_c` get the exact value.
//!
//! The tables are built once, on first use, by solving the normalised problem at every node
//! with the same iteration run to full precision from the closed-form start (a few thousand
//! solves, about a millisecond), so they always agree with the code that uses them. They
//! only choose where the iteration starts; it still runs until Newton's step is small, so the
//! accuracy of an answer never depends on them. Outside their range (`|x| > X_MAX`, very high
//! `σ√T`) the caller falls back to the closed-form start.
//!
//! Coordinates (`x = ln(F/K) ≤ 0`, `ξ = √|x|`, `b_max = e^{x/2}`, `s_c = √(2|x|)`):
//! * below the inflexion point (`β ≤ b_c`): `v = √(ln(b_max/b_c) / ln(b_max/β)) ∈ (0, 1]`,
//!   storing `s / (s_c·v)`. For small `s`, `ln(b_max/β) ≈ x²/(2s²)`, so `s ∝ v` there and the
//!   stored ratio tends to a constant; `v = 1` is the inflexion point itself.
//! * above it: `η = √(ln(b_max/(b_max - β)))`, storing `s`. For large `s`,
//!   `b_max - β ≈ 2·cosh(x/2)·Φ(-s/2)`, so `η ≈ s/√8` and `s` is nearly linear in `η`.

use std::sync::OnceLock;

use super::implied_vol::{inflexion, is_lower, iterate, start_analytic, Branch, Inflexion, Target};
use crate::math::erfcx_nonneg;

/// Largest `|x| = |ln(F/K)|` the tables cover (strikes within e^{±1} of the forward).
const X_MAX: f64 = 1.0;
/// Nodes along `ξ = √|x|`, cell-centred on `[0, √X_MAX]` (the problem degenerates at x = 0).
const NX: usize = 40;
/// Nodes along the lower table's `v ∈ [0, 1]`.
const NV: usize = 64;
/// Nodes along the upper table's `η ∈ [0, ETA_MAX]`.
const NE: usize = 64;
/// Largest `η` the upper table covers (σ√T up to about 5).
const ETA_MAX: f64 = 2.0;
/// Nodes of the inflexion-price table over `ξ ∈ [0, √X_MAX]`.
const NB: usize = 257;
/// Relative error bound of [`b_c_ratio`] (checked by a test with a 10× margin): within this
/// of `b_c` the caller recomputes `b_c` exactly before choosing the objective.
pub(crate) const B_C_TOL: f64 = 1e-9;

pub(crate) struct Tables {
    /// `s / (s_c·v)` at `(ξ_i, v_j)`, row-major in `ξ`.
    lower: Box<[f32]>,
    /// `s` at `(ξ_i, η_j)`, row-major in `ξ`.
    upper: Box<[f32]>,
    /// `(ln c, 1/c)` for `c = 1 + (i + ½)/16`, for [`ln_approx`].
    ln_inv_c: [(f64, f64); 16],
    /// `(1 - erfcx(ξ))/ξ` at `ξ_i = i/(NB - 1)`, for [`b_c_ratio`].
    b_c: Box<[f64]>,
}

static TABLES: OnceLock<Tables> = OnceLock::new();

pub(crate) fn tables() -> &'static Tables {
    TABLES.get_or_init(build)
}

/// `ξ` of node `i`.
fn xi_node(i: usize) -> f64 {
    (i as f64 + 0.5) * X_MAX.sqrt() / NX as f64
}

fn build() -> Tables {
    let mut lower = vec![0.0f32; NX * NV];
    let mut upper = vec![0.0f32; NX * NE];
    for i in 0..NX {
        let xi = xi_node(i);
        let x = -xi * xi;
        let b_max = (0.5 * x).exp();
        let inf = inflexion(x, b_max);
        let l_c = 0.5 * x - inf.b_c.ln();
        for j in 0..NV {
            let v = j as f64 / (NV - 1) as f64;
            lower[i * NV + j] = if j == 0 {
                // β → 0: ln(b_max/β) ≈ x²/(2s²), so s/(s_c·v) → ξ/(2·√l_c).
                (xi / (2.0 * l_c.sqrt())) as f32
            } else {
                // ln β = x/2 - l_c/v², solved on the lower objective (β ≤ b_c there).
                let target_ln = 0.5 * x - l_c / (v * v);
                let s = solve_ln(Branch::Lower, x, target_ln, b_max, &inf);
                (s / (inf.s_c * v)) as f32
            };
        }
        for j in 0..NE {
            let eta = ETA_MAX * j as f64 / (NE - 1) as f64;
            upper[i * NE + j] = if j == 0 {
                0.0
            } else {
                // β = b_max·(1 - e^{-η²}); either objective, whichever side β is on.
                let beta = -b_max * (-eta * eta).exp_m1();
                let branch = if is_lower(x, beta, &inf) {
                    Branch::Lower
                } else {
                    Branch::Upper
                };
                let target_ln = match branch {
                    Branch::Lower => beta.ln(),
                    Branch::Upper => (b_max - beta).ln(),
                };
                solve_ln(branch, x, target_ln, b_max, &inf) as f32
            };
        }
    }
    let mut ln_inv_c = [(0.0, 0.0); 16];
    for (i, entry) in ln_inv_c.iter_mut().enumerate() {
        let c = 1.0 + (i as f64 + 0.5) / 16.0;
        *entry = (c.ln(), 1.0 / c);
    }
    let b_c = (0..NB)
        .map(|i| {
            let xi = i as f64 / (NB - 1) as f64;
            if i == 0 {
                // erfcx(ξ) = 1 - 2ξ/√π + O(ξ²).
                std::f64::consts::FRAC_2_SQRT_PI
            } else {
                (1.0 - erfcx_nonneg(xi)) / xi
            }
        })
        .collect();
    Tables {
        lower: lower.into_boxed_slice(),
        upper: upper.into_boxed_slice(),
        ln_inv_c,
        b_c,
    }
}

/// Solves the branch objective for a target given by its logarithm (so that β far below the
/// smallest double still has a node), from the closed-form start.
fn solve_ln(branch: Branch, x: f64, target_ln: f64, b_max: f64, inf: &Inflexion) -> f64 {
    // The closed-form start needs β itself; below the smallest normal double its start is
    // poor but the bracketed iteration still converges.
    let beta = match branch {
        Branch::Lower => target_ln.exp().max(f64::MIN_POSITIVE),
        Branch::Upper => b_max - target_ln.exp(),
    };
    let mut st = start_analytic(branch, x, beta, b_max, inf);
    st.target = Target {
        half_inv: 0.5,
        ln_offset: target_ln,
    };
    iterate(branch, x, st).0
}

/// Where an option falls in its objective's table: the fractional node position `(p, q)`,
/// the factor the interpolated value is multiplied by (`s_c·v` below the inflexion point, 1
/// above it) and whether it is inside the table. Computed without a branch, so the batch
/// solver computes it for two options per SSE2 instruction, with its own logarithm.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Coords {
    pub(crate) p: f64,
    pub(crate) q: f64,
    pub(crate) scale: f64,
    pub(crate) inside: bool,
}

/// The lower table's coordinates of `(x, β)` (`x < 0`, `β ≤ b_c`), with the logarithm `log`.
#[inline(always)]
pub(crate) fn lower_coords(
    x: f64,
    beta: f64,
    s_c: f64,
    b_c: f64,
    log: impl Fn(f64) -> f64,
) -> Coords {
    let xi = s_c * std::f64::consts::FRAC_1_SQRT_2;
    let v = ((0.5 * x - log(b_c)) / (0.5 * x - log(beta))).sqrt();
    Coords {
        p: xi * (NX as f64 / X_MAX.sqrt()) - 0.5,
        q: v * (NV - 1) as f64,
        scale: s_c * v,
        inside: x >= -X_MAX,
    }
}

/// The upper table's coordinates of `(x, c = b_max - β)`, with the logarithm `log`.
#[inline(always)]
pub(crate) fn upper_coords(x: f64, c: f64, s_c: f64, log: impl Fn(f64) -> f64) -> Coords {
    let eta = (0.5 * x - log(c)).sqrt();
    let xi = s_c * std::f64::consts::FRAC_1_SQRT_2;
    Coords {
        p: xi * (NX as f64 / X_MAX.sqrt()) - 0.5,
        q: eta * ((NE - 1) as f64 / ETA_MAX),
        scale: 1.0,
        inside: (x >= -X_MAX) & (eta <= ETA_MAX),
    }
}

/// The tabulated start at `coords` (inside the table) on `branch`'s table.
#[inline(always)]
pub(crate) fn read(branch: Branch, coords: &Coords) -> f64 {
    let t = tables();
    let (table, cols) = match branch {
        Branch::Lower => (&t.lower, NV),
        Branch::Upper => (&t.upper, NE),
    };
    coords.scale * interpolate(table, cols, coords.p, coords.q)
}

/// Start on the lower objective (`x < 0`, `β ≤ b_c`), or `None` outside the table.
#[inline(always)]
pub(crate) fn lower(x: f64, beta: f64, inf: &Inflexion) -> Option<f64> {
    let t = tables();
    let coords = lower_coords(x, beta, inf.s_c, inf.b_c, |v| ln_approx(v, t));
    coords.inside.then(|| read(Branch::Lower, &coords))
}

/// Start on the upper objective (`c = b_max - β`), or `None` outside the table.
#[inline(always)]
pub(crate) fn upper(x: f64, c: f64, inf: &Inflexion) -> Option<f64> {
    let t = tables();
    let coords = upper_coords(x, c, inf.s_c, |v| ln_approx(v, t));
    coords.inside.then(|| read(Branch::Upper, &coords))
}

/// `ln v` to ~1e-13 (absolute, or relative above 1) for normal positive `v` (`v.ln()`
/// otherwise), inline, without a libm call or a division: a table coordinate needs no more,
/// and a wrong coordinate would only cost an evaluation. `v = 2^e·m`, `m ∈ [1, 2)`; the top
/// four bits of `m` pick `c` (a sixteenth's midpoint) with `ln c` and `1/c` tabulated, so
/// `u = m/c - 1 ∈ [-1/33, 1/33]` and `ln(1 + u)` is its series to `u⁷`.
#[inline(always)]
pub(crate) fn ln_approx(v: f64, t: &Tables) -> f64 {
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&v) {
        return v.ln();
    }
    let bits = v.to_bits();
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let e = ((bits >> 52) as i64 - 1023) as f64;
    let i = ((bits >> 48) & 0xf) as usize;
    let u = m * t.ln_inv_c[i].1 - 1.0;
    let u2 = u * u;
    let series = (u - 0.5 * u2)
        + u2 * u * ((1.0 / 3.0 - 0.25 * u) + u2 * (0.2 - u * (1.0 / 6.0) + u2 * (1.0 / 7.0)));
    e * std::f64::consts::LN_2 + t.ln_inv_c[i].0 + series
}

/// `(1 - erfcx(ξ))/ξ`, so that `b_c = ½·b_max·ξ·(that)`, to [`B_C_TOL`] relative for
/// `ξ = √|x| ≤ √X_MAX` (`None` beyond): a cubic through four of 257 nodes instead of an
/// `erfcx` (a rational with a division, plus a series for e^{ξ²} near the money). The ratio
/// is smooth (it tends to 2/√π at 0), unlike `1 - erfcx(ξ)` itself relative to its size.
#[inline(always)]
pub(crate) fn b_c_ratio(xi: f64) -> Option<f64> {
    if xi.is_nan() || xi > X_MAX.sqrt() {
        return None;
    }
    let t = &tables().b_c;
    let q = xi * ((NB - 1) as f64 / X_MAX.sqrt());
    let j0 = ((q - 1.0).max(0.0) as usize).min(NB - 4);
    let w = weights(q - j0 as f64);
    Some((t[j0] * w[0] + t[j0 + 1] * w[1]) + (t[j0 + 2] * w[2] + t[j0 + 3] * w[3]))
}

/// Cubic Lagrange weights of the nodes 0..4 at position `t` (nodes at 0, 1, 2, 3).
#[inline(always)]
fn weights(t: f64) -> [f64; 4] {
    let (t0, t1, t2, t3) = (t, t - 1.0, t - 2.0, t - 3.0);
    [
        -(t1 * t2 * t3) * (1.0 / 6.0),
        (t0 * t2 * t3) * 0.5,
        -(t0 * t1 * t3) * 0.5,
        (t0 * t1 * t2) * (1.0 / 6.0),
    ]
}

/// Bicubic interpolation in a row-major table with `cols` columns at fractional node
/// position `(p, q)`; the 4×4 stencil is clamped inside the table, so positions up to half a
/// cell outside extrapolate smoothly.
#[inline(always)]
fn interpolate(table: &[f32], cols: usize, p: f64, q: f64) -> f64 {
    let rows = table.len() / cols;
    // `as usize` saturates negative and NaN to 0; both are clamped into range.
    let i0 = ((p - 1.0).max(0.0) as usize).min(rows - 4);
    let j0 = ((q - 1.0).max(0.0) as usize).min(cols - 4);
    let wp = weights(p - i0 as f64);
    let wq = weights(q - j0 as f64);
    let mut acc = 0.0;
    for (a, wa) in wp.iter().enumerate() {
        let row = &table[(i0 + a) * cols + j0..(i0 + a) * cols + j0 + 4];
        let inner = f64::from(row[0]) * wq[0]
            + f64::from(row[1]) * wq[1]
            + f64::from(row[2]) * wq[2]
            + f64::from(row[3]) * wq[3];
        acc += wa * inner;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::super::implied_vol::normalised_black;
    use super::*;

    /// The coordinates' logarithm agrees with libm's across the whole double range.
    #[test]
    fn ln_approx_matches_ln() {
        let mut worst = 0.0f64;
        let mut v = 1e-310;
        while v < 1e300 {
            let (a, b) = (ln_approx(v, tables()), v.ln());
            worst = worst.max((a - b).abs() / b.abs().max(1.0));
            v *= 1.000_37;
        }
        assert!(worst <= 1e-12, "worst {worst:e}");
        let t = tables();
        assert!(ln_approx(0.0, t) == f64::NEG_INFINITY && ln_approx(-1.0, t).is_nan());
    }

    /// The tabulated inflexion price is within B_C_TOL/10 of the exact one everywhere it
    /// answers, so the exact recomputation band (B_C_TOL) always holds the true boundary.
    #[test]
    fn b_c_ratio_within_tolerance() {
        let mut worst = 0.0f64;
        for i in 1..=1_000_000 {
            let xi = X_MAX.sqrt() * i as f64 / 1e6;
            let x = -xi * xi;
            let b_max = (0.5 * x).exp();
            let exact = inflexion(x, b_max).b_c;
            let approx = 0.5 * b_max * xi * b_c_ratio(xi).unwrap();
            worst = worst.max(((approx - exact) / exact).abs());
        }
        assert!(worst <= 0.1 * B_C_TOL, "worst {worst:e}");
        assert!(b_c_ratio(1.01 * X_MAX.sqrt()).is_none() && b_c_ratio(f64::NAN).is_none());
    }

    /// On the benchmark's mix (strikes 0.7-1.4x, 1 day to 1 year, vols 5-150%) the tabulated
    /// start covers every option and is within 1e-4 of the root for more than 99% of them on
    /// each objective (measured: all of the upper ones, within 4e-5; 99.8% of the lower ones,
    /// the rest within 5.1e-3), and never off by more than 1%.
    #[test]
    fn start_within_1e4_on_bench_mix() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        // [objective][within 1e-4, beyond], worst relative error.
        let mut count = [[0usize; 2]; 2];
        let mut worst = [0.0f64; 2];
        for _ in 0..100_000 {
            let x = -(0.7 + 0.7 * uniform()).ln().abs();
            let t = (1.0 + 364.0 * uniform()) / 365.0;
            let s_true = (0.05 + 1.45 * uniform()) * t.sqrt();
            let beta = normalised_black(x, s_true);
            if beta.is_nan() || beta <= 1e-300 {
                continue;
            }
            let b_max = (0.5 * x).exp();
            let inf = inflexion(x, b_max);
            let is_low = is_lower(x, beta, &inf);
            let s = if is_low {
                lower(x, beta, &inf)
            } else {
                upper(x, b_max - beta, &inf)
            }
            .expect("the bench's options are inside the tables");
            let e = ((s - s_true) / s_true).abs();
            let k = usize::from(is_low);
            count[k][usize::from(e.is_nan() || e > 1e-4)] += 1;
            worst[k] = worst[k].max(e);
        }
        for (k, name) in [(0, "upper"), (1, "lower")] {
            let [good, bad] = count[k];
            assert!(good > 40_000, "{name}: only {good} options");
            assert!(
                bad * 100 < good,
                "{name}: {bad} of {} starts beyond 1e-4",
                good + bad
            );
            assert!(worst[k] < 1e-2, "{name}: worst start off by {:e}", worst[k]);
        }
    }

    /// Outside the tables the caller gets `None` (and uses the closed-form start).
    #[test]
    fn outside_the_tables_is_none() {
        let x: f64 = -1.5;
        let b_max = (0.5 * x).exp();
        let inf = inflexion(x, b_max);
        assert!(lower(x, 0.5 * inf.b_c, &inf).is_none());
        assert!(upper(x, 0.5 * (b_max - inf.b_c), &inf).is_none());
        // σ√T ≈ 12 (η ≈ 4.3 > ETA_MAX) at x = -0.1.
        let x: f64 = -0.1;
        let b_max = (0.5 * x).exp();
        let inf = inflexion(x, b_max);
        let beta = normalised_black(x, 12.0);
        assert!(upper(x, b_max - beta, &inf).is_none());
        assert!(upper(x, b_max - normalised_black(x, 1.0), &inf).is_some());
    }
}
