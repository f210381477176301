//! Every structure on one hand-built NIFTY chain (strikes 21,500–22,500, 100 apart, ATM 22,000) whose
//! deltas step by 0.10 near the money, so the legs, premiums and bounds each rule implies can be
//! worked out on paper; then the state machine through whole days.

use super::*;
use crate::strategy::params::Params;
use crate::strategy::StrategyError;
use chrono::NaiveTime;
use model::broker::TransactionType::{Buy, Sell};
use model::options::{ChainLeg, ChainRow, LegGreeks};

/// (strike, call LTP, call delta, put LTP, put delta)
const TABLE: [(f64, f64, f64, f64, f64); 11] = [
    (21_500.0, 520.0, 0.94, 8.0, -0.06),
    (21_600.0, 430.0, 0.88, 16.0, -0.12),
    (21_700.0, 345.0, 0.80, 30.0, -0.20),
    (21_800.0, 270.0, 0.70, 52.0, -0.30),
    (21_900.0, 200.0, 0.60, 85.0, -0.40),
    (22_000.0, 140.0, 0.50, 130.0, -0.50),
    (22_100.0, 92.0, 0.40, 180.0, -0.60),
    (22_200.0, 56.0, 0.30, 245.0, -0.70),
    (22_300.0, 32.0, 0.20, 320.0, -0.80),
    (22_400.0, 17.0, 0.12, 405.0, -0.88),
    (22_500.0, 8.0, 0.06, 495.0, -0.94),
];

/// 2026-11-27 10:00 IST, in Unix ms.
const DAY_MS: u64 = 1_795_753_800_000;

fn leg(strike: f64, option: OptionType, ltp: f64, delta: f64) -> ChainLeg {
    let (base, suffix) = match option {
        OptionType::Ce => (1_000, "CE"),
        OptionType::Pe => (2_000, "PE"),
    };
    ChainLeg {
        token: model::InstrumentToken(base + (strike / 100.0) as u32),
        tradingsymbol: format!("NIFTY26DEC{strike}{suffix}"),
        lot_size: 75,
        ltp,
        bid: None,
        ask: None,
        oi: 0,
        oi_change: 0,
        volume: 0,
        iv: Some(0.14),
        greeks: Some(LegGreeks {
            delta,
            ..LegGreeks::default()
        }),
    }
}

fn chain() -> OptionChain {
    OptionChain {
        underlying: Underlying::Nifty,
        exchange: Exchange::Nfo,
        expiry: "2026-12-03".into(),
        expiries: vec!["2026-12-03".into()],
        spot: 22_010.0,
        time_to_expiry: 6.0 / 365.0,
        rate: 0.065,
        atm_strike: Some(22_000.0),
        max_pain: None,
        pcr_oi: None,
        pcr_volume: None,
        rows: TABLE
            .iter()
            .map(|&(strike, c, cd, p, pd)| ChainRow {
                strike,
                call: Some(leg(strike, OptionType::Ce, c, cd)),
                put: Some(leg(strike, OptionType::Pe, p, pd)),
            })
            .collect(),
        as_of_ms: DAY_MS,
    }
}

fn side_of(c: &mut OptionChain, strike: f64, option: OptionType) -> &mut Option<ChainLeg> {
    let row = c
        .rows
        .iter_mut()
        .find(|r| r.strike == strike)
        .expect("strike in the table");
    match option {
        OptionType::Ce => &mut row.call,
        OptionType::Pe => &mut row.put,
    }
}

fn set_ltp(c: &mut OptionChain, strike: f64, option: OptionType, ltp: f64) {
    side_of(c, strike, option)
        .as_mut()
        .expect("leg present")
        .ltp = ltp;
}

/// The legs as (strike, type, side), in basket order.
fn shape(b: &Basket) -> Vec<(f64, OptionType, TransactionType)> {
    b.legs
        .iter()
        .map(|l| (l.strike, l.option_type, l.side))
        .collect()
}

fn parse<P: Params>(pairs: &[&str]) -> P {
    P::from_pairs(pairs.iter().map(|p| p.split_once('=').expect("k=v"))).expect("valid params")
}

fn option_err(r: Result<Basket, StrategyError>) -> OptionError {
    match r {
        Err(StrategyError::Option(e)) => e,
        other => panic!("expected an option error, got {other:?}"),
    }
}

const CE: OptionType = OptionType::Ce;
const PE: OptionType = OptionType::Pe;

#[test]
fn iron_condor_by_distance_sells_two_steps_out_and_buys_two_further() {
    let b = select_legs(&IronCondorParams::default(), &chain()).unwrap();
    assert_eq!(
        shape(&b),
        [
            (21_600.0, PE, Buy),
            (22_400.0, CE, Buy),
            (21_800.0, PE, Sell),
            (22_200.0, CE, Sell),
        ]
    );
    // credit 52 + 56 − 16 − 17 = 75; worst case a 200-point wing less the credit.
    assert_eq!(b.net_premium, 75.0);
    assert_eq!(b.max_profit, Some(75.0));
    assert_eq!(b.max_loss, Some(125.0));
    let l = &b.legs[0];
    assert_eq!(l.tradingsymbol, "NIFTY26DEC21600PE");
    assert_eq!(l.instrument_token, model::InstrumentToken(2_216));
    assert_eq!(
        (l.exchange, l.lots, l.lot_size, l.ltp),
        (Exchange::Nfo, 1, 75, 16.0)
    );
    assert_eq!(l.quantity(), 75);
    assert_eq!(
        (b.structure.as_str(), b.expiry.as_str()),
        ("iron_condor", "2026-12-03")
    );
}

#[test]
fn iron_condor_by_delta_sells_the_twenty_deltas() {
    let p: IronCondorParams = parse(&["select=delta", "delta=0.2", "wing_width=2", "lots=3"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(
        shape(&b),
        [
            (21_500.0, PE, Buy),
            (22_500.0, CE, Buy),
            (21_700.0, PE, Sell),
            (22_300.0, CE, Sell),
        ]
    );
    assert!(b.legs.iter().all(|l| l.lots == 3 && l.quantity() == 225));
    // 30 + 32 − 8 − 8 = 46 credit, 200 − 46 loss.
    assert_eq!((b.net_premium, b.max_loss), (46.0, Some(154.0)));
}

#[test]
fn straddle_is_the_atm_pair_sold_or_bought() {
    let short = select_legs(&StraddleParams::default(), &chain()).unwrap();
    assert_eq!(shape(&short), [(22_000.0, CE, Sell), (22_000.0, PE, Sell)]);
    assert_eq!(short.net_premium, 270.0);
    assert_eq!((short.max_profit, short.max_loss), (Some(270.0), None));

    let long = select_legs(&parse::<StraddleParams>(&["short=false"]), &chain()).unwrap();
    assert_eq!(shape(&long), [(22_000.0, CE, Buy), (22_000.0, PE, Buy)]);
    assert_eq!(long.net_premium, -270.0);
    assert_eq!((long.max_profit, long.max_loss), (None, Some(270.0)));

    // Without a given ATM the strike nearest the spot is used.
    let mut c = chain();
    c.atm_strike = None;
    c.spot = 22_140.0;
    let b = select_legs(&StraddleParams::default(), &c).unwrap();
    assert_eq!(b.legs[0].strike, 22_100.0);
}

#[test]
fn strangle_by_distance_and_by_delta_with_ties_going_further_out() {
    let b = select_legs(&StrangleParams::default(), &chain()).unwrap();
    assert_eq!(shape(&b), [(21_800.0, PE, Sell), (22_200.0, CE, Sell)]);
    assert_eq!(b.net_premium, 108.0);

    let p: StrangleParams = parse(&["select=delta", "delta=0.3", "short=false"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(21_800.0, PE, Buy), (22_200.0, CE, Buy)]);
    assert_eq!(b.max_loss, Some(108.0));

    // 0.16 is as far from 0.20 as from 0.12: the further OTM strike wins on each side.
    let p: StrangleParams = parse(&["select=delta", "delta=0.16"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(21_600.0, PE, Sell), (22_400.0, CE, Sell)]);
    // Nearer 0.20 than 0.12: the nearer strike.
    let p: StrangleParams = parse(&["select=delta", "delta=0.17"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(21_700.0, PE, Sell), (22_300.0, CE, Sell)]);
}

#[test]
fn bull_call_spread_buys_low_sells_high() {
    let b = select_legs(&BullCallParams::default(), &chain()).unwrap();
    assert_eq!(shape(&b), [(22_000.0, CE, Buy), (22_200.0, CE, Sell)]);
    // debit 140 − 56 = 84; at best worth the 200 width.
    assert_eq!(b.net_premium, -84.0);
    assert_eq!((b.max_profit, b.max_loss), (Some(116.0), Some(84.0)));

    let p: BullCallParams = parse(&["select=delta", "delta=0.3", "width=1"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(22_100.0, CE, Buy), (22_200.0, CE, Sell)]);
    assert_eq!((b.max_profit, b.max_loss), (Some(64.0), Some(36.0)));

    // 0.55 sits halfway between 0.60 and 0.50, though in floating point 0.60 comes out nearer
    // (by 1e-16): still a tie, so the short leg is the further-out 22,000.
    let p: BullCallParams = parse(&["select=delta", "delta=0.55", "width=1"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(21_900.0, CE, Buy), (22_000.0, CE, Sell)]);
}

#[test]
fn bear_put_spread_buys_high_sells_low() {
    let b = select_legs(&BearPutParams::default(), &chain()).unwrap();
    assert_eq!(shape(&b), [(22_000.0, PE, Buy), (21_800.0, PE, Sell)]);
    assert_eq!(b.net_premium, -78.0);
    assert_eq!((b.max_profit, b.max_loss), (Some(122.0), Some(78.0)));

    let p: BearPutParams = parse(&["select=delta", "delta=0.3", "width=1"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(21_900.0, PE, Buy), (21_800.0, PE, Sell)]);
    assert_eq!((b.max_profit, b.max_loss), (Some(67.0), Some(33.0)));

    // The same floating-point tie on the put side: the lower (further-out) 22,000.
    let p: BearPutParams = parse(&["select=delta", "delta=0.55", "width=1"]);
    let b = select_legs(&p, &chain()).unwrap();
    assert_eq!(shape(&b), [(22_100.0, PE, Buy), (22_000.0, PE, Sell)]);
}

#[test]
fn missing_strikes_and_unpriced_legs_are_errors() {
    // A wing beyond the listed strikes.
    let p: IronCondorParams = parse(&["short_distance=4", "wing_width=2"]);
    assert_eq!(
        option_err(select_legs(&p, &chain())),
        OptionError::MissingLeg {
            strike: 21_400.0,
            option: PE
        }
    );
    // A strike dropped from the chain is not replaced by a neighbour.
    let mut c = chain();
    c.rows.retain(|r| r.strike != 22_400.0);
    assert_eq!(
        option_err(select_legs(&IronCondorParams::default(), &c)),
        OptionError::MissingLeg {
            strike: 22_400.0,
            option: CE
        }
    );
    // A strike listed with only its put.
    let mut c = chain();
    *side_of(&mut c, 22_200.0, CE) = None;
    assert_eq!(
        option_err(select_legs(&BullCallParams::default(), &c)),
        OptionError::MissingLeg {
            strike: 22_200.0,
            option: CE
        }
    );
    // No trade yet.
    let mut c = chain();
    set_ltp(&mut c, 22_000.0, PE, 0.0);
    assert_eq!(
        option_err(select_legs(&StraddleParams::default(), &c)),
        OptionError::NoPrice {
            tradingsymbol: "NIFTY26DEC22000PE".into(),
            ltp: 0.0
        }
    );
    let mut c = chain();
    c.rows.clear();
    assert_eq!(
        option_err(select_legs(&StraddleParams::default(), &c)),
        OptionError::EmptyChain
    );
    let mut c = chain();
    c.rows.truncate(1);
    assert_eq!(
        option_err(select_legs(&StraddleParams::default(), &c)),
        OptionError::NoStrikeStep
    );
    // By delta with no greeks anywhere.
    let mut c = chain();
    for r in &mut c.rows {
        if let Some(l) = r.call.as_mut() {
            l.greeks = None;
        }
    }
    let p: StrangleParams = parse(&["select=delta"]);
    assert_eq!(
        option_err(select_legs(&p, &c)),
        OptionError::NoDelta {
            option: CE,
            target: 0.2
        }
    );
}

#[test]
fn quotes_that_make_no_sense_for_the_structure_are_errors() {
    // The sold call quoted above the bought one: a "debit spread" paying a credit.
    let mut c = chain();
    set_ltp(&mut c, 22_200.0, CE, 150.0);
    assert!(matches!(
        option_err(select_legs(&BullCallParams::default(), &c)),
        OptionError::Unbuildable {
            structure: "bull_call_spread",
            ..
        }
    ));
    // Wings priced above the shorts: no credit.
    let mut c = chain();
    set_ltp(&mut c, 21_600.0, PE, 60.0);
    set_ltp(&mut c, 22_400.0, CE, 60.0);
    assert!(matches!(
        option_err(select_legs(&IronCondorParams::default(), &c)),
        OptionError::Unbuildable {
            structure: "iron_condor",
            ..
        }
    ));
    // Deltas that put the short put above the short call.
    let p: IronCondorParams = parse(&["select=delta", "delta=0.9"]);
    assert!(matches!(
        option_err(select_legs(&p, &chain())),
        OptionError::Unbuildable { .. }
    ));
}

#[test]
fn params_parse_validate_and_reject_bad_input() {
    let p: IronCondorParams = parse(&[
        "short_distance=3",
        "entry_after=09:45",
        "exit_at=15:00",
        "target_pct=40",
    ]);
    assert_eq!(p.short_distance, 3);
    assert_eq!(p.rules.entry_after, ClockTime::hm(9, 45).unwrap());
    assert_eq!(p.rules.exit_at.to_string(), "15:00");
    assert_eq!(p.rules.target_pct, 40.0);

    let bad = |name: &str, pairs: &[&str]| OptionSpec::parse(name, pairs).unwrap_err();
    assert!(matches!(
        bad("iron_condor", &["wings=2"]),
        StrategyError::UnknownParam { key, .. } if key == "wings"
    ));
    assert!(matches!(
        bad("straddle", &["entry_after=9h20"]),
        StrategyError::BadValue { .. }
    ));
    assert!(matches!(
        bad("strangle", &["select=gamma"]),
        StrategyError::BadValue { .. }
    ));
    assert!(matches!(
        bad("strangle", &["distance=0"]),
        StrategyError::Invalid { .. }
    ));
    assert!(matches!(
        bad("bull_call_spread", &["delta=1.5"]),
        StrategyError::Invalid { .. }
    ));
    assert!(matches!(
        bad("bear_put_spread", &["lots=0"]),
        StrategyError::Invalid { .. }
    ));
    assert!(matches!(
        bad("straddle", &["stop_pct=-5"]),
        StrategyError::Invalid { .. }
    ));
    assert!(matches!(
        bad("straddle", &["entry_after=15:20"]),
        StrategyError::Invalid { .. }
    ));
    assert!(matches!(
        bad("straddle", &["short"]),
        StrategyError::MalformedParam { .. }
    ));
    assert!(matches!(
        bad("butterfly", &[] as &[&str]),
        StrategyError::UnknownStrategy { .. }
    ));
    // The bull call spread's keys are its own in errors.
    assert!(matches!(
        bad("bull_call_spread", &["distance=2"]),
        StrategyError::UnknownParam {
            strategy: "bull_call_spread",
            ..
        }
    ));
}

#[test]
fn spec_round_trips_through_json_and_validates_what_it_reads() {
    let spec = OptionSpec::parse(
        "iron_condor",
        &["select=delta", "delta=0.15", "exit_at=14:30"],
    )
    .unwrap();
    let json = serde_json::to_value(&spec).unwrap();
    assert_eq!(json["strategy"], "iron_condor");
    assert_eq!(json["params"]["select"], "delta");
    assert_eq!(json["params"]["exit_at"], "14:30");
    assert_eq!(json["params"]["lots"], 1);
    let back: OptionSpec = serde_json::from_value(json).unwrap();
    assert_eq!(back, spec);
    assert_eq!(back.name(), "iron_condor");

    let spread = OptionSpec::parse("bear_put_spread", &["width=3"]).unwrap();
    let back: OptionSpec = serde_json::from_str(&serde_json::to_string(&spread).unwrap()).unwrap();
    assert_eq!(back, spread);

    // Deserialised but invalid: build refuses it.
    let mut bad = serde_json::to_value(&spread).unwrap();
    bad["params"]["width"] = 0.into();
    let bad: OptionSpec = serde_json::from_value(bad).unwrap();
    assert!(matches!(bad.build(), Err(StrategyError::Invalid { .. })));
}

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn straddle() -> OptionStrategy {
    OptionSpec::parse("straddle", &[] as &[&str])
        .unwrap()
        .build()
        .unwrap()
}

/// Enters the default short straddle at the chain's LTPs (CE 140, PE 130: 270 received).
fn entered(s: &mut OptionStrategy) {
    let Some(OptionAction::Enter(b)) = s.on_chain(&chain(), at(9, 20)) else {
        panic!("expected an entry at 09:20");
    };
    let fills: Vec<f64> = b.legs.iter().map(|l| l.ltp).collect();
    s.on_entered(&fills).unwrap();
    assert_eq!(s.position().unwrap().premium, 270.0);
}

fn straddle_at(ce: f64, pe: f64) -> OptionChain {
    let mut c = chain();
    set_ltp(&mut c, 22_000.0, CE, ce);
    set_ltp(&mut c, 22_000.0, PE, pe);
    c
}

#[test]
fn enters_once_inside_the_window_and_waits_for_the_fill() {
    let mut s = straddle();
    assert_eq!(s.on_chain(&chain(), at(9, 19)), None);
    let Some(OptionAction::Enter(b)) = s.on_chain(&chain(), at(9, 20)) else {
        panic!("expected an entry");
    };
    assert_eq!(shape(&b), [(22_000.0, CE, Sell), (22_000.0, PE, Sell)]);
    // Waiting for the engine: nothing more, not even a second entry.
    assert_eq!(s.on_chain(&chain(), at(9, 21)), None);
    assert_eq!(s.phase().name(), "entering");
    // Wrong reports are refused and change nothing.
    assert!(matches!(
        s.on_entered(&[140.0]),
        Err(StrategyError::Option(OptionError::FillCount {
            expected: 2,
            got: 1
        }))
    ));
    assert!(matches!(
        s.on_entered(&[140.0, f64::NAN]),
        Err(StrategyError::Option(OptionError::BadFill { leg: 1, .. }))
    ));
    assert!(s.on_exited().is_err());
    s.on_entered(&[141.0, 129.5]).unwrap();
    let pos = s.position().unwrap();
    assert_eq!(pos.premium, 270.5);
    // Held at unchanged quotes: P&L 270.5 − 270 per unit, 37.5 rupees on 75 units.
    assert_eq!(pos.pnl(&chain()), Some(0.5));
    assert_eq!(pos.pnl_rupees(&chain()), Some(37.5));
    assert_eq!(s.on_chain(&chain(), at(10, 0)), None);
    assert!(s.on_entered(&[1.0, 1.0]).is_err());
}

#[test]
fn exits_on_target_and_never_reenters_that_day() {
    let mut s = straddle();
    entered(&mut s);
    // 270 received; buying back costs 136: 134 < 135 (50 %), hold.
    assert_eq!(s.on_chain(&straddle_at(80.0, 56.0), at(11, 0)), None);
    // 135 to buy back: exactly 50 % kept.
    assert_eq!(
        s.on_chain(&straddle_at(80.0, 55.0), at(11, 1)),
        Some(OptionAction::Exit {
            reason: ExitReason::Target,
            pnl: Some(135.0)
        })
    );
    let closing = s.position().unwrap().basket.closing_legs();
    assert!(closing.iter().all(|l| l.side == Buy));
    assert_eq!(s.on_chain(&straddle_at(80.0, 55.0), at(11, 2)), None);
    s.on_exited().unwrap();
    assert_eq!(s.phase().name(), "done");
    for t in [at(11, 3), at(13, 0), at(15, 0)] {
        assert_eq!(s.on_chain(&chain(), t), None);
    }
    // The next day's chain starts a new day.
    let mut next = chain();
    next.as_of_ms += 86_400_000;
    assert!(matches!(
        s.on_chain(&next, at(9, 25)),
        Some(OptionAction::Enter(_))
    ));
}

#[test]
fn exits_on_stop_at_the_loss_limit() {
    let mut s = straddle();
    entered(&mut s);
    // 539 to buy back: a loss of 269 < 270, hold.
    assert_eq!(s.on_chain(&straddle_at(399.0, 140.0), at(12, 0)), None);
    assert_eq!(
        s.on_chain(&straddle_at(400.0, 140.0), at(12, 1)),
        Some(OptionAction::Exit {
            reason: ExitReason::Stop,
            pnl: Some(-270.0)
        })
    );
    // The exit failed: still in, and the next chain asks again.
    s.on_exit_failed().unwrap();
    assert_eq!(s.phase().name(), "open");
    assert!(matches!(
        s.on_chain(&straddle_at(420.0, 140.0), at(12, 2)),
        Some(OptionAction::Exit {
            reason: ExitReason::Stop,
            ..
        })
    ));
    s.on_exited().unwrap();
    assert_eq!(s.on_chain(&chain(), at(12, 3)), None);
}

#[test]
fn exits_at_exit_time_whatever_the_pnl_and_enters_no_later() {
    let mut s = straddle();
    entered(&mut s);
    assert_eq!(s.on_chain(&chain(), at(15, 14)), None);
    // A leg without a price: no P&L, but the clock still closes it.
    let mut c = chain();
    set_ltp(&mut c, 22_000.0, PE, 0.0);
    assert_eq!(
        s.on_chain(&c, at(15, 15)),
        Some(OptionAction::Exit {
            reason: ExitReason::Time,
            pnl: None
        })
    );
    s.on_exited().unwrap();

    let mut late = straddle();
    assert_eq!(late.on_chain(&chain(), at(15, 15)), None);
    assert_eq!(late.on_chain(&chain(), at(15, 29)), None);
    assert_eq!(late.phase().name(), "flat");
}

#[test]
fn a_restart_resumes_the_open_basket_and_the_done_day() {
    let mut s = straddle();
    assert_eq!(s.saved(), None, "flat: nothing to keep");
    entered(&mut s);
    let saved = s.saved().expect("an open basket is kept");
    // Through JSON, as stored.
    let text = serde_json::to_string(&saved).unwrap();
    let saved: SavedPhase = serde_json::from_str(&text).unwrap();
    let mut resumed = straddle();
    resumed.restore(saved);
    assert_eq!(resumed.position(), s.position());
    // It manages the exit instead of entering a second basket.
    assert!(matches!(
        resumed.on_chain(&chain(), at(15, 15)),
        Some(OptionAction::Exit {
            reason: ExitReason::Time,
            ..
        })
    ));
    resumed.on_exited().unwrap();
    let done = resumed.saved().expect("the done day is kept");
    let mut again = straddle();
    again.restore(done);
    assert_eq!(
        again.on_chain(&chain(), at(10, 0)),
        None,
        "one basket a day"
    );
    // A later day's chain: free to enter again.
    let mut tomorrow = chain();
    tomorrow.as_of_ms += 86_400_000;
    assert!(matches!(
        again.on_chain(&tomorrow, at(10, 0)),
        Some(OptionAction::Enter(_))
    ));
}

#[test]
fn a_debit_spread_takes_profit_on_its_debit() {
    let mut s = OptionSpec::parse("bull_call_spread", &["target_pct=50"])
        .unwrap()
        .build()
        .unwrap();
    let Some(OptionAction::Enter(b)) = s.on_chain(&chain(), at(10, 0)) else {
        panic!("expected an entry");
    };
    s.on_entered(&[140.0, 56.0]).unwrap();
    assert_eq!(s.position().unwrap().premium, -84.0);
    assert_eq!(b.legs[0].side, Buy);
    // The rally: 22000 CE 199, 22200 CE 74: spread worth 125, 41 gained < 42.
    let mut c = chain();
    set_ltp(&mut c, 22_000.0, CE, 199.0);
    set_ltp(&mut c, 22_200.0, CE, 74.0);
    assert_eq!(s.on_chain(&c, at(11, 0)), None);
    set_ltp(&mut c, 22_000.0, CE, 200.0);
    assert_eq!(
        s.on_chain(&c, at(11, 1)),
        Some(OptionAction::Exit {
            reason: ExitReason::Target,
            pnl: Some(42.0)
        })
    );
}

#[test]
fn a_failed_entry_may_be_retried_and_a_chain_that_cannot_be_used_is_reported() {
    let mut s = straddle();
    let mut c = chain();
    set_ltp(&mut c, 22_000.0, CE, 0.0);
    assert_eq!(s.on_chain(&c, at(9, 30)), None);
    assert!(matches!(
        s.last_error(),
        Some(StrategyError::Option(OptionError::NoPrice { .. }))
    ));
    assert!(matches!(
        s.on_chain(&chain(), at(9, 31)),
        Some(OptionAction::Enter(_))
    ));
    assert!(s.last_error().is_none());
    s.on_entry_failed().unwrap();
    assert_eq!(s.phase().name(), "flat");
    assert!(s.on_entry_failed().is_err());
    assert!(matches!(
        s.on_chain(&chain(), at(9, 32)),
        Some(OptionAction::Enter(_))
    ));
}
