//! The risk manager: a synchronous, I/O-free state machine that judges every order the engine wants
//! to send before it goes out, and sizes new entries.
//!
//! The rules, in the order they are applied by [`RiskManager::check`]:
//!
//! 1. An intent that is malformed (empty instrument, lot size 0, quantity 0 or not a multiple of the
//!    lot size, price not finite and above zero) is rejected with the reason.
//! 2. While the kill switch is active every intent is rejected ("kill switch active").
//! 3. At most `max_orders_per_minute` intents are approved in any sliding 60 s window; beyond that
//!    every intent, reducing ones included, is rejected.
//! 4. The *reducing* part of an intent — units that only close an open position, counting the
//!    working orders on the same side as filled, both in the strategy's own book and in the
//!    instrument's net position — is always allowed: exposure caps, the open-position count and the
//!    daily-loss halt never block getting out.
//! 5. The rest of the intent (the part that opens or adds) is refused while trading is halted
//!    (day P&L = realised + unrealised − charges ≤ −`daily_loss_limit`, latched until
//!    [`RiskManager::new_day`]); refused when it would open an instrument beyond
//!    `max_open_positions`; and otherwise cut to the largest lot multiple that keeps the instrument,
//!    the strategy and the gross exposure within their caps.
//! 6. What is left is `Approved` (all of it), `Reduced` (some) or `Rejected` (none).
//!
//! Exposure is |net quantity| × price, at the last price seen for the instrument (from
//! [`RiskManager::on_price`] or a fill; for the intent's own instrument the higher of that and the
//! intent's price, so a stale mark cannot understate it). Approved quantity is reserved until it
//! fills ([`RiskManager::on_fill`]) or the order ends ([`RiskManager::release`]), and exposure is
//! measured at the worse end of what the working orders could still do, so no sequence of fills can
//! take a position past a cap that held when the order was approved. Price moves can, and then only
//! reducing orders pass until exposure is back under the caps.

mod book;
mod error;
mod exposure;
mod intent;
mod limits;
mod window;

#[cfg(test)]
mod tests;

pub use error::RiskError;
pub use intent::OrderIntent;
pub use window::WINDOW_MS;

use book::Book;
use exposure::Extra;
use model::broker::TransactionType;
use model::trading::{KillSwitchState, RiskLimits, RiskUsage, RiskVerdict, StrategyId};
use std::collections::{BTreeMap, HashMap};
use window::OrderWindow;

/// Books are keyed by instrument first so one instrument's books are adjacent.
type BookKey = (String, Option<StrategyId>);

/// See the [module documentation](self) for the rules.
#[derive(Debug, Clone)]
pub struct RiskManager {
    limits: RiskLimits,
    books: BTreeMap<BookKey, Book>,
    /// Last price seen per instrument.
    marks: HashMap<String, f64>,
    realised: f64,
    charges: f64,
    window: OrderWindow,
    /// Latest `now_ms` seen: time never runs backwards here, or the order window could be cheated.
    clock: u64,
    /// Why trading halted today, once it did; cleared by `new_day`.
    halt: Option<String>,
    /// The kill switch was fired for the current halt, so it is not asked for again after a person
    /// resets it (the halt itself still stands until `new_day`).
    halt_acknowledged: bool,
    kill_switch: KillSwitchState,
}

impl RiskManager {
    pub fn new(limits: RiskLimits) -> Result<Self, RiskError> {
        limits::validate(&limits)?;
        Ok(Self {
            limits,
            books: BTreeMap::new(),
            marks: HashMap::new(),
            realised: 0.0,
            charges: 0.0,
            window: OrderWindow::default(),
            clock: 0,
            halt: None,
            halt_acknowledged: false,
            kill_switch: KillSwitchState::default(),
        })
    }

    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// Replaces the limits; on error the old ones stay. Tighter caps do not touch what is already
    /// held or working, they apply to the next intent.
    pub fn set_limits(&mut self, limits: RiskLimits) -> Result<(), RiskError> {
        limits::validate(&limits)?;
        self.limits = limits;
        self.latch_halt();
        Ok(())
    }

    /// Position size for a new entry: `capital × risk_per_trade_pct / 100 / (atr × atr_stop_multiple)`
    /// units, rounded down to whole lots, then cut to the largest lot multiple that fits every
    /// exposure cap whichever side the entry takes. 0 when nothing fits or an input is not a finite
    /// positive number (lot size 0 included). The kill switch, a halt, the open-position count and
    /// the order rate are left to [`Self::check`], which judges the sized order.
    pub fn size(
        &self,
        instrument: &str,
        strategy_id: Option<StrategyId>,
        price: f64,
        atr: f64,
        lot_size: u32,
    ) -> u32 {
        let usable = |x: f64| x.is_finite() && x > 0.0;
        if !usable(price) || !usable(atr) || lot_size == 0 || instrument.trim().is_empty() {
            return 0;
        }
        let risk = self.limits.capital * self.limits.risk_per_trade_pct / 100.0;
        let units = risk / (atr * self.limits.atr_stop_multiple);
        // A hair of slack so 5000 / 40 is 125 even when the division lands on 124.999…
        let units = (units + 1e-9).floor();
        if !usable(units) {
            return 0;
        }
        let lot = u64::from(lot_size);
        let lots = (units.min(u32::MAX as f64) as u64) / lot;
        let price = self.price_for(instrument, price);
        let fit = [TransactionType::Buy, TransactionType::Sell]
            .into_iter()
            .map(|side| {
                let extra = Extra {
                    instrument,
                    strategy: strategy_id,
                    side,
                    units: 0,
                    price,
                };
                self.fitting_lots(extra, lot, lots).0
            })
            .min()
            .unwrap_or(0);
        u32::try_from(fit * lot).unwrap_or(0)
    }

    /// The verdict on `intent` at `now_ms`. `Approved`/`Reduced` quantities count toward the orders
    /// per minute and are reserved as working exposure until [`Self::on_fill`] / [`Self::release`].
    pub fn check(&mut self, intent: &OrderIntent, now_ms: u64) -> RiskVerdict {
        let now = self.tick(now_ms);
        if let Some(reason) = intent.invalid_reason() {
            return RiskVerdict::Rejected { reason };
        }
        self.marks
            .entry(intent.instrument.clone())
            .or_insert(intent.price);
        self.latch_halt();
        if self.kill_switch.active {
            return RiskVerdict::Rejected {
                reason: "kill switch active".into(),
            };
        }
        self.window.prune(now);
        if self.window.count(now) >= self.limits.max_orders_per_minute {
            return RiskVerdict::Rejected {
                reason: format!(
                    "orders per minute limit ({}) reached",
                    self.limits.max_orders_per_minute
                ),
            };
        }

        let quantity = u64::from(intent.quantity);
        let lot = u64::from(intent.lot_size);
        let reducing = (self.closable_units(intent).min(quantity) / lot) * lot;
        let (allowed, reason) = if reducing == quantity {
            (quantity, None)
        } else if let Some(halt) = self.halted() {
            (
                reducing,
                Some(format!("trading halted ({halt}): only closing orders pass")),
            )
        } else if !self.is_open(&intent.instrument)
            && self.open_positions() >= self.limits.max_open_positions
        {
            (
                reducing,
                Some(format!(
                    "max open positions ({}) reached",
                    self.limits.max_open_positions
                )),
            )
        } else {
            let extra = Extra {
                instrument: &intent.instrument,
                strategy: intent.strategy_id,
                side: intent.side,
                units: 0,
                price: self.price_for(&intent.instrument, intent.price),
            };
            let (lots, bound) = self.fitting_lots(extra, lot, quantity / lot);
            let fits = lots * lot;
            let reason = bound.map(|cap| self.cap_reason(cap, intent));
            (fits.max(reducing), reason)
        };

        if allowed == 0 {
            return RiskVerdict::Rejected {
                reason: reason.unwrap_or_else(|| "nothing fits the risk limits".into()),
            };
        }
        self.books
            .entry((intent.instrument.clone(), intent.strategy_id))
            .or_default()
            .reserve(intent.side, allowed);
        self.window.push(now);
        // `allowed` ≤ `intent.quantity`, a u32.
        let granted = u32::try_from(allowed).unwrap_or(intent.quantity);
        match reason {
            Some(reason) if allowed < quantity => RiskVerdict::Reduced {
                quantity: granted,
                reason,
            },
            _ => RiskVerdict::Approved { quantity: granted },
        }
    }

    /// Books a fill: the position moves, P&L is realised on the closed part, the charges count
    /// against the day, the fill price becomes the instrument's mark and the filled units leave the
    /// book's reservation on that side. Fills of orders the manager never approved (a kill-switch
    /// square-off, a manual order) are booked the same way.
    pub fn on_fill(
        &mut self,
        instrument: &str,
        strategy_id: Option<StrategyId>,
        side: TransactionType,
        quantity: u32,
        price: f64,
        charges: f64,
    ) -> Result<(), RiskError> {
        if instrument.trim().is_empty() {
            return Err(RiskError::EmptyInstrument);
        }
        if quantity == 0 {
            return Err(RiskError::ZeroQuantity {
                instrument: instrument.into(),
            });
        }
        check_price("fill", instrument, price)?;
        if !(charges.is_finite() && charges >= 0.0) {
            return Err(RiskError::BadCharges {
                instrument: instrument.into(),
                value: charges,
            });
        }
        let key = (instrument.to_string(), strategy_id);
        let book = self.books.entry(key.clone()).or_default();
        self.realised += book.fill(side, u64::from(quantity), price);
        if book.is_empty() {
            self.books.remove(&key);
        }
        self.charges += charges;
        self.marks.insert(instrument.into(), price);
        self.latch_halt();
        Ok(())
    }

    /// An approved order ended (cancelled, rejected, expired) with `quantity` units unfilled: they
    /// stop counting as working exposure. Releasing more than is reserved frees what there is.
    pub fn release(
        &mut self,
        instrument: &str,
        strategy_id: Option<StrategyId>,
        side: TransactionType,
        quantity: u32,
    ) {
        let key = (instrument.to_string(), strategy_id);
        if let Some(book) = self.books.get_mut(&key) {
            book.release(side, u64::from(quantity));
            if book.is_empty() {
                self.books.remove(&key);
            }
        }
    }

    /// A new last price for `instrument`: open positions are marked to it.
    pub fn on_price(&mut self, instrument: &str, ltp: f64) -> Result<(), RiskError> {
        if instrument.trim().is_empty() {
            return Err(RiskError::EmptyInstrument);
        }
        check_price("price", instrument, ltp)?;
        self.marks.insert(instrument.into(), ltp);
        self.latch_halt();
        Ok(())
    }

    /// Sets a book's position outright (after a restart, from the journal or the broker). Working
    /// reservations of the book are kept; `average_price` becomes the mark if none was seen.
    pub fn restore_position(
        &mut self,
        instrument: &str,
        strategy_id: Option<StrategyId>,
        quantity: i64,
        average_price: f64,
    ) -> Result<(), RiskError> {
        if instrument.trim().is_empty() {
            return Err(RiskError::EmptyInstrument);
        }
        // A flat book has no average price (the kill switch resets books to flat with 0).
        if quantity != 0 {
            check_price("average price", instrument, average_price)?;
        }
        let key = (instrument.to_string(), strategy_id);
        let book = self.books.entry(key.clone()).or_default();
        book.quantity = quantity;
        book.average_price = if quantity == 0 { 0.0 } else { average_price };
        if book.is_empty() {
            self.books.remove(&key);
        }
        if quantity != 0 {
            self.marks
                .entry(instrument.to_string())
                .or_insert(average_price);
        }
        self.latch_halt();
        Ok(())
    }

    /// Signed net position of one strategy's book (0 when it holds nothing).
    pub fn position(&self, instrument: &str, strategy_id: Option<StrategyId>) -> i64 {
        self.books
            .get(&(instrument.to_string(), strategy_id))
            .map_or(0, |b| b.quantity)
    }

    /// Units reserved by approved, still working orders of one book: (buy, sell).
    pub fn reserved(&self, instrument: &str, strategy_id: Option<StrategyId>) -> (u64, u64) {
        self.books
            .get(&(instrument.to_string(), strategy_id))
            .map_or((0, 0), |b| (b.pending_buy, b.pending_sell))
    }

    /// How much of each limit is in use at `now_ms`, working orders included in the exposures.
    pub fn usage(&self, now_ms: u64) -> RiskUsage {
        let now = now_ms.max(self.clock);
        let unrealised = self.unrealised();
        let per_instrument = self.instrument_exposures(None);
        let gross = per_instrument.iter().map(|(_, e)| e).sum();
        let largest = per_instrument
            .iter()
            .filter(|(_, e)| *e > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        RiskUsage {
            realised_pnl: self.realised,
            unrealised_pnl: unrealised,
            day_pnl: self.realised + unrealised - self.charges,
            gross_exposure: gross,
            max_instrument_exposure: largest.map_or(0.0, |(_, e)| *e),
            max_instrument: largest.map(|(i, _)| i.to_string()),
            open_positions: self.open_positions(),
            orders_last_minute: self.window.count(now),
        }
    }

    /// Why trading is halted, once day P&L has reached −`daily_loss_limit` (until `new_day`).
    pub fn halted(&self) -> Option<String> {
        self.halt.clone().or_else(|| self.breach())
    }

    pub fn kill_switch(&self) -> &KillSwitchState {
        &self.kill_switch
    }

    /// Fires the kill switch (a second fire keeps the first reason and time). Firing while halted
    /// acknowledges the halt, so [`Self::needs_kill_switch`] stays false after a person resets it.
    pub fn fire_kill_switch(&mut self, reason: impl Into<String>, now_ms: u64) {
        let now = self.tick(now_ms);
        self.latch_halt();
        if self.halt.is_some() {
            self.halt_acknowledged = true;
        }
        if !self.kill_switch.active {
            self.kill_switch = KillSwitchState {
                active: true,
                since_ms: Some(now),
                reason: Some(reason.into()),
                flattened_ms: None,
            };
        }
    }

    /// Records that the account was seen flat after the switch fired.
    pub fn mark_flattened(&mut self, now_ms: u64) {
        let now = self.tick(now_ms);
        if self.kill_switch.active && self.kill_switch.flattened_ms.is_none() {
            self.kill_switch.flattened_ms = Some(now);
        }
    }

    /// A person reset the switch. A daily-loss halt still allows only closing orders until
    /// `new_day`.
    pub fn reset_kill_switch(&mut self) {
        self.kill_switch = KillSwitchState::default();
    }

    /// Restores a persisted switch after a restart.
    pub fn restore_kill_switch(&mut self, state: KillSwitchState) {
        self.kill_switch = state;
    }

    /// True when the daily loss limit halted trading and the kill switch has not been fired for it:
    /// the service should fire it.
    pub fn needs_kill_switch(&self) -> bool {
        self.halted().is_some() && !self.kill_switch.active && !self.halt_acknowledged
    }

    /// Counts intents approved before a restart (their times, any order) in the orders-per-minute
    /// window, so a restart does not open a fresh minute's allowance.
    pub fn restore_approvals(&mut self, mut times: Vec<u64>) {
        times.sort_unstable();
        for t in times {
            self.tick(t);
            self.window.push(t);
        }
    }

    /// Starts a trading day: realised P&L, charges, the order window and the halt are cleared.
    /// Positions, working reservations, marks and the kill switch stay.
    pub fn new_day(&mut self) {
        self.realised = 0.0;
        self.charges = 0.0;
        self.window.clear();
        self.halt = None;
        self.halt_acknowledged = false;
        self.latch_halt();
    }

    fn tick(&mut self, now_ms: u64) -> u64 {
        self.clock = self.clock.max(now_ms);
        self.clock
    }

    fn unrealised(&self) -> f64 {
        self.books
            .iter()
            .map(|((instrument, _), b)| b.unrealised(self.mark(instrument, b)))
            .sum()
    }

    fn breach(&self) -> Option<String> {
        let day = self.realised + self.unrealised() - self.charges;
        (day <= -self.limits.daily_loss_limit).then(|| {
            format!(
                "daily loss limit breached: day P&L {day:.2} ≤ −{:.2}",
                self.limits.daily_loss_limit
            )
        })
    }

    fn latch_halt(&mut self) {
        if self.halt.is_none() {
            self.halt = self.breach();
        }
    }
}

fn check_price(what: &'static str, instrument: &str, value: f64) -> Result<(), RiskError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(RiskError::BadPrice {
            what,
            instrument: instrument.into(),
            value,
        })
    }
}
