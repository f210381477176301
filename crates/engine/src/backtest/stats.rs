//! backtesting.py 0.6.6's `compute_stats`, formula for formula (risk-free rate 0).
//!
//! With equity `E₀…E_{n−1}` and `D = 1 − E / cummax(E)`:
//! * **Return** `(E_{n−1} − E₀) / E₀`; **buy & hold** `(C_{n−1} − C_w) / C_w`, `w` the strategy's
//!   warm-up bar.
//! * **Period returns** `r`: equity's last value per calendar day (per week/month/year for
//!   weekly/monthly/yearly bars), then `pct_change`. The data period is the median gap of the last
//!   100 bars; `A` periods per year: 252 for daily data on weekdays, 365 with weekends, 52
//!   weekly, 12 monthly, 1 yearly.
//! * **Geometric mean** `g = exp(Σ ln(1 + r) / N) − 1` (0 if some `1 + r ≤ 0`).
//! * **Return (ann.)** `R = (1 + g)^A − 1`.
//! * **Volatility (ann.)** `σ = √((var₁(r) + (1 + g)²)^A − (1 + g)^{2A})` (`var₁`: sample
//!   variance, ddof 1).
//! * **Sharpe** `R / σ`; **Sortino** `R / (√mean(min(r, 0)²) · √A)`; **Calmar** `R / |max DD|`.
//! * **CAGR** `(E_{n−1} / E₀)^{1/y} − 1`, `y` = (last − first bar time) in days / 365.25.
//! * **Max drawdown** `−max D`; drawdown episodes run between consecutive bars where `D = 0` (and
//!   to the last bar); their durations (time and bars) and peaks give max/avg duration and avg DD.
//! * **Exposure**: share of bars from some closed trade's entry bar to its exit bar, inclusive.
//! * **Trades**: win rate `share(pnl > 0)`; profit factor `Σ r⁺ / |Σ r⁻|` over trade *returns*;
//!   avg trade = geometric mean of returns; expectancy = arithmetic mean; SQN `√n · mean(pnl) /
//!   sd₁(pnl)`; Kelly `w − (1 − w) / (mean(pnl⁺) / mean(−pnl⁻))`.
//! * **Beta** `cov(ln E_t/E_{t−1}, ln C_t/C_{t−1}) / var(ln C_t/C_{t−1})`; **alpha**
//!   `Return − β · Buy&Hold`.
//!
//! Undefined values (no trades, zero denominators) are `NaN`, serialised as `null`. Durations are
//! rounded up to the data's resolution (whole days for daily bars), as backtesting.py does.

use super::Trade;
use chrono::Datelike;
use quant::bar::IST_OFFSET_SECS;
use quant::Bar;
use serde::{Deserialize, Serialize};

/// Every statistic backtesting.py reports, in its order. Percentages are in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub bars: usize,
    pub start: chrono::NaiveDateTime,
    pub end: chrono::NaiveDateTime,
    pub duration_days: f64,
    pub exposure_time_pct: f64,
    pub equity_final: f64,
    pub equity_peak: f64,
    pub commissions: f64,
    pub total_return_pct: f64,
    pub buy_hold_return_pct: f64,
    pub return_ann_pct: f64,
    pub volatility_ann_pct: f64,
    pub cagr_pct: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub calmar: f64,
    pub alpha_pct: f64,
    pub beta: f64,
    /// Negative or zero, as backtesting.py prints it.
    pub max_drawdown_pct: f64,
    pub avg_drawdown_pct: f64,
    pub max_drawdown_duration_days: f64,
    pub max_drawdown_duration_bars: f64,
    pub avg_drawdown_duration_days: f64,
    pub trades: usize,
    pub win_rate_pct: f64,
    pub best_trade_pct: f64,
    pub worst_trade_pct: f64,
    pub avg_trade_pct: f64,
    pub max_trade_duration_days: f64,
    pub avg_trade_duration_days: f64,
    pub profit_factor: f64,
    pub expectancy_pct: f64,
    pub sqn: f64,
    pub kelly: f64,
    /// Periods per year used to annualise (252, 365, 52, 12 or 1).
    pub annual_periods: f64,
}

const DAY: i64 = 86_400;

/// `returns.fillna(0) + 1`, 0 if any factor ≤ 0, else `exp(mean(log)) − 1`.
fn geometric_mean(returns: &[f64]) -> f64 {
    let mut sum = 0.0;
    for &r in returns {
        let f = if r.is_nan() { 1.0 } else { r + 1.0 };
        if f <= 0.0 {
            return 0.0;
        }
        sum += f.ln();
    }
    if returns.is_empty() {
        return f64::NAN;
    }
    (sum / returns.len() as f64).exp() - 1.0
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (ddof 1); NaN below two values.
fn var1(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64
}

fn nan_if_zero(x: f64) -> f64 {
    if x == 0.0 {
        f64::NAN
    } else {
        x
    }
}

fn max_of(xs: impl Iterator<Item = f64>) -> f64 {
    xs.fold(f64::NAN, |m, x| if m.is_nan() || x > m { x } else { m })
}

fn min_of(xs: impl Iterator<Item = f64>) -> f64 {
    xs.fold(f64::NAN, |m, x| if m.is_nan() || x < m { x } else { m })
}

/// pandas' median of the gaps between the last 100 timestamps, in seconds.
fn data_period(ts: &[i64]) -> f64 {
    let tail = &ts[ts.len().saturating_sub(100)..];
    let mut gaps: Vec<i64> = tail.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return f64::NAN;
    }
    gaps.sort_unstable();
    let n = gaps.len();
    if n % 2 == 1 {
        gaps[n / 2] as f64
    } else {
        (gaps[n / 2 - 1] as f64 + gaps[n / 2] as f64) / 2.0
    }
}

/// IST calendar day number.
fn day(ts: i64) -> i64 {
    (ts + IST_OFFSET_SECS).div_euclid(DAY)
}

/// The resample bin of a bar: calendar day, week ending Sunday, month or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    Day,
    Week,
    Month,
    Year,
}

impl Bin {
    fn key(self, ts: i64) -> i64 {
        let d = day(ts);
        match self {
            Self::Day => d,
            // 1970-01-01 was a Thursday: +3 puts Monday at a multiple of 7.
            Self::Week => (d + 3).div_euclid(7),
            Self::Month | Self::Year => {
                let date = super::ist(ts).date();
                if self == Self::Month {
                    date.year() as i64 * 12 + date.month0() as i64
                } else {
                    date.year() as i64
                }
            }
        }
    }
}

/// Running sums for the covariance of two series: beta without keeping the series. Log returns
/// have means far below their spread, so the textbook `Σxy − ΣxΣy/n` loses only a few digits
/// (checked against the two-pass formula), and independent sums keep the loop free of divisions.
#[derive(Default)]
struct CoMoments {
    n: f64,
    sx: f64,
    sy: f64,
    sxy: f64,
    syy: f64,
}

impl CoMoments {
    #[inline(always)]
    fn push(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        self.sxy += x * y;
        self.syy += y * y;
    }

    /// `cov(x, y) / var(y)`; NaN below two pairs (numpy's `np.cov` needs two).
    fn beta(&self) -> f64 {
        if self.n > 1.0 {
            (self.sxy - self.sx * self.sy / self.n) / (self.syy - self.sy * self.sy / self.n)
        } else {
            f64::NAN
        }
    }
}

/// Bars covered by the union of the trades' `[entry_bar, exit_bar]` ranges.
fn bars_in_market(trades: &[Trade], n: usize) -> usize {
    let mut spans: Vec<(usize, usize)> = trades
        .iter()
        .map(|t| (t.entry_bar.min(n - 1), t.exit_bar.min(n - 1)))
        .collect();
    spans.sort_unstable();
    let (mut covered, mut end) = (0, None::<usize>);
    for (a, b) in spans {
        let start = match end {
            Some(e) if a <= e => e + 1,
            _ => a,
        };
        if b >= start {
            covered += b - start + 1;
        }
        end = Some(end.map_or(b, |e| e.max(b)));
    }
    covered
}

impl Stats {
    /// Statistics of a finished run (a [`super::Report`]'s equity and trades over its bars);
    /// `warmup` is the strategy's first bar with every indicator. One pass over the bars and
    /// O(days + trades) memory, so 10 M-bar runs stay cheap. Empty input gives `None`.
    pub fn compute(bars: &[Bar], equity: &[f64], trades: &[Trade], warmup: usize) -> Option<Self> {
        if equity.is_empty() || bars.is_empty() {
            return None;
        }
        Some(Self::compute_nonempty(bars, equity, trades, warmup))
    }

    fn compute_nonempty(bars: &[Bar], equity: &[f64], trades: &[Trade], warmup: usize) -> Self {
        let n = equity.len().min(bars.len());
        let bars = &bars[..n];
        let equity = &equity[..n];
        let ts0 = bars[0].ts;
        let ts_last = bars[n - 1].ts;
        let e0 = equity[0];
        let e_last = equity[n - 1];

        let period = {
            let tail: Vec<i64> = bars[n.saturating_sub(100)..].iter().map(|b| b.ts).collect();
            data_period(&tail)
        };
        let freq_days = (period / DAY as f64).floor() as i64;
        let bin = match freq_days {
            7 => Bin::Week,
            31 => Bin::Month,
            365 => Bin::Year,
            _ => Bin::Day,
        };

        // One pass: drawdown episodes (between consecutive bars at a new high, and to the last
        // bar), the equity peak, weekend share, the last equity of each period, log returns.
        let mut peak = f64::NEG_INFINITY;
        let mut max_dd_frac = f64::NAN;
        let (mut dur_secs, mut dur_bars, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
        let mut last_mark: Option<usize> = None;
        let mut episode_max = f64::NAN;
        let mut weekend_bars = 0usize;
        let mut last_per_bin: Vec<f64> = Vec::new();
        let mut last_key = None;
        let mut co = CoMoments::default();
        for i in 0..n {
            let (e, bar) = (equity[i], &bars[i]);
            peak = peak.max(e);
            let dd = 1.0 - e / peak;
            max_dd_frac = if max_dd_frac.is_nan() || dd > max_dd_frac {
                dd
            } else {
                max_dd_frac
            };
            episode_max = if episode_max.is_nan() || dd > episode_max {
                dd
            } else {
                episode_max
            };
            if dd == 0.0 || i == n - 1 {
                if let Some(prev) = last_mark {
                    if i > prev + 1 {
                        dur_secs.push((bar.ts - bars[prev].ts) as f64);
                        dur_bars.push((i - prev) as f64);
                        peaks.push(episode_max);
                    }
                }
                last_mark = Some(i);
                episode_max = dd;
            }
            if (day(bar.ts) + 3).rem_euclid(7) >= 5 {
                weekend_bars += 1;
            }
            let k = bin.key(bar.ts);
            if last_key == Some(k) {
                *last_per_bin.last_mut().expect("a bin is open") = e;
            } else {
                last_per_bin.push(e);
                last_key = Some(k);
            }
            if i > 0 {
                let prev_e = equity[i - 1];
                let x = if e == prev_e && e > 0.0 {
                    0.0
                } else {
                    (e / prev_e).ln()
                };
                co.push(x, (bar.close / bars[i - 1].close).ln());
            }
        }
        let max_dd = -(if max_dd_frac.is_nan() {
            0.0
        } else {
            max_dd_frac
        });
        let beta = co.beta();

        let resolution = [DAY, 3600, 60, 1]
            .into_iter()
            .find(|&u| period.is_finite() && period as i64 % u == 0)
            .unwrap_or(1) as f64;
        let round = |secs: f64| {
            if secs.is_nan() {
                f64::NAN
            } else {
                (secs / resolution).ceil() * resolution / DAY as f64
            }
        };

        let exposure = bars_in_market(trades, n) as f64 / n as f64 * 100.0;
        let first = warmup.min(n - 1);
        let c_first = bars[first].close;
        let buy_hold = (bars[n - 1].close - c_first) / c_first * 100.0;
        let total_return = (e_last - e0) / e0 * 100.0;

        // Period returns, annualisation.
        let annual = match bin {
            Bin::Week => 52.0,
            Bin::Month => 12.0,
            Bin::Year => 1.0,
            Bin::Day if weekend_bars as f64 / n as f64 > 2.0 / 7.0 * 0.6 => 365.0,
            Bin::Day => 252.0,
        };
        let day_returns: Vec<f64> = last_per_bin.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let g = geometric_mean(&day_returns);
        let ann_return = (1.0 + g).powf(annual) - 1.0;
        let volatility = ((var1(&day_returns) + (1.0 + g) * (1.0 + g)).powf(annual)
            - (1.0 + g).powf(2.0 * annual))
        .sqrt();
        let duration_days = (ts_last - ts0) as f64 / DAY as f64;
        let years = duration_days / 365.25;
        let cagr = if years != 0.0 {
            ((e_last / e0).powf(1.0 / years) - 1.0) * 100.0
        } else {
            f64::NAN
        };
        let downside = mean(
            &day_returns
                .iter()
                .map(|r| r.min(0.0) * r.min(0.0))
                .collect::<Vec<_>>(),
        );
        let sortino = ann_return / (downside.sqrt() * annual.sqrt());

        // Trades.
        let pl: Vec<f64> = trades.iter().map(|t| t.pnl).collect();
        let rets: Vec<f64> = trades.iter().map(|t| t.ret).collect();
        let n_trades = trades.len();
        let win_rate = if n_trades == 0 {
            f64::NAN
        } else {
            pl.iter().filter(|&&p| p > 0.0).count() as f64 / n_trades as f64
        };
        let gains: f64 = rets.iter().filter(|&&r| r > 0.0).sum();
        let losses: f64 = rets.iter().filter(|&&r| r < 0.0).sum();
        let trade_secs: Vec<f64> = trades
            .iter()
            .map(|t| (t.exit_ts - t.entry_ts) as f64)
            .collect();
        let wins: Vec<f64> = pl.iter().copied().filter(|&p| p > 0.0).collect();
        let lost: Vec<f64> = pl.iter().copied().filter(|&p| p < 0.0).collect();

        Stats {
            bars: n,
            start: super::ist(ts0),
            end: super::ist(ts_last),
            duration_days,
            exposure_time_pct: exposure,
            equity_final: e_last,
            equity_peak: peak,
            commissions: trades.iter().map(|t| t.commission).sum(),
            total_return_pct: total_return,
            buy_hold_return_pct: buy_hold,
            return_ann_pct: ann_return * 100.0,
            volatility_ann_pct: volatility * 100.0,
            cagr_pct: cagr,
            sharpe: ann_return * 100.0 / nan_if_zero(volatility * 100.0),
            sortino,
            calmar: ann_return / nan_if_zero(-max_dd),
            alpha_pct: total_return - beta * buy_hold,
            beta,
            max_drawdown_pct: max_dd * 100.0,
            avg_drawdown_pct: -mean(&peaks) * 100.0,
            max_drawdown_duration_days: round(max_of(dur_secs.iter().copied())),
            max_drawdown_duration_bars: max_of(dur_bars.iter().copied()),
            avg_drawdown_duration_days: round(mean(&dur_secs)),
            trades: n_trades,
            win_rate_pct: win_rate * 100.0,
            best_trade_pct: max_of(rets.iter().copied()) * 100.0,
            worst_trade_pct: min_of(rets.iter().copied()) * 100.0,
            avg_trade_pct: geometric_mean(&rets) * 100.0,
            max_trade_duration_days: round(max_of(trade_secs.iter().copied())),
            avg_trade_duration_days: round(mean(&trade_secs)),
            profit_factor: gains / nan_if_zero(losses.abs()),
            expectancy_pct: mean(&rets) * 100.0,
            sqn: (n_trades as f64).sqrt() * mean(&pl) / nan_if_zero(var1(&pl).sqrt()),
            kelly: win_rate - (1.0 - win_rate) / (mean(&wins) / -mean(&lost)),
            annual_periods: annual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_counts_shared_endpoints_once() {
        let t = |a, b| Trade::new(1, a, b, 0, 0, 1.0, 1.0, 0.0, 0.0, 0.0);
        // Reversals share a bar: [2,5] and [5,7] cover 2..=7, six bars.
        assert_eq!(bars_in_market(&[t(2, 5), t(5, 7)], 10), 6);
        assert_eq!(bars_in_market(&[t(0, 0), t(3, 4), t(8, 9)], 10), 5);
        assert_eq!(bars_in_market(&[], 10), 0);
    }

    #[test]
    fn running_sum_beta_equals_the_two_pass_formula() {
        let xs = [0.01, -0.02, 0.005, 0.0, 0.03, -0.01];
        let ys = [0.02, -0.01, 0.0, 0.004, 0.02, -0.03];
        let mut co = CoMoments::default();
        for (x, y) in xs.iter().zip(&ys) {
            co.push(*x, *y);
        }
        let (mx, my) = (mean(&xs), mean(&ys));
        let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let var: f64 = ys.iter().map(|y| (y - my) * (y - my)).sum();
        let two_pass = cov / var;
        assert!(
            ((co.beta() - two_pass) / two_pass).abs() < 1e-12,
            "{} {two_pass}",
            co.beta()
        );
    }

    #[test]
    fn geometric_mean_is_zero_after_a_total_loss() {
        assert_eq!(geometric_mean(&[0.1, -1.0]), 0.0);
        assert!((geometric_mean(&[0.1, 0.1]) - 0.1).abs() < 1e-15);
        assert!(geometric_mean(&[]).is_nan());
    }
}
