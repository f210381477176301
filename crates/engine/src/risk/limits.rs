//! Validation of [`RiskLimits`]: a limit that is NaN, infinite, zero or negative would silently turn
//! a cap off (every comparison with NaN is false) or block everything, so it is refused up front.

use super::RiskError;
use model::trading::RiskLimits;

/// Checks every field of `limits`; the first bad one is reported.
pub fn validate(limits: &RiskLimits) -> Result<(), RiskError> {
    let positive = [
        ("capital", limits.capital),
        ("daily_loss_limit", limits.daily_loss_limit),
        ("atr_stop_multiple", limits.atr_stop_multiple),
        ("max_instrument_exposure", limits.max_instrument_exposure),
        ("max_strategy_exposure", limits.max_strategy_exposure),
        ("max_gross_exposure", limits.max_gross_exposure),
    ];
    for (field, value) in positive {
        if !(value.is_finite() && value > 0.0) {
            return Err(RiskError::InvalidLimit {
                field,
                value: value.to_string(),
                expected: "a finite number above zero",
            });
        }
    }
    let pct = limits.risk_per_trade_pct;
    if !(pct.is_finite() && pct > 0.0 && pct <= 100.0) {
        return Err(RiskError::InvalidLimit {
            field: "risk_per_trade_pct",
            value: pct.to_string(),
            expected: "a percentage above 0 and at most 100",
        });
    }
    let counts = [
        ("max_open_positions", limits.max_open_positions),
        ("max_orders_per_minute", limits.max_orders_per_minute),
    ];
    for (field, value) in counts {
        if value == 0 {
            return Err(RiskError::InvalidLimit {
                field,
                value: value.to_string(),
                expected: "at least 1",
            });
        }
    }
    Ok(())
}
