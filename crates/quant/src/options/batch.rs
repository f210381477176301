//! Implied volatilities of many options at once, for throughput.
//!
//! One option's solve is a dependent chain (`exp`, `ln`, `erfcx`, divisions, each waiting on
//! the last), so the scalar solver is latency-bound, one option at a time. Here a block of
//! options at a time (small enough to stay in cache) goes through passes over arrays, nearly
//! all without a branch or a libm call, so that the compiler evaluates several options per
//! vector instruction: 2 with x86-64's baseline SSE2, 4 or more in the AVX2 and AVX-512 builds
//! of the same code, chosen at run time where the CPU has them ([`Build`]):
//! 1. normalise every option and choose its objective ([`Terms::of`], [`classify_lane`]: the
//!    discount factor by [`crate::math::exp`], the log-moneyness by [`crate::math::ln`], the
//!    inflexion price by `erfcx` on `[0, 4]`), flagging the ones with no solve to do (an error
//!    or a zero volatility) or beyond the branch-free range (strikes beyond e^{±16} of the
//!    forward);
//! 2. (scalar, cheap) resolve the flagged ones with the scalar solver's own functions and sort
//!    the rest into two lists, one per objective, without a branch;
//! 3. per list: the table coordinates and the bicubic stencil's place and weights
//!    (vectorised), the 16 table reads (one option at a time: gathers, which the compiler does
//!    not vectorise; each row is one 4-wide load), the bracket test, then one Householder step
//!    and the scalar loop's first convergence test, and the volatility `s/√T` (vectorised); an
//!    option is flagged when its start is not the tabulated one (outside the tables, tiny
//!    prices) or its `erfcx` arguments are beyond the vectorised range (short-dated, far from
//!    the money);
//! 4. the answers into `out`; the flagged options and the few that need more steps (about 0.2%
//!    of a typical chain) run the scalar solver's start and iteration.
//!
//! Agreement with [`Contract::implied_vol`]: the same numbers through the normalisation, the
//! choice of objective and the start (both paths call these same functions), the same errors
//! and the same iteration; but the step pass takes its logarithm from [`crate::math::ln`]
//! where the scalar solver's iteration calls libm's (glibc runs it with FMA, faster one value
//! at a time): the two differ in the last bit of `ln` for a few percent of the options, which
//! moves the volatility by at most a few ulps (the tests require 1e-13 relative). The builds
//! give identical bits (tested).

use super::implied_vol::{
    classify, classify_lane, householder_lane, iterate, normalise, start, Branch, Inflexion,
    Normalised, Step, Target, Terms, NEWTON_TOL,
};
use super::iv_start::{self, Stencil, Tables};
use super::{Contract, OptionsError};

/// Options per block: the block's arrays (~190 KiB) stay in the core's cache (256 and 512
/// measured the same).
const BLOCK: usize = 1024;

/// Implied volatilities of `contracts[i]` at `prices[i]` into `out[i]`, each what
/// [`Contract::implied_vol`] returns for it (a value, to 1e-13 relative, or that option's
/// error), computed a block of options at a time.
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
    Build::best().run(contracts, prices, out);
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

/// The instruction sets the passes are compiled for. The builds run the same operations in
/// the same order (Rust never fuses `a * b + c` into one rounding), so they give the same
/// bits; only how many options share a vector instruction differs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Build {
    /// x86-64's baseline (SSE2: two options per instruction) or another architecture's.
    Baseline,
    /// Four options per instruction.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Wider vectors and masks, which the compiler uses for more of the passes.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Build {
    /// Best first.
    const ALL: &[Self] = &[
        #[cfg(target_arch = "x86_64")]
        Self::Avx512,
        #[cfg(target_arch = "x86_64")]
        Self::Avx2,
        Self::Baseline,
    ];

    /// The best build this CPU runs.
    fn best() -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|b| b.runs_here())
            .unwrap_or(Self::Baseline)
    }

    /// Whether this CPU has what the build is compiled for (the check is cached by the standard
    /// library).
    fn runs_here(self) -> bool {
        match self {
            Self::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => {
                use std::arch::is_x86_feature_detected as has;
                has!("avx2") && has!("avx512f") && has!("avx512dq") && has!("avx512vl")
            }
        }
    }

    /// Runs the build, or the baseline if this CPU cannot.
    fn run(self, contracts: &[Contract], prices: &[f64], out: &mut [Result<f64, OptionsError>]) {
        match self {
            // SAFETY (both): this CPU has the features the function is compiled for, checked
            // by `runs_here` in the guard.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Self::Avx2 if self.runs_here() => unsafe { solve_avx2(contracts, prices, out) },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Self::Avx512 if self.runs_here() => unsafe { solve_avx512(contracts, prices, out) },
            _ => solve(contracts, prices, out),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn solve_avx2(contracts: &[Contract], prices: &[f64], out: &mut [Result<f64, OptionsError>]) {
    solve(contracts, prices, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2")]
fn solve_avx512(contracts: &[Contract], prices: &[f64], out: &mut [Result<f64, OptionsError>]) {
    solve(contracts, prices, out)
}

/// Solves every option, a block at a time (inlined into each instruction-set build).
#[inline(always)]
fn solve(contracts: &[Contract], prices: &[f64], out: &mut [Result<f64, OptionsError>]) {
    let tables = iv_start::tables();
    let mut w = Scratch::new(contracts.len());
    for (first, block) in (0..).step_by(BLOCK).zip(contracts.chunks(BLOCK)) {
        let n = block.len();
        let prices = &prices[first..first + n];
        let out = &mut out[first..first + n];
        normalise_pass(&mut w, block, prices);
        let (n_lower, n_upper) = sort_pass(&mut w, block, prices, out);
        for (branch, range) in [(Branch::Lower, 0..n_lower), (Branch::Upper, n - n_upper..n)] {
            step_pass(&mut w, branch, range.clone(), tables);
            answer_pass(&w, branch, range, out);
        }
    }
}

/// What pass 1 decided for an option.
const SCALAR: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;

/// One block's arrays, one per quantity (structure of arrays, so the passes vectorise).
struct Scratch {
    /// The normalised problem (pass 1): `x`, `β`, `b_max`, the inflexion point `s_c` and
    /// price `b_c`, and `T`.
    x: Vec<f64>,
    beta: Vec<f64>,
    b_max: Vec<f64>,
    s_c: Vec<f64>,
    b_c: Vec<f64>,
    t: Vec<f64>,
    /// [`LOWER`], [`UPPER`] or [`SCALAR`] (pass 1).
    class: Vec<u8>,
    /// Block positions to solve (pass 2): the lower objective's from the front, the upper
    /// one's from the back; and their problems in that order (contiguous, so pass 3's loads
    /// vectorise).
    list: Vec<u32>,
    lx: Vec<f64>,
    lbeta: Vec<f64>,
    lb_max: Vec<f64>,
    ls_c: Vec<f64>,
    lb_c: Vec<f64>,
    lt: Vec<f64>,
    /// Per list entry (pass 3): the tabulated start and whether the scalar solver would start
    /// there too.
    s: Vec<f64>,
    tabulated: Vec<bool>,
    stencil: Vec<Stencil>,
    scale: Vec<f64>,
    /// Per list entry (pass 3): the volatility after one step and whether it is final.
    vol: Vec<f64>,
    done: Vec<bool>,
}

impl Scratch {
    /// Arrays for blocks of up to `len` options (a short batch, a chain's few hundred legs,
    /// gets short arrays).
    fn new(len: usize) -> Self {
        let n = len.min(BLOCK);
        let stencil = Stencil {
            first: 0,
            wp: [0.0; 4],
            wq: [0.0; 4],
        };
        Self {
            x: vec![0.0; n],
            beta: vec![0.0; n],
            b_max: vec![0.0; n],
            s_c: vec![0.0; n],
            b_c: vec![0.0; n],
            t: vec![0.0; n],
            class: vec![SCALAR; n],
            list: vec![0; n],
            lx: vec![0.0; n],
            lbeta: vec![0.0; n],
            lb_max: vec![0.0; n],
            ls_c: vec![0.0; n],
            lb_c: vec![0.0; n],
            lt: vec![0.0; n],
            s: vec![0.0; n],
            tabulated: vec![false; n],
            stencil: vec![stencil; n],
            scale: vec![0.0; n],
            vol: vec![0.0; n],
            done: vec![false; n],
        }
    }
}

/// Pass 1: normalise each option and choose its objective, without a branch.
#[inline(always)]
fn normalise_pass(w: &mut Scratch, block: &[Contract], prices: &[f64]) {
    // Every slice cut to one length, so the compiler sees each index in range (a bounds
    // check would be a branch, and a loop with one does not vectorise).
    let n = block.len();
    let (block, prices) = (&block[..n], &prices[..n]);
    let (xs, betas, b_maxs) = (&mut w.x[..n], &mut w.beta[..n], &mut w.b_max[..n]);
    let (s_cs, b_cs, ts, classes) = (
        &mut w.s_c[..n],
        &mut w.b_c[..n],
        &mut w.t[..n],
        &mut w.class[..n],
    );
    for j in 0..n {
        let (c, price) = (&block[j], prices[j]);
        let tm = Terms::of(c, price);
        let positive = |v: f64| (v > 0.0) & (v < f64::INFINITY);
        let finite = |v: f64| v.abs() < f64::INFINITY;
        // `Contract::validate`'s conditions.
        let valid = positive(c.spot)
            & positive(c.strike)
            & positive(c.t)
            & finite(c.rate)
            & finite(c.div_yield);
        let (inf, lower, exact) = classify_lane(tm.x, tm.beta, tm.b_max);
        xs[j] = tm.x;
        betas[j] = tm.beta;
        b_maxs[j] = tm.b_max;
        ts[j] = c.t;
        s_cs[j] = inf.s_c;
        b_cs[j] = inf.b_c;
        classes[j] = u8::from(valid & tm.solvable(price) & !exact) * (UPPER - u8::from(lower));
    }
}

/// Pass 2: options flagged in pass 1 go through the scalar solver's normalisation and
/// classification (their errors and zero volatilities straight into `out`); the rest are
/// sorted into the two lists. Returns the lists' lengths.
#[inline(always)]
fn sort_pass(
    w: &mut Scratch,
    block: &[Contract],
    prices: &[f64],
    out: &mut [Result<f64, OptionsError>],
) -> (usize, usize) {
    let n = block.len();
    let (mut n_lower, mut n_upper) = (0usize, 0usize);
    for j in 0..n {
        let mut class = w.class[j];
        if class == SCALAR {
            let c = &block[j];
            match c.validate().and_then(|()| normalise(c, prices[j])) {
                Err(e) => out[j] = Err(e),
                Ok(Normalised::ZeroVol) => out[j] = Ok(0.0),
                Ok(Normalised::Solve { x, beta, b_max }) => {
                    let (inf, lower) = classify(x, beta, b_max);
                    w.s_c[j] = inf.s_c;
                    w.b_c[j] = inf.b_c;
                    class = if lower { LOWER } else { UPPER };
                }
            }
            if class == SCALAR {
                continue;
            }
        }
        // Both slots get the position and one counter moves: no branch on the objective.
        // While positions remain, n_lower + n_upper ≤ j < n, so the front slot is never inside
        // the back list (they meet only at the block's last option, with this position).
        let lower = class == LOWER;
        for slot in [n_lower, n - 1 - n_upper] {
            w.list[slot] = j as u32;
            w.lx[slot] = w.x[j];
            w.lbeta[slot] = w.beta[j];
            w.lb_max[slot] = w.b_max[j];
            w.ls_c[slot] = w.s_c[j];
            w.lb_c[slot] = w.b_c[j];
            w.lt[slot] = w.t[j];
        }
        n_lower += usize::from(lower);
        n_upper += usize::from(!lower);
    }
    (n_lower, n_upper)
}

/// Pass 3: for the list entries in `range`, the tabulated start, one Householder step and
/// the scalar loop's first convergence test, without a branch or a call; an entry is done
/// if the scalar solver would have started there too and stopped after that step.
#[inline(always)]
fn step_pass(w: &mut Scratch, branch: Branch, range: std::ops::Range<usize>, tables: &Tables) {
    let xs = &w.lx[range.clone()];
    let m = xs.len();
    let (betas, b_maxs, s_cs, b_cs, ts) = (
        &w.lbeta[range.clone()][..m],
        &w.lb_max[range.clone()][..m],
        &w.ls_c[range.clone()][..m],
        &w.lb_c[range.clone()][..m],
        &w.lt[range.clone()][..m],
    );
    // The start in two loops: the coordinates and the stencil's place and weights
    // (vectorised), then the table reads (gathers, one option at a time).
    let (stencils, scales, tabulated) = (
        &mut w.stencil[range.clone()][..m],
        &mut w.scale[range.clone()][..m],
        &mut w.tabulated[range.clone()][..m],
    );
    for k in 0..m {
        let (x, beta, b_max, s_c, b_c) = (xs[k], betas[k], b_maxs[k], s_cs[k], b_cs[k]);
        // As the scalar `start`: the coordinates, the table and the target.
        let (value, coords) = match branch {
            Branch::Lower => (beta, iv_start::lower_coords(x, beta, s_c, b_c)),
            Branch::Upper => {
                let c = b_max - beta;
                (c, iv_start::upper_coords(x, c, s_c))
            }
        };
        stencils[k] = Stencil::of(&coords);
        scales[k] = coords.scale;
        tabulated[k] = coords.inside & (value >= 1e-290);
    }
    let table = iv_start::table(tables, branch);
    let starts = &mut w.s[range.clone()][..m];
    for k in 0..m {
        starts[k] = scales[k] * iv_start::combine(table, &stencils[k]);
    }
    let (starts, tabulated) = (&w.s[range.clone()][..m], &w.tabulated[range.clone()][..m]);
    let (vols, dones) = (&mut w.vol[range.clone()][..m], &mut w.done[range][..m]);
    for k in 0..m {
        let (x, s) = (xs[k], starts[k]);
        // The scalar solver starts from the table only inside the objective's bracket.
        let (value, in_bracket) = match branch {
            Branch::Lower => (betas[k], (s > 0.0) & (s < s_cs[k])),
            Branch::Upper => (b_maxs[k] - betas[k], (s > s_cs[k]) & (s < f64::INFINITY)),
        };
        let target = Target {
            half_inv: 0.5 / value,
            ln_offset: 0.0,
        };
        let (Step { g, nu, step }, beyond) = householder_lane(branch, x, s, target);
        // The scalar loop's first decision: stop at g = 0 (s stays) or once Newton's step is
        // small (the step is taken).
        let next = if g == 0.0 { s } else { s + step };
        let stop = (g == 0.0) | (nu.abs() <= NEWTON_TOL * s);
        vols[k] = next / ts[k].sqrt();
        dones[k] = stop & tabulated[k] & in_bracket & !beyond;
    }
}

/// Pass 4: the answers of the list entries in `range` into `out`; the ones pass 3 could not
/// finish run the scalar solver's start and iteration.
#[inline(always)]
fn answer_pass(
    w: &Scratch,
    branch: Branch,
    range: std::ops::Range<usize>,
    out: &mut [Result<f64, OptionsError>],
) {
    for k in range {
        let j = w.list[k] as usize;
        out[j] = Ok(if w.done[k] {
            w.vol[k]
        } else {
            let (x, beta, b_max) = (w.x[j], w.beta[j], w.b_max[j]);
            let inf = Inflexion::new(w.s_c[j], w.b_c[j], b_max);
            iterate(branch, x, start(branch, x, beta, b_max, &inf)).0 / w.t[j].sqrt()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::implied_vol::{householder, normalised_black};
    use super::super::OptionKind;
    use super::*;

    /// Every build this CPU runs gives the same bits (values) and the same errors, on a
    /// mixed batch: the bench's spread of strikes, expiries and vols, with prices beyond the
    /// bounds, negative and NaN prices, invalid contracts and far strikes mixed in. (The test
    /// machine runs all three builds.)
    #[test]
    fn every_build_gives_the_same_bits() {
        let mut rng = crate::test_support::Xorshift::new(0x2545_F491_4F6C_DD1D);
        let mut uniform = move || rng.uniform();
        let (mut contracts, mut prices) = (vec![], vec![]);
        for i in 0..20_000 {
            let kind = if i % 2 == 0 {
                OptionKind::Call
            } else {
                OptionKind::Put
            };
            let strike = 22_000.0
                * if i % 97 == 0 {
                    50.0
                } else {
                    0.7 + 0.7 * uniform()
                };
            let t = if i % 89 == 0 {
                -1.0
            } else {
                (1.0 + 364.0 * uniform()) / 365.0
            };
            let c = Contract::new(kind, 22_000.0, strike, t, 0.065);
            let price = match c.price(0.05 + 1.45 * uniform()) {
                Ok(p) if i % 53 == 0 => p * 1e3,
                Ok(p) if i % 59 == 0 => -p,
                Ok(_) if i % 61 == 0 => f64::NAN,
                Ok(p) => p,
                Err(_) => 1.0,
            };
            contracts.push(c);
            prices.push(price);
        }
        let run = |b: Build| {
            let mut out = vec![Ok(0.0); contracts.len()];
            b.run(&contracts, &prices, &mut out);
            out.iter()
                .map(|r| match r {
                    Ok(v) => format!("{:x}", v.to_bits()),
                    Err(e) => format!("{e:?}"),
                })
                .collect::<Vec<_>>()
        };
        let baseline = run(Build::Baseline);
        assert!(baseline.iter().any(|r| r.starts_with("InvalidInput")));
        assert!(baseline.iter().any(|r| r.starts_with("AboveMaximum")));
        for b in Build::ALL.iter().copied().filter(|b| b.runs_here()) {
            assert_eq!(run(b), baseline, "{b:?}");
        }
    }

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
