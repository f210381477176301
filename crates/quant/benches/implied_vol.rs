//! Implied volatility over 1 million options spread across moneyness (0.7x-1.4x), expiry
//! (1 day - 1 year), volatility (5%-150%), calls and puts. Prices are computed beforehand; the
//! timed loop only solves. `batch` runs the same options through `implied_vols`, a block at a
//! time (a throughput figure, like py_vollib_vectorized's). ns/option = 1e9 / criterion's
//! element throughput. The solver's start tables are built on the first call, in the warm-up.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use quant::options::{implied_vols, Contract, OptionKind, OptionsError};

const OPTIONS: usize = 1_000_000;

fn cases() -> Vec<(Contract, f64)> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(OPTIONS);
    while out.len() < OPTIONS {
        let kind = if uniform() < 0.5 {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        let spot = 22_000.0;
        let strike = spot * (0.7 + 0.7 * uniform());
        let t = (1.0 + 364.0 * uniform()) / 365.0;
        let vol = 0.05 + 1.45 * uniform();
        let c = Contract::new(kind, spot, strike, t, 0.065);
        let price = c.price(vol).unwrap();
        // Keep options whose price carries the volatility (same rule as the tests).
        let g = c.greeks(vol).unwrap();
        if price > 1e-300 && g.vega * 100.0 * vol >= 1e-5 * (price + spot * g.delta.abs()) {
            out.push((c, price));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    let mut g = c.benchmark_group("implied_vol_1m_options");
    g.throughput(Throughput::Elements(OPTIONS as u64));
    g.sample_size(10);
    g.bench_function("lets_be_rational_style", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for (c, p) in black_box(&cases) {
                acc += c.implied_vol(*p).unwrap_or(0.0);
            }
            acc
        })
    });
    // The same options through the batch API, into an output buffer allocated once (the
    // solver's own scratch space is allocated inside the timed call).
    let contracts: Vec<Contract> = cases.iter().map(|(c, _)| *c).collect();
    let prices: Vec<f64> = cases.iter().map(|(_, p)| *p).collect();
    let mut out: Vec<Result<f64, OptionsError>> = vec![Ok(0.0); cases.len()];
    g.bench_function("batch", |b| {
        b.iter(|| {
            implied_vols(black_box(&contracts), black_box(&prices), &mut out).unwrap();
            out.iter().map(|r| *r.as_ref().unwrap_or(&0.0)).sum::<f64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
