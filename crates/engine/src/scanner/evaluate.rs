//! The scan itself, a pure function of daily candles: Minervini's trend template, relative strength,
//! movers and triggers. No clock, no I/O, so it is tested on constructed series with known answers.
//!
//! Conventions (sessions are daily bars, the last bar is "today", possibly still live):
//! * 52 weeks = the last 252 sessions, today included, over bar highs and lows;
//! * one month = 21 sessions, one week = 5;
//! * RS score = 0.4·r63 + 0.2·r126 + 0.2·r189 + 0.2·r252, each `r` the percent return over that many
//!   sessions (IBD style, recent quarter double-weighted);
//! * RS rating = rank of the score in the universe mapped linearly onto 1-99 (lowest 1, highest 99;
//!   equal scores share the lower rank; a universe of one scores 99);
//! * a criterion whose inputs need more history than there is fails, with the reason as its value.

use model::analysis::{
    CriterionResult, Mover, Movers, ScanResults, StockScan, TemplateCriterion, Trigger, TriggerKind,
};
use model::broker::Candle;
use model::InstrumentToken;
use quant::indicators::{bollinger, rsi, sma};

pub const SESSIONS_52W: usize = 252;
pub const MONTH: usize = 21;
pub const WEEK: usize = 5;
/// Sessions a full evaluation needs: SMA200 one month back (220), 52 weeks plus the bar before
/// (253 for the breakout and the 252-session return), rounded up for safety.
pub const SESSIONS_NEEDED: usize = 260;
/// Movers listed on each side.
pub const TOP_MOVERS: usize = 5;
const BOLLINGER_PERIOD: usize = 20;
const SQUEEZE_LOOKBACK: usize = 120;
const RSI_PERIOD: usize = 14;
const VOLUME_AVG: usize = 20;

/// One stock's input: symbol, token and its daily candles, oldest first.
pub type UniverseEntry<'a> = (&'a str, InstrumentToken, &'a [Candle]);

/// Scans the universe. `scanned_at` and `elapsed_ms` are left for the caller (no clock here).
pub fn evaluate(universe: &[UniverseEntry<'_>]) -> ScanResults {
    let mut stocks: Vec<StockScan> = universe
        .iter()
        .map(|(symbol, token, candles)| stock(symbol, *token, candles))
        .collect();
    let ratings = rs_ratings(&stocks.iter().map(|s| s.rs_score).collect::<Vec<_>>());
    for (s, rating) in stocks.iter_mut().zip(ratings) {
        s.rs_rating = rating;
        let c = &mut s.template[7];
        *c = match rating {
            Some(r) => CriterionResult {
                criterion: TemplateCriterion::RsRatingAtLeast70,
                pass: r >= 70,
                value: format!("RS rating {r}"),
            },
            None => c.clone(),
        };
        s.template_pass = s.template.iter().all(|c| c.pass);
    }
    let movers = |f: fn(&StockScan) -> Option<f64>| movers(&stocks, f);
    ScanResults {
        scanned_at: String::new(),
        universe: universe.iter().map(|(s, _, _)| (*s).to_string()).collect(),
        daily: movers(|s| s.change_1d_pct),
        weekly: movers(|s| s.change_1w_pct),
        monthly: movers(|s| s.change_1m_pct),
        stocks,
        elapsed_ms: 0,
    }
}

/// Percent change over `back` sessions ending at the last close.
fn change(closes: &[f64], back: usize) -> Option<f64> {
    let n = closes.len();
    if n <= back {
        return None;
    }
    let then = closes[n - 1 - back];
    (then > 0.0).then(|| (closes[n - 1] / then - 1.0) * 100.0)
}

/// The RS score: weighted 3/6/9/12-month percent returns; `None` with less than 253 closes.
pub fn rs_score(closes: &[f64]) -> Option<f64> {
    Some(
        0.4 * change(closes, 63)?
            + 0.2 * change(closes, 126)?
            + 0.2 * change(closes, 189)?
            + 0.2 * change(closes, 252)?,
    )
}

/// Percentile ratings 1-99 of the scores present (see the module docs for the mapping).
pub fn rs_ratings(scores: &[Option<f64>]) -> Vec<Option<u8>> {
    let present: Vec<f64> = scores.iter().flatten().copied().collect();
    let n = present.len();
    scores
        .iter()
        .map(|s| {
            let s = (*s)?;
            if n <= 1 {
                return Some(99);
            }
            let below = present.iter().filter(|&&o| o < s).count();
            let r = 1.0 + 98.0 * below as f64 / (n - 1) as f64;
            Some(r.round().clamp(1.0, 99.0) as u8)
        })
        .collect()
}

fn movers(stocks: &[StockScan], f: fn(&StockScan) -> Option<f64>) -> Movers {
    let mut with: Vec<(&StockScan, f64)> = stocks
        .iter()
        .filter_map(|s| f(s).filter(|c| c.is_finite()).map(|c| (s, c)))
        .collect();
    with.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| a.0.symbol.cmp(&b.0.symbol))
    });
    let mover = |(s, c): &(&StockScan, f64)| Mover {
        symbol: s.symbol.clone(),
        close: s.close,
        change_pct: *c,
    };
    Movers {
        gainers: with
            .iter()
            .filter(|(_, c)| *c > 0.0)
            .take(TOP_MOVERS)
            .map(mover)
            .collect(),
        losers: with
            .iter()
            .rev()
            .filter(|(_, c)| *c < 0.0)
            .take(TOP_MOVERS)
            .map(mover)
            .collect(),
    }
}

/// The last value of an indicator series, and the one `back` bars earlier, if warmed up.
fn at(series: &[f64], back: usize) -> Option<f64> {
    let n = series.len();
    (n > back)
        .then(|| series[n - 1 - back])
        .filter(|v| v.is_finite())
}

fn short(criterion: TemplateCriterion, need: usize, have: usize) -> CriterionResult {
    CriterionResult {
        criterion,
        pass: false,
        value: format!("needs {need} sessions, have {have}"),
    }
}

fn stock(symbol: &str, token: InstrumentToken, candles: &[Candle]) -> StockScan {
    use TemplateCriterion as C;
    let n = candles.len();
    let closes: Vec<f64> = candles.iter().map(|c| c.close).collect();
    let close = closes.last().copied().unwrap_or(0.0);
    let series = |p: usize| sma(&closes, p).unwrap_or_default();
    let (s50, s150, s200) = (series(50), series(150), series(200));
    let (m50, m150, m200) = (at(&s50, 0), at(&s150, 0), at(&s200, 0));
    let m200_month = at(&s200, MONTH);
    let year = &candles[n.saturating_sub(SESSIONS_52W)..];
    let (high_52w, low_52w) = if n >= SESSIONS_52W {
        (
            Some(year.iter().map(|c| c.high).fold(f64::MIN, f64::max)),
            Some(year.iter().map(|c| c.low).fold(f64::MAX, f64::min)),
        )
    } else {
        (None, None)
    };

    let mut template = Vec::with_capacity(8);
    template.push(match (m150, m200) {
        (Some(a), Some(b)) => CriterionResult {
            criterion: C::PriceAboveSma150And200,
            pass: close > a && close > b,
            value: format!("close {close:.2} vs SMA150 {a:.2}, SMA200 {b:.2}"),
        },
        _ => short(C::PriceAboveSma150And200, 200, n),
    });
    template.push(match (m150, m200) {
        (Some(a), Some(b)) => CriterionResult {
            criterion: C::Sma150AboveSma200,
            pass: a > b,
            value: format!("SMA150 {a:.2} vs SMA200 {b:.2}"),
        },
        _ => short(C::Sma150AboveSma200, 200, n),
    });
    template.push(match (m200, m200_month) {
        (Some(now), Some(then)) => CriterionResult {
            criterion: C::Sma200Rising,
            pass: now > then,
            value: format!("SMA200 {now:.2} vs {then:.2} {MONTH} sessions ago"),
        },
        _ => short(C::Sma200Rising, 200 + MONTH, n),
    });
    template.push(match (m50, m150, m200) {
        (Some(a), Some(b), Some(c)) => CriterionResult {
            criterion: C::Sma50AboveSma150And200,
            pass: a > b && a > c,
            value: format!("SMA50 {a:.2} vs SMA150 {b:.2}, SMA200 {c:.2}"),
        },
        _ => short(C::Sma50AboveSma150And200, 200, n),
    });
    template.push(match m50 {
        Some(a) => CriterionResult {
            criterion: C::PriceAboveSma50,
            pass: close > a,
            value: format!("close {close:.2} vs SMA50 {a:.2}"),
        },
        None => short(C::PriceAboveSma50, 50, n),
    });
    template.push(match low_52w {
        Some(low) => CriterionResult {
            criterion: C::AboveLow52wBy30Pct,
            pass: close >= 1.3 * low,
            value: format!("{:+.1}% vs 52w low {low:.2}", (close / low - 1.0) * 100.0),
        },
        None => short(C::AboveLow52wBy30Pct, SESSIONS_52W, n),
    });
    template.push(match high_52w {
        Some(high) => CriterionResult {
            criterion: C::WithinHigh52wBy25Pct,
            pass: close >= 0.75 * high,
            value: format!(
                "{:+.1}% vs 52w high {high:.2}",
                (close / high - 1.0) * 100.0
            ),
        },
        None => short(C::WithinHigh52wBy25Pct, SESSIONS_52W, n),
    });
    // Filled in once the whole universe is scored.
    template.push(short(C::RsRatingAtLeast70, SESSIONS_52W + 1, n));

    StockScan {
        symbol: symbol.to_string(),
        token,
        close,
        change_1d_pct: change(&closes, 1),
        change_1w_pct: change(&closes, WEEK),
        change_1m_pct: change(&closes, MONTH),
        rs_score: rs_score(&closes),
        rs_rating: None,
        high_52w,
        low_52w,
        template,
        template_pass: false,
        triggers: triggers(candles, &closes, &s50, &s200),
    }
}

fn triggers(candles: &[Candle], closes: &[f64], s50: &[f64], s200: &[f64]) -> Vec<Trigger> {
    let n = candles.len();
    let mut out = Vec::new();
    let Some(last) = candles.last() else {
        return out;
    };
    if n > SESSIONS_52W {
        let prior = &candles[n - 1 - SESSIONS_52W..n - 1];
        let high = prior.iter().map(|c| c.high).fold(f64::MIN, f64::max);
        if last.close > high {
            out.push(Trigger {
                kind: TriggerKind::High52wBreakout,
                detail: format!("close {:.2} above prior 52w high {high:.2}", last.close),
            });
        }
    }
    if n > VOLUME_AVG {
        let avg = candles[n - 1 - VOLUME_AVG..n - 1]
            .iter()
            .map(|c| c.volume as f64)
            .sum::<f64>()
            / VOLUME_AVG as f64;
        if avg > 0.0 && last.volume as f64 >= 2.0 * avg {
            out.push(Trigger {
                kind: TriggerKind::VolumeSurge,
                detail: format!(
                    "volume {} is {:.1}x its {VOLUME_AVG}-day average",
                    last.volume,
                    last.volume as f64 / avg
                ),
            });
        }
    }
    if let (Some(f0), Some(f1), Some(s0), Some(s1)) =
        (at(s50, 0), at(s50, 1), at(s200, 0), at(s200, 1))
    {
        if f1 <= s1 && f0 > s0 {
            out.push(Trigger {
                kind: TriggerKind::GoldenCross,
                detail: format!("SMA50 {f0:.2} crossed above SMA200 {s0:.2}"),
            });
        }
        if f1 >= s1 && f0 < s0 {
            out.push(Trigger {
                kind: TriggerKind::DeathCross,
                detail: format!("SMA50 {f0:.2} crossed below SMA200 {s0:.2}"),
            });
        }
    }
    let r = rsi(closes, RSI_PERIOD).unwrap_or_default();
    if let (Some(now), Some(prev)) = (at(&r, 0), at(&r, 1)) {
        if prev < 30.0 && now >= 30.0 {
            out.push(Trigger {
                kind: TriggerKind::RsiCrossUp30,
                detail: format!("RSI(14) {prev:.1} → {now:.1}"),
            });
        }
        if prev > 70.0 && now <= 70.0 {
            out.push(Trigger {
                kind: TriggerKind::RsiCrossDown70,
                detail: format!("RSI(14) {prev:.1} → {now:.1}"),
            });
        }
    }
    if let Ok(bb) = bollinger(closes, BOLLINGER_PERIOD, 2.0) {
        let width: Vec<f64> = (0..n)
            .map(|i| (bb.upper[i] - bb.lower[i]) / bb.middle[i])
            .collect();
        if n >= BOLLINGER_PERIOD - 1 + SQUEEZE_LOOKBACK {
            let window = &width[n - SQUEEZE_LOOKBACK..];
            let now = width[n - 1];
            if now.is_finite() && window.iter().all(|w| w.is_finite() && now <= *w) {
                out.push(Trigger {
                    kind: TriggerKind::BollingerSqueeze,
                    detail: format!(
                        "bandwidth {:.2}% is the lowest of {SQUEEZE_LOOKBACK} sessions",
                        now * 100.0
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn series(closes: &[f64]) -> Vec<Candle> {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| Candle {
                timestamp: (start + chrono::Days::new(i as u64))
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
                open: c,
                high: c * 1.01,
                low: c * 0.99,
                close: c,
                volume: 1000,
                oi: None,
            })
            .collect()
    }

    /// Rises `pct` percent a session for `n` sessions.
    fn compounding(n: usize, pct: f64) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 * (1.0 + pct / 100.0).powi(i as i32))
            .collect()
    }

    /// A stock that passes everything but criterion 3: a spike 200-220 sessions ago keeps the
    /// SMA200 below its value of a month ago while the recent ramp satisfies all the rest.
    fn falling_sma200() -> Vec<f64> {
        (0..300)
            .map(|i| match i {
                79..=99 => 150.0,
                230.. => 100.0 + 40.0 * (i - 230) as f64 / 69.0,
                _ => 100.0,
            })
            .collect()
    }

    fn failing(s: &StockScan) -> Vec<TemplateCriterion> {
        s.template
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.criterion)
            .collect()
    }

    fn universe() -> Vec<(String, Vec<Candle>)> {
        let mut u = vec![
            ("LEADER".to_string(), series(&compounding(300, 0.3))),
            ("NOTRISING".to_string(), series(&falling_sma200())),
        ];
        for (k, pct) in [-0.3, -0.2, -0.1, 0.0, 0.05].into_iter().enumerate() {
            u.push((format!("WEAK{k}"), series(&compounding(300, pct))));
        }
        u.push(("NEWLISTING".to_string(), series(&compounding(40, 1.0))));
        u
    }

    fn run(u: &[(String, Vec<Candle>)]) -> ScanResults {
        let entries: Vec<UniverseEntry<'_>> = u
            .iter()
            .enumerate()
            .map(|(i, (s, c))| (s.as_str(), InstrumentToken(i as u32 + 1), c.as_slice()))
            .collect();
        evaluate(&entries)
    }

    #[test]
    fn a_steady_leader_passes_all_eight() {
        let r = run(&universe());
        let leader = &r.stocks[0];
        assert_eq!(leader.template.len(), 8);
        assert!(failing(leader).is_empty(), "{:#?}", leader.template);
        assert!(leader.template_pass);
        assert_eq!(leader.rs_rating, Some(99));
        let order: Vec<_> = leader.template.iter().map(|c| c.criterion).collect();
        assert_eq!(order, TemplateCriterion::ALL);
    }

    #[test]
    fn a_falling_sma200_fails_exactly_criterion_3() {
        let r = run(&universe());
        let s = &r.stocks[1];
        assert_eq!(
            failing(s),
            vec![TemplateCriterion::Sma200Rising],
            "{:#?}",
            s.template
        );
        assert!(!s.template_pass);
        // Second of 7 scored stocks: 1 + 98·5/6 = 82.67.
        assert_eq!(s.rs_rating, Some(83));
    }

    #[test]
    fn short_history_fails_every_criterion_with_a_reason() {
        let r = run(&universe());
        let s = r.stocks.iter().find(|s| s.symbol == "NEWLISTING").unwrap();
        assert_eq!(s.template.len(), 8);
        assert!(s
            .template
            .iter()
            .all(|c| !c.pass && c.value.starts_with("needs ")));
        assert_eq!((s.rs_score, s.rs_rating, s.high_52w), (None, None, None));
        // It still has short-horizon changes: 1 % a session.
        assert!((s.change_1d_pct.unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rs_score_and_ratings_by_hand() {
        // 0.3 % a session: r_n = 1.003^n - 1.
        let closes = compounding(300, 0.3);
        let r = |n: i32| (1.003f64.powi(n) - 1.0) * 100.0;
        let want = 0.4 * r(63) + 0.2 * r(126) + 0.2 * r(189) + 0.2 * r(252);
        assert!((rs_score(&closes).unwrap() - want).abs() < 1e-9);
        assert_eq!(rs_score(&closes[..252]), None);
        assert!(rs_score(&closes[..253]).is_some());
        // Four scores: 1.0 has none below (1), each 2.0 one below (1 + 98/3 = 33.7), 3.0 three (99).
        assert_eq!(
            rs_ratings(&[Some(3.0), None, Some(1.0), Some(2.0), Some(2.0)]),
            vec![Some(99), None, Some(1), Some(34), Some(34)]
        );
        assert_eq!(rs_ratings(&[Some(-5.0)]), vec![Some(99)]);
    }

    #[test]
    fn movers_are_sorted_and_split_by_sign() {
        let mut u = Vec::new();
        for (k, last) in [101.0, 99.0, 105.0, 100.0, 97.0, 102.0, 103.0, 104.0, 98.5]
            .into_iter()
            .enumerate()
        {
            u.push((format!("S{k}"), series(&[100.0, 100.0, last])));
        }
        let r = run(&u);
        let g: Vec<_> = r.daily.gainers.iter().map(|m| m.symbol.as_str()).collect();
        let l: Vec<_> = r.daily.losers.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(g, ["S2", "S7", "S6", "S5", "S0"]);
        assert_eq!(l, ["S4", "S8", "S1"]);
        assert!((r.daily.gainers[0].change_pct - 5.0).abs() < 1e-9);
        assert!(r.weekly.gainers.is_empty() && r.monthly.losers.is_empty());
    }

    #[test]
    fn breakout_and_volume_surge_on_the_last_bar() {
        let mut closes = compounding(300, 0.05);
        let last = *closes.last().unwrap();
        closes.push(last * 1.05);
        let mut c = series(&closes);
        c.last_mut().unwrap().volume = 2000;
        let kinds = |c: &[Candle]| -> Vec<TriggerKind> {
            evaluate(&[("X", InstrumentToken(1), c)]).stocks[0]
                .triggers
                .iter()
                .map(|t| t.kind)
                .collect()
        };
        let k = kinds(&c);
        assert!(k.contains(&TriggerKind::High52wBreakout), "{k:?}");
        assert!(k.contains(&TriggerKind::VolumeSurge), "{k:?}");
        // 1.99x is not a surge; a close inside the prior high is not a breakout.
        c.last_mut().unwrap().volume = 1990;
        c.last_mut().unwrap().close = last;
        let k = kinds(&c);
        assert!(!k.contains(&TriggerKind::VolumeSurge), "{k:?}");
        assert!(!k.contains(&TriggerKind::High52wBreakout), "{k:?}");
    }

    #[test]
    fn crosses_fire_only_on_the_bar_they_happen() {
        // Down for 250 sessions, then up: SMA50 crosses above SMA200 once, somewhere in the rise.
        let closes: Vec<f64> = (0..400)
            .map(|i| {
                if i < 250 {
                    200.0 - 0.3 * i as f64
                } else {
                    125.0 + 0.8 * (i - 250) as f64
                }
            })
            .collect();
        let c = series(&closes);
        let has = |end: usize, k: TriggerKind| {
            evaluate(&[("X", InstrumentToken(1), &c[..end])]).stocks[0]
                .triggers
                .iter()
                .any(|t| t.kind == k)
        };
        let golden: Vec<usize> = (201..=400)
            .filter(|&e| has(e, TriggerKind::GoldenCross))
            .collect();
        assert_eq!(golden.len(), 1, "{golden:?}");
        let e = golden[0];
        let s50 = sma(&closes[..e], 50).unwrap();
        let s200 = sma(&closes[..e], 200).unwrap();
        assert!(s50[e - 2] <= s200[e - 2] && s50[e - 1] > s200[e - 1]);
        assert!((201..=400).all(|e| !has(e, TriggerKind::DeathCross)));
        // RSI: the turn from the decline lifts RSI(14) up through 30 exactly once.
        let up: Vec<usize> = (16..=400)
            .filter(|&e| has(e, TriggerKind::RsiCrossUp30))
            .collect();
        assert_eq!(up.len(), 1, "{up:?}");
        assert!(up[0] > 250 && up[0] < 270, "{up:?}");
    }

    #[test]
    fn a_quiet_stretch_is_a_bollinger_squeeze() {
        // Swings that widen over time (so no bar before is a squeeze), then a calm last month: the
        // bandwidth hits its 120-session low.
        let mut closes: Vec<f64> = (0..200)
            .map(|i| 102.0 + if i % 2 == 0 { 1.0 } else { -1.0 } * (1.0 + i as f64 / 50.0))
            .collect();
        closes.extend((0..25).map(|i| 102.0 + if i % 2 == 0 { 0.1 } else { -0.1 }));
        let c = series(&closes);
        let r = evaluate(&[("X", InstrumentToken(1), &c)]);
        assert!(r.stocks[0]
            .triggers
            .iter()
            .any(|t| t.kind == TriggerKind::BollingerSqueeze));
        let r = evaluate(&[("X", InstrumentToken(1), &c[..200])]);
        assert!(!r.stocks[0]
            .triggers
            .iter()
            .any(|t| t.kind == TriggerKind::BollingerSqueeze));
    }
}
