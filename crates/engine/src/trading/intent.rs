//! From a signal to the order that would carry it out: the strategy's target position, then the
//! difference from what it holds. Pure, so the rules are tested without a broker.

use model::broker::{Product, TransactionType};
use model::trading::SignalSide;

/// The position (signed units) a strategy wants after `side`, holding `size` units when in the
/// market. Delivery (CNC) cannot be sold short, so a sell signal there only closes a long.
pub fn target_position(side: SignalSide, size: u32, product: Product) -> i64 {
    let size = i64::from(size);
    match side {
        SignalSide::Buy => size,
        SignalSide::Sell if product == Product::Cnc => 0,
        SignalSide::Sell => -size,
        SignalSide::Exit => 0,
    }
}

/// The order moving `current` to `target`: its side and quantity, or `None` when already there.
pub fn order_for(current: i64, target: i64) -> Option<(TransactionType, u32)> {
    let delta = target - current;
    let qty = u32::try_from(delta.unsigned_abs()).ok()?;
    match delta {
        0 => None,
        d if d > 0 => Some((TransactionType::Buy, qty)),
        _ => Some((TransactionType::Sell, qty)),
    }
}

/// Whether an order of `side` and `qty` only brings `current` closer to flat (never flips it).
pub fn only_reduces(current: i64, side: TransactionType, qty: u32) -> bool {
    let q = i64::from(qty);
    match side {
        TransactionType::Buy => current < 0 && q <= -current,
        TransactionType::Sell => current > 0 && q <= current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_the_signal_and_the_product() {
        assert_eq!(target_position(SignalSide::Buy, 10, Product::Mis), 10);
        assert_eq!(target_position(SignalSide::Sell, 10, Product::Mis), -10);
        assert_eq!(target_position(SignalSide::Sell, 10, Product::Cnc), 0);
        assert_eq!(target_position(SignalSide::Exit, 10, Product::Nrml), 0);
    }

    #[test]
    fn orders_move_to_the_target() {
        assert_eq!(order_for(0, 10), Some((TransactionType::Buy, 10)));
        assert_eq!(order_for(10, -10), Some((TransactionType::Sell, 20)));
        assert_eq!(order_for(-5, 0), Some((TransactionType::Buy, 5)));
        assert_eq!(order_for(7, 7), None);
        assert!(only_reduces(10, TransactionType::Sell, 10));
        assert!(!only_reduces(10, TransactionType::Sell, 11));
        assert!(only_reduces(-3, TransactionType::Buy, 2));
        assert!(!only_reduces(0, TransactionType::Buy, 1));
    }
}
