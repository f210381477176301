//! Offline commands for a trader's batch work (and how outside checks reach the math):
//! `kite-agent indicators` and `kite-agent greeks`.

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
