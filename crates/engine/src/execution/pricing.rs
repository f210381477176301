//! Prices in integer paise, so rounding to the tick is exact: a limit price that is not a multiple of
//! the tick is refused by the exchange, and `f64` rupees cannot represent most ticks exactly.

use super::error::ExecError;
use model::broker::{Quote, TransactionType};

/// Rupees to paise, refusing what cannot be a price.
pub fn to_paise(rupees: f64) -> Result<i64, ExecError> {
    if !(0.0..=1e12).contains(&rupees) {
        return Err(ExecError::Invalid(format!("price {rupees} is not a price")));
    }
    Ok((rupees * 100.0).round() as i64)
}

pub fn to_rupees(paise: i64) -> f64 {
    paise as f64 / 100.0
}

/// The tick in paise; it must be a whole, positive number of paise (0.05 → 5).
pub fn tick_paise(tick_size: f64) -> Result<i64, ExecError> {
    let bad = || ExecError::Invalid(format!("bad tick size {tick_size}"));
    if !tick_size.is_finite() || tick_size <= 0.0 {
        return Err(bad());
    }
    let p = tick_size * 100.0;
    let whole = p.round();
    if whole < 1.0 || (p - whole).abs() > 1e-6 {
        return Err(bad());
    }
    Ok(whole as i64)
}

/// Rounds `paise` to the tick: up for a buy, down for a sell, so a marketable price stays at least as
/// aggressive as asked (`Nearest` for a price the caller chose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Up,
    Down,
    Nearest,
}

pub fn round_to_tick(paise: f64, tick: i64, how: Rounding) -> i64 {
    let t = tick as f64;
    // A tolerance so 1507.5000000001 paise does not become a whole tick more.
    let q = paise / t;
    let n = match how {
        Rounding::Up => (q - 1e-9).ceil(),
        Rounding::Down => (q + 1e-9).floor(),
        Rounding::Nearest => q.round(),
    };
    n as i64 * tick
}

/// The touch an order of `side` trades against: the best ask for a buy, the best bid for a sell,
/// the last price when that side of the book is empty.
pub fn touch(q: &Quote, side: TransactionType) -> Option<f64> {
    let levels = match side {
        TransactionType::Buy => &q.depth.sell,
        TransactionType::Sell => &q.depth.buy,
    };
    levels
        .iter()
        .find(|l| l.price > 0.0 && l.quantity > 0)
        .map(|l| l.price)
        .or((q.last_price > 0.0).then_some(q.last_price))
}

/// A marketable limit: the touch moved `band_pct` % through the book (buy: up, sell: down), rounded
/// to the tick away from the touch, then kept inside the circuit limits (rounded inward), since the
/// exchange rejects a price outside them.
pub fn marketable_limit(
    touch_rupees: f64,
    side: TransactionType,
    band_pct: f64,
    tick: i64,
    lower_circuit: f64,
    upper_circuit: f64,
) -> Result<i64, ExecError> {
    if !band_pct.is_finite() || !(0.0..100.0).contains(&band_pct) {
        return Err(ExecError::Invalid(format!("slippage band {band_pct} %")));
    }
    let touch = to_paise(touch_rupees)?;
    if touch == 0 {
        return Err(ExecError::Invalid("touch price is zero".into()));
    }
    let band = band_pct / 100.0;
    let mut price = match side {
        TransactionType::Buy => round_to_tick(touch as f64 * (1.0 + band), tick, Rounding::Up),
        TransactionType::Sell => round_to_tick(touch as f64 * (1.0 - band), tick, Rounding::Down),
    };
    if upper_circuit > 0.0 {
        let hi = round_to_tick(to_paise(upper_circuit)? as f64, tick, Rounding::Down);
        price = price.min(hi);
    }
    if lower_circuit > 0.0 {
        let lo = round_to_tick(to_paise(lower_circuit)? as f64, tick, Rounding::Up);
        price = price.max(lo);
    }
    Ok(price.max(tick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_must_be_whole_paise() {
        assert_eq!(tick_paise(0.05).unwrap(), 5);
        assert_eq!(tick_paise(0.01).unwrap(), 1);
        assert_eq!(tick_paise(1.0).unwrap(), 100);
        for bad in [0.0, -0.05, 0.001, 0.025, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(tick_paise(bad), Err(ExecError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn buys_round_up_and_sells_down_through_the_band() {
        // 1500.00 × 1.005 = 1507.50 exactly: already on the tick, not a tick more.
        let p = marketable_limit(1500.0, TransactionType::Buy, 0.5, 5, 0.0, 0.0).unwrap();
        assert_eq!(p, 150_750);
        // 1501.05 × 1.005 = 1508.55525 → up to 1508.60.
        let p = marketable_limit(1501.05, TransactionType::Buy, 0.5, 5, 0.0, 0.0).unwrap();
        assert_eq!(p, 150_860);
        // 1501.05 × 0.995 = 1493.54475 → down to 1493.50.
        let p = marketable_limit(1501.05, TransactionType::Sell, 0.5, 5, 0.0, 0.0).unwrap();
        assert_eq!(p, 149_350);
    }

    #[test]
    fn circuit_limits_clamp_inward_on_the_tick() {
        let p = marketable_limit(100.0, TransactionType::Buy, 5.0, 5, 90.0, 102.03).unwrap();
        assert_eq!(p, 10_200);
        let p = marketable_limit(100.0, TransactionType::Sell, 5.0, 5, 97.01, 110.0).unwrap();
        assert_eq!(p, 9_705);
    }

    #[test]
    fn nonsense_prices_are_errors_not_panics() {
        assert!(marketable_limit(f64::NAN, TransactionType::Buy, 0.5, 5, 0.0, 0.0).is_err());
        assert!(marketable_limit(100.0, TransactionType::Buy, -1.0, 5, 0.0, 0.0).is_err());
        assert!(marketable_limit(0.0, TransactionType::Buy, 0.5, 5, 0.0, 0.0).is_err());
        assert!(to_paise(-1.0).is_err());
    }
}
