"""TA-Lib's own speed on the indicators bench's input, for BENCHMARKS.md's comparison.

Same series as benches/indicators.rs (10 M bars, xorshift random walk), EMA(20) and RSI(14)
through TA-Lib's Python wrapper (the C library does the work; the wrapper adds one output
allocation per call). Prints the best of 7 runs in ns/bar.

    python3 crates/quant/benches/talib_speed.py
"""

import time

import numpy as np
import talib

BARS = 10_000_000


def series(n):
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    out = np.empty(n)
    price = 1000.0
    for i in range(n):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        u = (state >> 11) / float(1 << 53) - 0.5
        price *= 1.0 + 0.002 * u
        out[i] = price
    return out


def best(f, runs=7):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times) * 1e9 / BARS


if __name__ == "__main__":
    closes = series(BARS)
    print(f"TA-Lib {talib.__version__}")
    print(f"EMA(20): {best(lambda: talib.EMA(closes, 20)):.2f} ns/bar")
    print(f"RSI(14): {best(lambda: talib.RSI(closes, 14)):.2f} ns/bar")
