//! Bollinger mean reversion (20 bars, 2σ by default): buy when the close is below the lower band,
//! exit when it is back at or above the middle band. The strategy remembers whether it asked to be
//! in, so it buys once per excursion below the band rather than on every bar of it.

use super::params::{parse, parse_finite, Params};
use super::{Side, Signal, Strategy, StrategyError};
use quant::indicators::Bollinger;
use quant::Bar;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanReversionParams {
    pub period: usize,
    /// Band width in population standard deviations.
    pub k: f64,
}

impl Default for MeanReversionParams {
    fn default() -> Self {
        Self { period: 20, k: 2.0 }
    }
}

impl Params for MeanReversionParams {
    const STRATEGY: &'static str = "mean_reversion";
    const KEYS: &'static [&'static str] = &["period", "k"];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "period" => self.period = parse(key, value, "a whole number of bars")?,
            "k" => self.k = parse_finite(key, value)?,
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
        if self.k <= 0.0 {
            return Err(Self::invalid(format!("k must be positive, got {}", self.k)));
        }
        Ok(())
    }
}

/// Where the strategy wants to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stance {
    Flat,
    Long,
}

#[derive(Debug, Clone)]
pub struct MeanReversion {
    params: MeanReversionParams,
    bands: Bollinger,
    stance: Stance,
}

impl MeanReversion {
    pub fn new(params: MeanReversionParams) -> Result<Self, StrategyError> {
        params.validate()?;
        Ok(Self {
            params,
            bands: Bollinger::new(params.period, params.k)?,
            stance: Stance::Flat,
        })
    }
}

impl Strategy for MeanReversion {
    fn name(&self) -> &'static str {
        MeanReversionParams::STRATEGY
    }

    fn warmup(&self) -> usize {
        self.params.period - 1
    }

    fn on_bar(&mut self, bar: &Bar) -> Option<Signal> {
        let b = self.bands.update(bar.close)?;
        match self.stance {
            Stance::Flat if bar.close < b.lower => {
                self.stance = Stance::Long;
                let width = b.middle - b.lower;
                let strength = if width > 0.0 {
                    (b.lower - bar.close) / width
                } else {
                    1.0
                };
                Some(Signal::new(
                    Side::Buy,
                    strength.max(0.1),
                    format!("close {} below lower band {:.4}", bar.close, b.lower),
                ))
            }
            Stance::Long if bar.close >= b.middle => {
                self.stance = Stance::Flat;
                Some(Signal::new(
                    Side::Exit,
                    1.0,
                    format!("close {} back at middle band {:.4}", bar.close, b.middle),
                ))
            }
            _ => None,
        }
    }

    fn reset(&mut self) {
        self.bands.reset();
        self.stance = Stance::Flat;
    }
}
