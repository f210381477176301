//! Typed parameters of the option structures, set from `k=v` text like the equity strategies'.
//!
//! Every structure shares the basket rules ([`BasketRules`]: size, take-profit, stop, trading
//! window); each adds how its strikes are chosen. Distances and widths count strike steps of the
//! chain (NIFTY 50, BANKNIFTY 100), so one configuration means the same shape on any underlying.

use crate::strategy::params::{parse, parse_finite, Params};
use crate::strategy::StrategyError;
use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How the short strikes are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Select {
    /// A fixed number of strike steps from the ATM strike.
    Distance,
    /// The strike whose |delta| is closest to a target.
    Delta,
}

impl Select {
    fn parse(key: &str, value: &str) -> Result<Self, StrategyError> {
        match value.trim() {
            "distance" => Ok(Self::Distance),
            "delta" => Ok(Self::Delta),
            _ => Err(StrategyError::BadValue {
                key: key.to_string(),
                value: value.to_string(),
                expected: "distance or delta",
            }),
        }
    }
}

/// A time of day in IST, written `HH:MM` (the form users type and the dashboard shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(pub NaiveTime);

impl ClockTime {
    /// `hour:minute`, or `None` when out of range.
    pub fn hm(hour: u32, minute: u32) -> Option<Self> {
        NaiveTime::from_hms_opt(hour, minute, 0).map(Self)
    }

    /// Accepts `HH:MM` and `HH:MM:SS`.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .ok()
            .map(Self)
    }

    fn parse_param(key: &str, value: &str) -> Result<Self, StrategyError> {
        Self::parse(value).ok_or_else(|| StrategyError::BadValue {
            key: key.to_string(),
            value: value.to_string(),
            expected: "a time HH:MM",
        })
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a time HH:MM")))
    }
}

/// What every structure shares: size, when to take profit or cut the loss, and the trading window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BasketRules {
    /// Lots per leg (every leg trades the same number).
    pub lots: u32,
    /// Take profit when the basket's P&L reaches this % of the entry premium.
    pub target_pct: f64,
    /// Cut the loss when it reaches this % of the entry premium.
    pub stop_pct: f64,
    /// No entry before this time (IST): the first minutes' quotes are wide.
    pub entry_after: ClockTime,
    /// Square off at this time (IST) whatever the P&L, and never enter from then on.
    pub exit_at: ClockTime,
}

impl Default for BasketRules {
    fn default() -> Self {
        Self {
            lots: 1,
            target_pct: 50.0,
            stop_pct: 100.0,
            entry_after: ClockTime(NaiveTime::from_hms_opt(9, 20, 0).unwrap_or_default()),
            exit_at: ClockTime(NaiveTime::from_hms_opt(15, 15, 0).unwrap_or_default()),
        }
    }
}

/// The keys [`BasketRules`] accepts; each structure's `KEYS` lists them after its own.
const RULE_KEYS: [&str; 5] = ["lots", "target_pct", "stop_pct", "entry_after", "exit_at"];

impl BasketRules {
    /// Sets a rule key; `None` when `key` is not one of them.
    fn set(&mut self, key: &str, value: &str) -> Option<Result<(), StrategyError>> {
        let set = match key {
            "lots" => parse(key, value, "a whole number of lots").map(|v| self.lots = v),
            "target_pct" => parse_finite(key, value).map(|v| self.target_pct = v),
            "stop_pct" => parse_finite(key, value).map(|v| self.stop_pct = v),
            "entry_after" => ClockTime::parse_param(key, value).map(|v| self.entry_after = v),
            "exit_at" => ClockTime::parse_param(key, value).map(|v| self.exit_at = v),
            _ => return None,
        };
        Some(set)
    }

    fn check(&self, strategy: &'static str) -> Result<(), StrategyError> {
        let invalid = |reason: String| StrategyError::Invalid { strategy, reason };
        if self.lots == 0 {
            return Err(invalid("lots must be at least 1".into()));
        }
        if !self.target_pct.is_finite() || self.target_pct <= 0.0 {
            return Err(invalid(format!(
                "target_pct must be above 0, got {}",
                self.target_pct
            )));
        }
        if !self.stop_pct.is_finite() || self.stop_pct <= 0.0 {
            return Err(invalid(format!(
                "stop_pct must be above 0, got {}",
                self.stop_pct
            )));
        }
        if self.entry_after >= self.exit_at {
            return Err(invalid(format!(
                "entry_after ({}) must be before exit_at ({})",
                self.entry_after, self.exit_at
            )));
        }
        Ok(())
    }
}

fn steps(strategy: &'static str, key: &str, value: u32) -> Result<(), StrategyError> {
    if value == 0 {
        return Err(StrategyError::Invalid {
            strategy,
            reason: format!("{key} must be at least 1 strike step"),
        });
    }
    Ok(())
}

fn delta(strategy: &'static str, value: f64) -> Result<(), StrategyError> {
    if !(value > 0.0 && value < 1.0) {
        return Err(StrategyError::Invalid {
            strategy,
            reason: format!("delta must be between 0 and 1, got {value}"),
        });
    }
    Ok(())
}

fn strike_steps(key: &str, value: &str) -> Result<u32, StrategyError> {
    parse(key, value, "a whole number of strike steps")
}

/// Iron condor: sell an OTM put and an OTM call, buy a put and a call `wing_width` steps further
/// out. A bounded-risk premium sale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IronCondorParams {
    pub select: Select,
    /// Short strikes' distance from ATM, in strike steps (`select=distance`).
    pub short_distance: u32,
    /// Target |delta| of the short legs (`select=delta`).
    pub delta: f64,
    /// Long wings beyond the short strikes, in strike steps (both selections).
    pub wing_width: u32,
    #[serde(flatten)]
    pub rules: BasketRules,
}

impl Default for IronCondorParams {
    fn default() -> Self {
        Self {
            select: Select::Distance,
            short_distance: 2,
            delta: 0.20,
            wing_width: 2,
            rules: BasketRules::default(),
        }
    }
}

impl Params for IronCondorParams {
    const STRATEGY: &'static str = "iron_condor";
    const KEYS: &'static [&'static str] = &[
        "select",
        "short_distance",
        "delta",
        "wing_width",
        RULE_KEYS[0],
        RULE_KEYS[1],
        RULE_KEYS[2],
        RULE_KEYS[3],
        RULE_KEYS[4],
    ];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "select" => self.select = Select::parse(key, value)?,
            "short_distance" => self.short_distance = strike_steps(key, value)?,
            "delta" => self.delta = parse_finite(key, value)?,
            "wing_width" => self.wing_width = strike_steps(key, value)?,
            _ => {
                return self
                    .rules
                    .set(key, value)
                    .unwrap_or(Err(Self::unknown(key)))
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), StrategyError> {
        steps(Self::STRATEGY, "short_distance", self.short_distance)?;
        steps(Self::STRATEGY, "wing_width", self.wing_width)?;
        delta(Self::STRATEGY, self.delta)?;
        self.rules.check(Self::STRATEGY)
    }
}

/// Straddle: the ATM call and put together, sold by default (premium collection, unbounded risk)
/// or bought with `short=false` (a bet on a large move).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StraddleParams {
    pub short: bool,
    #[serde(flatten)]
    pub rules: BasketRules,
}

impl Default for StraddleParams {
    fn default() -> Self {
        Self {
            short: true,
            rules: BasketRules::default(),
        }
    }
}

impl Params for StraddleParams {
    const STRATEGY: &'static str = "straddle";
    const KEYS: &'static [&'static str] = &[
        "short",
        RULE_KEYS[0],
        RULE_KEYS[1],
        RULE_KEYS[2],
        RULE_KEYS[3],
        RULE_KEYS[4],
    ];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "short" => self.short = parse(key, value, "true or false")?,
            _ => {
                return self
                    .rules
                    .set(key, value)
                    .unwrap_or(Err(Self::unknown(key)))
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), StrategyError> {
        self.rules.check(Self::STRATEGY)
    }
}

/// Strangle: an OTM call and an OTM put, sold by default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StrangleParams {
    pub select: Select,
    /// Both strikes' distance from ATM, in strike steps (`select=distance`).
    pub distance: u32,
    /// Target |delta| of both legs (`select=delta`).
    pub delta: f64,
    pub short: bool,
    #[serde(flatten)]
    pub rules: BasketRules,
}

impl Default for StrangleParams {
    fn default() -> Self {
        Self {
            select: Select::Distance,
            distance: 2,
            delta: 0.20,
            short: true,
            rules: BasketRules::default(),
        }
    }
}

impl Params for StrangleParams {
    const STRATEGY: &'static str = "strangle";
    const KEYS: &'static [&'static str] = &[
        "select",
        "distance",
        "delta",
        "short",
        RULE_KEYS[0],
        RULE_KEYS[1],
        RULE_KEYS[2],
        RULE_KEYS[3],
        RULE_KEYS[4],
    ];

    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "select" => self.select = Select::parse(key, value)?,
            "distance" => self.distance = strike_steps(key, value)?,
            "delta" => self.delta = parse_finite(key, value)?,
            "short" => self.short = parse(key, value, "true or false")?,
            _ => {
                return self
                    .rules
                    .set(key, value)
                    .unwrap_or(Err(Self::unknown(key)))
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), StrategyError> {
        steps(Self::STRATEGY, "distance", self.distance)?;
        delta(Self::STRATEGY, self.delta)?;
        self.rules.check(Self::STRATEGY)
    }
}

/// A vertical debit spread's parameters: by distance the long leg is ATM and the short leg `width`
/// steps out; by delta the short leg is the target-|delta| strike and the long leg `width` steps
/// back towards the money.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpreadParams {
    pub select: Select,
    /// Distance between the two strikes, in strike steps.
    pub width: u32,
    /// Target |delta| of the short leg (`select=delta`).
    pub delta: f64,
    #[serde(flatten)]
    pub rules: BasketRules,
}

impl Default for SpreadParams {
    fn default() -> Self {
        Self {
            select: Select::Distance,
            width: 2,
            // The sold leg of a debit spread sits nearer the money than a condor's.
            delta: 0.30,
            rules: BasketRules::default(),
        }
    }
}

impl SpreadParams {
    const KEYS: &'static [&'static str] = &[
        "select",
        "width",
        "delta",
        RULE_KEYS[0],
        RULE_KEYS[1],
        RULE_KEYS[2],
        RULE_KEYS[3],
        RULE_KEYS[4],
    ];

    fn set_as<P: Params>(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
        match key {
            "select" => self.select = Select::parse(key, value)?,
            "width" => self.width = strike_steps(key, value)?,
            "delta" => self.delta = parse_finite(key, value)?,
            _ => return self.rules.set(key, value).unwrap_or(Err(P::unknown(key))),
        }
        Ok(())
    }

    fn check(&self, strategy: &'static str) -> Result<(), StrategyError> {
        steps(strategy, "width", self.width)?;
        delta(strategy, self.delta)?;
        self.rules.check(strategy)
    }
}

macro_rules! spread_params {
    ($name:literal, $wrapper:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $wrapper(pub SpreadParams);

        impl Params for $wrapper {
            const STRATEGY: &'static str = $name;
            const KEYS: &'static [&'static str] = SpreadParams::KEYS;

            fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError> {
                self.0.set_as::<Self>(key, value)
            }

            fn validate(&self) -> Result<(), StrategyError> {
                self.0.check(Self::STRATEGY)
            }
        }
    };
}

spread_params!(
    "bull_call_spread",
    BullCallParams,
    "Bull call spread: buy the lower call, sell the higher one (a capped bet on a rise)."
);
spread_params!(
    "bear_put_spread",
    BearPutParams,
    "Bear put spread: buy the higher put, sell the lower one (a capped bet on a fall)."
);
