//! What a fill costs beyond its price.
//!
//! [`CostModel::Fraction`] is backtesting.py's `commission=` (a fraction of traded value, charged
//! on entry and again on exit). [`CostModel::Zerodha`] charges Zerodha's published NSE equity
//! rates per order, unrounded (contract notes round each head to the paisa).

use serde::{Deserialize, Serialize};

/// Direction of one executed order (not of the position it opens or closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxSide {
    Buy,
    Sell,
}

/// Zerodha's equity products, which differ in brokerage, STT and stamp duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZerodhaProduct {
    /// CNC: no brokerage, STT 0.1 % on both sides, stamp 0.015 % on buys.
    Delivery,
    /// MIS: brokerage 0.03 % capped at ₹20 per order, STT 0.025 % on sells, stamp 0.003 % on buys.
    Intraday,
}

/// Zerodha's published NSE equity charges (2025): exchange turnover 0.00297 %, SEBI ₹10 per crore,
/// GST 18 % on brokerage + exchange + SEBI, plus the per-product heads above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZerodhaCharges {
    pub product: ZerodhaProduct,
}

impl ZerodhaCharges {
    /// Total charges of one order of `quantity` units at `price`.
    pub fn order(&self, side: TxSide, quantity: f64, price: f64) -> f64 {
        let turnover = quantity.abs() * price;
        let buy = side == TxSide::Buy;
        let (brokerage, stt, stamp) = match self.product {
            ZerodhaProduct::Delivery => (0.0, turnover * 0.001, 0.00015),
            ZerodhaProduct::Intraday => (
                (turnover * 0.0003).min(20.0),
                if buy { 0.0 } else { turnover * 0.00025 },
                0.00003,
            ),
        };
        let stamp = if buy { turnover * stamp } else { 0.0 };
        let exchange = turnover * 0.0000297;
        let sebi = turnover * 10.0 / 1e7;
        let gst = (brokerage + exchange + sebi) * 0.18;
        brokerage + stt + exchange + sebi + stamp + gst
    }
}

/// How fills are charged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CostModel {
    /// `rate` × traded value on every fill (backtesting.py's relative commission).
    Fraction {
        rate: f64,
    },
    Zerodha(ZerodhaCharges),
}

impl Default for CostModel {
    fn default() -> Self {
        Self::Fraction { rate: 0.0 }
    }
}

impl CostModel {
    /// Cost of one order. For `Fraction` this is backtesting.py's `abs(size) * price * rate`,
    /// evaluated in that order so results agree to the last bit.
    #[inline]
    pub fn cost(&self, side: TxSide, quantity: f64, price: f64) -> f64 {
        match self {
            Self::Fraction { rate } => quantity.abs() * price * rate,
            Self::Zerodha(z) => z.order(side, quantity, price),
        }
    }

    /// Whether cost is proportional to quantity, so backtesting.py's per-unit sizing is exact.
    pub(crate) fn is_linear(&self) -> bool {
        matches!(self, Self::Fraction { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zerodha_delivery_buy_of_one_lakh() {
        // STT 100, exchange 2.97, SEBI 0.10, stamp 15, GST 18 % of 3.07 = 0.5526.
        let z = ZerodhaCharges {
            product: ZerodhaProduct::Delivery,
        };
        let c = z.order(TxSide::Buy, 100.0, 1000.0);
        assert!(
            (c - (100.0 + 2.97 + 0.1 + 15.0 + 0.18 * 3.07)).abs() < 1e-9,
            "{c}"
        );
        let sell = z.order(TxSide::Sell, 100.0, 1000.0);
        assert!(
            (sell - (100.0 + 2.97 + 0.1 + 0.18 * 3.07)).abs() < 1e-9,
            "{sell}"
        );
    }

    #[test]
    fn zerodha_intraday_brokerage_caps_at_twenty() {
        let z = ZerodhaCharges {
            product: ZerodhaProduct::Intraday,
        };
        // ₹10,00,000 sell: brokerage capped at 20, STT 250, exchange 29.7, SEBI 1.
        let big = z.order(TxSide::Sell, 1000.0, 1000.0);
        assert!(
            (big - (20.0 + 250.0 + 29.7 + 1.0 + 0.18 * 50.7)).abs() < 1e-9,
            "{big}"
        );
        // ₹1,000 buy: brokerage 0.3, stamp 0.03.
        let small = z.order(TxSide::Buy, 10.0, 100.0);
        let exp = 0.3 + 0.0297 + 0.001 + 0.03 + 0.18 * (0.3 + 0.0297 + 0.001);
        assert!((small - exp).abs() < 1e-12, "{small}");
    }

    #[test]
    fn fraction_is_commission_on_value() {
        let c = CostModel::Fraction { rate: 0.002 };
        assert_eq!(c.cost(TxSide::Sell, -59.0, 169.02), 59.0 * 169.02 * 0.002);
    }
}
