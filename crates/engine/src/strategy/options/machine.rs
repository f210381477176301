//! The option strategy's day: flat, entering, in a position, exiting, done.
//!
//! It decides and the engine acts: [`OptionStrategy::on_chain`] returns what to do on a fresh chain,
//! and the engine reports the outcome (`on_entered` with the fill prices, `on_exited`, or a failure)
//! before the strategy asks for anything else. One basket a day: once exited it stays done until a
//! chain of a later IST date arrives.

use super::{Basket, OptionError, OptionSpec};
use crate::strategy::StrategyError;
use chrono::{DateTime, NaiveDate, NaiveTime};
use model::options::OptionChain;
use serde::{Deserialize, Serialize};

/// Why a basket is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// P&L reached `target_pct` of the entry premium.
    Target,
    /// Loss reached `stop_pct` of the entry premium.
    Stop,
    /// `exit_at` came.
    Time,
}

impl ExitReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::Stop => "stop",
            Self::Time => "time",
        }
    }
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the engine should do now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OptionAction {
    /// Place these legs as one basket, then call `on_entered` (or `on_entry_failed`).
    Enter(Basket),
    /// Close the open basket ([`Basket::closing_legs`]), then call `on_exited` (or
    /// `on_exit_failed`). `pnl` is per unit at the chain's LTPs, when every leg had one.
    Exit {
        reason: ExitReason,
        pnl: Option<f64>,
    },
}

/// An entered basket and what it was entered at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub basket: Basket,
    /// Average fill price of each leg, in leg order.
    pub entry_prices: Vec<f64>,
    /// Net premium per unit at those prices (> 0 received).
    pub premium: f64,
}

impl Position {
    /// P&L per unit at the chain's LTPs: what was received for sold legs less what buying them
    /// back costs, plus what bought legs sell for less what they cost. `None` if a leg has no price.
    pub fn pnl(&self, chain: &OptionChain) -> Option<f64> {
        let now: Option<Vec<f64>> = self.basket.ltps(chain).into_iter().collect();
        Some(self.premium - self.basket.premium_at(&now?))
    }

    /// P&L in rupees at the chain's LTPs.
    pub fn pnl_rupees(&self, chain: &OptionChain) -> Option<f64> {
        let now: Option<Vec<f64>> = self.basket.ltps(chain).into_iter().collect();
        let now = now?;
        Some(
            self.basket
                .legs
                .iter()
                .zip(&self.entry_prices)
                .zip(&now)
                .map(|((l, entry), ltp)| l.premium_sign() * (entry - ltp) * l.quantity() as f64)
                .sum(),
        )
    }
}

/// Where the strategy is in its day.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Flat,
    /// Asked to enter this basket; waiting for the engine.
    Entering(Basket),
    Open(Position),
    /// Asked to exit; waiting for the engine.
    Exiting(Position),
    /// Exited on this IST date: no new basket until a later date.
    Done(NaiveDate),
}

impl Phase {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Flat => "flat",
            Self::Entering(_) => "entering",
            Self::Open(_) => "open",
            Self::Exiting(_) => "exiting",
            Self::Done(_) => "done",
        }
    }
}

/// What of a structure's day survives a restart of the engine: an open basket (so it goes on
/// managing its exit instead of entering a second one) or the day it was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SavedPhase {
    Open { position: Position, day: NaiveDate },
    Done { day: NaiveDate },
}

/// One option structure trading one basket a day.
#[derive(Debug, Clone)]
pub struct OptionStrategy {
    spec: OptionSpec,
    phase: Phase,
    /// IST date of the latest chain seen.
    day: NaiveDate,
    last_error: Option<StrategyError>,
}

/// The IST calendar date of a chain's quotes.
fn ist_date(as_of_ms: u64) -> NaiveDate {
    const IST_OFFSET_SECS: i64 = 5 * 3600 + 1800;
    let secs = i64::try_from(as_of_ms / 1000).unwrap_or(i64::MAX / 2);
    DateTime::from_timestamp(secs + IST_OFFSET_SECS, 0)
        .unwrap_or_default()
        .date_naive()
}

impl OptionStrategy {
    /// A strategy for a validated spec.
    pub fn new(spec: OptionSpec) -> Result<Self, StrategyError> {
        spec.validate()?;
        Ok(Self {
            spec,
            phase: Phase::Flat,
            day: NaiveDate::default(),
            last_error: None,
        })
    }

    pub fn spec(&self) -> &OptionSpec {
        &self.spec
    }

    pub fn name(&self) -> &'static str {
        self.spec.name()
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The open (or closing) position, if any.
    pub fn position(&self) -> Option<&Position> {
        match &self.phase {
            Phase::Open(p) | Phase::Exiting(p) => Some(p),
            _ => None,
        }
    }

    /// The phase to keep across a restart, when there is one worth keeping (entering and exiting
    /// are moments; flat is the start).
    pub fn saved(&self) -> Option<SavedPhase> {
        match &self.phase {
            Phase::Open(p) | Phase::Exiting(p) => Some(SavedPhase::Open {
                position: p.clone(),
                day: self.day,
            }),
            Phase::Done(day) => Some(SavedPhase::Done { day: *day }),
            Phase::Flat | Phase::Entering(_) => None,
        }
    }

    /// Resumes a saved phase (a new strategy starts flat). A basket done on an earlier day is
    /// forgotten at the first chain of a later one, as without a restart.
    pub fn restore(&mut self, saved: SavedPhase) {
        match saved {
            SavedPhase::Open { position, day } => {
                self.phase = Phase::Open(position);
                self.day = self.day.max(day);
            }
            SavedPhase::Done { day } => {
                self.phase = Phase::Done(day);
                self.day = self.day.max(day);
            }
        }
    }

    /// Why the latest entry attempt found no basket (a missing strike, no price...), for the
    /// dashboard; cleared by the next successful selection.
    pub fn last_error(&self) -> Option<&StrategyError> {
        self.last_error.as_ref()
    }

    /// Decides on a fresh chain, `now_ist` being the time of day in IST.
    pub fn on_chain(&mut self, chain: &OptionChain, now_ist: NaiveTime) -> Option<OptionAction> {
        let day = ist_date(chain.as_of_ms);
        self.day = self.day.max(day);
        if matches!(self.phase, Phase::Done(done) if self.day > done) {
            self.phase = Phase::Flat;
        }
        let rules = *self.spec.rules();
        match &self.phase {
            Phase::Flat => {
                if now_ist < rules.entry_after.0 || now_ist >= rules.exit_at.0 {
                    return None;
                }
                match self.spec.select_legs(chain) {
                    Ok(basket) => {
                        self.last_error = None;
                        self.phase = Phase::Entering(basket.clone());
                        Some(OptionAction::Enter(basket))
                    }
                    Err(e) => {
                        self.last_error = Some(e);
                        None
                    }
                }
            }
            Phase::Open(position) => {
                let pnl = position.pnl(chain);
                let premium = position.premium.abs();
                let reason = if now_ist >= rules.exit_at.0 {
                    ExitReason::Time
                } else {
                    // A zero premium gives no scale for target and stop: only the clock exits it.
                    let pnl = pnl.filter(|_| premium > 0.0)?;
                    if pnl >= rules.target_pct / 100.0 * premium {
                        ExitReason::Target
                    } else if pnl <= -rules.stop_pct / 100.0 * premium {
                        ExitReason::Stop
                    } else {
                        return None;
                    }
                };
                self.phase = Phase::Exiting(position.clone());
                Some(OptionAction::Exit { reason, pnl })
            }
            Phase::Entering(_) | Phase::Exiting(_) | Phase::Done(_) => None,
        }
    }

    fn out_of_turn(&self, event: &'static str) -> StrategyError {
        OptionError::OutOfTurn {
            event,
            phase: self.phase.name(),
        }
        .into()
    }

    /// The basket was filled at these average prices (in leg order).
    pub fn on_entered(&mut self, fill_prices: &[f64]) -> Result<(), StrategyError> {
        let Phase::Entering(basket) = &self.phase else {
            return Err(self.out_of_turn("entry"));
        };
        if fill_prices.len() != basket.legs.len() {
            return Err(OptionError::FillCount {
                expected: basket.legs.len(),
                got: fill_prices.len(),
            }
            .into());
        }
        if let Some((leg, &price)) = fill_prices
            .iter()
            .enumerate()
            .find(|(_, p)| !(p.is_finite() && **p > 0.0))
        {
            return Err(OptionError::BadFill { leg, price }.into());
        }
        let premium = basket.premium_at(fill_prices);
        self.phase = Phase::Open(Position {
            basket: basket.clone(),
            entry_prices: fill_prices.to_vec(),
            premium,
        });
        Ok(())
    }

    /// The entry did not happen (rejected, not filled and cancelled): flat again, free to retry.
    pub fn on_entry_failed(&mut self) -> Result<(), StrategyError> {
        match self.phase {
            Phase::Entering(_) => {
                self.phase = Phase::Flat;
                Ok(())
            }
            _ => Err(self.out_of_turn("entry failure")),
        }
    }

    /// The basket is closed (after an `Exit`, or by the engine on its own, e.g. the kill switch):
    /// done for the day.
    pub fn on_exited(&mut self) -> Result<(), StrategyError> {
        match self.phase {
            Phase::Open(_) | Phase::Exiting(_) => {
                self.phase = Phase::Done(self.day);
                Ok(())
            }
            _ => Err(self.out_of_turn("exit")),
        }
    }

    /// The exit did not go through: still in the position, so the next chain decides again.
    pub fn on_exit_failed(&mut self) -> Result<(), StrategyError> {
        match std::mem::replace(&mut self.phase, Phase::Flat) {
            Phase::Exiting(p) => {
                self.phase = Phase::Open(p);
                Ok(())
            }
            other => {
                self.phase = other;
                Err(self.out_of_turn("exit failure"))
            }
        }
    }
}
