//! Moving-average crossover, backtesting.py's `SmaCross` example: go long when the fast average
//! crosses above the slow one, short when it crosses below (always in the market once started).

use super::params::{parse, Params};
use super::{crossed_above, Side, Signal, Strategy, StrategyError};
use quant::indicators::{Ema, Sma};
use quant::Bar;
use serde::{Deserialize, Serialize};

/// `fast < slow`, both ≥ 2 (TA-Lib's minimum period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossoverParams {
    pub fast: usize,
    pub slow: usize,
}

impl Default for CrossoverParams {
    fn default() -> Self {
        Self { fast: 10, slow: 20 }
    }
}

impl CrossoverParams {
    fn check(&self, strategy: &'static str) -> Result<(), StrategyError> {
        let invalid = |reason: String| StrategyError::Invalid { strategy, reason };
        if self.fast < 2 || self.slow < 2 {
            return Err(invalid(format!(
                "periods must be at least 2, got fast={} slow={}",
                self.fast, self.slow
            )));
        }
        if self.fast >= self.slow {
            return Err(invalid(format!(
                "fast ({}) must be less than slow ({})",
                self.fast, self.slow
            )));
        }
        Ok(())
    }
}

/// A streaming average the crossover can run on.
pub trait MovingAverage: Send + Sized {
    /// Registry name of the crossover built on this average.
    const STRATEGY: &'static str;
    fn with_period(period: usize) -> Result<Self, StrategyError>;
    fn next(&mut self, x: f64) -> Option<f64>;
    fn clear(&mut self);
}

impl MovingAverage for Sma {
    const STRATEGY: &'static str = "sma_crossover";
    fn with_period(period: usize) -> Result<Self, StrategyError> {
        Ok(Sma::new(period)?)
    }
    #[inline(always)]
    fn next(&mut self, x: f64) -> Option<f64> {
        self.update(x)
    }
    fn clear(&mut self) {
        self.reset()
    }
}

impl MovingAverage for Ema {
    const STRATEGY: &'static str = "ema_crossover";
    fn with_period(period: usize) -> Result<Self, StrategyError> {
        Ok(Ema::new(period)?)
    }
    #[inline(always)]
    fn next(&mut self, x: f64) -> Option<f64> {
        self.update(x)
    }
    fn clear(&mut self) {
        self.reset()
    }
}

/// Crossover of two averages of the close.
#[derive(Debug, Clone)]
pub struct MaCrossover<M> {
    params: CrossoverParams,
    fast: M,
    slow: M,
    /// (fast, slow) on the previous bar, once both exist.
    prev: Option<(f64, f64)>,
}

pub type SmaCrossover = MaCrossover<Sma>;
pub type EmaCrossover = MaCrossover<Ema>;

impl<M: MovingAverage> MaCrossover<M> {
    pub fn new(params: CrossoverParams) -> Result<Self, StrategyError> {
        params.check(M::STRATEGY)?;
        Ok(Self {
            params,
            fast: M::with_period(params.fast)?,
            slow: M::with_period(params.slow)?,
            prev: None,
        })
    }

    pub fn params(&self) -> CrossoverParams {
        self.params
    }

    /// The rule on one pair of readings, shared with the vectorised backtest path.
    #[inline(always)]
    pub(crate) fn rule(prev: (f64, f64), fast: f64, slow: f64) -> Option<Side> {
        if crossed_above(prev.0, prev.1, fast, slow) {
            Some(Side::Buy)
        } else if crossed_above(prev.1, prev.0, slow, fast) {
            Some(Side::Sell)
        } else {
            None
        }
    }
}

impl<M: MovingAverage> Strategy for MaCrossover<M> {
    fn name(&self) -> &'static str {
        M::STRATEGY
    }

    fn warmup(&self) -> usize {
        self.params.slow - 1
    }

    fn on_bar(&mut self, bar: &Bar) -> Option<Signal> {
        let fast = self.fast.next(bar.close);
        let slow = self.slow.next(bar.close);
        let (Some(fast), Some(slow)) = (fast, slow) else {
            return None;
        };
        let side = self
            .prev
            .replace((fast, slow))
            .and_then(|prev| Self::rule(prev, fast, slow))?;
        let (p, what) = (
            self.params,
            if side == Side::Buy { "above" } else { "below" },
        );
        Some(Signal::new(
            side,
            1.0,
            format!("fast {} crossed {what} slow {}", p.fast, p.slow),
        ))
    }

    fn reset(&mut self) {
        self.fast.clear();
        self.slow.clear();
        self.prev = None;
    }
}

macro_rules! crossover_params {
    ($name:literal, $wrapper:ident) => {
        /// [`CrossoverParams`] under this strategy's name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $wrapper(pub CrossoverParams);

        impl Params for $wrapper {
            const STRATEGY: &'static str = $name;
            const KEYS: &'static [&'static str] = &["fast", "slow"];
            fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
                let slot = match key {
                    "fast" => &mut self.0.fast,
                    "slow" => &mut self.0.slow,
                    _ => return Err(Self::unknown(key)),
                };
                *slot = parse(key, value, "a whole number of bars")?;
                Ok(())
            }
            fn validate(&self) -> Result<(), StrategyError> {
                self.0.check(Self::STRATEGY)
            }
        }
    };
}
crossover_params!("sma_crossover", SmaCrossParams);
crossover_params!("ema_crossover", EmaCrossParams);
