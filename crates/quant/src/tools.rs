//! Offline helpers over readers and writers (feature `tools`): indicator columns for an OHLCV
//! CSV, and greeks / implied volatility for single cases (JSON-ready) or a CSV of cases.
//! No files are opened here; a CLI wraps these with paths.

use std::io::{Read, Write};

use serde::Serialize;

use crate::indicators::{Adx, Atr, Bollinger, Ema, IndicatorError, Macd, Rsi, Sma, VolumeRatio};
use crate::options::{Contract, Greeks, OptionKind, OptionsError};

/// Why a tool run failed. Bad rows in `greeks_csv` are reported in the output instead.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Indicator(#[from] IndicatorError),
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error("input has no column {0:?}")]
    MissingColumn(&'static str),
    #[error("row {row}: column {column}: {value:?} is not a number")]
    BadNumber {
        row: usize,
        column: &'static str,
        value: String,
    },
}

/// Periods for [`indicators_csv`]; the defaults are the usual ones (and TA-Lib's).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorPeriods {
    pub sma: usize,
    pub ema: usize,
    pub rsi: usize,
    pub macd_fast: usize,
    pub macd_slow: usize,
    pub macd_signal: usize,
    pub adx: usize,
    pub atr: usize,
    pub bollinger: usize,
    pub bollinger_k: f64,
    pub volume_ratio: usize,
}

impl Default for IndicatorPeriods {
    fn default() -> Self {
        Self {
            sma: 20,
            ema: 20,
            rsi: 14,
            macd_fast: 12,
            macd_slow: 26,
            macd_signal: 9,
            adx: 14,
            atr: 14,
            bollinger: 20,
            bollinger_k: 2.0,
            volume_ratio: 20,
        }
    }
}

fn column(headers: &csv::StringRecord, name: &'static str) -> Result<usize, ToolError> {
    headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
        .ok_or(ToolError::MissingColumn(name))
}

fn number(
    rec: &csv::StringRecord,
    idx: usize,
    row: usize,
    column: &'static str,
) -> Result<f64, ToolError> {
    let cell = rec.get(idx).unwrap_or("").trim();
    cell.parse().map_err(|_| ToolError::BadNumber {
        row,
        column,
        value: cell.to_string(),
    })
}

fn cell(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Reads `date,open,high,low,close,volume` (a header row, columns in any order, extra columns
/// ignored) and writes `date,sma_N,ema_N,rsi_N,macd,macd_signal,macd_hist,adx_N,plus_di_N,
/// minus_di_N,atr_N,bb_upper,bb_middle,bb_lower,volume_ratio_N`, N being the configured
/// periods; cells are empty during warm-up. Streams row by row in constant memory; returns the
/// number of rows written.
pub fn indicators_csv(
    input: impl Read,
    output: impl Write,
    periods: &IndicatorPeriods,
) -> Result<usize, ToolError> {
    let p = periods;
    let mut sma = Sma::new(p.sma)?;
    let mut ema = Ema::new(p.ema)?;
    let mut rsi = Rsi::new(p.rsi)?;
    let mut macd = Macd::new(p.macd_fast, p.macd_slow, p.macd_signal)?;
    let mut adx = Adx::new(p.adx)?;
    let mut atr = Atr::new(p.atr)?;
    let mut bb = Bollinger::new(p.bollinger, p.bollinger_k)?;
    let mut vr = VolumeRatio::new(p.volume_ratio)?;

    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr.headers()?.clone();
    let date = column(&headers, "date")?;
    let high = column(&headers, "high")?;
    let low = column(&headers, "low")?;
    let close = column(&headers, "close")?;
    let volume = column(&headers, "volume")?;

    let mut w = csv::Writer::from_writer(output);
    w.write_record([
        "date".to_string(),
        format!("sma_{}", p.sma),
        format!("ema_{}", p.ema),
        format!("rsi_{}", p.rsi),
        "macd".into(),
        "macd_signal".into(),
        "macd_hist".into(),
        format!("adx_{}", p.adx),
        format!("plus_di_{}", p.adx),
        format!("minus_di_{}", p.adx),
        format!("atr_{}", p.atr),
        "bb_upper".into(),
        "bb_middle".into(),
        "bb_lower".into(),
        format!("volume_ratio_{}", p.volume_ratio),
    ])?;
    let mut rows = 0;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let row = i + 1;
        let h = number(&rec, high, row, "high")?;
        let l = number(&rec, low, row, "low")?;
        let c = number(&rec, close, row, "close")?;
        let v = number(&rec, volume, row, "volume")?;
        let m = macd.update(c);
        let d = adx.update(h, l, c);
        let b = bb.update(c);
        w.write_record([
            rec.get(date).unwrap_or("").to_string(),
            cell(sma.update(c)),
            cell(ema.update(c)),
            cell(rsi.update(c)),
            cell(m.map(|m| m.macd)),
            cell(m.map(|m| m.signal)),
            cell(m.map(|m| m.hist)),
            cell(d.and_then(|d| d.adx)),
            cell(d.map(|d| d.plus_di)),
            cell(d.map(|d| d.minus_di)),
            cell(atr.update(h, l, c)),
            cell(b.map(|b| b.upper)),
            cell(b.map(|b| b.middle)),
            cell(b.map(|b| b.lower)),
            cell(vr.update(v)),
        ])?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}

/// What a greeks case is given: the volatility (→ price and greeks) or a market price
/// (→ implied volatility).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quote {
    Vol(f64),
    Price(f64),
}

/// The answer to one case, serialising as `{price, delta, gamma, theta, vega, rho}` or `{iv}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum GreeksReport {
    Greeks(Greeks),
    Iv { iv: f64 },
}

/// Greeks (given a vol) or implied volatility (given a price) for one European option with
/// `T = days / 365`, no dividend yield. Units as in [`Greeks`]: theta per calendar day, vega
/// per vol point, rho per rate point.
pub fn greeks_json(
    spot: f64,
    strike: f64,
    days: f64,
    rate: f64,
    quote: Quote,
    kind: OptionKind,
) -> Result<GreeksReport, ToolError> {
    let c = Contract::new(kind, spot, strike, days / 365.0, rate);
    Ok(match quote {
        Quote::Vol(v) => GreeksReport::Greeks(c.greeks(v)?),
        Quote::Price(p) => GreeksReport::Iv {
            iv: c.implied_vol(p)?,
        },
    })
}

/// Reads cases with columns `kind,spot,strike,days,rate` and either `vol` or `price` (a row may
/// leave one empty), optionally `div_yield`; writes `kind,spot,strike,days,rate,vol,price,
/// delta,gamma,theta,vega,rho,iv,error`. A row given a vol gets its price and greeks; a row
/// given a price gets its implied vol and the greeks at that vol. A row that cannot be computed
/// keeps its inputs and says why in `error`. Returns the number of rows written.
pub fn greeks_csv(input: impl Read, output: impl Write) -> Result<usize, ToolError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = rdr.headers()?.clone();
    let kind = column(&headers, "kind")?;
    let spot = column(&headers, "spot")?;
    let strike = column(&headers, "strike")?;
    let days = column(&headers, "days")?;
    let rate = column(&headers, "rate")?;
    let vol = column(&headers, "vol").ok();
    let price = column(&headers, "price").ok();
    if vol.is_none() && price.is_none() {
        return Err(ToolError::MissingColumn("vol or price"));
    }
    let div_yield = column(&headers, "div_yield").ok();

    let mut w = csv::Writer::from_writer(output);
    w.write_record([
        "kind", "spot", "strike", "days", "rate", "vol", "price", "delta", "gamma", "theta",
        "vega", "rho", "iv", "error",
    ])?;
    let mut rows = 0;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let get = |idx: Option<usize>| {
            idx.and_then(|j| rec.get(j))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let raw = [
            get(Some(kind)),
            get(Some(spot)),
            get(Some(strike)),
            get(Some(days)),
            get(Some(rate)),
        ];
        let result = (|| -> Result<(f64, Option<f64>, Greeks), String> {
            let parse = |s: &str, name: &str| {
                s.parse::<f64>()
                    .map_err(|_| format!("{name}: {s:?} is not a number"))
            };
            let k: OptionKind = raw[0].parse().map_err(|e: OptionsError| e.to_string())?;
            let q = match get(div_yield) {
                s if s.is_empty() => 0.0,
                s => parse(&s, "div_yield")?,
            };
            let c = Contract::new(
                k,
                parse(&raw[1], "spot")?,
                parse(&raw[2], "strike")?,
                parse(&raw[3], "days")? / 365.0,
                parse(&raw[4], "rate")?,
            )
            .with_div_yield(q);
            let (v, p) = (get(vol), get(price));
            if !v.is_empty() {
                let v = parse(&v, "vol")?;
                Ok((v, None, c.greeks(v).map_err(|e| e.to_string())?))
            } else if !p.is_empty() {
                let p = parse(&p, "price")?;
                let iv = c.implied_vol(p).map_err(|e| e.to_string())?;
                let mut g = c.greeks(iv).map_err(|e| e.to_string())?;
                g.price = p;
                Ok((iv, Some(iv), g))
            } else {
                Err("neither vol nor price given".into())
            }
        })();
        let mut out: Vec<String> = raw.to_vec();
        match result {
            Ok((v, iv, g)) => {
                out.push(v.to_string());
                for x in [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho] {
                    out.push(x.to_string());
                }
                out.push(cell(iv));
                out.push(String::new());
            }
            Err(e) => {
                out.push(get(vol));
                out.push(get(price));
                out.extend(std::iter::repeat_n(String::new(), 6));
                out.push(format!("row {}: {e}", i + 1));
            }
        }
        w.write_record(&out)?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}
