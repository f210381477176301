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
//! 2. each list is then solved in two straight passes: the starts (from the tables, see
//!    `iv_start.rs`), then one Householder step each and the scalar loop's first convergence
//!    test. The tabulated start is within ~1e-4 for nearly every option, so that test passes
//!    for nearly all of them: the branch predicts, and the out-of-order core overlaps the
//!    chains of consecutive options (more of them with the two halves in separate passes);
//! 3. the few options that need more (about 0.2% of a typical chain) run the scalar iteration
//!    from their start.
//!
//! The arithmetic is the scalar solver's own functions in the same order, so every result is
//! bit-for-bit the scalar one (the tests check this on 100 k options), errors included.

use super::implied_vol::{
    classify, householder, inflexion, iterate, normalise, start, Branch, Inflexion, Normalised,
    Start, Step, NEWTON_TOL,
};
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
    let mut starts = Vec::with_capacity(BLOCK);
    let mut slow = Vec::new();
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
            &mut starts,
            &mut slow,
            contracts,
            out,
        );
        solve_list(
            Branch::Upper,
            &pending[n - n_upper..n],
            &mut starts,
            &mut slow,
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

/// Solves every option of one objective: one straight pass taking the first Householder step
/// from each start and keeping it where the scalar loop would stop there, then the scalar
/// iteration for the options that need more (collected in `slow`). Results go to `out`
/// through the contracts' own `t`.
fn solve_list(
    branch: Branch,
    list: &[Pending],
    starts: &mut Vec<Start>,
    slow: &mut Vec<usize>,
    contracts: &[Contract],
    out: &mut [Result<f64, OptionsError>],
) {
    slow.clear();
    // Two passes, the starts and then the steps: each is a shorter chain per option than
    // both together, so the out-of-order core overlaps more options at a time.
    starts.clear();
    starts.extend(
        list.iter()
            .map(|p| start(branch, p.x, p.beta, p.b_max, &p.inf)),
    );
    for (k, (p, st)) in list.iter().zip(starts.iter()).enumerate() {
        let Step { g, nu, step } = householder(branch, p.x, st.s, st.target);
        // The scalar loop's first decision: stop at g = 0 (s stays) or once Newton's step is
        // small (take the last step).
        let s = if g == 0.0 { st.s } else { st.s + step };
        if g == 0.0 || nu.abs() <= NEWTON_TOL * st.s {
            out[p.index] = Ok(s / contracts[p.index].t.sqrt());
        } else {
            slow.push(k);
        }
    }
    for &k in slow.iter() {
        let p = &list[k];
        let (s, _) = iterate(branch, p.x, starts[k]);
        out[p.index] = Ok(s / contracts[p.index].t.sqrt());
    }
}
