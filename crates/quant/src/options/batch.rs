//! Implied volatilities of many options at once, for throughput.
//!
//! One option's solve is a dependent chain (`ln`, `exp`, `erfcx`, divisions, each waiting on
//! the last), so the scalar solver is latency-bound: the CPU can only overlap consecutive
//! options when the branches between them predict well, and the choice of objective (lower or
//! upper, a coin flip on a mixed chain) does not.
//!
//! Here a block of options at a time (small enough to stay in cache):
//! 1. a first pass normalises every option and chooses its objective, storing the options that
//!    need a solve in two lists, one per objective (lower ones from the front of one buffer,
//!    upper ones from the back, written without a branch), and errors or zeros straight into
//!    the output;
//! 2. each list is then solved in passes over arrays (see [`solve_list`]): the table
//!    coordinates, the starts (from the tables, see `iv_start.rs`), then one Householder step
//!    each and the scalar loop's first convergence test. The step pass has no branch and no
//!    call (the `erfcx` on `[0, 4]` and the logarithm are our own branch-free functions), so
//!    the compiler evaluates two options per SSE2 instruction, divisions and square roots
//!    included. The tabulated start is within ~1e-4 for nearly every option, so that test
//!    passes for nearly all of them;
//! 3. the few options that need more (about 0.2% of a typical chain) run the scalar iteration
//!    from their start, and the rare ones with an `erfcx` argument beyond 4 (short-dated, far
//!    from the money) redo their step with the scalar `erfcx`.
//!
//! Agreement with [`Contract::implied_vol`]: the same errors, the same starts and the same
//! iteration, but the step pass takes its logarithm from [`crate::math::ln`] (within 1 ulp,
//! vectorisable) where the scalar solver calls libm's (which glibc runs with FMA, faster one
//! value at a time): the two differ in the last bit of `ln` for a few percent of the options,
//! which moves the volatility by at most a few ulps (measured: 0.8% of the bench's 1 M
//! options differ, by at most 4.2e-16 relative; the tests require 1e-13).

use super::implied_vol::{
    classify, householder, householder_lane, inflexion, iterate, normalise, start_analytic, Branch,
    Inflexion, Normalised, Start, Step, Target, NEWTON_TOL,
};
use super::iv_start::{self, Coords};
use super::{Contract, OptionsError};

/// Options normalised, then solved, per block: the block's scratch (~100 KiB) stays in cache.
const BLOCK: usize = 1024;

/// Implied volatilities of `contracts[i]` at `prices[i]` into `out[i]`, each exactly what
/// [`Contract::implied_vol`] returns for it (a value or that option's error), computed a block
/// of options at a time.
///
/// Errors (and writes nothing) if the three slices differ in length.
pub fn implied_vols(
    contracts: &[Contract],
    prices: &[f64],
    out: &mut [Result<f64, OptionsError>],
) -> Result<(), OptionsError> {
    if contracts.len() != prices.len() || contracts.len() != out.len() {
        return Err(OptionsError::LengthMismatch {
            contracts: contracts.len(),
            prices: prices.len(),
            out: out.len(),
        });
    }
    // Blocks keep the scratch list small and in cache (a list for all options would be tens
    // of megabytes, written and read back from memory, plus its page faults).
    let mut pending = vec![Pending::default(); BLOCK.min(contracts.len())];
    let mut scratch = Scratch::default();
    for (block, first) in contracts.chunks(BLOCK).zip((0..).step_by(BLOCK)) {
        let n = block.len();
        // Lower-objective options fill `pending` from the front, upper ones from the back.
        let (mut n_lower, mut n_upper) = (0usize, 0usize);
        for (j, c) in block.iter().enumerate() {
            let i = first + j;
            match c.validate().and_then(|()| normalise(c, prices[i])) {
                Err(e) => out[i] = Err(e),
                Ok(Normalised::ZeroVol) => out[i] = Ok(0.0),
                Ok(Normalised::Solve { x, beta, b_max }) => {
                    let (inf, lower) = classify(x, beta, b_max);
                    let p = Pending {
                        index: i,
                        x,
                        beta,
                        b_max,
                        inf,
                    };
                    // Both slots get the record and one counter moves: no branch on the
                    // objective. While options remain, n_lower + n_upper ≤ j < n, so the front
                    // slot is never inside the back list (they meet only on the block's last
                    // option, with this record).
                    pending[n_lower] = p;
                    pending[n - 1 - n_upper] = p;
                    n_lower += usize::from(lower);
                    n_upper += usize::from(!lower);
                }
            }
        }
        solve_list(
            Branch::Lower,
            &pending[..n_lower],
            &mut scratch,
            contracts,
            out,
        );
        solve_list(
            Branch::Upper,
            &pending[n - n_upper..n],
            &mut scratch,
            contracts,
            out,
        );
    }
    Ok(())
}

/// [`implied_vols`] into a new vector.
pub fn implied_vols_vec(
    contracts: &[Contract],
    prices: &[f64],
) -> Result<Vec<Result<f64, OptionsError>>, OptionsError> {
    let mut out = vec![Ok(0.0); contracts.len()];
    implied_vols(contracts, prices, &mut out)?;
    Ok(out)
}

/// An option that needs a solve: where its answer goes and its normalised problem.
#[derive(Clone, Copy)]
struct Pending {
    index: usize,
    x: f64,
    beta: f64,
    b_max: f64,
    inf: Inflexion,
}

impl Default for Pending {
    fn default() -> Self {
        Self {
            index: 0,
            x: -1.0,
            beta: 0.1,
            b_max: (-0.5f64).exp(),
            inf: inflexion(-1.0, (-0.5f64).exp()),
        }
    }
}

/// Per-option scratch of one objective's list, as separate arrays (structure of arrays) so
/// that the branch-free passes over them vectorise; reused across blocks.
#[derive(Default)]
struct Scratch {
    /// Table coordinates (pass 1).
    coords: Vec<Coords>,
    /// `1/(2β)` or `1/(2(b_max - β))`, the target (pass 1).
    half_inv: Vec<f64>,
    /// The objective's target value, `β` or `b_max - β` (pass 1).
    value: Vec<f64>,
    /// Starts (pass 2), and their unpacked copies for the step pass.
    starts: Vec<Start>,
    x: Vec<f64>,
    s: Vec<f64>,
    ln_offset: Vec<f64>,
    t: Vec<f64>,
    /// Results of the step pass (pass 3): `s/√T` after the step, whether the scalar loop
    /// would stop there, whether an `erfcx` argument was beyond the vectorised range.
    vol: Vec<f64>,
    done: Vec<bool>,
    beyond: Vec<bool>,
    /// Options of the list that need the scalar iteration.
    slow: Vec<usize>,
}

fn reset<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    v.clear();
    v.resize(n, fill);
}

/// Solves every option of one objective, in passes over the list:
/// 1. table coordinates and the target's reciprocal, branch-free (vectorised);
/// 2. the starts: table reads (gathers, scalar) or, outside the tables, the closed form;
/// 3. one Householder step and the scalar loop's first convergence test, branch-free
///    (vectorised), and the volatility `s/√T`;
/// 4. the answers into `out`; options whose `erfcx` arguments were beyond the vectorised
///    range redo the step with the scalar `erfcx`, and those that need more steps (about 0.2%
///    of a typical chain) run the scalar iteration.
fn solve_list(
    branch: Branch,
    list: &[Pending],
    w: &mut Scratch,
    contracts: &[Contract],
    out: &mut [Result<f64, OptionsError>],
) {
    let n = list.len();
    let unit = Coords {
        p: 0.0,
        q: 0.0,
        scale: 1.0,
        inside: false,
    };
    reset(&mut w.coords, n, unit);
    reset(&mut w.half_inv, n, 0.0);
    reset(&mut w.value, n, 0.0);
    // Pass 1.
    let tables = iv_start::tables();
    let ln = |v| iv_start::ln_approx(v, tables);
    for (k, pend) in list.iter().enumerate() {
        let (coords, value) = match branch {
            Branch::Lower => (
                iv_start::lower_coords(pend.x, pend.beta, pend.inf.s_c, pend.inf.b_c, ln),
                pend.beta,
            ),
            Branch::Upper => {
                let c = pend.b_max - pend.beta;
                (iv_start::upper_coords(pend.x, c, pend.inf.s_c, ln), c)
            }
        };
        w.coords[k] = coords;
        w.value[k] = value;
        w.half_inv[k] = 0.5 / value;
    }
    // Pass 2.
    w.starts.clear();
    reset(&mut w.t, n, 0.0);
    for (k, pend) in list.iter().enumerate() {
        let (lo, hi) = match branch {
            Branch::Lower => (0.0, pend.inf.s_c),
            Branch::Upper => (pend.inf.s_c, f64::INFINITY),
        };
        let value = w.value[k];
        // As `Target::of`, with the reciprocal from pass 1.
        let target = if value >= 1e-290 {
            Target {
                half_inv: w.half_inv[k],
                ln_offset: 0.0,
            }
        } else {
            Target::of(value)
        };
        let coords = &w.coords[k];
        let tabulated = coords.inside.then(|| iv_start::read(branch, coords));
        let st = match tabulated {
            Some(s) if s > lo && s < hi => Start { target, lo, hi, s },
            _ => start_analytic(branch, pend.x, pend.beta, pend.b_max, &pend.inf),
        };
        w.starts.push(st);
        w.t[k] = contracts[pend.index].t;
    }
    reset(&mut w.x, n, 0.0);
    reset(&mut w.s, n, 0.0);
    reset(&mut w.ln_offset, n, 0.0);
    for (k, (pend, st)) in list.iter().zip(&w.starts).enumerate() {
        w.x[k] = pend.x;
        w.s[k] = st.s;
        w.half_inv[k] = st.target.half_inv;
        w.ln_offset[k] = st.target.ln_offset;
    }
    // Pass 3.
    reset(&mut w.vol, n, 0.0);
    reset(&mut w.done, n, false);
    reset(&mut w.beyond, n, false);
    {
        let (x, s, hi, lo, t) = (
            &w.x[..n],
            &w.s[..n],
            &w.half_inv[..n],
            &w.ln_offset[..n],
            &w.t[..n],
        );
        let (vol, done, beyond) = (&mut w.vol[..n], &mut w.done[..n], &mut w.beyond[..n]);
        for k in 0..n {
            let target = Target {
                half_inv: hi[k],
                ln_offset: lo[k],
            };
            let (Step { g, nu, step }, b) = householder_lane(branch, x[k], s[k], target);
            let (next, stop) = first_decision(s[k], g, nu, step);
            vol[k] = next / t[k].sqrt();
            done[k] = stop;
            beyond[k] = b;
        }
    }
    // Pass 4.
    w.slow.clear();
    for (k, pend) in list.iter().enumerate() {
        let (vol, done) = if w.beyond[k] {
            let st = &w.starts[k];
            let Step { g, nu, step } = householder(branch, pend.x, st.s, st.target);
            let (next, stop) = first_decision(st.s, g, nu, step);
            (next / w.t[k].sqrt(), stop)
        } else {
            (w.vol[k], w.done[k])
        };
        if done {
            out[pend.index] = Ok(vol);
        } else {
            w.slow.push(k);
        }
    }
    for &k in &w.slow {
        let pend = &list[k];
        let (s, _) = iterate(branch, pend.x, w.starts[k]);
        out[pend.index] = Ok(s / w.t[k].sqrt());
    }
}

/// The scalar loop's first decision after one step from `s`: stop at `g = 0` (`s` stays) or
/// once Newton's step is small (the step is taken). Returns the next iterate and whether to
/// stop.
#[inline(always)]
fn first_decision(s: f64, g: f64, nu: f64, step: f64) -> (f64, bool) {
    let next = if g == 0.0 { s } else { s + step };
    (next, (g == 0.0) | (nu.abs() <= NEWTON_TOL * s))
}

#[cfg(test)]
mod tests {
    use super::super::implied_vol::normalised_black;
    use super::*;

    /// The vectorised step is the scalar step with our own logarithm: over a grid of `x` and
    /// `s` on both objectives, where it does not flag an `erfcx` argument beyond 4 its objective
    /// is the scalar one to an ulp of the logarithm and its Newton step agrees to 1e-13 of `s`;
    /// it flags exactly the points with an argument beyond 4 (which occur on the grid).
    #[test]
    fn lane_step_agrees_with_scalar_step() {
        let (mut compared, mut flagged) = (0, 0);
        for i in 1..60 {
            let x = -2.0 * (i as f64 / 60.0).powi(2);
            let s_c = (2.0 * x.abs()).sqrt();
            for j in 1..80 {
                let s = 4.0 * (j as f64 / 80.0).powi(2);
                // A target near the price at s, as after a start within a few percent.
                let (branch, value) = if s < s_c {
                    (Branch::Lower, normalised_black(x, 1.03 * s))
                } else {
                    let b_max = (0.5 * x).exp();
                    (Branch::Upper, b_max - normalised_black(x, 1.03 * s))
                };
                if !(value > 1e-290 && value.is_finite()) {
                    continue;
                }
                let target = Target::of(value);
                let (lane, beyond) = householder_lane(branch, x, s, target);
                let h = x / s;
                let (a1, a2) = ((h + 0.5 * s) / 2f64.sqrt(), (0.5 * s - h) / 2f64.sqrt());
                let first = if branch == Branch::Lower { -a1 } else { a1 };
                assert_eq!(beyond, first > 4.0 || a2 > 4.0, "x {x} s {s}");
                if beyond {
                    flagged += 1;
                    continue;
                }
                let scalar = householder(branch, x, s, target);
                // g = -(h²+t²)/2 + ln(…): the logarithm's ulp, relative to its size.
                let log_size = (scalar.g + 0.5 * (h * h + 0.25 * s * s)).abs().max(1.0);
                assert!(
                    (lane.g - scalar.g).abs() <= 2.0 * f64::EPSILON * log_size,
                    "x {x} s {s}: g {} vs {}",
                    lane.g,
                    scalar.g
                );
                assert!(
                    (lane.nu - scalar.nu).abs() <= 1e-13 * s,
                    "x {x} s {s}: nu {} vs {}",
                    lane.nu,
                    scalar.nu
                );
                compared += 1;
            }
        }
        assert!(
            compared > 3000 && flagged > 50,
            "{compared} compared, {flagged} flagged"
        );
    }
}
