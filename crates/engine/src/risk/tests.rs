use super::*;
use TransactionType::{Buy, Sell};

fn limits() -> RiskLimits {
    RiskLimits::default()
}

fn intent(
    instrument: &str,
    strategy: Option<i64>,
    side: TransactionType,
    qty: u32,
    price: f64,
) -> OrderIntent {
    OrderIntent {
        strategy_id: strategy,
        instrument: instrument.into(),
        side,
        quantity: qty,
        price,
        lot_size: 1,
    }
}

fn approved(v: &RiskVerdict) -> u32 {
    match v {
        RiskVerdict::Approved { quantity } | RiskVerdict::Reduced { quantity, .. } => *quantity,
        RiskVerdict::Rejected { .. } => 0,
    }
}

fn rejection(v: &RiskVerdict) -> &str {
    match v {
        RiskVerdict::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Approves and fills at the intent's price, as an executor would.
fn buy_filled(
    rm: &mut RiskManager,
    inst: &str,
    strategy: Option<i64>,
    qty: u32,
    price: f64,
    now: u64,
) {
    let v = rm.check(&intent(inst, strategy, Buy, qty, price), now);
    assert_eq!(v, RiskVerdict::Approved { quantity: qty });
    rm.on_fill(inst, strategy, Buy, qty, price, 0.0).unwrap();
}

#[test]
fn invalid_limits_are_refused_and_old_ones_kept() {
    for bad in [
        RiskLimits {
            capital: f64::NAN,
            ..limits()
        },
        RiskLimits {
            daily_loss_limit: 0.0,
            ..limits()
        },
        RiskLimits {
            max_gross_exposure: f64::INFINITY,
            ..limits()
        },
        RiskLimits {
            risk_per_trade_pct: 150.0,
            ..limits()
        },
        RiskLimits {
            atr_stop_multiple: -1.0,
            ..limits()
        },
        RiskLimits {
            max_orders_per_minute: 0,
            ..limits()
        },
        RiskLimits {
            max_open_positions: 0,
            ..limits()
        },
    ] {
        assert!(
            matches!(
                RiskManager::new(bad.clone()),
                Err(RiskError::InvalidLimit { .. })
            ),
            "{bad:?}"
        );
        let mut rm = RiskManager::new(limits()).unwrap();
        assert!(rm.set_limits(bad).is_err());
        assert_eq!(rm.limits(), &limits());
    }
    let err = RiskManager::new(RiskLimits {
        max_strategy_exposure: -5.0,
        ..limits()
    })
    .unwrap_err();
    assert!(err.to_string().contains("max_strategy_exposure"), "{err}");
}

#[test]
fn sizing_follows_atr_risk_and_rounds_down_to_lots() {
    let rm = RiskManager::new(RiskLimits {
        max_instrument_exposure: 1e9,
        max_strategy_exposure: 1e9,
        max_gross_exposure: 1e9,
        ..limits()
    })
    .unwrap();
    // 1,000,000 × 0.5 % = 5,000 at risk; ATR 20 × 2 = 40 per unit → 125.
    assert_eq!(rm.size("NSE:INFY", Some(1), 1500.0, 20.0, 1), 125);
    assert_eq!(rm.size("NFO:NIFTY", Some(1), 100.0, 20.0, 75), 75);
    assert_eq!(rm.size("NFO:NIFTY", Some(1), 100.0, 20.0, 50), 100);
    assert_eq!(
        rm.size("NFO:NIFTY", Some(1), 100.0, 40.0, 75),
        0,
        "62.5 units is less than a lot"
    );
    for (price, atr, lot) in [
        (0.0, 20.0, 1),
        (100.0, 0.0, 1),
        (100.0, f64::NAN, 1),
        (f64::INFINITY, 20.0, 1),
        (100.0, 20.0, 0),
    ] {
        assert_eq!(rm.size("NSE:INFY", None, price, atr, lot), 0);
    }
}

#[test]
fn sizing_is_cut_to_the_exposure_caps() {
    let mut rm = RiskManager::new(limits()).unwrap();
    // 125 × 2000 = 250,000 > the 200,000 instrument cap → 100.
    assert_eq!(rm.size("NSE:TCS", Some(1), 2000.0, 20.0, 1), 100);
    // Lots of 30 at 2000: 4 lots (240,000) break the cap, 3 fit.
    assert_eq!(rm.size("NSE:TCS", Some(1), 2000.0, 20.0, 30), 90);
    // 80,000 already held leaves 120,000 → 60 units.
    buy_filled(&mut rm, "NSE:TCS", Some(1), 40, 2000.0, 0);
    assert_eq!(rm.size("NSE:TCS", Some(1), 2000.0, 20.0, 1), 60);
}

#[test]
fn malformed_intents_are_rejected_with_a_reason_and_not_counted() {
    let mut rm = RiskManager::new(limits()).unwrap();
    let cases = [
        (
            OrderIntent {
                quantity: 0,
                ..intent("NSE:INFY", None, Buy, 1, 100.0)
            },
            "quantity must be above zero",
        ),
        (
            OrderIntent {
                quantity: 100,
                lot_size: 75,
                ..intent("NFO:X", None, Buy, 1, 100.0)
            },
            "not a multiple of the lot size 75",
        ),
        (
            OrderIntent {
                lot_size: 0,
                ..intent("NFO:X", None, Buy, 1, 100.0)
            },
            "lot size",
        ),
        (
            intent("NSE:INFY", None, Buy, 1, f64::NAN),
            "not a finite price",
        ),
        (intent("NSE:INFY", None, Buy, 1, -3.0), "not a finite price"),
        (intent(" ", None, Buy, 1, 100.0), "instrument is empty"),
    ];
    for (bad, why) in cases {
        let v = rm.check(&bad, 0);
        assert!(rejection(&v).contains(why), "{v:?} should say {why}");
    }
    assert_eq!(rm.usage(0).orders_last_minute, 0);
    assert_eq!(rm.usage(0).open_positions, 0);
}

#[test]
fn kill_switch_rejects_everything_until_reset() {
    let mut rm = RiskManager::new(limits()).unwrap();
    buy_filled(&mut rm, "NSE:INFY", Some(1), 10, 1000.0, 0);
    rm.fire_kill_switch("manual", 5);
    assert!(rm.kill_switch().active);
    assert_eq!(rm.kill_switch().since_ms, Some(5));
    rm.fire_kill_switch("again", 9);
    assert_eq!(
        rm.kill_switch().reason.as_deref(),
        Some("manual"),
        "a second fire keeps the first"
    );
    for side in [Buy, Sell] {
        let v = rm.check(&intent("NSE:INFY", Some(1), side, 10, 1000.0), 10);
        assert_eq!(rejection(&v), "kill switch active");
    }
    rm.mark_flattened(20);
    assert_eq!(rm.kill_switch().flattened_ms, Some(20));
    rm.reset_kill_switch();
    assert!(!rm.kill_switch().active);
    assert_eq!(
        approved(&rm.check(&intent("NSE:INFY", Some(1), Sell, 10, 1000.0), 30)),
        10
    );
}

#[test]
fn approvals_restored_after_a_restart_count_in_the_window() {
    let mut rm = RiskManager::new(RiskLimits {
        max_orders_per_minute: 3,
        ..limits()
    })
    .unwrap();
    // Two approvals journalled before the restart, given in any order.
    rm.restore_approvals(vec![120_000, 100_000]);
    let one = intent("NSE:INFY", Some(1), Buy, 1, 100.0);
    assert_eq!(approved(&rm.check(&one, 130_000)), 1);
    assert!(rejection(&rm.check(&one, 140_000)).contains("orders per minute"));
    // The older one leaves the window at 160 s.
    assert_eq!(approved(&rm.check(&one, 160_000)), 1);
}

#[test]
fn orders_per_minute_is_a_sliding_window() {
    let mut rm = RiskManager::new(RiskLimits {
        max_orders_per_minute: 3,
        ..limits()
    })
    .unwrap();
    let one = intent("NSE:INFY", Some(1), Buy, 1, 100.0);
    for t in [0, 10_000, 20_000] {
        assert_eq!(approved(&rm.check(&one, t)), 1);
    }
    assert_eq!(rm.usage(30_000).orders_last_minute, 3);
    let v = rm.check(&one, 59_999);
    assert!(
        rejection(&v).contains("orders per minute limit (3)"),
        "{v:?}"
    );
    // A closing order is limited too.
    let close = intent("NSE:INFY", Some(1), Sell, 1, 100.0);
    rm.on_fill("NSE:INFY", Some(1), Buy, 3, 100.0, 0.0).unwrap();
    assert!(rejection(&rm.check(&close, 59_999)).contains("orders per minute"));
    // At 60 s the first approval leaves the window.
    assert_eq!(rm.usage(60_000).orders_last_minute, 2);
    assert_eq!(approved(&rm.check(&one, 60_000)), 1);
    assert!(rejection(&rm.check(&one, 60_001)).contains("orders per minute"));
    // A clock that runs backwards cannot reopen the window.
    assert!(rejection(&rm.check(&one, 1_000)).contains("orders per minute"));
    assert_eq!(approved(&rm.check(&one, 70_000)), 1);
}

#[test]
fn instrument_cap_reduces_to_whole_lots_or_rejects() {
    let mut rm = RiskManager::new(limits()).unwrap();
    // 200,000 cap at 100 per unit: 2000 units; lots of 75 → 26 lots = 1950.
    let big = OrderIntent {
        quantity: 75 * 30,
        lot_size: 75,
        ..intent("NFO:NIFTY", Some(1), Buy, 1, 100.0)
    };
    match rm.check(&big, 0) {
        RiskVerdict::Reduced { quantity, reason } => {
            assert_eq!(quantity, 1950);
            assert!(
                reason.contains("instrument exposure cap") && reason.contains("NFO:NIFTY"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The reservation counts: 50 units of room are left, less than a lot.
    let lot = OrderIntent {
        quantity: 75,
        ..big.clone()
    };
    assert!(rejection(&rm.check(&lot, 1)).contains("instrument exposure cap"));
    // Releasing the unfilled part of the order frees the room.
    rm.on_fill("NFO:NIFTY", Some(1), Buy, 750, 100.0, 0.0)
        .unwrap();
    rm.release("NFO:NIFTY", Some(1), Buy, 1200);
    assert_eq!(rm.reserved("NFO:NIFTY", Some(1)), (0, 0));
    assert_eq!(rm.position("NFO:NIFTY", Some(1)), 750);
    assert_eq!(
        rm.check(
            &OrderIntent {
                quantity: 1200,
                ..big
            },
            2
        ),
        RiskVerdict::Approved { quantity: 1200 }
    );
}

#[test]
fn strategy_and_gross_caps_sum_over_instruments() {
    let mut rm = RiskManager::new(RiskLimits {
        max_instrument_exposure: 100_000.0,
        max_strategy_exposure: 150_000.0,
        max_gross_exposure: 250_000.0,
        ..limits()
    })
    .unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 100, 1000.0, 0);
    // Strategy 1 has 50,000 of room left in NSE:B.
    match rm.check(&intent("NSE:B", Some(1), Buy, 80, 1000.0), 1) {
        RiskVerdict::Reduced {
            quantity: 50,
            reason,
        } => assert!(reason.contains("strategy exposure cap"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // Strategy 2 is separate, but gross (100k + 50k reserved) leaves 100,000.
    assert_eq!(
        approved(&rm.check(&intent("NSE:C", Some(2), Sell, 100, 1000.0), 2)),
        100
    );
    match rm.check(&intent("NSE:D", None, Buy, 10, 1000.0), 3) {
        RiskVerdict::Rejected { reason } => {
            assert!(reason.contains("gross exposure cap"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let u = rm.usage(3);
    assert_eq!(u.gross_exposure, 250_000.0);
    assert_eq!(u.open_positions, 3);
    assert_eq!(u.max_instrument_exposure, 100_000.0);
}

#[test]
fn working_orders_on_both_sides_count_at_the_worse_end() {
    let mut rm = RiskManager::new(RiskLimits {
        max_instrument_exposure: 10_000.0,
        ..limits()
    })
    .unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 50, 100.0, 0);
    // Strategy 2 sells 100 (net could reach −50) while strategy 1 still may buy 50 more (net 100).
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", Some(2), Sell, 100, 100.0), 1)),
        100
    );
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", Some(1), Buy, 50, 100.0), 2)),
        50
    );
    // Net may end anywhere in [−50, 100]: one more unit up breaks the cap.
    assert!(
        rejection(&rm.check(&intent("NSE:A", Some(1), Buy, 1, 100.0), 3))
            .contains("instrument exposure cap")
    );
    assert_eq!(rm.usage(3).max_instrument_exposure, 10_000.0);
}

#[test]
fn exposure_uses_the_higher_of_mark_and_intent_price() {
    let mut rm = RiskManager::new(RiskLimits {
        max_instrument_exposure: 10_000.0,
        ..limits()
    })
    .unwrap();
    rm.on_price("NSE:A", 100.0).unwrap();
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", None, Buy, 100, 50.0), 0)),
        100
    );
    rm.release("NSE:A", None, Buy, 100);
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", None, Buy, 100, 200.0), 1)),
        50
    );
}

#[test]
fn reducing_orders_pass_caps_and_flips_are_cut_to_the_closing_part() {
    let mut rm = RiskManager::new(limits()).unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 150, 1000.0, 0);
    // Caps tightened below what is held, then the price doubles: nothing may be added...
    rm.set_limits(RiskLimits {
        max_instrument_exposure: 50_000.0,
        max_gross_exposure: 60_000.0,
        ..limits()
    })
    .unwrap();
    rm.on_price("NSE:A", 1200.0).unwrap();
    assert!(
        rejection(&rm.check(&intent("NSE:A", Some(1), Buy, 1, 1200.0), 1)).contains("exposure cap")
    );
    // ...but closing part of it passes, and a sell past flat is cut to what is still open.
    assert_eq!(
        rm.check(&intent("NSE:A", Some(1), Sell, 100, 1200.0), 2),
        RiskVerdict::Approved { quantity: 100 }
    );
    match rm.check(&intent("NSE:A", Some(1), Sell, 200, 1200.0), 3) {
        RiskVerdict::Reduced {
            quantity: 50,
            reason,
        } => assert!(reason.contains("exposure cap"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // Another strategy's sell does not close strategy 1's position: it opens one and needs room.
    assert!(
        rejection(&rm.check(&intent("NSE:A", Some(2), Sell, 10, 1200.0), 4))
            .contains("exposure cap")
    );
}

#[test]
fn max_open_positions_blocks_only_new_instruments() {
    let mut rm = RiskManager::new(RiskLimits {
        max_open_positions: 2,
        ..limits()
    })
    .unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 10, 100.0, 0);
    // A working order makes a position open already.
    assert_eq!(
        approved(&rm.check(&intent("NSE:B", Some(1), Buy, 10, 100.0), 1)),
        10
    );
    let v = rm.check(&intent("NSE:C", Some(1), Buy, 10, 100.0), 2);
    assert!(rejection(&v).contains("max open positions (2)"), "{v:?}");
    // Adding to an open one is fine.
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", Some(2), Buy, 10, 100.0), 3)),
        10
    );
    rm.release("NSE:B", Some(1), Buy, 10);
    assert_eq!(
        approved(&rm.check(&intent("NSE:C", Some(1), Buy, 10, 100.0), 4)),
        10
    );
}

#[test]
fn daily_loss_halts_new_exposure_and_asks_for_the_kill_switch_once() {
    let mut rm = RiskManager::new(RiskLimits {
        daily_loss_limit: 1_000.0,
        ..limits()
    })
    .unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 100, 100.0, 0);
    rm.on_price("NSE:A", 91.0).unwrap();
    assert_eq!(rm.halted(), None, "−900 is inside the limit");
    rm.on_price("NSE:A", 90.0).unwrap();
    let why = rm.halted().expect("−1000 reaches the limit");
    assert!(why.contains("daily loss limit"), "{why}");
    assert!(rm.needs_kill_switch());
    // The halt is latched: a bounce does not lift it.
    rm.on_price("NSE:A", 95.0).unwrap();
    assert!(rm.halted().is_some());
    let v = rm.check(&intent("NSE:B", Some(1), Buy, 1, 10.0), 1);
    assert!(rejection(&v).contains("trading halted"), "{v:?}");
    match rm.check(&intent("NSE:A", Some(1), Sell, 150, 95.0), 2) {
        RiskVerdict::Reduced {
            quantity: 100,
            reason,
        } => assert!(reason.contains("halted"), "{reason}"),
        other => panic!("{other:?}"),
    }
    rm.fire_kill_switch("daily loss", 3);
    assert!(!rm.needs_kill_switch());
    rm.reset_kill_switch();
    assert!(!rm.needs_kill_switch(), "a person reset it for this halt");
    assert!(
        rm.halted().is_some(),
        "the halt itself stands until the next day"
    );
    rm.on_fill("NSE:A", Some(1), Sell, 100, 95.0, 20.0).unwrap();
    let u = rm.usage(4);
    assert_eq!(u.realised_pnl, -500.0);
    assert_eq!(u.day_pnl, -520.0);
    rm.new_day();
    assert_eq!(rm.halted(), None);
    assert_eq!(rm.usage(5).realised_pnl, 0.0);
    assert_eq!(
        approved(&rm.check(&intent("NSE:B", Some(1), Buy, 1, 10.0), 6)),
        1
    );
}

#[test]
fn charges_alone_can_breach_the_daily_limit() {
    let mut rm = RiskManager::new(RiskLimits {
        daily_loss_limit: 100.0,
        ..limits()
    })
    .unwrap();
    rm.on_fill("NSE:A", None, Buy, 1, 100.0, 60.0).unwrap();
    assert!(rm.halted().is_none());
    rm.on_fill("NSE:A", None, Sell, 1, 100.0, 40.0).unwrap();
    assert!(rm.halted().is_some());
    assert!(rm.needs_kill_switch());
}

#[test]
fn fills_book_average_cost_pnl_through_a_flip() {
    let mut rm = RiskManager::new(limits()).unwrap();
    buy_filled(&mut rm, "NSE:A", Some(1), 100, 100.0, 0);
    rm.on_fill("NSE:A", Some(1), Buy, 100, 110.0, 0.0).unwrap();
    // 200 @ 105. Sell 50 @ 115 → +500.
    rm.on_fill("NSE:A", Some(1), Sell, 50, 115.0, 5.0).unwrap();
    rm.on_price("NSE:A", 120.0).unwrap();
    let u = rm.usage(0);
    assert_eq!(u.realised_pnl, 500.0);
    assert_eq!(u.unrealised_pnl, 150.0 * 15.0);
    assert_eq!(u.day_pnl, 500.0 + 2250.0 - 5.0);
    // Sell 250 @ 100: closes 150 (−750), opens 100 short @ 100.
    rm.on_fill("NSE:A", Some(1), Sell, 250, 100.0, 0.0).unwrap();
    assert_eq!(rm.position("NSE:A", Some(1)), -100);
    rm.on_price("NSE:A", 90.0).unwrap();
    let u = rm.usage(0);
    assert_eq!(u.realised_pnl, -250.0);
    assert_eq!(u.unrealised_pnl, 1000.0);
    assert_eq!(u.gross_exposure, 9000.0);
    assert_eq!(u.max_instrument.as_deref(), Some("NSE:A"));
}

#[test]
fn bad_fills_and_prices_are_errors_that_change_nothing() {
    let mut rm = RiskManager::new(limits()).unwrap();
    assert!(matches!(
        rm.on_fill("NSE:A", None, Buy, 0, 100.0, 0.0),
        Err(RiskError::ZeroQuantity { .. })
    ));
    assert!(matches!(
        rm.on_fill("NSE:A", None, Buy, 1, f64::NAN, 0.0),
        Err(RiskError::BadPrice { .. })
    ));
    assert!(matches!(
        rm.on_fill("NSE:A", None, Buy, 1, 100.0, -1.0),
        Err(RiskError::BadCharges { .. })
    ));
    assert!(matches!(
        rm.on_fill("", None, Buy, 1, 100.0, 0.0),
        Err(RiskError::EmptyInstrument)
    ));
    assert!(matches!(
        rm.on_price("NSE:A", 0.0),
        Err(RiskError::BadPrice { .. })
    ));
    assert!(matches!(
        rm.restore_position("NSE:A", None, 5, f64::INFINITY),
        Err(RiskError::BadPrice { .. })
    ));
    assert_eq!(rm.usage(0), RiskUsage::default());
}

#[test]
fn restored_positions_count_toward_limits() {
    let mut rm = RiskManager::new(RiskLimits {
        max_open_positions: 1,
        ..limits()
    })
    .unwrap();
    rm.restore_position("NSE:A", Some(3), -20, 500.0).unwrap();
    assert_eq!(rm.usage(0).gross_exposure, 10_000.0);
    assert!(
        rejection(&rm.check(&intent("NSE:B", Some(3), Buy, 1, 10.0), 0))
            .contains("max open positions")
    );
    assert_eq!(
        approved(&rm.check(&intent("NSE:A", Some(3), Buy, 20, 500.0), 1)),
        20
    );
    // Reset to flat with no price (the kill switch does, once the account is flat): allowed, and
    // the book no longer counts.
    let before = rm.usage(2).gross_exposure;
    rm.restore_position("NSE:C", None, 7, 100.0).unwrap();
    assert_eq!(rm.usage(2).gross_exposure, before + 700.0);
    rm.restore_position("NSE:C", None, 0, 0.0).unwrap();
    assert_eq!(rm.position("NSE:C", None), 0);
    assert_eq!(rm.usage(2).gross_exposure, before);
}
