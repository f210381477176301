//! Zerodha's published equity and F&O charges (brokerage, STT, exchange turnover, SEBI, stamp duty,
//! GST), so the calculator routes and the sandbox's contract notes report plausible costs.
//!
//! Rates as published for NSE in 2025: delivery brokerage 0; intraday and F&O 0.03% capped at ₹20 per
//! order (options: flat ₹20); STT 0.1% both sides for delivery, 0.025% on intraday sells, 0.1% of
//! premium on option sells, 0.02% on futures sells; exchange turnover 0.00297% (equity), 0.00173%
//! (futures), 0.03503% of premium (options); SEBI ₹10 per crore; stamp duty on buys 0.015% (delivery),
//! 0.003% (intraday), 0.002% (futures), 0.003% (options); GST 18% on brokerage + exchange + SEBI.

use model::broker::{Charges, Gst, Product, TransactionType};
use model::Exchange;

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Delivery,
    Intraday,
    Futures,
    Options,
}

pub fn kind(exchange: Exchange, product: Product, is_option: bool) -> Kind {
    match exchange {
        Exchange::Nfo | Exchange::Bfo if is_option => Kind::Options,
        Exchange::Nfo | Exchange::Bfo => Kind::Futures,
        _ if product == Product::Cnc || product == Product::Mtf => Kind::Delivery,
        _ => Kind::Intraday,
    }
}

/// Charges of one executed order of `quantity` at `price`.
pub fn charges(kind: Kind, side: TransactionType, quantity: u32, price: f64) -> Charges {
    let turnover = quantity as f64 * price;
    let buy = side == TransactionType::Buy;
    let brokerage = match kind {
        Kind::Delivery => 0.0,
        Kind::Options => 20.0,
        Kind::Intraday | Kind::Futures => (turnover * 0.0003).min(20.0),
    };
    let (stt, stt_type) = match kind {
        Kind::Delivery => (turnover * 0.001, "stt"),
        Kind::Intraday if !buy => (turnover * 0.00025, "stt"),
        Kind::Futures if !buy => (turnover * 0.0002, "stt"),
        Kind::Options if !buy => (turnover * 0.001, "stt"),
        _ => (0.0, ""),
    };
    let exchange = turnover
        * match kind {
            Kind::Delivery | Kind::Intraday => 0.0000297,
            Kind::Futures => 0.0000173,
            Kind::Options => 0.0003503,
        };
    let sebi = turnover * 10.0 / 1e7;
    let stamp = if buy {
        turnover
            * match kind {
                Kind::Delivery => 0.00015,
                Kind::Intraday | Kind::Options => 0.00003,
                Kind::Futures => 0.00002,
            }
    } else {
        0.0
    };
    let gst = (brokerage + exchange + sebi) * 0.18;
    let c = Charges {
        transaction_tax: round2(stt),
        transaction_tax_type: stt_type.to_string(),
        exchange_turnover_charge: round2(exchange),
        sebi_turnover_charge: round2(sebi),
        brokerage: round2(brokerage),
        stamp_duty: round2(stamp),
        gst: Gst {
            igst: round2(gst),
            cgst: 0.0,
            sgst: 0.0,
            total: round2(gst),
        },
        total: 0.0,
    };
    let total = c.transaction_tax
        + c.exchange_turnover_charge
        + c.sebi_turnover_charge
        + c.brokerage
        + c.stamp_duty
        + c.gst.total;
    Charges {
        total: round2(total),
        ..c
    }
}

/// Sum of several charge breakdowns.
pub fn sum<'a>(all: impl IntoIterator<Item = &'a Charges>) -> Charges {
    let mut s = Charges::default();
    for c in all {
        s.transaction_tax += c.transaction_tax;
        s.exchange_turnover_charge += c.exchange_turnover_charge;
        s.sebi_turnover_charge += c.sebi_turnover_charge;
        s.brokerage += c.brokerage;
        s.stamp_duty += c.stamp_duty;
        s.gst.igst += c.gst.igst;
        s.gst.total += c.gst.total;
        s.total += c.total;
        if s.transaction_tax_type.is_empty() {
            s.transaction_tax_type = c.transaction_tax_type.clone();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_buy_of_one_lakh() {
        // ₹1,00,000 delivery buy: STT 100, exchange 2.97, SEBI 0.10, stamp 15, GST 18% of 3.07 = 0.55.
        let c = charges(Kind::Delivery, TransactionType::Buy, 100, 1000.0);
        assert_eq!(c.brokerage, 0.0);
        assert_eq!(c.transaction_tax, 100.0);
        assert_eq!(c.exchange_turnover_charge, 2.97);
        assert_eq!(c.sebi_turnover_charge, 0.1);
        assert_eq!(c.stamp_duty, 15.0);
        assert_eq!(c.gst.total, 0.55);
        assert!((c.total - 118.62).abs() < 1e-9);
    }

    #[test]
    fn intraday_brokerage_is_capped() {
        let c = charges(Kind::Intraday, TransactionType::Sell, 1000, 1000.0);
        assert_eq!(c.brokerage, 20.0);
        assert_eq!(c.transaction_tax, 250.0);
        assert_eq!(c.stamp_duty, 0.0);
        let small = charges(Kind::Intraday, TransactionType::Buy, 10, 100.0);
        assert_eq!(small.brokerage, 0.3);
    }
}
