//! Property test of the risk manager: random streams of intents, price moves, fills of approved
//! orders (full or partial, the rest released), clock steps, kill-switch fires and resets, and day
//! rolls. A small independent model of positions, working orders, marks and P&L replays the stream;
//! after every step no limit may be breached, and the manager may not be stricter than its rules.

use engine::risk::{OrderIntent, RiskManager, WINDOW_MS};
use model::broker::TransactionType::{self, Buy, Sell};
use model::trading::{RiskLimits, RiskVerdict};
use proptest::prelude::*;
use std::collections::BTreeMap;

const INSTRUMENTS: [(&str, u32, f64); 4] = [
    ("NSE:A", 1, 100.0),
    ("NSE:B", 1, 250.0),
    ("NFO:C", 25, 80.0),
    ("NFO:D", 75, 40.0),
];
const STRATEGIES: [Option<i64>; 3] = [None, Some(1), Some(2)];
const EPS: f64 = 1e-6;

fn limits() -> RiskLimits {
    RiskLimits {
        capital: 1_000_000.0,
        daily_loss_limit: 3_000.0,
        risk_per_trade_pct: 0.5,
        atr_stop_multiple: 2.0,
        max_instrument_exposure: 40_000.0,
        max_strategy_exposure: 60_000.0,
        max_gross_exposure: 90_000.0,
        max_open_positions: 3,
        max_orders_per_minute: 6,
        check_margin: false,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Intent {
        inst: usize,
        strat: usize,
        buy: bool,
        lots: u32,
        price_pct: i32,
        malformed: bool,
    },
    Price {
        inst: usize,
        pct: i32,
    },
    Fill {
        order: usize,
        frac_pct: u32,
        price_pct: i32,
    },
    Release {
        order: usize,
    },
    Advance {
        ms: u64,
    },
    Fire,
    /// What the live service does: fire the switch when the manager asks for it.
    ServiceFire,
    Reset,
    NewDay,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        24 => (0..4usize, 0..3usize, any::<bool>(), 1..=12u32, -5..=5i32, prop::bool::weighted(0.05))
            .prop_map(|(inst, strat, buy, lots, price_pct, malformed)| Op::Intent { inst, strat, buy, lots, price_pct, malformed }),
        10 => (0..4usize, -15..=15i32).prop_map(|(inst, pct)| Op::Price { inst, pct }),
        12 => (any::<usize>(), 1..=100u32, -3..=3i32)
            .prop_map(|(order, frac_pct, price_pct)| Op::Fill { order, frac_pct, price_pct }),
        4 => any::<usize>().prop_map(|order| Op::Release { order }),
        // Whole 5 s steps so approvals often sit exactly on the 60 s edge of the window.
        8 => (0..=12u64).prop_map(|k| Op::Advance { ms: k * 5_000 }),
        1 => Just(Op::Fire),
        4 => Just(Op::ServiceFire),
        4 => Just(Op::Reset),
        1 => Just(Op::NewDay),
    ]
}

#[derive(Debug, Clone, Default)]
struct Book {
    qty: i64,
    avg: f64,
    buy: u64,
    sell: u64,
}

/// An approved order still working.
#[derive(Debug, Clone)]
struct Working {
    inst: usize,
    strat: Option<i64>,
    side: TransactionType,
    remaining: u64,
}

fn worst(q: i64, b: u64, s: u64) -> u64 {
    (q + b as i64)
        .unsigned_abs()
        .max((q - s as i64).unsigned_abs())
}

#[derive(Debug, Default)]
struct Model {
    books: BTreeMap<(usize, Option<i64>), Book>,
    marks: [Option<f64>; 4],
    realised: f64,
    charges: f64,
    halted: bool,
    /// The day P&L came within rounding of the limit: the two sides may disagree on the halt.
    ambiguous: bool,
    kill: bool,
    now: u64,
    approvals: Vec<u64>,
    working: Vec<Working>,
}

/// Exposures of one intent's instrument and strategy, and gross.
#[derive(Debug, Clone, Copy)]
struct Exp {
    instrument: f64,
    strategy: f64,
    gross: f64,
    open: usize,
}

impl Model {
    fn day_pnl(&self) -> f64 {
        let unrealised: f64 = self
            .books
            .iter()
            .map(|((i, _), b)| b.qty as f64 * (self.marks[*i].unwrap_or(b.avg) - b.avg))
            .sum();
        self.realised + unrealised - self.charges
    }

    fn latch(&mut self) {
        let day = self.day_pnl();
        let limit = limits().daily_loss_limit;
        if (day + limit).abs() < EPS * limit {
            self.ambiguous = true;
        }
        if day <= -limit {
            self.halted = true;
        }
    }

    /// Exposures with `extra` units more working on (inst, strat, side), the intent's instrument at
    /// `px` and every other one at its mark.
    fn exposures(
        &self,
        inst: usize,
        strat: Option<i64>,
        side: TransactionType,
        extra: u64,
        px: f64,
    ) -> Exp {
        let mut books = self.books.clone();
        let b = books.entry((inst, strat)).or_default();
        match side {
            Buy => b.buy += extra,
            Sell => b.sell += extra,
        }
        let price = |i: usize| {
            if i == inst {
                px
            } else {
                self.marks[i].unwrap_or(0.0)
            }
        };
        let mut totals = [(0i64, 0u64, 0u64); 4];
        let mut strategy = 0.0;
        for ((i, s), b) in &books {
            totals[*i].0 += b.qty;
            totals[*i].1 += b.buy;
            totals[*i].2 += b.sell;
            if *s == strat {
                strategy += worst(b.qty, b.buy, b.sell) as f64 * price(*i);
            }
        }
        let per: Vec<f64> = (0..4)
            .map(|i| worst(totals[i].0, totals[i].1, totals[i].2) as f64 * price(i))
            .collect();
        Exp {
            instrument: per[inst],
            strategy,
            gross: per.iter().sum(),
            open: (0..4)
                .filter(|&i| worst(totals[i].0, totals[i].1, totals[i].2) > 0)
                .count(),
        }
    }

    fn fits(&self, e: Exp) -> bool {
        let l = limits();
        e.instrument <= l.max_instrument_exposure
            && e.strategy <= l.max_strategy_exposure
            && e.gross <= l.max_gross_exposure
    }

    /// Units of a `side` order that only close, in the book and in the instrument's net.
    fn closable(&self, inst: usize, strat: Option<i64>, side: TransactionType) -> u64 {
        let room = |q: i64, b: u64, s: u64| match side {
            Sell => (q - s as i64).max(0) as u64,
            Buy => (-q - b as i64).max(0) as u64,
        };
        let own = self
            .books
            .get(&(inst, strat))
            .map_or(0, |b| room(b.qty, b.buy, b.sell));
        let (mut q, mut b, mut s) = (0, 0, 0);
        for ((i, _), book) in &self.books {
            if *i == inst {
                q += book.qty;
                b += book.buy;
                s += book.sell;
            }
        }
        own.min(room(q, b, s))
    }

    fn is_open(&self, inst: usize) -> bool {
        let (q, b, s) = self
            .books
            .iter()
            .filter(|((i, _), _)| *i == inst)
            .fold((0, 0, 0), |t, (_, b)| {
                (t.0 + b.qty, t.1 + b.buy, t.2 + b.sell)
            });
        worst(q, b, s) > 0
    }

    fn window_count(&self, now: u64) -> usize {
        self.approvals
            .iter()
            .filter(|&&t| t + WINDOW_MS > now)
            .count()
    }

    fn fill(
        &mut self,
        inst: usize,
        strat: Option<i64>,
        side: TransactionType,
        units: u64,
        price: f64,
    ) {
        let b = self.books.entry((inst, strat)).or_default();
        match side {
            Buy => b.buy -= units,
            Sell => b.sell -= units,
        }
        let signed = if side == Buy {
            units as i64
        } else {
            -(units as i64)
        };
        if b.qty == 0 || b.qty.signum() == signed.signum() {
            let (old, add) = (b.qty.unsigned_abs() as f64, units as f64);
            b.avg = (b.avg * old + price * add) / (old + add);
        } else {
            let closed = b.qty.unsigned_abs().min(units) as f64;
            self.realised += closed * (price - b.avg) * b.qty.signum() as f64;
            let new = b.qty + signed;
            if new == 0 {
                b.avg = 0.0;
            } else if new.signum() != b.qty.signum() {
                b.avg = price;
            }
        }
        b.qty += signed;
        self.marks[inst] = Some(price);
    }
}

fn granted(v: &RiskVerdict) -> u32 {
    match v {
        RiskVerdict::Approved { quantity } | RiskVerdict::Reduced { quantity, .. } => *quantity,
        RiskVerdict::Rejected { .. } => 0,
    }
}

/// How often each rule decided something, to show the generator reaches every rule.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    approved: usize,
    reduced: usize,
    cap: usize,
    halted: usize,
    kill: usize,
    window: usize,
    open: usize,
    malformed: usize,
    service_fired: usize,
}

impl Seen {
    fn count(&mut self, v: &RiskVerdict) {
        let reason = match v {
            RiskVerdict::Approved { .. } => {
                self.approved += 1;
                return;
            }
            RiskVerdict::Reduced { reason, .. } => {
                self.reduced += 1;
                reason
            }
            RiskVerdict::Rejected { reason } => reason,
        };
        if reason.contains("exposure cap") {
            self.cap += 1;
        } else if reason.contains("halted") {
            self.halted += 1;
        } else if reason.contains("kill switch") {
            self.kill += 1;
        } else if reason.contains("orders per minute") {
            self.window += 1;
        } else if reason.contains("open positions") {
            self.open += 1;
        } else {
            self.malformed += 1;
        }
    }

    fn add(&mut self, o: Seen) {
        self.approved += o.approved;
        self.reduced += o.reduced;
        self.cap += o.cap;
        self.halted += o.halted;
        self.kill += o.kill;
        self.window += o.window;
        self.open += o.open;
        self.malformed += o.malformed;
        self.service_fired += o.service_fired;
    }
}

fn run(ops: &[Op]) -> Result<Seen, TestCaseError> {
    let mut seen = Seen::default();
    let l = limits();
    let mut rm = RiskManager::new(l.clone()).expect("valid limits");
    let mut m = Model::default();
    for op in ops {
        match *op {
            Op::Intent {
                inst,
                strat,
                buy,
                lots,
                price_pct,
                malformed,
            } => {
                let (name, lot, base) = INSTRUMENTS[inst];
                let strat = STRATEGIES[strat];
                let side = if buy { Buy } else { Sell };
                let price = m.marks[inst].unwrap_or(base) * (1.0 + f64::from(price_pct) / 100.0);
                let quantity = lots * lot + u32::from(malformed && lot > 1);
                let intent = OrderIntent {
                    strategy_id: strat,
                    instrument: name.into(),
                    side,
                    quantity,
                    price,
                    lot_size: lot,
                };
                let verdict = rm.check(&intent, m.now);
                seen.count(&verdict);
                if malformed && lot > 1 {
                    prop_assert!(
                        matches!(verdict, RiskVerdict::Rejected { .. }),
                        "malformed {intent:?} got {verdict:?}"
                    );
                    continue;
                }
                if m.marks[inst].is_none() {
                    m.marks[inst] = Some(price);
                }
                m.latch();
                let px = m.marks[inst].unwrap().max(price);
                let q = u64::from(granted(&verdict));
                let full = u64::from(quantity);
                let window_ok = m.window_count(m.now) < l.max_orders_per_minute as usize;
                let closable =
                    m.closable(inst, strat, side).min(full) / u64::from(lot) * u64::from(lot);
                let before = m.exposures(inst, strat, side, 0, m.marks[inst].unwrap());
                let at_px = |units: u64| m.exposures(inst, strat, side, units, px);
                let is_open = m.is_open(inst);
                let open_room = is_open || before.open < l.max_open_positions as usize;

                prop_assert!(
                    q <= full && q % u64::from(lot) == 0,
                    "{verdict:?} for {intent:?}"
                );
                // Liveness: the manager is not stricter than its rules.
                if !m.kill && window_ok {
                    if closable == full || (!m.halted && open_room && m.fits(at_px(full))) {
                        prop_assert_eq!(&verdict, &RiskVerdict::Approved { quantity });
                    } else {
                        prop_assert!(
                            q >= closable,
                            "closing part {closable} refused: {verdict:?}"
                        );
                        if !m.halted && open_room && q < full && q > closable {
                            prop_assert!(
                                !m.fits(at_px(q + u64::from(lot))),
                                "{verdict:?} could have been larger"
                            );
                        }
                    }
                }
                if q == 0 {
                    continue;
                }
                // Safety.
                prop_assert!(!m.kill, "approved {verdict:?} with the kill switch active");
                prop_assert!(
                    window_ok,
                    "approved {verdict:?} beyond {} orders in 60 s",
                    l.max_orders_per_minute
                );
                let after = m.exposures(inst, strat, side, q, m.marks[inst].unwrap());
                let increased = after.instrument > before.instrument + EPS
                    || after.strategy > before.strategy + EPS
                    || after.gross > before.gross + EPS;
                if increased {
                    prop_assert!(
                        !m.halted || m.ambiguous,
                        "exposure-increasing {verdict:?} while halted"
                    );
                    prop_assert!(
                        after.instrument <= l.max_instrument_exposure + EPS
                            && after.strategy <= l.max_strategy_exposure + EPS
                            && after.gross <= l.max_gross_exposure + EPS,
                        "{verdict:?} for {intent:?} breaks a cap: {after:?}"
                    );
                }
                prop_assert!(
                    after.open <= l.max_open_positions as usize,
                    "{} open",
                    after.open
                );
                m.approvals.push(m.now);
                let b = m.books.entry((inst, strat)).or_default();
                match side {
                    Buy => b.buy += q,
                    Sell => b.sell += q,
                }
                m.working.push(Working {
                    inst,
                    strat,
                    side,
                    remaining: q,
                });
            }
            Op::Price { inst, pct } => {
                let (name, _, base) = INSTRUMENTS[inst];
                let price =
                    (m.marks[inst].unwrap_or(base) * (1.0 + f64::from(pct) / 100.0)).max(1.0);
                rm.on_price(name, price).expect("valid price");
                m.marks[inst] = Some(price);
                m.latch();
            }
            Op::Fill {
                order,
                frac_pct,
                price_pct,
            } => {
                if m.working.is_empty() {
                    continue;
                }
                let k = order % m.working.len();
                let w = m.working[k].clone();
                let (name, lot, base) = INSTRUMENTS[w.inst];
                let lot = u64::from(lot);
                let lots = (w.remaining / lot * u64::from(frac_pct))
                    .div_ceil(100)
                    .max(1);
                let units = lots * lot;
                let price = m.marks[w.inst].unwrap_or(base) * (1.0 + f64::from(price_pct) / 100.0);
                let charges = units as f64 * price * 0.0005;
                rm.on_fill(name, w.strat, w.side, units as u32, price, charges)
                    .expect("valid fill");
                m.fill(w.inst, w.strat, w.side, units, price);
                m.charges += charges;
                m.latch();
                if units == w.remaining {
                    m.working.remove(k);
                } else {
                    m.working[k].remaining -= units;
                }
            }
            Op::Release { order } => {
                if m.working.is_empty() {
                    continue;
                }
                let w = m.working.remove(order % m.working.len());
                rm.release(INSTRUMENTS[w.inst].0, w.strat, w.side, w.remaining as u32);
                let b = m
                    .books
                    .get_mut(&(w.inst, w.strat))
                    .expect("book of a working order");
                match w.side {
                    Buy => b.buy -= w.remaining,
                    Sell => b.sell -= w.remaining,
                }
            }
            Op::Advance { ms } => m.now += ms,
            Op::Fire => {
                rm.fire_kill_switch("test", m.now);
                m.kill = true;
            }
            Op::ServiceFire => {
                if rm.needs_kill_switch() {
                    prop_assert!(
                        m.halted || m.ambiguous,
                        "kill switch asked for without a halt"
                    );
                    rm.fire_kill_switch("daily loss", m.now);
                    m.kill = true;
                    seen.service_fired += 1;
                }
            }
            Op::Reset => {
                rm.reset_kill_switch();
                m.kill = false;
            }
            Op::NewDay => {
                m.now += 24 * 3_600_000;
                rm.new_day();
                m.realised = 0.0;
                m.charges = 0.0;
                m.halted = false;
                m.ambiguous = false;
                m.latch();
            }
        }

        // The manager's books, P&L and counts agree with the model after every step.
        for ((inst, strat), b) in &m.books {
            let name = INSTRUMENTS[*inst].0;
            prop_assert_eq!(
                rm.position(name, *strat),
                b.qty,
                "position {} {:?}",
                name,
                strat
            );
            prop_assert_eq!(
                rm.reserved(name, *strat),
                (b.buy, b.sell),
                "reserved {} {:?}",
                name,
                strat
            );
        }
        let u = rm.usage(m.now);
        let scale = 1.0 + m.realised.abs() + m.charges;
        prop_assert!(
            (u.realised_pnl - m.realised).abs() < EPS * scale,
            "realised {} vs {}",
            u.realised_pnl,
            m.realised
        );
        prop_assert!(
            (u.day_pnl - m.day_pnl()).abs() < EPS * (scale + u.gross_exposure),
            "day {} vs {}",
            u.day_pnl,
            m.day_pnl()
        );
        let probe = m.exposures(0, None, Buy, 0, m.marks[0].unwrap_or(0.0));
        prop_assert!((u.gross_exposure - probe.gross).abs() < EPS * (1.0 + probe.gross));
        prop_assert_eq!(u.open_positions as usize, probe.open);
        prop_assert!(probe.open <= l.max_open_positions as usize);
        prop_assert_eq!(u.orders_last_minute as usize, m.window_count(m.now));
        prop_assert!(m.window_count(m.now) <= l.max_orders_per_minute as usize);
        prop_assert_eq!(rm.kill_switch().active, m.kill);
        if !m.ambiguous {
            prop_assert_eq!(
                rm.halted().is_some(),
                m.halted,
                "halt disagrees at day P&L {}",
                m.day_pnl()
            );
        }
    }
    Ok(seen)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_limit_is_ever_breached(ops in prop::collection::vec(op(), 1..150)) {
        run(&ops)?;
    }
}

/// The generated streams reach every rule often enough that the property above means something.
#[test]
fn generated_streams_exercise_every_rule() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let streams = prop::collection::vec(op(), 1..150);
    let mut total = Seen::default();
    for _ in 0..256 {
        let ops = streams.new_tree(&mut runner).expect("a stream").current();
        total.add(run(&ops).expect("no limit breached"));
    }
    eprintln!("{total:?}");
    for (rule, n) in [
        ("approved", total.approved),
        ("reduced", total.reduced),
        ("exposure cap", total.cap),
        ("daily-loss halt", total.halted),
        ("kill switch", total.kill),
        ("orders per minute", total.window),
        ("max open positions", total.open),
        ("malformed", total.malformed),
    ] {
        assert!(n >= 100, "{rule} decided only {n} intents: {total:?}");
    }
    assert!(
        total.service_fired >= 15,
        "the service fired the switch only {} times: {total:?}",
        total.service_fired
    );
}
