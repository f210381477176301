//! Backtests of a [`Strategy`] over candles, with backtesting.py 0.6.6's conventions so results
//! can be checked against it number for number.
//!
//! * **Fills**: a signal on bar `i`'s close is a market order filled at bar `i+1`'s open; a
//!   signal on the last bar is never filled.
//! * **Sizing**: "all in", as `buy()`/`sell()` with no size: with `f = 1 - ε`, per-unit price
//!   `p' = p + cost(f, p) / f` and units `⌊(cash · f) / p'⌋` (Python's float `//`); an order that
//!   cannot buy one unit is cancelled.
//! * **Exclusive orders**: `Buy`/`Sell` close the open trade at the same open, then open the new
//!   one; `Exit` only closes. Long and short.
//! * **Costs**: a [`CostModel`] charged on entry and on exit; **slippage** moves every fill against
//!   the trader by a fraction (backtesting.py's `spread` moves only the entry; equal at 0).
//! * **Open trade at the end**: left open (its value is in the final equity, it is not in the
//!   trade list), unless [`BacktestConfig::finalize_trades`].
//!
//! The statistics are those of backtesting.py's `compute_stats`; see [`Stats`] for the formulas.

mod broker;
mod costs;
mod csv;
mod stats;
mod vectorised;

pub use costs::{CostModel, TxSide, ZerodhaCharges, ZerodhaProduct};
pub use csv::{read_ohlcv, read_ohlcv_path};
pub use stats::Stats;
pub use vectorised::{run_crossover_vectorised, MaKind};

use crate::strategy::{Strategy, StrategyError, StrategySpec};
use broker::Broker;
use chrono::NaiveDateTime;
use quant::bar::IST_OFFSET_SECS;
use quant::Bar;
use serde::{Deserialize, Serialize};

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("csv: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("input has no column {0:?} (need date,open,high,low,close,volume)")]
    MissingColumn(&'static str),
    #[error("row {row}: column {column}: {value:?} is not a number")]
    BadNumber {
        row: usize,
        column: &'static str,
        value: String,
    },
    #[error("row {row}: {reason}")]
    BadRow { row: usize, reason: String },
    #[error(
        "row {row}: date {value:?} not understood (YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], optional offset)"
    )]
    BadDate { row: usize, value: String },
    #[error("row {row}: time {value} is not after the previous row's")]
    NotIncreasing { row: usize, value: String },
    #[error("need at least 2 bars, got {0}")]
    TooFewBars(usize),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Strategy(#[from] StrategyError),
}

/// Account and costs of a backtest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// Starting cash.
    pub cash: f64,
    pub costs: CostModel,
    /// Fraction by which every fill is worse than the open (0.0005 = 5 bps).
    pub slippage: f64,
    /// Close the trade still open on the last bar (backtesting.py's `finalize_trades`).
    pub finalize_trades: bool,
}

impl Default for BacktestConfig {
    /// backtesting.py's defaults: 10,000 cash, no commission, no spread, trades left open.
    fn default() -> Self {
        Self {
            cash: 10_000.0,
            costs: CostModel::default(),
            slippage: 0.0,
            finalize_trades: false,
        }
    }
}

impl BacktestConfig {
    /// backtesting.py's bounds: cash > 0, commission in [-10 %, 10 %); slippage in [0, 10 %).
    pub fn validate(&self) -> Result<(), BacktestError> {
        if !(self.cash.is_finite() && self.cash > 0.0) {
            return Err(BacktestError::Config(format!(
                "cash must be a positive number, got {}",
                self.cash
            )));
        }
        if let CostModel::Fraction { rate } = self.costs {
            if !(-0.1..0.1).contains(&rate) {
                return Err(BacktestError::Config(format!(
                    "commission must be a fraction in [-0.1, 0.1), got {rate}"
                )));
            }
        }
        if !(0.0..0.1).contains(&self.slippage) {
            return Err(BacktestError::Config(format!(
                "slippage must be a fraction in [0, 0.1), got {}",
                self.slippage
            )));
        }
        Ok(())
    }
}

/// A closed trade. Serialise-only: it carries the exact return fraction the statistics use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trade {
    /// Units; negative for a short.
    pub size: i64,
    pub entry_bar: usize,
    pub exit_bar: usize,
    /// Bar times in IST.
    pub entry_time: NaiveDateTime,
    pub exit_time: NaiveDateTime,
    pub entry_price: f64,
    pub exit_price: f64,
    /// Net of both commissions.
    pub pnl: f64,
    /// `±(exit/entry − 1) − commissions / (|size| · entry)`, in percent.
    pub return_pct: f64,
    /// Entry plus exit costs.
    pub commission: f64,
    /// The same return as a fraction, exactly as backtesting.py's `ReturnPct` (for statistics).
    #[serde(skip)]
    pub(crate) ret: f64,
    #[serde(skip)]
    pub(crate) entry_ts: i64,
    #[serde(skip)]
    pub(crate) exit_ts: i64,
}

impl Trade {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        size: i64,
        entry_bar: usize,
        exit_bar: usize,
        entry_ts: i64,
        exit_ts: i64,
        entry_price: f64,
        exit_price: f64,
        pnl: f64,
        ret: f64,
        commission: f64,
    ) -> Self {
        Self {
            size,
            entry_bar,
            exit_bar,
            entry_time: ist(entry_ts),
            exit_time: ist(exit_ts),
            entry_price,
            exit_price,
            pnl,
            return_pct: ret * 100.0,
            commission,
            ret,
            entry_ts,
            exit_ts,
        }
    }

    /// The return as a fraction (backtesting.py's `ReturnPct`, which is not in percent).
    pub fn return_fraction(&self) -> f64 {
        self.ret
    }
}

/// Kite candles as bars: Kite's candle times are IST wall time.
pub fn bars_from_candles(candles: &[model::broker::Candle]) -> Vec<Bar> {
    candles
        .iter()
        .map(|c| {
            let ts = c.timestamp.and_utc().timestamp() - IST_OFFSET_SECS;
            Bar::new(ts, c.open, c.high, c.low, c.close, c.volume as f64)
        })
        .collect()
}

/// Unix seconds to IST wall time.
pub(crate) fn ist(ts: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(ts + IST_OFFSET_SECS, 0)
        .unwrap_or_default()
        .naive_utc()
}

/// What a backtest produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub strategy: String,
    pub stats: Stats,
    /// Cash plus open position value at each bar's close.
    pub equity: Vec<f64>,
    pub trades: Vec<Trade>,
    /// Units still held after the last bar (0 when flat); not in `trades`.
    pub open_size: i64,
    /// Orders cancelled because the cash did not cover one unit.
    pub cancelled_orders: usize,
}

fn check_bars(bars: &[Bar]) -> Result<(), BacktestError> {
    if bars.len() < 2 {
        return Err(BacktestError::TooFewBars(bars.len()));
    }
    Ok(())
}

/// Runs `strategy` (fresh, or it is reset first) over `bars`, one bar at a time.
pub fn run(
    strategy: &mut dyn Strategy,
    bars: &[Bar],
    config: &BacktestConfig,
) -> Result<Report, BacktestError> {
    config.validate()?;
    check_bars(bars)?;
    strategy.reset();
    let mut broker = Broker::new(bars, config);
    for (i, bar) in bars.iter().enumerate() {
        if !broker.step(i) {
            break;
        }
        if let Some(signal) = strategy.on_bar(bar) {
            broker.signal(signal.side);
        }
    }
    Ok(finish(
        strategy.name(),
        strategy.warmup(),
        bars,
        config,
        broker,
    ))
}

/// Builds the strategy of `spec` and runs it; crossover strategies take the vectorised path when
/// `fast` is set (same trades and statistics, fewer instructions per bar).
pub fn run_spec(
    spec: &StrategySpec,
    bars: &[Bar],
    config: &BacktestConfig,
    fast: bool,
) -> Result<Report, BacktestError> {
    if fast {
        match spec {
            StrategySpec::SmaCrossover(p) => {
                return run_crossover_vectorised(MaKind::Sma, p.0, bars, config)
            }
            StrategySpec::EmaCrossover(p) => {
                return run_crossover_vectorised(MaKind::Ema, p.0, bars, config)
            }
            _ => {}
        }
    }
    let mut strategy = spec.build()?;
    run(strategy.as_mut(), bars, config)
}

pub(crate) fn finish(
    name: &str,
    warmup: usize,
    bars: &[Bar],
    config: &BacktestConfig,
    mut broker: Broker<'_>,
) -> Report {
    if config.finalize_trades {
        broker.finalize();
    }
    // `run` checked for two bars, and the broker marks every bar.
    let stats = Stats::compute(bars, &broker.equity, &broker.trades, warmup)
        .expect("a run has bars and equity");
    Report {
        strategy: name.to_string(),
        stats,
        open_size: broker.open_size(),
        cancelled_orders: broker.cancelled,
        equity: broker.equity,
        trades: broker.trades,
    }
}

#[cfg(test)]
mod tests;
