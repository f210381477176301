//! The broker's conventions on bars small enough to follow by hand.

use super::*;
use crate::strategy::{Side, Signal, Strategy};

/// Signals at fixed bars: the broker's behaviour without any indicator in the way.
struct Scripted {
    script: Vec<(usize, Side)>,
    bar: usize,
}

impl Scripted {
    fn new(script: &[(usize, Side)]) -> Self {
        Self {
            script: script.to_vec(),
            bar: 0,
        }
    }
}

impl Strategy for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn warmup(&self) -> usize {
        0
    }
    fn on_bar(&mut self, _bar: &Bar) -> Option<Signal> {
        let i = self.bar;
        self.bar += 1;
        self.script
            .iter()
            .find(|(at, _)| *at == i)
            .map(|(_, side)| Signal::new(*side, 1.0, "script"))
    }
    fn reset(&mut self) {
        self.bar = 0;
    }
}

/// Daily bars (weekdays not needed here): open 100 + i, close 100.5 + i.
fn ramp(n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let o = 100.0 + i as f64;
            Bar::new(
                1_704_067_200 + i as i64 * 86_400,
                o,
                o + 1.0,
                o - 1.0,
                o + 0.5,
                1e4,
            )
        })
        .collect()
}

fn run_script(bars: &[Bar], script: &[(usize, Side)], config: &BacktestConfig) -> Report {
    run(&mut Scripted::new(script), bars, config).unwrap()
}

#[test]
fn signals_fill_at_the_next_open_and_reverse_exclusively() {
    let bars = ramp(10);
    let r = run_script(
        &bars,
        &[
            (1, Side::Buy),
            (4, Side::Sell),
            (6, Side::Exit),
            (9, Side::Buy),
        ],
        &BacktestConfig::default(),
    );
    // Buy on bar 1's close fills at bar 2's open (102): ⌊10000·(1−ε)/102⌋ = 98 units.
    // Sell on bar 4 closes the long at bar 5's open (105, +294) and shorts ⌊10294·(1−ε)/105⌋ = 98.
    // Exit on bar 6 buys back at bar 7's open (107, −196). The buy on the last bar never fills.
    let got: Vec<_> = r
        .trades
        .iter()
        .map(|t| {
            (
                t.size,
                t.entry_bar,
                t.exit_bar,
                t.entry_price,
                t.exit_price,
                t.pnl,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (98, 2, 5, 102.0, 105.0, 294.0),
            (-98, 5, 7, 105.0, 107.0, -196.0)
        ]
    );
    assert_eq!(r.open_size, 0);
    // Equity: cash until the fill, then cash + 98·(close − 102).
    assert_eq!(r.equity[1], 10_000.0);
    assert_eq!(r.equity[2], 10_000.0 + 98.0 * 0.5);
    assert_eq!(r.equity[3], 10_000.0 + 98.0 * 1.5);
    assert_eq!(r.equity[9], 10_098.0);
    assert_eq!(r.stats.trades, 2);
    assert_eq!(r.stats.win_rate_pct, 50.0);
    assert_eq!(r.stats.exposure_time_pct, 60.0); // bars 2..=7
    assert!((r.stats.total_return_pct - 0.98).abs() < 1e-12);
}

#[test]
fn commission_is_charged_on_entry_and_exit_and_sizing_leaves_room_for_it() {
    let bars: Vec<Bar> = (0..5)
        .map(|i| Bar::new(1_704_067_200 + i * 86_400, 100.0, 100.0, 100.0, 100.0, 1.0))
        .collect();
    let config = BacktestConfig {
        costs: CostModel::Fraction { rate: 0.01 },
        ..BacktestConfig::default()
    };
    let r = run_script(&bars, &[(0, Side::Buy), (2, Side::Exit)], &config);
    // Per unit 100 + 1 % = 101: ⌊10000·(1−ε)/101⌋ = 99 units; 99 commission on each side.
    let t = &r.trades[0];
    assert_eq!((t.size, t.entry_bar, t.exit_bar), (99, 1, 3));
    assert_eq!(t.commission, 99.0 + 99.0);
    assert_eq!(t.pnl, -198.0);
    assert!((t.return_pct - -2.0).abs() < 1e-12);
    assert_eq!(r.equity[1], 10_000.0 - 99.0); // entry commission paid, price flat
    assert_eq!(r.equity[4], 10_000.0 - 198.0);
    assert_eq!(r.stats.commissions, 198.0);
}

#[test]
fn slippage_moves_both_fills_against_the_trader() {
    let bars = ramp(6);
    let config = BacktestConfig {
        slippage: 0.01,
        ..BacktestConfig::default()
    };
    let r = run_script(
        &bars,
        &[(0, Side::Buy), (2, Side::Sell), (3, Side::Exit)],
        &config,
    );
    let (long, short) = (&r.trades[0], &r.trades[1]);
    assert_eq!(long.entry_price, 101.0 * 1.01);
    assert_eq!(long.exit_price, 103.0 * 0.99);
    assert_eq!(short.entry_price, 103.0 * 0.99);
    assert_eq!(short.exit_price, 104.0 * 1.01);
    assert_eq!(
        long.size,
        (10_000.0 * (1.0 - f64::EPSILON) / (101.0 * 1.01)).floor() as i64
    );
}

#[test]
fn an_open_trade_stays_open_unless_finalised() {
    let bars = ramp(6);
    let open = run_script(&bars, &[(1, Side::Buy)], &BacktestConfig::default());
    assert!(open.trades.is_empty());
    assert_eq!(open.open_size, 98);
    assert_eq!(open.equity[5], 10_000.0 + 98.0 * (105.5 - 102.0));
    assert!(open.stats.win_rate_pct.is_nan());
    let config = BacktestConfig {
        finalize_trades: true,
        ..BacktestConfig::default()
    };
    let closed = run_script(&bars, &[(1, Side::Buy)], &config);
    let t = &closed.trades[0];
    // Closed at the last bar's open, as backtesting.py's finalize_trades does.
    assert_eq!((t.entry_bar, t.exit_bar, t.exit_price), (2, 5, 105.0));
    assert_eq!(closed.open_size, 0);
    assert_eq!(closed.equity[5], 10_000.0 + 98.0 * 3.0);
}

#[test]
fn a_short_that_loses_everything_stops_the_run() {
    let mut bars = ramp(8);
    bars[2].close = 250.0;
    let r = run_script(
        &bars,
        &[(0, Side::Sell), (4, Side::Buy)],
        &BacktestConfig::default(),
    );
    // Short 99 at 101; at bar 2's close of 250 equity is 10000 − 99·149 < 0: closed there, the
    // curve is 0 from then on and later signals are never seen.
    assert_eq!(r.trades.len(), 1);
    let t = &r.trades[0];
    assert_eq!((t.size, t.exit_bar, t.exit_price), (-99, 2, 250.0));
    assert_eq!(&r.equity[2..], &[0.0; 6]);
    assert_eq!(r.stats.total_return_pct, -100.0);
    assert_eq!(r.stats.max_drawdown_pct, -100.0);
}

#[test]
fn zerodha_charges_fit_within_cash() {
    let bars = ramp(6);
    for product in [ZerodhaProduct::Delivery, ZerodhaProduct::Intraday] {
        let z = ZerodhaCharges { product };
        let config = BacktestConfig {
            costs: CostModel::Zerodha(z),
            ..BacktestConfig::default()
        };
        let r = run_script(&bars, &[(0, Side::Buy), (3, Side::Exit)], &config);
        let t = &r.trades[0];
        let entry = z.order(TxSide::Buy, t.size as f64, 101.0);
        let exit = z.order(TxSide::Sell, t.size as f64, 104.0);
        assert!(t.size as f64 * 101.0 + entry <= 10_000.0, "{product:?}");
        assert!(
            (t.size + 1) as f64 * 101.0 > 10_000.0 - entry,
            "{product:?} all in"
        );
        assert!((t.commission - (entry + exit)).abs() < 1e-9);
        assert!((t.pnl - (t.size as f64 * 3.0 - entry - exit)).abs() < 1e-9);
    }
}

#[test]
fn an_order_too_small_for_one_unit_is_cancelled() {
    let bars = ramp(4);
    let config = BacktestConfig {
        cash: 50.0,
        ..BacktestConfig::default()
    };
    let r = run_script(&bars, &[(0, Side::Buy)], &config);
    assert_eq!((r.trades.len(), r.open_size, r.cancelled_orders), (0, 0, 1));
    assert!(r.equity.iter().all(|&e| e == 50.0));
    assert_eq!(r.stats.max_drawdown_pct, 0.0);
    assert!(r.stats.max_drawdown_duration_days.is_nan());
}

#[test]
fn bad_configuration_and_too_little_data_are_errors() {
    let bars = ramp(4);
    let mut s = Scripted::new(&[]);
    for config in [
        BacktestConfig {
            cash: 0.0,
            ..BacktestConfig::default()
        },
        BacktestConfig {
            costs: CostModel::Fraction { rate: 0.5 },
            ..BacktestConfig::default()
        },
        BacktestConfig {
            slippage: -0.01,
            ..BacktestConfig::default()
        },
    ] {
        assert!(matches!(
            run(&mut s, &bars, &config),
            Err(BacktestError::Config(_))
        ));
    }
    assert!(matches!(
        run(&mut s, &bars[..1], &BacktestConfig::default()),
        Err(BacktestError::TooFewBars(1))
    ));
}

#[test]
fn vectorised_crossover_matches_the_event_path_on_a_random_walk() {
    // A long seeded walk with many crossings, both averages, long and short, with costs.
    let mut state: u64 = 7;
    let mut price = 100.0;
    let bars: Vec<Bar> = (0..20_000)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let open = price;
            price *= 1.0 + u * 0.02;
            Bar::new(
                1_104_537_600 + i * 300,
                open,
                open.max(price),
                open.min(price),
                price,
                1.0,
            )
        })
        .collect();
    let config = BacktestConfig {
        costs: CostModel::Fraction { rate: 0.001 },
        slippage: 0.0005,
        ..BacktestConfig::default()
    };
    for (name, kind) in [
        ("sma_crossover", MaKind::Sma),
        ("ema_crossover", MaKind::Ema),
    ] {
        let spec = StrategySpec::parse(name, &["fast=7", "slow=30"]).unwrap();
        let event = run_spec(&spec, &bars, &config, false).unwrap();
        let fast = run_crossover_vectorised(
            kind,
            crate::strategy::CrossoverParams { fast: 7, slow: 30 },
            &bars,
            &config,
        )
        .unwrap();
        assert!(event.trades.len() > 100, "{name}: {}", event.trades.len());
        assert!(event.trades.iter().any(|t| t.size < 0));
        assert!(event.trades == fast.trades, "{name}: trades differ");
        assert!(event.equity == fast.equity, "{name}: equity differs");
        assert_eq!(event.stats, fast.stats, "{name}");
        assert_eq!(fast.strategy, name);
    }
}

#[test]
fn kite_candles_become_bars_in_ist() {
    let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 2)
        .unwrap()
        .and_hms_opt(9, 15, 0)
        .unwrap();
    let candle = model::broker::Candle {
        timestamp: t,
        open: 1.0,
        high: 2.0,
        low: 0.5,
        close: 1.5,
        volume: 700,
        oi: None,
    };
    let bars = bars_from_candles(&[candle]);
    assert_eq!(bars[0], Bar::new(1_704_167_100, 1.0, 2.0, 0.5, 1.5, 700.0));
    assert_eq!(ist(bars[0].ts), t);
    assert_eq!(
        Some(bars[0].ts),
        super::csv::parse_time("2024-01-02 09:15:00")
    );
}
