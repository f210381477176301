//! Building strategies by name: the CLI's `--strategy NAME --param k=v`, a saved configuration
//! (serde, tagged by `strategy`), or code; and the list of every kind, equity and option, for the
//! dashboard's "add strategy" form.

use super::options::{
    BearPutParams, BullCallParams, IronCondorParams, StraddleParams, StrangleParams,
    OPTION_STRATEGY_NAMES,
};
use super::params::{split_pair, Params};
use super::{
    EmaCrossParams, EmaCrossover, MeanReversion, MeanReversionParams, RsiParams, RsiStrategy,
    SmaCrossParams, SmaCrossover, Strategy, StrategyError, VwapBreakout, VwapBreakoutParams,
};
use model::trading::{StrategyFamily, StrategyKindInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every strategy name [`StrategySpec::parse`] accepts.
pub const STRATEGY_NAMES: &[&str] = &[
    "sma_crossover",
    "ema_crossover",
    "rsi",
    "mean_reversion",
    "vwap_breakout",
];

/// A strategy and its validated parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "params", rename_all = "snake_case")]
pub enum StrategySpec {
    SmaCrossover(SmaCrossParams),
    EmaCrossover(EmaCrossParams),
    Rsi(RsiParams),
    MeanReversion(MeanReversionParams),
    VwapBreakout(VwapBreakoutParams),
}

impl StrategySpec {
    /// A spec from a name and `k=v` strings; parameters not given keep their defaults.
    pub fn parse<S: AsRef<str>>(name: &str, params: &[S]) -> Result<Self, StrategyError> {
        let pairs = params
            .iter()
            .map(|p| split_pair(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let pairs = pairs.iter().copied();
        Ok(match name.trim() {
            "sma_crossover" => Self::SmaCrossover(SmaCrossParams::from_pairs(pairs)?),
            "ema_crossover" => Self::EmaCrossover(EmaCrossParams::from_pairs(pairs)?),
            "rsi" => Self::Rsi(RsiParams::from_pairs(pairs)?),
            "mean_reversion" => Self::MeanReversion(MeanReversionParams::from_pairs(pairs)?),
            "vwap_breakout" => Self::VwapBreakout(VwapBreakoutParams::from_pairs(pairs)?),
            other => {
                return Err(StrategyError::UnknownStrategy {
                    name: other.to_string(),
                    accepted: STRATEGY_NAMES,
                })
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::SmaCrossover(_) => SmaCrossParams::STRATEGY,
            Self::EmaCrossover(_) => EmaCrossParams::STRATEGY,
            Self::Rsi(_) => RsiParams::STRATEGY,
            Self::MeanReversion(_) => MeanReversionParams::STRATEGY,
            Self::VwapBreakout(_) => VwapBreakoutParams::STRATEGY,
        }
    }

    /// Validates again (a deserialised spec has not been checked) and builds the strategy.
    pub fn build(&self) -> Result<Box<dyn Strategy>, StrategyError> {
        Ok(match self {
            Self::SmaCrossover(p) => {
                p.validate()?;
                Box::new(SmaCrossover::new(p.0)?)
            }
            Self::EmaCrossover(p) => {
                p.validate()?;
                Box::new(EmaCrossover::new(p.0)?)
            }
            Self::Rsi(p) => Box::new(RsiStrategy::new(*p)?),
            Self::MeanReversion(p) => Box::new(MeanReversion::new(*p)?),
            Self::VwapBreakout(p) => Box::new(VwapBreakout::new(*p)?),
        })
    }
}

/// Every kind the "add strategy" form offers, equity then option, each with its parameters'
/// defaults as text (read off the serialised default parameter struct, so they cannot drift from
/// what [`StrategySpec::parse`] / [`OptionSpec::parse`](super::OptionSpec::parse) use).
pub fn strategy_kinds() -> Vec<StrategyKindInfo> {
    use StrategyFamily::{Equity, Options};
    vec![
        kind::<SmaCrossParams>("SMA crossover", Equity),
        kind::<EmaCrossParams>("EMA crossover", Equity),
        kind::<RsiParams>("RSI reversal", Equity),
        kind::<MeanReversionParams>("Mean reversion", Equity),
        kind::<VwapBreakoutParams>("VWAP breakout", Equity),
        kind::<IronCondorParams>("Iron condor", Options),
        kind::<StraddleParams>("Straddle", Options),
        kind::<StrangleParams>("Strangle", Options),
        kind::<BullCallParams>("Bull call spread", Options),
        kind::<BearPutParams>("Bear put spread", Options),
    ]
}

/// Which family a registry name belongs to; `None` for an unknown name.
pub fn family_of(kind: &str) -> Option<StrategyFamily> {
    let kind = kind.trim();
    if STRATEGY_NAMES.contains(&kind) {
        Some(StrategyFamily::Equity)
    } else if OPTION_STRATEGY_NAMES.contains(&kind) {
        Some(StrategyFamily::Options)
    } else {
        None
    }
}

fn kind<P: Params>(label: &str, family: StrategyFamily) -> StrategyKindInfo {
    StrategyKindInfo {
        kind: P::STRATEGY.to_string(),
        label: label.to_string(),
        family,
        params: default_params_text::<P>(),
    }
}

/// `key → default` as text, in the form [`Params::set`] parses back.
fn default_params_text<P: Params>() -> BTreeMap<String, String> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(P::default()) else {
        return BTreeMap::new();
    };
    fields
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::OptionSpec;

    #[test]
    fn kinds_list_all_ten_with_their_family_and_defaults() {
        let kinds = strategy_kinds();
        let names: Vec<&str> = kinds.iter().map(|k| k.kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "sma_crossover",
                "ema_crossover",
                "rsi",
                "mean_reversion",
                "vwap_breakout",
                "iron_condor",
                "straddle",
                "strangle",
                "bull_call_spread",
                "bear_put_spread",
            ]
        );
        for k in &kinds {
            assert_eq!(family_of(&k.kind), Some(k.family), "{}", k.kind);
            assert!(!k.label.is_empty() && !k.params.is_empty(), "{}", k.kind);
        }
        let condor = &kinds[5];
        assert_eq!(condor.label, "Iron condor");
        let get = |k: &str| condor.params.get(k).map(String::as_str);
        assert_eq!(get("select"), Some("distance"));
        assert_eq!(get("lots"), Some("1"));
        assert_eq!(get("entry_after"), Some("09:20"));
        assert_eq!(get("exit_at"), Some("15:15"));
        assert_eq!(get("short_distance"), Some("2"));
        assert_eq!(get("wing_width"), Some("2"));
        assert_eq!(kinds[0].params.get("fast").map(String::as_str), Some("10"));
        assert_eq!(
            kinds[8]
                .params
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            [
                "delta",
                "entry_after",
                "exit_at",
                "lots",
                "select",
                "stop_pct",
                "target_pct",
                "width"
            ]
        );
    }

    #[test]
    fn every_listed_default_parses_back_to_the_default_spec() {
        for k in strategy_kinds() {
            let pairs: Vec<String> = k.params.iter().map(|(p, v)| format!("{p}={v}")).collect();
            match k.family {
                StrategyFamily::Equity => assert_eq!(
                    StrategySpec::parse(&k.kind, &pairs).unwrap(),
                    StrategySpec::parse(&k.kind, &[] as &[&str]).unwrap(),
                    "{}",
                    k.kind
                ),
                StrategyFamily::Options => assert_eq!(
                    OptionSpec::parse(&k.kind, &pairs).unwrap(),
                    OptionSpec::parse(&k.kind, &[] as &[&str]).unwrap(),
                    "{}",
                    k.kind
                ),
            }
        }
    }

    #[test]
    fn family_of_unknown_kind_is_none() {
        assert_eq!(family_of("rsi"), Some(StrategyFamily::Equity));
        assert_eq!(family_of("straddle"), Some(StrategyFamily::Options));
        assert_eq!(family_of("butterfly"), None);
        assert_eq!(family_of(""), None);
    }
}
