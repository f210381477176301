//! The broker's view of an order, turned into the journal's forward-only update.

use crate::journal::OrderUpdate;
use model::broker::{Order, OrderStatus};
use model::trading::ExecStatus;

/// Where a broker status puts one of our orders. Everything that is not terminal is working: `Open`
/// until something fills, then `PartiallyFilled` (Kite's intermediate statuses, `UPDATE` postbacks and
/// unknown statuses included, per SPEC §5.7).
pub fn exec_status(o: &Order) -> ExecStatus {
    match o.status {
        OrderStatus::Complete => ExecStatus::Filled,
        OrderStatus::Cancelled => ExecStatus::Cancelled,
        OrderStatus::Rejected => ExecStatus::Rejected,
        _ if o.filled_quantity > 0 => ExecStatus::PartiallyFilled,
        _ => ExecStatus::Open,
    }
}

/// The journal update for a broker order. The limit price is left out: the journal's price is what
/// the engine sent, changed only by its own modifications, so a stale postback carrying an old price
/// cannot count as a modification.
pub fn update_of(o: &Order, now_ms: u64) -> OrderUpdate {
    let status = exec_status(o);
    let message = match status {
        ExecStatus::Rejected | ExecStatus::Cancelled => o
            .status_message
            .clone()
            .or_else(|| o.status_message_raw.clone()),
        _ => None,
    };
    OrderUpdate {
        order_id: Some(o.order_id.0.clone()),
        status,
        filled_quantity: o.filled_quantity,
        average_price: o.average_price,
        message,
        price: None,
        updated_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(status: &str, filled: u32, message: Option<&str>) -> Order {
        serde_json::from_value(serde_json::json!({
            "order_id": "151220000000000",
            "status": status,
            "status_message": message,
            "order_timestamp": "2026-11-27 10:00:00",
            "variety": "regular",
            "exchange": "NSE",
            "tradingsymbol": "ITC",
            "instrument_token": 424961,
            "order_type": "LIMIT",
            "transaction_type": "BUY",
            "product": "MIS",
            "quantity": 25,
            "price": 405.5,
            "average_price": if filled > 0 { 405.25 } else { 0.0 },
            "filled_quantity": filled,
            "tag": "ktaabc"
        }))
        .unwrap()
    }

    #[test]
    fn broker_statuses_map_to_exec_statuses() {
        let cases = [
            ("OPEN", 0, ExecStatus::Open),
            ("OPEN", 10, ExecStatus::PartiallyFilled),
            ("UPDATE", 10, ExecStatus::PartiallyFilled),
            ("MODIFY VALIDATION PENDING", 0, ExecStatus::Open),
            ("VALIDATION PENDING", 0, ExecStatus::Open),
            ("SOMETHING NEW", 3, ExecStatus::PartiallyFilled),
            ("COMPLETE", 25, ExecStatus::Filled),
            ("CANCELLED", 10, ExecStatus::Cancelled),
            ("REJECTED", 0, ExecStatus::Rejected),
        ];
        for (status, filled, want) in cases {
            assert_eq!(exec_status(&order(status, filled, None)), want, "{status}");
        }
    }

    #[test]
    fn updates_carry_the_reason_of_a_final_refusal_but_never_a_price() {
        let u = update_of(&order("REJECTED", 0, Some("Insufficient funds")), 5);
        assert_eq!(u.status, ExecStatus::Rejected);
        assert_eq!(u.message.as_deref(), Some("Insufficient funds"));
        assert_eq!(u.order_id.as_deref(), Some("151220000000000"));
        assert_eq!(u.price, None);
        let u = update_of(&order("OPEN", 10, Some("ignored while working")), 5);
        assert_eq!((u.filled_quantity, u.average_price), (10, 405.25));
        assert_eq!(u.message, None);
    }
}
