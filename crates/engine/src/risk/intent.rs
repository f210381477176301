//! One order the engine wants to send, as the risk manager sees it.

use model::broker::TransactionType;
use model::trading::StrategyId;

/// An order about to be placed. Quantities are in units (shares, or contracts for F&O), so a
/// verdict's quantity is in units too.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderIntent {
    /// The strategy it is for; `None` for orders no strategy owns (they form one group of their own
    /// for the per-strategy cap).
    pub strategy_id: Option<StrategyId>,
    /// `EXCHANGE:SYMBOL`, e.g. `NSE:INFY` or `NFO:NIFTY25DEC24000CE`.
    pub instrument: String,
    pub side: TransactionType,
    /// Units, a multiple of `lot_size`.
    pub quantity: u32,
    /// Reference price (touch or LTP) the exposure of this order is measured at.
    pub price: f64,
    /// Units per lot: 1 for equity.
    pub lot_size: u32,
}

impl OrderIntent {
    /// Why this intent cannot be judged at all, if it cannot: the verdict is then a rejection.
    pub fn invalid_reason(&self) -> Option<String> {
        if self.instrument.trim().is_empty() {
            return Some("instrument is empty".into());
        }
        if self.lot_size == 0 {
            return Some(format!("{}: lot size must be at least 1", self.instrument));
        }
        if self.quantity == 0 {
            return Some(format!("{}: quantity must be above zero", self.instrument));
        }
        if !self.quantity.is_multiple_of(self.lot_size) {
            return Some(format!(
                "{}: quantity {} is not a multiple of the lot size {}",
                self.instrument, self.quantity, self.lot_size
            ));
        }
        if !(self.price.is_finite() && self.price > 0.0) {
            return Some(format!(
                "{}: price {} is not a finite price above zero",
                self.instrument, self.price
            ));
        }
        None
    }
}
