//! The exchange's and the broker's synchronous checks on a new order, with Kite's error types: tick
//! size, lot size, freeze quantity, price band, product per segment, market hours, variety rules.
//!
//! Everything that Kite answers with a 400 before the order exists lives here; what Kite accepts and then
//! rejects (funds) is decided in the order book.

use crate::accounts::SimError;
use crate::clock::Session;
use model::broker::{OrderParams, OrderType, Product, TransactionType, Variety};
use model::Exchange;

/// Daily price band of cash equities, as a fraction of the previous close. NSE gives F&O stocks a
/// dynamic band that starts at 10 % and widens in 5 % steps to 20 %; the sandbox uses the widest one so a
/// fast random walk never pins a stock, and the quote reports the same limits.
pub const EQUITY_BAND: f64 = 0.20;
/// Futures: the same band on the contract's previous close.
pub const FUTURES_BAND: f64 = 0.20;
/// Options cannot be banded on their own price (a 0.05 option may go to 50): the upper limit is the
/// previous close plus this fraction of the underlying's previous close, the lower is one tick.
pub const OPTIONS_UNDERLYING_BAND: f64 = 0.20;

/// What the checks need to know about the instrument traded.
#[derive(Debug, Clone, Copy)]
pub struct Instrument {
    pub exchange: Exchange,
    pub tick_paise: u32,
    pub lot_size: u32,
    /// Exchange freeze quantity (largest single order), derivatives only.
    pub freeze_quantity: Option<u32>,
    pub kind: Kind,
    /// Previous close in paise.
    pub close: u32,
    /// Previous close of the underlying, for options.
    pub underlying_close: Option<u32>,
    pub last: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Equity,
    Future,
    Option,
}

fn rupees(paise: u32) -> f64 {
    paise as f64 / 100.0
}

fn to_tick(paise: f64, tick: u32, up: bool) -> u32 {
    let t = tick.max(1) as f64;
    let steps = if up {
        (paise / t).ceil()
    } else {
        (paise / t).floor()
    };
    (steps * t).max(t) as u32
}

/// Lower and upper circuit limits in paise.
pub fn circuit(kind: Kind, close: u32, underlying_close: Option<u32>, tick: u32) -> (u32, u32) {
    let c = close as f64;
    match kind {
        Kind::Equity => (
            to_tick(c * (1.0 - EQUITY_BAND), tick, true),
            to_tick(c * (1.0 + EQUITY_BAND), tick, false),
        ),
        Kind::Future => (
            to_tick(c * (1.0 - FUTURES_BAND), tick, true),
            to_tick(c * (1.0 + FUTURES_BAND), tick, false),
        ),
        Kind::Option => {
            let u = underlying_close.unwrap_or(close) as f64;
            (tick, to_tick(c + u * OPTIONS_UNDERLYING_BAND, tick, false))
        }
    }
}

fn paise(rupees: f64) -> i64 {
    (rupees * 100.0).round() as i64
}

/// Every synchronous check of a placement, in the order Kite reports them.
pub fn check(p: &OrderParams, inst: &Instrument, session: Session) -> Result<(), SimError> {
    p.validate().map_err(|e| SimError::input(e.to_string()))?;
    if p.variety == Variety::Auction {
        return Err(SimError::input(
            "Auction orders are not supported by the sandbox: it runs no auctions.",
        ));
    }
    if p.variety != Variety::Amo && !session.accepts_regular() {
        return Err(SimError::input(
            "Markets are closed right now. Use GTT for placing long standing orders instead, or place an AMO.",
        ));
    }
    check_product(p, inst)?;
    if inst.lot_size > 1 && !p.quantity.is_multiple_of(inst.lot_size) {
        return Err(SimError::input(format!(
            "Quantity should be a multiple of lot size {}.",
            inst.lot_size
        )));
    }
    // An iceberg exists to slice a large order: the freeze limit applies to each leg.
    let single = match (p.variety, p.iceberg_quantity) {
        (Variety::Iceberg, Some(leg)) => leg,
        _ => p.quantity,
    };
    if let Some(freeze) = inst.freeze_quantity {
        if single > freeze {
            let lots = |q: u32| q / inst.lot_size.max(1);
            return Err(SimError::input(format!(
                "The order quantity {} ({} lots) is higher than the maximum quantity of {} ({} lots) allowed by the exchanges. Please split the order or use autoslice.",
                single,
                lots(single),
                freeze,
                lots(freeze)
            )));
        }
    }
    for (name, v) in [("price", p.price), ("trigger_price", p.trigger_price)] {
        if let Some(v) = v.filter(|v| *v > 0.0) {
            if paise(v) % inst.tick_paise.max(1) as i64 != 0 {
                return Err(SimError::input(format!(
                    "Tick size for this script is {:.2}. Kindly enter `{name}` in the multiple of tick size.",
                    rupees(inst.tick_paise)
                )));
            }
        }
    }
    let (lo, hi) = circuit(
        inst.kind,
        inst.close,
        inst.underlying_close,
        inst.tick_paise,
    );
    if let Some(price) = p.price.filter(|_| p.order_type.needs_price()) {
        let px = paise(price);
        if px > hi as i64 {
            return Err(SimError::input(format!(
                "Your order price is higher than the current upper circuit limit of {:.2}. Place an order within the daily range.",
                rupees(hi)
            )));
        }
        if px < lo as i64 {
            return Err(SimError::input(format!(
                "Your order price is lower than the current lower circuit limit of {:.2}. Place an order within the daily range.",
                rupees(lo)
            )));
        }
    }
    check_trigger(p, inst)?;
    check_variety(p)?;
    Ok(())
}

/// CNC is delivery of cash equities, NRML carries derivatives overnight, MIS is intraday on both.
fn check_product(p: &OrderParams, inst: &Instrument) -> Result<(), SimError> {
    let cash = matches!(inst.exchange, Exchange::Nse | Exchange::Bse);
    let allowed = match p.product {
        Product::Cnc | Product::Mtf => cash,
        Product::Nrml => !cash,
        Product::Mis => true,
        // A cover order's product is set by its variety.
        Product::Co => p.variety == Variety::Co,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(SimError::input(format!(
            "Product {} is not allowed for {} orders. Use {}.",
            p.product.as_str(),
            inst.exchange.as_str(),
            if cash { "CNC or MIS" } else { "NRML or MIS" }
        )))
    }
}

/// A stop must be on the far side of the market, or it would trigger at once.
fn check_trigger(p: &OrderParams, inst: &Instrument) -> Result<(), SimError> {
    let Some(trigger) = p.trigger_price.filter(|t| *t > 0.0) else {
        return Ok(());
    };
    let t = paise(trigger);
    let last = inst.last as i64;
    let buy = p.transaction_type == TransactionType::Buy;
    if matches!(p.order_type, OrderType::Sl | OrderType::SlM) {
        if buy && t < last {
            return Err(SimError::input(
                "Trigger price for stoploss buy orders should be higher than the last traded price.",
            ));
        }
        if !buy && t > last {
            return Err(SimError::input(
                "Trigger price for stoploss sell orders should be lower than the last traded price.",
            ));
        }
        if p.order_type == OrderType::Sl {
            let price = p.price.map(paise).unwrap_or(0);
            if (buy && price < t) || (!buy && price > t) {
                return Err(SimError::input(format!(
                    "Trigger price should be {} than the price for stoploss {} orders.",
                    if buy { "lower" } else { "higher" },
                    p.transaction_type.as_str().to_lowercase()
                )));
            }
        }
    }
    if p.variety == Variety::Co {
        // The stop leg is the opposite side: below the market for a buy entry, above for a sell.
        if (buy && t >= last) || (!buy && t <= last) {
            return Err(SimError::input(format!(
                "Cover order trigger price should be {} than the last traded price.",
                if buy { "lower" } else { "higher" }
            )));
        }
    }
    Ok(())
}

fn check_variety(p: &OrderParams) -> Result<(), SimError> {
    match p.variety {
        Variety::Co if !matches!(p.order_type, OrderType::Market | OrderType::Limit) => {
            return Err(SimError::input(
                "Cover orders are MARKET or LIMIT entries with a trigger price for the stop.",
            ));
        }
        Variety::Iceberg => {
            if !matches!(p.order_type, OrderType::Limit | OrderType::Sl) {
                return Err(SimError::input(
                    "Iceberg orders can only be LIMIT or SL orders.",
                ));
            }
            let legs = p.iceberg_legs.unwrap_or(0);
            let leg = p.iceberg_quantity.unwrap_or(0);
            if leg >= p.quantity || leg.saturating_mul(legs) < p.quantity {
                return Err(SimError::input(format!(
                    "Iceberg leg quantity should be less than the order quantity and {legs} legs of it should cover the order quantity {}.",
                    p.quantity
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nifty_future() -> Instrument {
        Instrument {
            exchange: Exchange::Nfo,
            tick_paise: 5,
            lot_size: 75,
            freeze_quantity: Some(1800),
            kind: Kind::Future,
            close: 2_600_000,
            underlying_close: None,
            last: 2_600_000,
        }
    }

    fn order(qty: u32, price: f64) -> OrderParams {
        OrderParams {
            price: Some(price),
            ..OrderParams::new(
                Exchange::Nfo,
                "NIFTYFUT",
                TransactionType::Buy,
                OrderType::Limit,
                qty,
                Product::Nrml,
            )
        }
    }

    #[test]
    fn freeze_lot_tick_and_band() {
        let f = nifty_future();
        assert!(check(&order(1800, 26_000.0), &f, Session::Open).is_ok());
        let e = check(&order(1875, 26_000.0), &f, Session::Open).unwrap_err();
        assert!(e.message.contains("1875 (25 lots)") && e.message.contains("1800 (24 lots)"));
        assert!(check(&order(80, 26_000.0), &f, Session::Open)
            .unwrap_err()
            .message
            .contains("lot size 75"));
        assert!(check(&order(75, 26_000.03), &f, Session::Open)
            .unwrap_err()
            .message
            .contains("Tick size"));
        // ±20 % of 26,000: 20,800 to 31,200.
        assert!(check(&order(75, 31_200.0), &f, Session::Open).is_ok());
        assert!(check(&order(75, 31_200.05), &f, Session::Open)
            .unwrap_err()
            .message
            .contains("upper circuit limit of 31200.00"));
        assert!(check(&order(75, 20_799.95), &f, Session::Open)
            .unwrap_err()
            .message
            .contains("lower circuit limit of 20800.00"));
        assert!(check(&order(75, 26_000.0), &f, Session::Closed)
            .unwrap_err()
            .message
            .contains("Markets are closed"));
        let mut cnc = order(75, 26_000.0);
        cnc.product = Product::Cnc;
        assert!(check(&cnc, &f, Session::Open).is_err());
    }

    #[test]
    fn option_band_follows_the_underlying() {
        let (lo, hi) = circuit(Kind::Option, 1_000, Some(2_600_000), 5);
        assert_eq!((lo, hi), (5, 1_000 + 520_000));
    }
}
