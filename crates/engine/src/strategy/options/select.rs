//! Choosing each structure's strikes from a chain, and pricing the result.
//!
//! Distances are counted in the chain's strike step from its ATM strike and must land on a listed
//! strike: a missing strike is an error rather than a silent neighbour, because a different strike
//! is a different risk. By delta, the strike whose |delta| is nearest the target wins, ties going
//! further out of the money (less premium, but less risk).

use super::params::{BasketRules, BearPutParams, BullCallParams, Select, SpreadParams};
use super::{
    Basket, BasketLeg, IronCondorParams, OptionError, OptionType, StraddleParams, StrangleParams,
};
use crate::strategy::params::Params;
use crate::strategy::StrategyError;
use model::broker::TransactionType::{self, Buy, Sell};
use model::options::{ChainLeg, OptionChain};

/// Two |delta| distances closer than this are a tie (deltas are computed, not exact).
const DELTA_TIE: f64 = 1e-9;

/// A structure's parameters: its basket rules and how it picks legs.
pub trait OptionStructure: Params {
    fn rules(&self) -> &BasketRules;

    /// The basket this structure would enter on `chain` now.
    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError>;
}

/// The basket `params` would enter on `chain`.
pub fn select_legs<P: OptionStructure>(
    params: &P,
    chain: &OptionChain,
) -> Result<Basket, StrategyError> {
    params.select_legs(chain)
}

/// A chain seen as a ladder of strikes.
struct Ladder<'a> {
    chain: &'a OptionChain,
    step: f64,
    atm: f64,
}

/// Strikes are exchange prices (multiples of 0.05): whole paise compare exactly.
fn paise(strike: f64) -> i64 {
    (strike * 100.0).round() as i64
}

impl<'a> Ladder<'a> {
    fn new(chain: &'a OptionChain) -> Result<Self, OptionError> {
        let mut strikes: Vec<f64> = chain
            .rows
            .iter()
            .map(|r| r.strike)
            .filter(|s| s.is_finite())
            .collect();
        if strikes.is_empty() {
            return Err(OptionError::EmptyChain);
        }
        strikes.sort_by(f64::total_cmp);
        // The smallest gap is the listing's step; wider gaps are strikes missing from the chain.
        let step = strikes
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0.0)
            .min_by(f64::total_cmp)
            .ok_or(OptionError::NoStrikeStep)?;
        let atm = match chain.atm_strike {
            Some(atm) if atm.is_finite() => atm,
            // Nearest the spot, ties to the lower strike (as the chain builder does).
            _ => strikes
                .iter()
                .copied()
                .min_by(|a, b| (a - chain.spot).abs().total_cmp(&(b - chain.spot).abs()))
                .ok_or(OptionError::EmptyChain)?,
        };
        Ok(Self { chain, step, atm })
    }

    /// `steps` strike steps from `strike` (negative: lower).
    fn offset(&self, strike: f64, steps: i64) -> f64 {
        strike + steps as f64 * self.step
    }

    fn find(&self, strike: f64, option: OptionType) -> Option<&'a ChainLeg> {
        let row = self
            .chain
            .rows
            .iter()
            .find(|r| paise(r.strike) == paise(strike))?;
        match option {
            OptionType::Ce => row.call.as_ref(),
            OptionType::Pe => row.put.as_ref(),
        }
    }

    /// The option at `strike`, ready to trade on `side`.
    fn leg(
        &self,
        strike: f64,
        option: OptionType,
        side: TransactionType,
        lots: u32,
    ) -> Result<BasketLeg, OptionError> {
        let leg = self
            .find(strike, option)
            .ok_or(OptionError::MissingLeg { strike, option })?;
        if !(leg.ltp.is_finite() && leg.ltp > 0.0) {
            return Err(OptionError::NoPrice {
                tradingsymbol: leg.tradingsymbol.clone(),
                ltp: leg.ltp,
            });
        }
        if leg.lot_size == 0 {
            return Err(OptionError::NoLotSize {
                tradingsymbol: leg.tradingsymbol.clone(),
            });
        }
        Ok(BasketLeg {
            exchange: self.chain.exchange,
            tradingsymbol: leg.tradingsymbol.clone(),
            instrument_token: leg.token,
            strike,
            option_type: option,
            side,
            lots,
            lot_size: leg.lot_size,
            ltp: leg.ltp,
        })
    }

    /// The strike whose |delta| is nearest `target` among legs with a price and greeks; ties go
    /// further out of the money (higher calls, lower puts).
    fn by_delta(&self, option: OptionType, target: f64) -> Result<f64, OptionError> {
        let mut best: Option<(f64, f64)> = None; // (strike, |delta| distance)
        for row in &self.chain.rows {
            let leg = match option {
                OptionType::Ce => row.call.as_ref(),
                OptionType::Pe => row.put.as_ref(),
            };
            let Some(delta) = leg
                .filter(|l| l.ltp.is_finite() && l.ltp > 0.0)
                .and_then(|l| l.greeks)
                .map(|g| g.delta)
                .filter(|d| d.is_finite())
            else {
                continue;
            };
            let dist = (delta.abs() - target).abs();
            let further_out = |than: f64| match option {
                OptionType::Ce => row.strike > than,
                OptionType::Pe => row.strike < than,
            };
            best = match best {
                Some((s, d)) if d < dist - DELTA_TIE => Some((s, d)),
                Some((s, d)) if (d - dist).abs() <= DELTA_TIE && !further_out(s) => Some((s, d)),
                _ => Some((row.strike, dist)),
            };
        }
        best.map(|(s, _)| s)
            .ok_or(OptionError::NoDelta { option, target })
    }
}

fn unbuildable(structure: &'static str, reason: String) -> StrategyError {
    OptionError::Unbuildable { structure, reason }.into()
}

/// Prices the legs (bought first) into a basket with the given bounds.
fn basket(
    structure: &'static str,
    chain: &OptionChain,
    mut legs: Vec<BasketLeg>,
    bounds: impl FnOnce(f64) -> (Option<f64>, Option<f64>),
) -> Basket {
    legs.sort_by_key(|l| l.side == Sell);
    let net_premium = legs.iter().map(|l| l.premium_sign() * l.ltp).sum();
    let (max_profit, max_loss) = bounds(net_premium);
    Basket {
        structure: structure.to_string(),
        underlying: chain.underlying,
        expiry: chain.expiry.clone(),
        legs,
        net_premium,
        max_profit,
        max_loss,
    }
}

fn side(short: bool) -> TransactionType {
    if short {
        Sell
    } else {
        Buy
    }
}

/// A sold or bought pair with unlimited risk on one side: premium received is the most a seller
/// makes, premium paid the most a buyer loses.
fn naked_bounds(short: bool) -> impl FnOnce(f64) -> (Option<f64>, Option<f64>) {
    move |net| {
        if short {
            (Some(net), None)
        } else {
            (None, Some(-net))
        }
    }
}

impl OptionStructure for IronCondorParams {
    fn rules(&self) -> &BasketRules {
        &self.rules
    }

    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        let name = Self::STRATEGY;
        let ladder = Ladder::new(chain)?;
        let (short_put, short_call) = match self.select {
            Select::Distance => {
                let d = i64::from(self.short_distance);
                (ladder.offset(ladder.atm, -d), ladder.offset(ladder.atm, d))
            }
            Select::Delta => (
                ladder.by_delta(OptionType::Pe, self.delta)?,
                ladder.by_delta(OptionType::Ce, self.delta)?,
            ),
        };
        if short_put >= short_call {
            return Err(unbuildable(
                name,
                format!("short put {short_put} is not below short call {short_call}"),
            ));
        }
        let w = i64::from(self.wing_width);
        let (long_put, long_call) = (ladder.offset(short_put, -w), ladder.offset(short_call, w));
        let lots = self.rules.lots;
        let legs = vec![
            ladder.leg(long_put, OptionType::Pe, Buy, lots)?,
            ladder.leg(short_put, OptionType::Pe, Sell, lots)?,
            ladder.leg(short_call, OptionType::Ce, Sell, lots)?,
            ladder.leg(long_call, OptionType::Ce, Buy, lots)?,
        ];
        // At expiry the loss is capped by the wider wing less the credit kept.
        let widest = (short_put - long_put).max(long_call - short_call);
        let b = basket(name, chain, legs, |net| (Some(net), Some(widest - net)));
        if !(b.net_premium > 0.0 && b.net_premium < widest) {
            return Err(unbuildable(
                name,
                format!(
                    "quotes give a net premium of {:.2}, outside (0, {widest}): not a credit \
                     condor",
                    b.net_premium
                ),
            ));
        }
        Ok(b)
    }
}

impl OptionStructure for StraddleParams {
    fn rules(&self) -> &BasketRules {
        &self.rules
    }

    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        let ladder = Ladder::new(chain)?;
        let (side, lots) = (side(self.short), self.rules.lots);
        let legs = vec![
            ladder.leg(ladder.atm, OptionType::Ce, side, lots)?,
            ladder.leg(ladder.atm, OptionType::Pe, side, lots)?,
        ];
        Ok(basket(
            Self::STRATEGY,
            chain,
            legs,
            naked_bounds(self.short),
        ))
    }
}

impl OptionStructure for StrangleParams {
    fn rules(&self) -> &BasketRules {
        &self.rules
    }

    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        let ladder = Ladder::new(chain)?;
        let (put, call) = match self.select {
            Select::Distance => {
                let d = i64::from(self.distance);
                (ladder.offset(ladder.atm, -d), ladder.offset(ladder.atm, d))
            }
            Select::Delta => (
                ladder.by_delta(OptionType::Pe, self.delta)?,
                ladder.by_delta(OptionType::Ce, self.delta)?,
            ),
        };
        if put >= call {
            return Err(unbuildable(
                Self::STRATEGY,
                format!("put strike {put} is not below call strike {call}"),
            ));
        }
        let (side, lots) = (side(self.short), self.rules.lots);
        let legs = vec![
            ladder.leg(put, OptionType::Pe, side, lots)?,
            ladder.leg(call, OptionType::Ce, side, lots)?,
        ];
        Ok(basket(
            Self::STRATEGY,
            chain,
            legs,
            naked_bounds(self.short),
        ))
    }
}

/// A vertical debit spread of `option`s: the bought strike nearer the money, the sold one `width`
/// steps further out in the direction `out` (+1 for calls, −1 for puts).
fn debit_spread(
    structure: &'static str,
    p: &SpreadParams,
    chain: &OptionChain,
    option: OptionType,
    out: i64,
) -> Result<Basket, StrategyError> {
    let ladder = Ladder::new(chain)?;
    let w = i64::from(p.width);
    let (long, short) = match p.select {
        Select::Distance => (ladder.atm, ladder.offset(ladder.atm, out * w)),
        Select::Delta => {
            let short = ladder.by_delta(option, p.delta)?;
            (ladder.offset(short, -out * w), short)
        }
    };
    let width = (short - long).abs();
    let legs = vec![
        ladder.leg(long, option, Buy, p.rules.lots)?,
        ladder.leg(short, option, Sell, p.rules.lots)?,
    ];
    // Paid the debit; at best the spread is worth its width.
    let b = basket(structure, chain, legs, |net| {
        (Some(width + net), Some(-net))
    });
    let debit = -b.net_premium;
    if !(debit > 0.0 && debit < width) {
        return Err(unbuildable(
            structure,
            format!("quotes give a debit of {debit:.2}, outside (0, {width}): not a debit spread"),
        ));
    }
    Ok(b)
}

impl OptionStructure for BullCallParams {
    fn rules(&self) -> &BasketRules {
        &self.0.rules
    }

    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        debit_spread(Self::STRATEGY, &self.0, chain, OptionType::Ce, 1)
    }
}

impl OptionStructure for BearPutParams {
    fn rules(&self) -> &BasketRules {
        &self.0.rules
    }

    fn select_legs(&self, chain: &OptionChain) -> Result<Basket, StrategyError> {
        debit_spread(Self::STRATEGY, &self.0, chain, OptionType::Pe, -1)
    }
}
