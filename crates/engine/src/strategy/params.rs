//! Typed strategy parameters set from `k=v` strings.

use super::StrategyError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::str::FromStr;

/// A strategy's parameter struct: defaults, the accepted keys, and validation.
pub trait Params: Default + Clone + Serialize + DeserializeOwned {
    /// The strategy these parameters belong to.
    const STRATEGY: &'static str;
    /// Every key [`Params::set`] accepts, for error messages.
    const KEYS: &'static [&'static str];

    /// Sets one parameter from its text; unknown keys and unparsable values are errors.
    fn set(&mut self, key: &str, value: &str) -> Result<(), StrategyError>;

    /// Checks the combination (periods, ordering of thresholds, ...).
    fn validate(&self) -> Result<(), StrategyError>;

    /// Defaults overridden by `k=v` pairs, then validated.
    fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, StrategyError> {
        let mut p = Self::default();
        for (k, v) in pairs {
            p.set(k, v)?;
        }
        p.validate()?;
        Ok(p)
    }

    fn unknown(key: &str) -> StrategyError {
        StrategyError::UnknownParam {
            strategy: Self::STRATEGY,
            key: key.to_string(),
            accepted: Self::KEYS,
        }
    }

    fn invalid(reason: impl Into<String>) -> StrategyError {
        StrategyError::Invalid {
            strategy: Self::STRATEGY,
            reason: reason.into(),
        }
    }
}

/// Parses one value, naming what was expected on failure.
pub(crate) fn parse<T: FromStr>(
    key: &str,
    value: &str,
    expected: &'static str,
) -> Result<T, StrategyError> {
    value.trim().parse().map_err(|_| StrategyError::BadValue {
        key: key.to_string(),
        value: value.to_string(),
        expected,
    })
}

/// A finite float.
pub(crate) fn parse_finite(key: &str, value: &str) -> Result<f64, StrategyError> {
    let v: f64 = parse(key, value, "a finite number")?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(StrategyError::BadValue {
            key: key.to_string(),
            value: value.to_string(),
            expected: "a finite number",
        })
    }
}

/// Splits `k=v`.
pub(crate) fn split_pair(given: &str) -> Result<(&str, &str), StrategyError> {
    match given.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => Err(StrategyError::MalformedParam {
            given: given.to_string(),
        }),
    }
}
