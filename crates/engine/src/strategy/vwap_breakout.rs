//! Session VWAP breakout: buy when the close crosses above the session's VWAP on a bar whose
//! volume is above its recent average, exit when the close crosses back below. Crossings are
//! counted within one session (IST calendar day): the first bar of a session has no previous
//! reading to cross from, since yesterday's VWAP is not today's.

use super::params::{parse, Params};
use super::{Side, Signal, Strategy, StrategyError};
use quant::indicators::{Sma, Vwap};
use quant::Bar;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VwapBreakoutParams {
    /// Bars in the volume average (this bar included).
    pub volume_period: usize,
}

impl Default for VwapBreakoutParams {
    fn default() -> Self {
        Self { volume_period: 20 }
    }
}

impl Params for VwapBreakoutParams {
    const STRATEGY: &'static str = "vwap_breakout";
    const KEYS: &'static [&'static str] = &["volume_period"];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "volume_period" => self.volume_period = parse(key, value, "a whole number of bars")?,
            _ => return Err(Self::unknown(key)),
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), StrategyError> {
        if self.volume_period < 2 {
            return Err(Self::invalid(format!(
                "volume_period must be at least 2, got {}",
                self.volume_period
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct VwapBreakout {
    params: VwapBreakoutParams,
    vwap: Vwap,
    volume: Sma,
    /// Session of the previous bar and whether its close was above that bar's VWAP.
    prev: Option<(i64, bool)>,
}

impl VwapBreakout {
    pub fn new(params: VwapBreakoutParams) -> Result<Self, StrategyError> {
        params.validate()?;
        Ok(Self {
            params,
            vwap: Vwap::new(),
            volume: Sma::new(params.volume_period)?,
            prev: None,
        })
    }
}

impl Strategy for VwapBreakout {
    fn name(&self) -> &'static str {
        VwapBreakoutParams::STRATEGY
    }

    fn warmup(&self) -> usize {
        self.params.volume_period - 1
    }

    fn on_bar(&mut self, bar: &Bar) -> Option<Signal> {
        let session = bar.ist_day();
        let avg_volume = self.volume.update(bar.volume);
        let vwap = self
            .vwap
            .update(session, bar.high, bar.low, bar.close, bar.volume);
        let Some(vwap) = vwap else {
            self.prev = None;
            return None;
        };
        let above = bar.close > vwap;
        let was_above = match self.prev.replace((session, above)) {
            Some((s, was)) if s == session => was,
            _ => return None,
        };
        if !was_above && above {
            let avg = avg_volume?;
            if bar.volume > avg {
                return Some(Signal::new(
                    Side::Buy,
                    (bar.volume / avg - 1.0).min(1.0),
                    format!(
                        "close {} crossed above VWAP {vwap:.4} on volume {} > average {avg:.1}",
                        bar.close, bar.volume
                    ),
                ));
            }
        } else if was_above && bar.close < vwap {
            return Some(Signal::new(
                Side::Exit,
                1.0,
                format!("close {} crossed below VWAP {vwap:.4}", bar.close),
            ));
        }
        None
    }

    fn reset(&mut self) {
        self.vwap.reset();
        self.volume.reset();
        self.prev = None;
    }
}
