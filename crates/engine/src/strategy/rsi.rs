//! RSI reversal: Wilder's RSI (TA-Lib `RSI`, default 14). Buy when it crosses up through the
//! oversold line (30), exit (or go short, with `short=true`) when it crosses down through the
//! overbought line (70). Crossings are strict on both bars, as backtesting.py's `crossover`.

use super::params::{parse, parse_finite, Params};
use super::{crossed_above, Side, Signal, Strategy, StrategyError};
use quant::indicators::Rsi;
use quant::Bar;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsiParams {
    pub period: usize,
    pub lower: f64,
    pub upper: f64,
    /// Sell short on the down-cross instead of only exiting.
    pub short: bool,
}

impl Default for RsiParams {
    fn default() -> Self {
        Self {
            period: 14,
            lower: 30.0,
            upper: 70.0,
            short: false,
        }
    }
}

impl Params for RsiParams {
    const STRATEGY: &'static str = "rsi";
    const KEYS: &'static [&'static str] = &["period", "lower", "upper", "short"];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "period" => self.period = parse(key, value, "a whole number of bars")?,
            "lower" => self.lower = parse_finite(key, value)?,
            "upper" => self.upper = parse_finite(key, value)?,
            "short" => self.short = parse(key, value, "true or false")?,
            _ => return Err(Self::unknown(key)),
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), StrategyError> {
        if self.period < 2 {
            return Err(Self::invalid(format!(
                "period must be at least 2, got {}",
                self.period
            )));
        }
        if !(0.0 < self.lower && self.lower < self.upper && self.upper < 100.0) {
            return Err(Self::invalid(format!(
                "need 0 < lower < upper < 100, got lower={} upper={}",
                self.lower, self.upper
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct RsiStrategy {
    params: RsiParams,
    rsi: Rsi,
    prev: Option<f64>,
}

impl RsiStrategy {
    pub fn new(params: RsiParams) -> Result<Self, StrategyError> {
        params.validate()?;
        Ok(Self {
            params,
            rsi: Rsi::new(params.period)?,
            prev: None,
        })
    }
}

impl Strategy for RsiStrategy {
    fn name(&self) -> &'static str {
        RsiParams::STRATEGY
    }

    fn warmup(&self) -> usize {
        self.params.period
    }

    fn on_bar(&mut self, bar: &Bar) -> Option<Signal> {
        let rsi = self.rsi.update(bar.close)?;
        let prev = self.prev.replace(rsi)?;
        let p = &self.params;
        if crossed_above(prev, p.lower, rsi, p.lower) {
            // Deeper oversold before the turn reads as a stronger signal.
            let strength = 1.0 - prev / p.lower;
            Some(Signal::new(
                Side::Buy,
                strength.max(0.1),
                format!("RSI {rsi:.2} crossed up through {}", p.lower),
            ))
        } else if crossed_above(p.upper, prev, p.upper, rsi) {
            let side = if p.short { Side::Sell } else { Side::Exit };
            let strength = (prev - p.upper) / (100.0 - p.upper);
            Some(Signal::new(
                side,
                strength.max(0.1),
                format!("RSI {rsi:.2} crossed down through {}", p.upper),
            ))
        } else {
            None
        }
    }

    fn reset(&mut self) {
        self.rsi.reset();
        self.prev = None;
    }
}
