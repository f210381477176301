//! Time to expiry. NSE and BSE index and stock options expire at the close, 15:30 IST
//! (10:00 UTC) on the expiry date; `T` counts calendar time, in years of 365 days, which is the
//! convention the greeks use (theta per calendar day).
//!
//! Plain integers in, so the crate needs no date library: `now` as Unix seconds and the expiry
//! date as (year, month, day).

use super::OptionsError;

/// Seconds after UTC midnight of the expiry instant: 15:30 IST = 10:00 UTC.
pub const EXPIRY_SECS_UTC: i64 = 10 * 3600;
const SECS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`), or an
/// error for a date that does not exist (month 13, February 30, ...).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Result<i64, OptionsError> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_len = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if day == 0 || day > month_len {
        return Err(OptionsError::InvalidDate { year, month, day });
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

/// The expiry instant (Unix seconds) of a contract expiring on `(year, month, day)`: 15:30 IST.
pub fn expiry_unix(year: i32, month: u32, day: u32) -> Result<i64, OptionsError> {
    Ok(days_from_civil(year, month, day)? * 86_400 + EXPIRY_SECS_UTC)
}

/// Years (of 365 calendar days) from `now_unix` to 15:30 IST on the expiry date. Errors once
/// that instant has passed (or is exactly now), since no price or greek is defined at `T = 0`.
pub fn time_to_expiry(now_unix: i64, year: i32, month: u32, day: u32) -> Result<f64, OptionsError> {
    let seconds = expiry_unix(year, month, day)? - now_unix;
    if seconds <= 0 {
        return Err(OptionsError::Expired { seconds });
    }
    Ok(seconds as f64 / SECS_PER_YEAR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), Ok(0));
        assert_eq!(days_from_civil(2000, 3, 1), Ok(11_017));
        // 2024-02-29 00:00 UTC = 1709164800.
        assert_eq!(
            days_from_civil(2024, 2, 29).map(|d| d * 86_400),
            Ok(1_709_164_800)
        );
        assert_eq!(days_from_civil(1969, 12, 31), Ok(-1));
        assert!(days_from_civil(2023, 2, 29).is_err());
        assert!(days_from_civil(2024, 13, 1).is_err());
        assert!(days_from_civil(2024, 4, 31).is_err());
        assert!(days_from_civil(2024, 1, 0).is_err());
    }

    #[test]
    fn expiry_is_1530_ist() {
        // 2025-01-30 15:30 IST = 2025-01-30 10:00 UTC = 1738231200.
        assert_eq!(expiry_unix(2025, 1, 30), Ok(1_738_231_200));
    }

    #[test]
    fn one_calendar_day_is_one_365th() {
        let exp = expiry_unix(2025, 1, 30).unwrap();
        let t = time_to_expiry(exp - 86_400, 2025, 1, 30).unwrap();
        assert!((t - 1.0 / 365.0).abs() < 1e-15);
        // 09:15 IST on expiry day: 6h15m left.
        let t = time_to_expiry(exp - (6 * 3600 + 15 * 60), 2025, 1, 30).unwrap();
        assert!((t * 365.0 * 24.0 - 6.25).abs() < 1e-12);
    }

    #[test]
    fn expired_is_an_error() {
        let exp = expiry_unix(2025, 1, 30).unwrap();
        assert_eq!(
            time_to_expiry(exp, 2025, 1, 30),
            Err(OptionsError::Expired { seconds: 0 })
        );
        assert!(matches!(
            time_to_expiry(exp + 1, 2025, 1, 30),
            Err(OptionsError::Expired { seconds: -1 })
        ));
    }
}
