//! Offline commands for a trader's batch work (and how outside checks reach the math):
//! `kite-agent indicators`, `kite-agent greeks` and `kite-agent backtest`.

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use quant::options::OptionKind;
use quant::tools::{greeks_csv, greeks_json, indicators_csv, IndicatorPeriods, Quote};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct IndicatorsArgs {
    /// CSV with columns date,open,high,low,close,volume.
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long, default_value_t = 20)]
    pub sma: usize,
    #[arg(long, default_value_t = 20)]
    pub ema: usize,
    #[arg(long, default_value_t = 14)]
    pub rsi: usize,
    #[arg(long, default_value_t = 12)]
    pub macd_fast: usize,
    #[arg(long, default_value_t = 26)]
    pub macd_slow: usize,
    #[arg(long, default_value_t = 9)]
    pub macd_signal: usize,
    #[arg(long, default_value_t = 14)]
    pub adx: usize,
    #[arg(long, default_value_t = 14)]
    pub atr: usize,
    #[arg(long, default_value_t = 20)]
    pub bollinger: usize,
    #[arg(long, default_value_t = 2.0)]
    pub bollinger_k: f64,
    #[arg(long, default_value_t = 20)]
    pub volume_ratio: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Call,
    Put,
}

#[derive(Debug, Clone, Args)]
pub struct GreeksArgs {
    /// A CSV of cases (columns kind,spot,strike,days,rate and vol or price); writes CSV.
    #[arg(long, conflicts_with_all = ["spot", "strike", "days", "vol", "price"])]
    pub input: Option<PathBuf>,
    #[arg(long)]
    pub spot: Option<f64>,
    #[arg(long)]
    pub strike: Option<f64>,
    /// Calendar days to expiry (T = days / 365).
    #[arg(long)]
    pub days: Option<f64>,
    /// Risk-free rate as a fraction (0.065 = 6.5%).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Volatility as a fraction: prints price and greeks.
    #[arg(long, conflicts_with = "price")]
    pub vol: Option<f64>,
    /// Option price: prints the implied volatility.
    #[arg(long)]
    pub price: Option<f64>,
    #[arg(long, value_enum, default_value_t = Kind::Call)]
    pub kind: Kind,
}

pub fn indicators(a: &IndicatorsArgs) -> anyhow::Result<()> {
    let periods = IndicatorPeriods {
        sma: a.sma,
        ema: a.ema,
        rsi: a.rsi,
        macd_fast: a.macd_fast,
        macd_slow: a.macd_slow,
        macd_signal: a.macd_signal,
        adx: a.adx,
        atr: a.atr,
        bollinger: a.bollinger,
        bollinger_k: a.bollinger_k,
        volume_ratio: a.volume_ratio,
    };
    let input = File::open(&a.input).with_context(|| format!("opening {}", a.input.display()))?;
    let out = BufWriter::new(io::stdout().lock());
    indicators_csv(BufReader::new(input), out, &periods)?;
    Ok(())
}

pub fn greeks(a: &GreeksArgs) -> anyhow::Result<()> {
    if let Some(path) = &a.input {
        let input = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        greeks_csv(BufReader::new(input), BufWriter::new(io::stdout().lock()))?;
        return Ok(());
    }
    let (Some(spot), Some(strike), Some(days)) = (a.spot, a.strike, a.days) else {
        bail!("give --spot, --strike and --days (and --vol or --price), or --input cases.csv");
    };
    let quote = match (a.vol, a.price) {
        (Some(v), None) => Quote::Vol(v),
        (None, Some(p)) => Quote::Price(p),
        _ => bail!("give exactly one of --vol or --price"),
    };
    let kind = match a.kind {
        Kind::Call => OptionKind::Call,
        Kind::Put => OptionKind::Put,
    };
    let report = greeks_json(spot, strike, days, a.rate, quote, kind)?;
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, &report)?;
    writeln!(out)?;
    Ok(())
}

/// Zerodha equity products for `backtest --zerodha`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ZerodhaProductArg {
    Delivery,
    Intraday,
}

#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// sma_crossover, ema_crossover, rsi, mean_reversion or vwap_breakout.
    #[arg(long)]
    pub strategy: String,
    /// CSV with columns date,open,high,low,close,volume (dates without offset are IST).
    #[arg(long)]
    pub input: PathBuf,
    /// A strategy parameter as key=value (repeat for several), e.g. --param fast=10.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    #[arg(long, default_value_t = 10_000.0)]
    pub cash: f64,
    /// Commission as a fraction of traded value, on entry and on exit (0.002 = 0.2 %).
    #[arg(long, default_value_t = 0.0, conflicts_with = "zerodha")]
    pub commission: f64,
    /// Charge Zerodha's NSE equity rates for this product instead of --commission.
    #[arg(long, value_enum)]
    pub zerodha: Option<ZerodhaProductArg>,
    /// Fraction by which every fill is worse than the bar's open.
    #[arg(long, default_value_t = 0.0)]
    pub slippage: f64,
    /// Close the trade still open at the last bar (otherwise it counts in equity only).
    #[arg(long)]
    pub finalize_trades: bool,
    /// JSON on stdout (statistics, plus the trade list with --trades) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include every trade in the output.
    #[arg(long)]
    pub trades: bool,
}

pub fn backtest(a: &BacktestArgs) -> anyhow::Result<()> {
    use engine::backtest::{self, BacktestConfig, CostModel, ZerodhaCharges, ZerodhaProduct};
    use engine::strategy::StrategySpec;

    let spec = StrategySpec::parse(&a.strategy, &a.params)?;
    let bars = backtest::read_ohlcv_path(&a.input)?;
    let costs = match a.zerodha {
        Some(p) => CostModel::Zerodha(ZerodhaCharges {
            product: match p {
                ZerodhaProductArg::Delivery => ZerodhaProduct::Delivery,
                ZerodhaProductArg::Intraday => ZerodhaProduct::Intraday,
            },
        }),
        None => CostModel::Fraction { rate: a.commission },
    };
    let config = BacktestConfig {
        cash: a.cash,
        costs,
        slippage: a.slippage,
        finalize_trades: a.finalize_trades,
    };
    let report = backtest::run_spec(&spec, &bars, &config, true)?;
    let mut out = BufWriter::new(io::stdout().lock());
    if a.json {
        let mut v = serde_json::to_value(&report.stats)?;
        let obj = v.as_object_mut().expect("stats serialise to an object");
        obj.insert("strategy".into(), serde_json::to_value(&spec)?);
        obj.insert("open_size".into(), report.open_size.into());
        obj.insert("cancelled_orders".into(), report.cancelled_orders.into());
        if a.trades {
            obj.insert("trade_list".into(), serde_json::to_value(&report.trades)?);
        }
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &spec, &report)?;
        if a.trades {
            writeln!(out)?;
            writeln!(
                out,
                "{:>6} {:>6} {:>6} {:<19} {:<19} {:>12} {:>12} {:>12} {:>9}",
                "size",
                "entry",
                "exit",
                "entry_time",
                "exit_time",
                "entry_price",
                "exit_price",
                "pnl",
                "return_%"
            )?;
            for t in &report.trades {
                writeln!(
                    out,
                    "{:>6} {:>6} {:>6} {:<19} {:<19} {:>12.4} {:>12.4} {:>12.2} {:>9.3}",
                    t.size,
                    t.entry_bar,
                    t.exit_bar,
                    t.entry_time.to_string(),
                    t.exit_time.to_string(),
                    t.entry_price,
                    t.exit_price,
                    t.pnl,
                    t.return_pct
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn write_table(
    out: &mut impl Write,
    spec: &engine::strategy::StrategySpec,
    r: &engine::backtest::Report,
) -> anyhow::Result<()> {
    let s = &r.stats;
    writeln!(out, "{:<28} {}", "strategy", serde_json::to_string(spec)?)?;
    writeln!(
        out,
        "{:<28} {} to {} ({} bars)",
        "period", s.start, s.end, s.bars
    )?;
    let rows: [(&str, f64); 27] = [
        ("exposure time %", s.exposure_time_pct),
        ("equity final", s.equity_final),
        ("equity peak", s.equity_peak),
        ("commissions", s.commissions),
        ("total return %", s.total_return_pct),
        ("buy & hold return %", s.buy_hold_return_pct),
        ("return (ann.) %", s.return_ann_pct),
        ("volatility (ann.) %", s.volatility_ann_pct),
        ("CAGR %", s.cagr_pct),
        ("Sharpe", s.sharpe),
        ("Sortino", s.sortino),
        ("Calmar", s.calmar),
        ("alpha %", s.alpha_pct),
        ("beta", s.beta),
        ("max drawdown %", s.max_drawdown_pct),
        ("avg drawdown %", s.avg_drawdown_pct),
        ("max drawdown duration days", s.max_drawdown_duration_days),
        ("max drawdown duration bars", s.max_drawdown_duration_bars),
        ("trades", s.trades as f64),
        ("win rate %", s.win_rate_pct),
        ("best trade %", s.best_trade_pct),
        ("worst trade %", s.worst_trade_pct),
        ("avg trade %", s.avg_trade_pct),
        ("profit factor", s.profit_factor),
        ("expectancy %", s.expectancy_pct),
        ("SQN", s.sqn),
        ("Kelly", s.kelly),
    ];
    for (k, v) in rows {
        if v.is_nan() {
            writeln!(out, "{k:<28} -")?;
        } else if v.fract() == 0.0 && v.abs() < 1e15 {
            writeln!(out, "{k:<28} {v}")?;
        } else {
            writeln!(out, "{k:<28} {v:.4}")?;
        }
    }
    if r.open_size != 0 {
        writeln!(
            out,
            "{:<28} {} units (in equity, not in trades)",
            "open at end", r.open_size
        )?;
    }
    Ok(())
}
