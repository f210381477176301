"""Reference results from backtesting.py 0.6.6 for crates/engine/tests/backtest_reference.rs.

Runs the package's documentation example, SmaCross(10, 20) on its bundled GOOG.csv, with
cash=10_000, commission=0.002, exclusive_orders=True, and writes every numeric statistic
(stats.json), the trade list (trades.csv) and the equity curve (equity.csv) next to the
committed copy of GOOG.csv; then the same with finalize_trades=True (the last open trade closed
at the last bar's open) into stats_finalized.json, trades_finalized.csv, equity_finalized.csv.

    python3 -m venv /tmp/btenv && /tmp/btenv/bin/pip install backtesting==0.6.6
    /tmp/btenv/bin/python scripts/backtest_reference/make_reference.py

With exclusive_orders=True the example's `self.position.close()` is redundant: `buy()`/`sell()`
cancel pending orders and close every open trade themselves (checked: without it, the same stats
and trades to the last digit). It is kept to mirror the example.
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd

import backtesting
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'crates', 'engine', 'tests',
                   'fixtures', 'backtest')


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        close = self.data.Close
        self.sma1 = self.I(SMA, close, self.n1)
        self.sma2 = self.I(SMA, close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def near_ties(close, n1, n2):
    """Bars where the two averages are so close that summation order could flip a crossover."""
    s1 = pd.Series(close).rolling(n1).mean().values
    s2 = pd.Series(close).rolling(n2).mean().values
    d = np.abs(s1 - s2)
    return [int(i) for i in np.nonzero(d < 1e-9 * np.abs(s2))[0]]


def main():
    assert backtesting.__version__ == '0.6.6', backtesting.__version__
    ties = near_ties(GOOG.Close.values, 10, 20)
    if ties:
        sys.exit(f'near-equal averages at bars {ties}: the reference would be fragile')
    for suffix, finalize in (('', False), ('_finalized', True)):
        bt = Backtest(GOOG, SmaCross, cash=10_000, commission=.002, exclusive_orders=True,
                      finalize_trades=finalize)
        write(bt.run(), suffix)


def write(stats, suffix):

    out = {'backtesting_version': backtesting.__version__, 'bars': len(GOOG)}
    for key, value in stats.items():
        if key.startswith('_'):
            continue
        if isinstance(value, pd.Timedelta):
            out[key + ' (days)'] = value / pd.Timedelta(days=1)
        elif isinstance(value, pd.Timestamp):
            out[key] = value.isoformat()
        elif isinstance(value, (int, float, np.integer, np.floating)):
            v = float(value)
            out[key] = None if math.isnan(v) else v
    with open(os.path.join(OUT, f'stats{suffix}.json'), 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')

    trades = stats['_trades'][['Size', 'EntryBar', 'ExitBar', 'EntryPrice', 'ExitPrice', 'PnL',
                               'Commission', 'ReturnPct', 'EntryTime', 'ExitTime']]
    trades.to_csv(os.path.join(OUT, f'trades{suffix}.csv'), index=False, float_format='%.17g',
                  date_format='%Y-%m-%d')
    equity = stats['_equity_curve'][['Equity', 'DrawdownPct']]
    equity.to_csv(os.path.join(OUT, f'equity{suffix}.csv'), index_label='date', float_format='%.17g',
                  date_format='%Y-%m-%d')
    print(stats)


if __name__ == '__main__':
    main()
