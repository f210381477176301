//! The simulated account: backtesting.py 0.6.6's `_Broker` with `exclusive_orders=True`, no
//! hedging, margin 1, market orders only, reduced to the one-trade-at-a-time case that exclusive
//! orders imply. Arithmetic is written in backtesting.py's order of operations so equity, sizes
//! and statistics agree to the last bit or nearly so.

use super::costs::{CostModel, TxSide};
use super::{BacktestConfig, Trade};
use crate::strategy::Side;
use quant::Bar;

/// backtesting.py's default order size for `buy()`/`sell()`: `1 - sys.float_info.epsilon`, read as
/// "all available margin".
const FULL_EQUITY: f64 = 1.0 - f64::EPSILON;

/// The open trade (exclusive orders allow at most one).
#[derive(Debug, Clone, Copy)]
struct Open {
    /// Units, negative when short.
    size: i64,
    entry_price: f64,
    entry_bar: usize,
}

/// Python's float `//` (CPython `float_floor_div`): `fmod`, then a snapped floor. Differs from
/// `(a / b).floor()` when the quotient rounds up across an integer, which decides a unit of size.
pub(crate) fn py_floor_div(vx: f64, wx: f64) -> f64 {
    let m = vx % wx;
    let mut div = (vx - m) / wx;
    // Python gives the remainder the divisor's sign, taking one off the quotient.
    if m != 0.0 && (wx < 0.0) != (m < 0.0) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    } else {
        0.0f64.copysign(vx / wx)
    }
}

pub(crate) struct Broker<'a> {
    bars: &'a [Bar],
    costs: CostModel,
    slippage: f64,
    cash: f64,
    open: Option<Open>,
    /// Order from the last closed bar, filled at the next bar's open.
    pending: Option<Side>,
    pub(crate) trades: Vec<Trade>,
    pub(crate) equity: Vec<f64>,
    /// Orders the broker could not fill for lack of cash.
    pub(crate) cancelled: usize,
}

impl<'a> Broker<'a> {
    pub(crate) fn new(bars: &'a [Bar], config: &BacktestConfig) -> Self {
        Self {
            bars,
            costs: config.costs,
            slippage: config.slippage,
            cash: config.cash,
            open: None,
            pending: None,
            trades: Vec::new(),
            equity: Vec::with_capacity(bars.len()),
            cancelled: 0,
        }
    }

    /// Opens bar `i`: fills the pending order at its open, then marks equity at its close.
    /// `false` once equity is gone (everything closed at this close, the rest of the curve 0),
    /// as backtesting.py stops there.
    #[inline(always)]
    pub(crate) fn step(&mut self, i: usize) -> bool {
        if let Some(side) = self.pending.take() {
            self.execute(side, i);
        }
        self.mark(i)
    }

    /// A signal on bar `i`'s close: executed at bar `i+1`'s open (never, on the last bar).
    #[inline(always)]
    pub(crate) fn signal(&mut self, side: Side) {
        self.pending = Some(side);
    }

    /// backtesting.py's `finalize_trades=True`: on the last bar, close what is open at that bar's
    /// open and fill whatever the last signal asked, then mark equity again.
    pub(crate) fn finalize(&mut self) {
        let Some(last) = self.bars.len().checked_sub(1) else {
            return;
        };
        if self.equity.len() != self.bars.len() {
            return; // stopped out of money
        }
        if let Some(t) = self.open.take() {
            self.close(t, self.bars[last].open, last);
        }
        if let Some(side) = self.pending.take() {
            self.execute(side, last);
        }
        self.equity.pop();
        self.mark(last);
    }

    fn mark(&mut self, i: usize) -> bool {
        let close = self.bars[i].close;
        let equity = self.cash + self.unrealized(close);
        if equity > 0.0 {
            self.equity.push(equity);
            return true;
        }
        if let Some(t) = self.open.take() {
            self.close(t, close, i);
        }
        self.cash = 0.0;
        self.equity.resize(self.bars.len(), 0.0);
        false
    }

    /// `last_price * position_size - sum(size * entry_price)`.
    #[inline(always)]
    fn unrealized(&self, price: f64) -> f64 {
        match self.open {
            Some(t) => price * t.size as f64 - t.size as f64 * t.entry_price,
            None => 0.0,
        }
    }

    fn execute(&mut self, side: Side, i: usize) {
        let open = self.bars[i].open;
        if let Some(t) = self.open.take() {
            self.close(t, open, i);
        }
        match side {
            Side::Exit => {}
            Side::Buy => self.enter(FULL_EQUITY, i, open),
            Side::Sell => self.enter(-FULL_EQUITY, i, open),
        }
    }

    /// A fill `price` moved against the trader by the slippage fraction (`order` > 0 buys).
    #[inline(always)]
    fn slipped(&self, order: f64, price: f64) -> f64 {
        price * (1.0 + self.slippage.copysign(order))
    }

    fn enter(&mut self, fraction: f64, i: usize, open: f64) {
        let side = if fraction > 0.0 {
            TxSide::Buy
        } else {
            TxSide::Sell
        };
        let price = self.slipped(fraction, open);
        let per_unit = price + self.costs.cost(side, fraction, price) / fraction.abs();
        // No trade is open here, so equity is cash (+ 0.0 unrealised) and margin 1 leaves it all.
        let margin_available = (self.cash + 0.0).max(0.0);
        let mut units = py_floor_div(margin_available * 1.0 * fraction.abs(), per_unit) as i64;
        if !self.costs.is_linear() {
            // Fixed or capped heads make the per-unit estimate optimistic: shed units until the
            // real charges fit.
            while units > 0
                && units as f64 * price + self.costs.cost(side, units as f64, price)
                    > margin_available
            {
                units -= 1;
            }
        }
        if units == 0 || units as f64 * per_unit > margin_available * 1.0 {
            self.cancelled += 1;
            return;
        }
        let size = if fraction > 0.0 { units } else { -units };
        self.cash -= self.costs.cost(side, size as f64, price);
        self.open = Some(Open {
            size,
            entry_price: price,
            entry_bar: i,
        });
    }

    fn close(&mut self, t: Open, raw_price: f64, i: usize) {
        let size = t.size as f64;
        let side = if t.size > 0 {
            TxSide::Sell
        } else {
            TxSide::Buy
        };
        let price = self.slipped(-size, raw_price);
        let exit_cost = self.costs.cost(side, size, price);
        let gross = size * (price - t.entry_price);
        self.cash += gross - 0.0 - exit_cost;
        let entry_side = if t.size > 0 {
            TxSide::Buy
        } else {
            TxSide::Sell
        };
        let commission = exit_cost + self.costs.cost(entry_side, size, t.entry_price);
        let ret = 1.0f64.copysign(size) * (price / t.entry_price - 1.0)
            - commission / (size.abs() * t.entry_price);
        self.trades.push(Trade::new(
            t.size,
            t.entry_bar,
            i,
            self.bars[t.entry_bar].ts,
            self.bars[i].ts,
            t.entry_price,
            price,
            gross - commission,
            ret,
            commission,
        ));
    }

    /// Units held at the end (0 if flat): backtesting.py leaves this trade out of the trade list
    /// unless trades are finalised; its value is in the final equity.
    pub(crate) fn open_size(&self) -> i64 {
        self.open.map_or(0, |t| t.size)
    }
}

#[cfg(test)]
mod tests {
    use super::py_floor_div;

    #[test]
    fn floor_div_matches_python() {
        // Values checked in CPython 3.11.
        assert_eq!(py_floor_div(7.0, 2.0), 3.0);
        assert_eq!(py_floor_div(-7.0, 2.0), -4.0);
        assert_eq!(py_floor_div(0.0, 3.0), 0.0);
        assert_eq!(py_floor_div(10_000.0 * (1.0 - f64::EPSILON), 100.2), 99.0);
        // 1 // 0.1 is 9.0 in Python although 1 / 0.1 == 10.0.
        assert_eq!(py_floor_div(1.0, 0.1), 9.0);
        assert_eq!((1.0f64 / 0.1).floor(), 10.0);
    }
}
