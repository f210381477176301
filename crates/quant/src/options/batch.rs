//! Implied volatilities of many options at once, for throughput.
//!
//! One option's solve is a dependent chain (`ln`, `exp`, `erfcx`, divisions, each waiting on
//! the last), so the scalar solver is latency-bound: the CPU idles while the chain resolves, and
//! its out-of-order window cannot run ahead into the next option because the branches that end
//! a solve (converged yet? which branch? inside the bracket?) depend on the end of that chain
//! and mispredict often, discarding whatever was started past them.
//!
//! Here the same solve runs in [`LANES`] independent chains side by side, a block of options
//! at a time (small enough to stay in cache):
//! 1. a first pass normalises every option and chooses its objective, storing the options that
//!    need a solve in two lists, one per objective (lower ones from the front of one buffer,
//!    upper ones from the back, written without a branch), and errors or zeros straight into
//!    the output;
//! 2. each list's starting points are computed (the objective, hence the code path, is the same
//!    for the whole list);
//! 3. [`LANES`] solves are kept in flight: every round evaluates the objective once for every
//!    lane and updates each lane with selects (bit masks), not branches; a lane whose option has
//!    converged takes the next option of the list in the same branch-free way, so no lane idles
//!    while another needs one more evaluation. The only data-dependent branch left is "has any
//!    lane an option left", once per round.
//!
//! The arithmetic is the scalar solver's own functions in the same order, so every result is
//! bit-for-bit the scalar one (the tests check this on 100 k options), errors included.

use super::implied_vol::{
    householder, inflexion, is_lower, normalise, start, Branch, Inflexion, Normalised, Start, Step,
    MAX_STEPS, NEWTON_TOL,
};
use super::{Contract, OptionsError};

/// Options solved side by side. 2, 4 and 8 measured the same within noise on a 2-core VM
/// (see BENCHMARKS.md): past two chains the solve is bound by instruction throughput, not
/// latency.
pub const LANES: usize = 4;

/// Options normalised, then solved, per block: the block's scratch (~100 KiB) stays in cache.
const BLOCK: usize = 1024;

/// Implied volatilities of `contracts[i]` at `prices[i]` into `out[i]`, each exactly what
/// [`Contract::implied_vol`] returns for it (a value or that option's error), computed several
/// options at a time.
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
    let mut lanes = Vec::with_capacity(BLOCK);
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
                    let inf = inflexion(x, b_max);
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
                    let lower = is_lower(x, beta, &inf);
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
            &mut lanes,
            contracts,
            out,
        );
        solve_list(
            Branch::Upper,
            &pending[n - n_upper..n],
            &mut lanes,
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

/// Solves every option of one objective: computes each start, then keeps [`LANES`] solves in
/// flight, each lane taking the next option as soon as its own is done (no lane idles while
/// another needs one more evaluation), without a branch on any lane's state. Results go to
/// `out` through the contracts' own `t`.
fn solve_list(
    branch: Branch,
    list: &[Pending],
    scratch: &mut Vec<Lane>,
    contracts: &[Contract],
    out: &mut [Result<f64, OptionsError>],
) {
    let n = list.len();
    if n == 0 {
        return;
    }
    // Starts: independent per option, and the branch is the same for all of them.
    scratch.clear();
    scratch.extend(list.iter().map(|p| Lane {
        x: p.x,
        start: start(branch, p.x, p.beta, p.b_max, &p.inf),
    }));
    // One result slot per option and a sink at `n` for lanes that have run out of options
    // (they keep computing on the last option, harmlessly, until every lane is out).
    let mut result = [0.0; BLOCK + 1];
    let load = |item: usize| &scratch[item.min(n - 1)];
    let mut item = [0usize; LANES];
    let mut x = [0.0; LANES];
    let mut target_ln = [0.0; LANES];
    let mut lo = [0.0; LANES];
    let mut hi = [0.0; LANES];
    let mut s = [0.0; LANES];
    let mut steps = [0usize; LANES];
    for l in 0..LANES {
        item[l] = l.min(n);
        let q = load(item[l]);
        (x[l], target_ln[l], lo[l], hi[l], s[l]) =
            (q.x, q.start.target_ln, q.start.lo, q.start.hi, q.start.s);
    }
    let mut next = LANES.min(n);
    while item.iter().any(|&i| i < n) {
        for l in 0..LANES {
            let Step { g, nu, step } = householder(branch, x[l], s[l], target_ln[l]);
            steps[l] += 1;
            // The scalar loop's decisions, as masks: stop at g = 0 (s stays) or once Newton's
            // step is small (take the last step); otherwise tighten the bracket and step,
            // falling back inside the bracket when the step leaves it; give up after
            // MAX_STEPS evaluations with the last iterate.
            let exact = g == 0.0;
            let converged = exact | (nu.abs() <= NEWTON_TOL * s[l]);
            let below_root = match branch {
                Branch::Lower => g < 0.0,
                Branch::Upper => g > 0.0,
            };
            let new_lo = select(below_root, s[l], lo[l]);
            let new_hi = select(below_root, hi[l], s[l]);
            let stepped = s[l] + step;
            let inside = (stepped > new_lo) & (stepped < new_hi);
            let fallback = select(
                new_hi.is_finite(),
                select(
                    new_lo > 0.0,
                    (new_lo * new_hi).sqrt(),
                    0.5 * new_hi.min(s[l]),
                ),
                2.0 * s[l],
            );
            let moved = select(
                converged,
                select(exact, s[l], stepped),
                select(inside, stepped, fallback),
            );
            // Written every round; the last write before the lane moves on is the answer.
            result[item[l].min(n)] = moved;
            let finished = converged | (steps[l] == MAX_STEPS);
            // A finished lane takes the next option (or the sink once none are left).
            let taken = if finished { next.min(n) } else { item[l] };
            next += usize::from(finished);
            let q = load(taken);
            x[l] = select(finished, q.x, x[l]);
            target_ln[l] = select(finished, q.start.target_ln, target_ln[l]);
            lo[l] = select(finished, q.start.lo, new_lo);
            hi[l] = select(finished, q.start.hi, new_hi);
            s[l] = select(finished, q.start.s, moved);
            steps[l] = if finished { 0 } else { steps[l] };
            item[l] = taken;
        }
    }
    for (p, r) in list.iter().zip(&result[..n]) {
        out[p.index] = Ok(r / contracts[p.index].t.sqrt());
    }
}

/// One option's solve as a lane starts it.
#[derive(Clone, Copy)]
struct Lane {
    x: f64,
    start: Start,
}

/// `if c { a } else { b }` through bit masks, so the compiler emits no branch: the lanes'
/// conditions are random, and a mispredicted branch would discard the other lanes' work.
#[inline(always)]
fn select(c: bool, a: f64, b: f64) -> f64 {
    let mask = u64::from(c).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}
