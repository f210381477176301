//! EMA and RSI throughput over 10 million bars (batch `_into` form: no allocation in the loop).
//! Reported per element: criterion's "thrpt" is bars/s; ns/bar = 1e9 / that.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use quant::indicators::{ema_into, rsi_into};

const BARS: usize = 10_000_000;

/// A deterministic random walk (xorshift), so runs are comparable.
fn series(n: usize) -> Vec<f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut price = 1000.0;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            price *= 1.0 + 0.002 * u;
            price
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let values = series(BARS);
    let mut out = vec![0.0; BARS];
    let mut g = c.benchmark_group("indicators_10m_bars");
    g.throughput(Throughput::Elements(BARS as u64));
    g.sample_size(10);
    g.bench_function("ema_20", |b| {
        b.iter(|| ema_into(black_box(&values), 20, black_box(&mut out)).unwrap())
    });
    g.bench_function("rsi_14", |b| {
        b.iter(|| rsi_into(black_box(&values), 14, black_box(&mut out)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
