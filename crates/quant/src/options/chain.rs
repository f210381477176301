//! Option-chain statistics over per-strike open interest and volume: max pain, put-call ratios
//! and the ATM strike. Pure functions over a slice of [`StrikeRow`]; rows need not be sorted
//! and nothing is allocated.

use serde::{Deserialize, Serialize};

/// One strike of a chain (one expiry): open interest and traded volume of its call and put.
/// OI and volume are in contracts or in units, as long as all rows agree.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StrikeRow {
    pub strike: f64,
    pub call_oi: f64,
    pub put_oi: f64,
    #[serde(default)]
    pub call_volume: f64,
    #[serde(default)]
    pub put_volume: f64,
}

/// Why a chain statistic is undefined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    #[error("the chain has no strikes")]
    Empty,
    /// Strikes must be finite and positive; OI and volume finite and non-negative.
    #[error("row {index} is invalid: {field} = {value}")]
    InvalidRow {
        index: usize,
        field: &'static str,
        value: f64,
    },
    /// A ratio with nothing in its denominator (no call OI, no call volume).
    #[error("{0} is zero, the ratio is undefined")]
    ZeroDenominator(&'static str),
}

fn validate(rows: &[StrikeRow]) -> Result<(), ChainError> {
    if rows.is_empty() {
        return Err(ChainError::Empty);
    }
    for (index, r) in rows.iter().enumerate() {
        let bad = |field, value| ChainError::InvalidRow {
            index,
            field,
            value,
        };
        if !(r.strike.is_finite() && r.strike > 0.0) {
            return Err(bad("strike", r.strike));
        }
        for (field, value) in [
            ("call_oi", r.call_oi),
            ("put_oi", r.put_oi),
            ("call_volume", r.call_volume),
            ("put_volume", r.put_volume),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(bad(field, value));
            }
        }
    }
    Ok(())
}

/// What option writers pay out in total if the underlying settles at `settle`:
/// Σ call OI·max(settle - K, 0) + put OI·max(K - settle, 0).
pub fn writer_payout(rows: &[StrikeRow], settle: f64) -> f64 {
    rows.iter()
        .map(|r| r.call_oi * (settle - r.strike).max(0.0) + r.put_oi * (r.strike - settle).max(0.0))
        .sum()
}

/// Max pain: the listed strike at which settlement would cost option writers the least
/// ([`writer_payout`]); among equal payouts, the lowest strike. O(n²) over the strikes, which
/// for real chains (a few hundred strikes) is microseconds and needs no sorting.
pub fn max_pain(rows: &[StrikeRow]) -> Result<f64, ChainError> {
    validate(rows)?;
    let mut best: Option<(f64, f64)> = None; // (payout, strike)
    for r in rows {
        let payout = writer_payout(rows, r.strike);
        best = match best {
            Some((p, k)) if p < payout || (p == payout && k <= r.strike) => Some((p, k)),
            _ => Some((payout, r.strike)),
        };
    }
    Ok(best.map(|(_, k)| k).unwrap_or(f64::NAN))
}

/// Put-call ratio by open interest: Σ put OI / Σ call OI.
pub fn pcr_oi(rows: &[StrikeRow]) -> Result<f64, ChainError> {
    validate(rows)?;
    let calls: f64 = rows.iter().map(|r| r.call_oi).sum();
    let puts: f64 = rows.iter().map(|r| r.put_oi).sum();
    if calls == 0.0 {
        return Err(ChainError::ZeroDenominator("call open interest"));
    }
    Ok(puts / calls)
}

/// Put-call ratio by traded volume: Σ put volume / Σ call volume.
pub fn pcr_volume(rows: &[StrikeRow]) -> Result<f64, ChainError> {
    validate(rows)?;
    let calls: f64 = rows.iter().map(|r| r.call_volume).sum();
    let puts: f64 = rows.iter().map(|r| r.put_volume).sum();
    if calls == 0.0 {
        return Err(ChainError::ZeroDenominator("call volume"));
    }
    Ok(puts / calls)
}

/// The at-the-money strike: the listed strike nearest to `spot`; halfway between two strikes,
/// the lower one.
pub fn atm_strike(rows: &[StrikeRow], spot: f64) -> Result<f64, ChainError> {
    validate(rows)?;
    if !(spot.is_finite() && spot > 0.0) {
        return Err(ChainError::InvalidRow {
            index: usize::MAX,
            field: "spot",
            value: spot,
        });
    }
    let mut best = rows[0].strike;
    for r in &rows[1..] {
        let (d, db) = ((r.strike - spot).abs(), (best - spot).abs());
        if d < db || (d == db && r.strike < best) {
            best = r.strike;
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(strike: f64, call_oi: f64, put_oi: f64, call_volume: f64, put_volume: f64) -> StrikeRow {
        StrikeRow {
            strike,
            call_oi,
            put_oi,
            call_volume,
            put_volume,
        }
    }

    /// strike  call OI  put OI  call vol  put vol
    ///   100      50      10      100      250
    ///   110      40      30      200      150
    ///   120      30      20      300      250
    ///   130      10       5      400      100
    fn chain() -> Vec<StrikeRow> {
        vec![
            row(120.0, 30.0, 20.0, 300.0, 250.0), // deliberately unsorted
            row(100.0, 50.0, 10.0, 100.0, 250.0),
            row(130.0, 10.0, 5.0, 400.0, 100.0),
            row(110.0, 40.0, 30.0, 200.0, 150.0),
        ]
    }

    #[test]
    fn max_pain_by_hand() {
        // Writers' payout if the underlying settles at each strike:
        //   100: calls 0;                              puts 30·10 + 20·20 + 5·30 = 850
        //   110: calls 50·10 = 500;                    puts 20·10 + 5·20 = 300  -> 800
        //   120: calls 50·20 + 40·10 = 1400;           puts 5·10 = 50           -> 1450
        //   130: calls 50·30 + 40·20 + 30·10 = 2600;   puts 0                   -> 2600
        // The minimum, 800, is at 110.
        let c = chain();
        assert_eq!(writer_payout(&c, 100.0), 850.0);
        assert_eq!(writer_payout(&c, 110.0), 800.0);
        assert_eq!(writer_payout(&c, 120.0), 1450.0);
        assert_eq!(writer_payout(&c, 130.0), 2600.0);
        assert_eq!(max_pain(&c), Ok(110.0));
    }

    #[test]
    fn max_pain_ties_go_to_the_lower_strike() {
        // 100: puts at 110 pay 1·10 = 10; 110: calls at 100 pay 1·10 = 10. A tie.
        let c = [
            row(110.0, 0.0, 1.0, 0.0, 0.0),
            row(100.0, 1.0, 0.0, 0.0, 0.0),
        ];
        assert_eq!(writer_payout(&c, 100.0), writer_payout(&c, 110.0));
        assert_eq!(max_pain(&c), Ok(100.0));
    }

    #[test]
    fn put_call_ratios_by_hand() {
        // OI: puts 10+30+20+5 = 65, calls 50+40+30+10 = 130 -> 0.5.
        // Volume: puts 250+150+250+100 = 750, calls 100+200+300+400 = 1000 -> 0.75.
        assert_eq!(pcr_oi(&chain()), Ok(0.5));
        assert_eq!(pcr_volume(&chain()), Ok(0.75));
        let no_calls = [row(100.0, 0.0, 5.0, 0.0, 1.0)];
        assert!(matches!(
            pcr_oi(&no_calls),
            Err(ChainError::ZeroDenominator(_))
        ));
        assert!(matches!(
            pcr_volume(&no_calls),
            Err(ChainError::ZeroDenominator(_))
        ));
    }

    #[test]
    fn atm_is_nearest_strike_ties_lower() {
        let c = chain();
        assert_eq!(atm_strike(&c, 114.0), Ok(110.0)); // 4 away vs 6
        assert_eq!(atm_strike(&c, 115.0), Ok(110.0)); // halfway: lower
        assert_eq!(atm_strike(&c, 116.0), Ok(120.0));
        assert_eq!(atm_strike(&c, 90.0), Ok(100.0));
        assert_eq!(atm_strike(&c, 1e6), Ok(130.0));
        assert!(atm_strike(&c, f64::NAN).is_err());
    }

    #[test]
    fn bad_chains_are_errors() {
        assert_eq!(max_pain(&[]), Err(ChainError::Empty));
        let neg = [row(100.0, -1.0, 0.0, 0.0, 0.0)];
        assert!(matches!(
            max_pain(&neg),
            Err(ChainError::InvalidRow {
                index: 0,
                field: "call_oi",
                ..
            })
        ));
        let bad_strike = [row(f64::NAN, 1.0, 0.0, 0.0, 0.0)];
        assert!(matches!(
            pcr_oi(&bad_strike),
            Err(ChainError::InvalidRow {
                field: "strike",
                ..
            })
        ));
    }
}
