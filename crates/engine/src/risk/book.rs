//! One strategy's position in one instrument plus the quantity its approved, still working orders
//! may add on either side.

use model::broker::TransactionType;

/// Net position with average-cost accounting and the reservations of approved orders.
///
/// Reservations are kept per side because a working buy and a working sell may both fill: the net
/// quantity can end anywhere in `[quantity - pending_sell, quantity + pending_buy]`, and exposure is
/// measured at the worse end of that range so no fill order can exceed a cap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// Signed units: long > 0, short < 0.
    pub quantity: i64,
    /// Average price of the open quantity (0 when flat).
    pub average_price: f64,
    pub pending_buy: u64,
    pub pending_sell: u64,
}

/// Largest absolute net quantity reachable from `quantity` with the given working orders.
pub fn worst_quantity(quantity: i64, pending_buy: u64, pending_sell: u64) -> u64 {
    let q = i128::from(quantity);
    let up = (q + i128::from(pending_buy)).unsigned_abs();
    let down = (q - i128::from(pending_sell)).unsigned_abs();
    u64::try_from(up.max(down)).unwrap_or(u64::MAX)
}

/// Units of a `side` order that only close an open `quantity`, after the working orders on that
/// side are counted as filled: such units can never take the position past flat.
pub fn closable(quantity: i64, pending_buy: u64, pending_sell: u64, side: TransactionType) -> u64 {
    let q = i128::from(quantity);
    let room = match side {
        TransactionType::Sell => q - i128::from(pending_sell),
        TransactionType::Buy => -q - i128::from(pending_buy),
    };
    u64::try_from(room.max(0)).unwrap_or(u64::MAX)
}

impl Book {
    pub fn worst_quantity(&self) -> u64 {
        worst_quantity(self.quantity, self.pending_buy, self.pending_sell)
    }

    /// Nothing held and nothing working: the book can be forgotten.
    pub fn is_empty(&self) -> bool {
        self.quantity == 0 && self.pending_buy == 0 && self.pending_sell == 0
    }

    pub fn reserve(&mut self, side: TransactionType, units: u64) {
        match side {
            TransactionType::Buy => self.pending_buy = self.pending_buy.saturating_add(units),
            TransactionType::Sell => self.pending_sell = self.pending_sell.saturating_add(units),
        }
    }

    pub fn release(&mut self, side: TransactionType, units: u64) {
        match side {
            TransactionType::Buy => self.pending_buy = self.pending_buy.saturating_sub(units),
            TransactionType::Sell => self.pending_sell = self.pending_sell.saturating_sub(units),
        }
    }

    /// Applies a fill (consuming its reservation) and returns the P&L it realised.
    pub fn fill(&mut self, side: TransactionType, units: u64, price: f64) -> f64 {
        self.release(side, units);
        let signed = match side {
            TransactionType::Buy => i64::try_from(units).unwrap_or(i64::MAX),
            TransactionType::Sell => -i64::try_from(units).unwrap_or(i64::MAX),
        };
        let old = self.quantity;
        let new = old.saturating_add(signed);
        if old == 0 || old.signum() == signed.signum() {
            // Opening or adding: the average moves toward the fill price.
            let old_abs = old.unsigned_abs() as f64;
            let add = signed.unsigned_abs() as f64;
            self.average_price = (self.average_price * old_abs + price * add) / (old_abs + add);
            self.quantity = new;
            return 0.0;
        }
        // Closing part, all, or past flat (a flip opens the rest at the fill price).
        let closed = old.unsigned_abs().min(signed.unsigned_abs()) as f64;
        let realised = closed * (price - self.average_price) * old.signum() as f64;
        self.quantity = new;
        if new == 0 {
            self.average_price = 0.0;
        } else if new.signum() != old.signum() {
            self.average_price = price;
        }
        realised
    }

    /// Mark-to-market P&L of the open quantity at `mark`.
    pub fn unrealised(&self, mark: f64) -> f64 {
        if self.quantity == 0 {
            0.0
        } else {
            self.quantity as f64 * (mark - self.average_price)
        }
    }
}
