//! What a history or dump request costs the sandbox: three years of daily candles for the 100 stocks,
//! sixty days of minute candles for one instrument, and the whole instrument dump.

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kite_sim::history::{History, Interval};
use kite_sim::instruments::Universe;

fn bench(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    let universe = Universe::build(today, 42).unwrap();
    let history = History::from_universe(42, &universe);
    let stocks: Vec<_> = universe
        .instruments()
        .iter()
        .filter(|i| i.segment == "NSE")
        .map(|i| i.token)
        .collect();
    let to = today.and_hms_opt(15, 30, 0).unwrap();
    let three_years = to - chrono::TimeDelta::days(3 * 365);
    let sixty_days = to - chrono::TimeDelta::days(60);

    c.bench_function("daily candles, 3 years x 100 stocks", |b| {
        b.iter(|| {
            for &t in &stocks {
                let v = history
                    .candles(t, Interval::Day, three_years, to, false, false)
                    .unwrap();
                black_box(v);
            }
        })
    });
    c.bench_function("minute candles, 60 days x 1 stock", |b| {
        b.iter(|| {
            black_box(
                history
                    .candles(stocks[0], Interval::Minute, sixty_days, to, false, false)
                    .unwrap(),
            )
        })
    });
    c.bench_function("instrument dump, all exchanges", |b| {
        b.iter(|| black_box(universe.to_csv(None)))
    });
    c.bench_function("universe build", |b| {
        b.iter(|| black_box(Universe::build(today, 42).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
