//! Small serde helpers for Kite's loose JSON: objects that must stay objects, nulls that mean "empty",
//! and integers that some clients write as floats.

use serde::{Deserialize, Deserializer};

/// A free-form JSON object such as an order's `meta`. Always an object on the wire: Go decodes it into a
/// map and the official Python test checks it is a dict, so `null` is read as `{}` and `{}` is written.
pub type Meta = serde_json::Map<String, serde_json::Value>;

/// Reads `null` as the type's default (for `meta`, `tags`, ...). Pair with `#[serde(default)]` so an
/// absent key is accepted as well.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A non-negative whole number that may arrive as `5` or `5.0` (Go declares some quantities as floats).
struct Whole(u64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Whole;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative whole number")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Whole, E> {
                Ok(Whole(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Whole, E> {
                u64::try_from(v)
                    .map(Whole)
                    .map_err(|_| E::custom(format!("negative quantity {v}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Whole, E> {
                // 2^53: every whole f64 below it is exact.
                if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
                    Ok(Whole(v as u64))
                } else {
                    Err(E::custom(format!("not a whole number: {v}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserializes a `u64` from a JSON integer or a whole float.
pub(crate) fn whole_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Whole::deserialize(d)?.0)
}

/// Deserializes a `u32` from a JSON integer or a whole float.
pub(crate) fn whole_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Whole::deserialize(d)?.0;
    u32::try_from(v).map_err(|_| serde::de::Error::custom(format!("{v} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Q {
        #[serde(deserialize_with = "whole_u32")]
        q: u32,
        #[serde(default, deserialize_with = "null_as_default")]
        meta: Meta,
    }

    #[test]
    fn whole_numbers_accept_integer_floats_only() {
        let q: Q = serde_json::from_str(r#"{"q": 65.0, "meta": null}"#).unwrap();
        assert_eq!(q.q, 65);
        assert!(q.meta.is_empty());
        assert!(serde_json::from_str::<Q>(r#"{"q": 65.5}"#).is_err());
        assert!(serde_json::from_str::<Q>(r#"{"q": -1}"#).is_err());
        assert!(serde_json::from_str::<Q>(r#"{"q": 5000000000}"#).is_err());
    }
}
