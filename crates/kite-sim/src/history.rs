//! Historical candles for `GET /instruments/historical/{token}/{interval}`: generated on request, never
//! stored, and the same for the same seed.
//!
//! How a series is made, and why:
//! * **Anchored at its end.** The live market (`market.rs`) starts each instrument from a previous close
//!   and moves it through today's session. History is therefore generated *backwards* from that anchor:
//!   the close of the trading day before the session is exactly the given previous close, and, when
//!   today's bar is supplied (`TodayBar`, usually from the live `Quote`), the last daily candle is
//!   exactly that bar. A backward log-normal walk has the same statistics as a forward one, and the anchor
//!   only scales it, so the shape of a series depends on (seed, token) alone.
//! * **One random stream per (seed, token, date)**, so any day can be produced without the days around
//!   it, except for the price level, which is one multiplication per day from the anchor: years of daily
//!   candles cost microseconds.
//! * **Intraday from the day, not the day from intraday.** A day's minute path is a Brownian bridge from
//!   the day's open to its close through its high and its low, clamped to them, with the day's volume
//!   split over the minutes; coarser intervals aggregate the minutes. So every interval's candles of a day
//!   aggregate exactly to its daily candle, and a daily request never pays for minute paths.
//!
//! Prices are integer paise on the instrument's tick. Trading days are Monday to Friday (exchange
//! holidays are not modelled); the session is 09:15–15:30 IST (375 one-minute bars).

use crate::instruments::{Instrument, InstrumentType, Universe};
use crate::market::Quote;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};
use model::InstrumentToken;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Minutes in the 09:15–15:30 session.
pub const SESSION_MINUTES: u16 = 375;
/// How far back a series goes from the session date (calendar years, about 1,300 trading days).
pub const HISTORY_YEARS: u64 = 5;
/// IST is a fixed +05:30 (no daylight saving).
pub const IST_OFFSET_SECS: i64 = 19_800;

const SESSION_OPEN: NaiveTime = match NaiveTime::from_hms_opt(9, 15, 0) {
    Some(t) => t,
    None => panic!("valid time"),
};
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => panic!("valid time"),
};
/// Wire prices must stay below 2^31 (SPEC §12.3).
const PRICE_MAX: u32 = i32::MAX as u32;
const SALT_DAY: u64 = 1;
const SALT_MINUTES: u64 = 2;

/// A Kite candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    Minute,
    Minute3,
    Minute5,
    Minute10,
    Minute15,
    Minute30,
    Minute60,
    Day,
}

impl Interval {
    pub const ALL: [Self; 8] = [
        Self::Minute,
        Self::Minute3,
        Self::Minute5,
        Self::Minute10,
        Self::Minute15,
        Self::Minute30,
        Self::Minute60,
        Self::Day,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Minute3 => "3minute",
            Self::Minute5 => "5minute",
            Self::Minute10 => "10minute",
            Self::Minute15 => "15minute",
            Self::Minute30 => "30minute",
            Self::Minute60 => "60minute",
            Self::Day => "day",
        }
    }

    /// Minutes one candle spans; a day candle spans the session.
    pub const fn minutes(self) -> u16 {
        match self {
            Self::Minute => 1,
            Self::Minute3 => 3,
            Self::Minute5 => 5,
            Self::Minute10 => 10,
            Self::Minute15 => 15,
            Self::Minute30 => 30,
            Self::Minute60 => 60,
            Self::Day => SESSION_MINUTES,
        }
    }

    /// Longest `to - from` span one request may ask for, in days (SPEC §7.3, stated by Zerodha staff).
    pub const fn max_days(self) -> u32 {
        match self {
            Self::Minute => 60,
            Self::Minute3 | Self::Minute5 | Self::Minute10 => 100,
            Self::Minute15 | Self::Minute30 => 200,
            Self::Minute60 => 400,
            Self::Day => 2000,
        }
    }
}

impl FromStr for Interval {
    type Err = HistoryError;

    /// Exactly Kite's names; anything else is the request error Kite returns.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| HistoryError::BadInterval(s.to_string()))
    }
}

/// Why a history request fails. Every variant is a client error: Kite answers it with HTTP 400 and
/// `error_type` `InputException`, and `Display` is the `message` to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("invalid token")]
    UnknownToken(InstrumentToken),
    #[error("invalid interval")]
    BadInterval(String),
    #[error("invalid date: {0}")]
    BadDate(String),
    #[error("invalid from date: it is after the to date")]
    FromAfterTo,
    /// Kite's wording for an over-long span, as quoted on its forum.
    #[error("interval exceeds max limit: {max_days} days")]
    RangeTooLong { interval: Interval, max_days: u32 },
    /// Continuous series exist for day candles only (Kite forum).
    #[error("continuous data is available only for the day interval")]
    ContinuousIntraday,
    #[error(
        "invalid candle for today: low <= open, close <= high, 0 < low and 1 to 375 minutes needed"
    )]
    BadTodayBar,
}

impl HistoryError {
    pub const fn error_type(&self) -> &'static str {
        "InputException"
    }

    pub const fn http_status(&self) -> u16 {
        400
    }
}

/// Checks a span against the interval's limit (SPEC §7.3): `from > to` and spans longer than
/// `interval.max_days()` days are errors.
pub fn check_range(
    interval: Interval,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(), HistoryError> {
    if from > to {
        return Err(HistoryError::FromAfterTo);
    }
    let max_days = interval.max_days();
    if to - from > TimeDelta::days(max_days as i64) {
        return Err(HistoryError::RangeTooLong { interval, max_days });
    }
    Ok(())
}

/// One candle, labelled by its start in IST wall time; prices in paise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    pub time: NaiveDateTime,
    pub open: u32,
    pub high: u32,
    pub low: u32,
    pub close: u32,
    pub volume: u64,
    /// Open interest at the candle's close; 0 for cash instruments and indices.
    pub oi: u64,
}

/// Today's session so far, which the series must end on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TodayBar {
    pub open: u32,
    pub high: u32,
    pub low: u32,
    pub close: u32,
    pub volume: u64,
    pub oi: u64,
    /// Session minutes the bar covers (1 to 375): today's intraday candles stop there.
    pub minutes: u16,
}

impl TodayBar {
    /// Today's bar of a live quote (`close` there is the previous close; `last` is today's close so far).
    pub fn from_quote(q: &Quote, minutes: u16) -> Self {
        Self {
            open: q.open,
            high: q.high,
            low: q.low,
            close: q.last,
            volume: q.volume as u64,
            oi: q.oi as u64,
            minutes,
        }
    }

    fn validate(&self) -> Result<(), HistoryError> {
        let ok = self.low > 0
            && self.low <= self.open.min(self.close)
            && self.high >= self.open.max(self.close)
            && (1..=SESSION_MINUTES).contains(&self.minutes);
        ok.then_some(()).ok_or(HistoryError::BadTodayBar)
    }
}

/// How an instrument's series behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Price step in paise.
    pub tick: u32,
    /// Standard deviation of the daily log return (a fifth of the variance falls overnight).
    pub daily_sigma: f64,
    /// Mean daily log return.
    pub daily_drift: f64,
    /// Typical daily volume; 0 for indices, which report none.
    pub base_volume: f64,
    /// Open interest the day before the session; 0 for cash instruments and indices.
    pub base_oi: u64,
    /// Open interest moves in whole lots.
    pub oi_step: u64,
    /// No candles before this date (a contract's listing) unless a continuous series is asked for.
    pub listed: Option<NaiveDate>,
    /// Whether `continuous=1` stitches earlier contracts before `listed` (futures).
    pub continuous: bool,
}

impl Profile {
    /// A plausible profile for a dump row: stocks 1–2.5 % daily volatility and −5 to +25 % a year of
    /// drift, indices and futures about 1 %, options 20 % with time decay; volume and OI sized to the
    /// instrument. Fixed by (seed, token).
    pub fn for_instrument(inst: &Instrument, seed: u64) -> Self {
        let h = |salt: u64| unit_hash(seed, inst.token.0, 100 + salt);
        let lot = inst.lot_size.max(1) as f64;
        let base = Self {
            tick: inst.tick_size.max(crate::universe::EQUITY_TICK_PAISE),
            daily_sigma: 0.010,
            daily_drift: 0.11 / 252.0,
            base_volume: 0.0,
            base_oi: 0,
            oi_step: inst.lot_size.max(1) as u64,
            listed: inst.listed,
            continuous: false,
        };
        match inst.instrument_type {
            _ if inst.is_index() => Self {
                daily_sigma: if inst.tradingsymbol.contains("BANK") {
                    0.012
                } else {
                    0.010
                },
                ..base
            },
            InstrumentType::Eq => {
                let price = (inst.last_price.max(1) as f64) / 100.0;
                Self {
                    daily_sigma: 0.010 + 0.015 * h(1),
                    daily_drift: (-0.05 + 0.30 * h(2)) / 252.0,
                    // Daily turnover of ₹300–2,000 crore.
                    base_volume: (3e9 + 17e9 * h(3)) / price,
                    ..base
                }
            }
            InstrumentType::Fut => Self {
                daily_sigma: 0.011,
                base_volume: lot * (20_000.0 + 60_000.0 * h(3)),
                base_oi: (lot * (100_000.0 + 100_000.0 * h(4))) as u64,
                continuous: true,
                ..base
            },
            InstrumentType::Ce | InstrumentType::Pe => Self {
                daily_sigma: 0.20,
                daily_drift: -0.015,
                base_volume: lot * (2_000.0 + 100_000.0 * h(3)),
                base_oi: (lot * (5_000.0 + 60_000.0 * h(4))) as u64,
                ..base
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Series {
    profile: Profile,
    prev_close: u32,
    today: Option<TodayBar>,
}

/// One history request, as the REST route receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandleRequest {
    pub token: InstrumentToken,
    pub interval: Interval,
    /// Inclusive bounds on candle start times (IST). Day candles are selected by date.
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub continuous: bool,
    /// Without it the candles' `oi` is 0 (and should not be rendered).
    pub oi: bool,
}

/// Every instrument's history for one sandbox: profiles and anchors, candles computed on request.
#[derive(Debug, Clone)]
pub struct History {
    seed: u64,
    session: NaiveDate,
    first: NaiveDate,
    series: HashMap<InstrumentToken, Series>,
}

impl History {
    /// An empty history whose session is `today`, or the last weekday before it on a weekend (the
    /// sandbox's market never closes; its session is labelled with the latest trading day).
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        let session = latest_trading_day(today);
        let first = session
            .checked_sub_days(Days::new(HISTORY_YEARS * 365))
            .unwrap_or(NaiveDate::MIN);
        Self {
            seed,
            session,
            first: latest_trading_day_on_or_after(first),
            series: HashMap::new(),
        }
    }

    /// A history for every row of the dump, each anchored at its dump `last_price` as previous close.
    /// This is the same previous close the live market starts from, so only today's bar remains to be
    /// given (`set_today` or `candles_for`).
    pub fn from_universe(seed: u64, universe: &Universe) -> Self {
        let mut h = Self::new(seed, universe.today());
        for inst in universe.instruments() {
            h.insert(
                inst.token,
                Profile::for_instrument(inst, seed),
                inst.last_price,
            );
        }
        h
    }

    /// Adds or replaces an instrument: `prev_close` (paise) is the close of the trading day before the
    /// session.
    pub fn insert(&mut self, token: InstrumentToken, profile: Profile, prev_close: u32) {
        self.series.insert(
            token,
            Series {
                profile,
                prev_close,
                today: None,
            },
        );
    }

    /// Makes the instrument's series end on this bar for today.
    pub fn set_today(&mut self, token: InstrumentToken, bar: TodayBar) -> Result<(), HistoryError> {
        bar.validate()?;
        let s = self
            .series
            .get_mut(&token)
            .ok_or(HistoryError::UnknownToken(token))?;
        s.today = Some(bar);
        Ok(())
    }

    pub fn contains(&self, token: InstrumentToken) -> bool {
        self.series.contains_key(&token)
    }

    /// The date today's candle carries.
    pub fn session_date(&self) -> NaiveDate {
        self.session
    }

    /// The earliest date any series reaches.
    pub fn first_date(&self) -> NaiveDate {
        self.first
    }

    /// Candles whose start lies in `[from, to]`, oldest first, with today's bar as set by `set_today`.
    pub fn candles(
        &self,
        token: InstrumentToken,
        interval: Interval,
        from: NaiveDateTime,
        to: NaiveDateTime,
        continuous: bool,
        oi: bool,
    ) -> Result<Vec<Candle>, HistoryError> {
        let req = CandleRequest {
            token,
            interval,
            from,
            to,
            continuous,
            oi,
        };
        self.candles_for(&req, None)
    }

    /// Like `candles`, with today's bar given for this request only (for example from the live quote,
    /// so a shared `History` needs no lock); `None` uses the stored one.
    pub fn candles_for(
        &self,
        req: &CandleRequest,
        today: Option<TodayBar>,
    ) -> Result<Vec<Candle>, HistoryError> {
        let s = self
            .series
            .get(&req.token)
            .ok_or(HistoryError::UnknownToken(req.token))?;
        check_range(req.interval, req.from, req.to)?;
        if req.continuous && req.interval != Interval::Day {
            return Err(HistoryError::ContinuousIntraday);
        }
        if let Some(bar) = &today {
            bar.validate()?;
        }
        let today = today.or(s.today);
        let first = self.first_for(s, req.continuous).max(req.from.date());
        let last = req.to.date().min(self.session);
        if first > last {
            return Ok(Vec::new());
        }
        let days = self.daily_series(req.token, s, today, first);
        let days = days.into_iter().filter(|c| c.time.date() <= last);
        let mut out: Vec<Candle> = if req.interval == Interval::Day {
            days.collect()
        } else {
            let per = req.interval.minutes() as usize;
            let mut out = Vec::new();
            for day in days {
                let minutes = match today {
                    Some(b) if day.time.date() == self.session => b.minutes,
                    _ => SESSION_MINUTES,
                };
                let bars = self.minute_bars(req.token, &s.profile, &day, minutes);
                out.extend(
                    bars.chunks(per)
                        .map(aggregate)
                        .filter(|c| c.time >= req.from && c.time <= req.to),
                );
            }
            out
        };
        if !req.oi {
            for c in &mut out {
                c.oi = 0;
            }
        }
        Ok(out)
    }

    /// The whole daily series of an instrument, oldest first (with the stored today's bar, if any).
    pub fn daily(&self, token: InstrumentToken) -> Result<Vec<Candle>, HistoryError> {
        let s = self
            .series
            .get(&token)
            .ok_or(HistoryError::UnknownToken(token))?;
        Ok(self.daily_series(token, s, s.today, self.first_for(s, false)))
    }

    fn first_for(&self, s: &Series, continuous: bool) -> NaiveDate {
        match s.profile.listed {
            Some(listed) if !(continuous && s.profile.continuous) => self.first.max(listed),
            _ => self.first,
        }
    }

    /// Daily candles from the first trading day on or after `first` to the session, walking back from
    /// the anchor.
    fn daily_series(
        &self,
        token: InstrumentToken,
        s: &Series,
        today: Option<TodayBar>,
        first: NaiveDate,
    ) -> Vec<Candle> {
        let p = &s.profile;
        let tick = p.tick.max(1);
        let (sig_day, sig_night) = (p.daily_sigma * 0.8f64.sqrt(), p.daily_sigma * 0.2f64.sqrt());
        let (mu_day, mu_night) = (p.daily_drift * 0.8, p.daily_drift * 0.2);
        let spread = p.daily_sigma * 0.45;
        let mut out =
            Vec::with_capacity(((self.session - first).num_days().max(0) as usize * 5 / 7) + 2);
        if let Some(b) = today {
            out.push(Candle {
                time: self.session.and_time(NaiveTime::MIN),
                open: b.open,
                high: b.high,
                low: b.low,
                close: b.close,
                volume: b.volume,
                oi: b.oi,
            });
        }
        let mut close = s.prev_close.clamp(tick, PRICE_MAX) as f64;
        let mut oi = p.base_oi as f64;
        let mut day = previous_trading_day(self.session);
        while day >= first {
            let mut rng = Rng::new(key(self.seed, token.0, SALT_DAY, day));
            let z_move = rng.normal();
            let open = close / (mu_day + sig_day * z_move).exp();
            let high = open.max(close) * (rng.normal().abs() * spread).exp();
            let low = open.min(close) * (-rng.normal().abs() * spread).exp();
            let z_volume = rng.normal();
            let z_gap = rng.normal();
            let z_oi = rng.normal();
            let volume = if p.base_volume > 0.0 {
                let busy = 0.75 + 0.5 * z_move.abs().min(3.0);
                (p.base_volume * (0.3 * z_volume).exp() * busy).round() as u64
            } else {
                0
            };
            let (o, c) = (round_to_tick(open, tick), round_to_tick(close, tick));
            out.push(Candle {
                time: day.and_time(NaiveTime::MIN),
                open: o,
                high: round_to_tick(high, tick).max(o).max(c),
                low: round_to_tick(low, tick).min(o).min(c),
                close: c,
                volume,
                oi: round_to_step(oi, p.oi_step),
            });
            close = open / (mu_night + sig_night * z_gap).exp();
            // Open interest builds up towards expiry, so going back it mostly shrinks.
            oi *= (-0.01 + 0.04 * z_oi).exp();
            day = previous_trading_day(day);
        }
        out.reverse();
        out
    }

    /// The day's one-minute bars: a bridge through the day's open, high, low and close, volume split
    /// over the session's U shape. They aggregate exactly to `day`.
    fn minute_bars(
        &self,
        token: InstrumentToken,
        p: &Profile,
        day: &Candle,
        minutes: u16,
    ) -> Vec<Candle> {
        let n = minutes.clamp(1, SESSION_MINUTES) as usize;
        let date = day.time.date();
        let mut rng = Rng::new(key(self.seed, token.0, SALT_MINUTES, date));
        let tick = p.tick.max(1);
        let (o, h, l, c) = (
            day.open as f64,
            day.high as f64,
            day.low as f64,
            day.close as f64,
        );
        let mut anchors: Vec<(usize, f64)> = vec![(0, o), (n, c)];
        if n >= 2 {
            let pick = |rng: &mut Rng| 1 + ((rng.unit() * (n - 1) as f64) as usize).min(n - 2);
            let t_high = pick(&mut rng);
            let mut t_low = pick(&mut rng);
            if t_low == t_high {
                t_low = if t_high > 1 { t_high - 1 } else { t_high + 1 };
            }
            if day.high > day.open.max(day.close) {
                anchors.push((t_high, h));
            }
            if day.low < day.open.min(day.close) && t_low < n {
                anchors.push((t_low, l));
            }
            anchors.sort_by_key(|a| a.0);
        }
        let sigma = (h - l).max(tick as f64) / (n as f64).sqrt() * 0.6;
        let mut path = vec![0.0f64; n + 1];
        let mut walk = Vec::with_capacity(n + 1);
        for w in anchors.windows(2) {
            let ((ta, va), (tb, vb)) = (w[0], w[1]);
            let len = tb - ta;
            walk.clear();
            walk.push(0.0);
            for k in 0..len {
                walk.push(walk[k] + sigma * rng.normal());
            }
            let end = walk[len];
            for k in 0..=len {
                let f = k as f64 / len as f64;
                path[ta + k] = va + (vb - va) * f + walk[k] - f * end;
            }
        }
        let points: Vec<u32> = path
            .iter()
            .map(|&x| round_to_tick(x, tick).clamp(day.low, day.high))
            .collect();

        let start = date.and_time(SESSION_OPEN);
        let mut bars: Vec<Candle> = (0..n)
            .map(|i| {
                let (bo, bc) = (points[i], points[i + 1]);
                let up = round_to_tick(rng.normal().abs() * sigma * 0.3, tick);
                let down = round_to_tick(rng.normal().abs() * sigma * 0.3, tick);
                Candle {
                    time: start + TimeDelta::minutes(i as i64),
                    open: bo,
                    high: bo.max(bc).saturating_add(up).min(day.high),
                    low: bo.min(bc).saturating_sub(down).max(day.low),
                    close: bc,
                    volume: 0,
                    oi: 0,
                }
            })
            .collect();
        // The bridge passes through the extremes when there is room; make sure when there is not.
        if let Some(b) = bars.iter_mut().max_by_key(|b| b.high) {
            b.high = day.high;
        }
        if let Some(b) = bars.iter_mut().min_by_key(|b| b.low) {
            b.low = day.low;
        }
        if day.volume > 0 {
            let weights: Vec<f64> = (0..n)
                .map(|i| {
                    let x = (i as f64 + 0.5) / SESSION_MINUTES as f64 * 2.0 - 1.0;
                    (1.0 + 1.5 * x * x) * (0.5 + rng.unit())
                })
                .collect();
            let total: f64 = weights.iter().sum();
            let (mut cum_w, mut cum_v) = (0.0, 0u64);
            for (i, (b, w)) in bars.iter_mut().zip(&weights).enumerate() {
                cum_w += w;
                let upto = if i + 1 == n {
                    day.volume
                } else {
                    ((day.volume as f64 * cum_w / total) as u64).clamp(cum_v, day.volume)
                };
                b.volume = upto - cum_v;
                cum_v = upto;
            }
        }
        if day.oi > 0 {
            let from = day.oi as f64 * (0.03 * rng.normal()).exp();
            for (i, b) in bars.iter_mut().enumerate() {
                let f = (i + 1) as f64 / n as f64;
                b.oi = round_to_step(from + (day.oi as f64 - from) * f, p.oi_step);
            }
            if let Some(b) = bars.last_mut() {
                b.oi = day.oi;
            }
        }
        bars
    }
}

/// Merges consecutive candles into one labelled by the first.
fn aggregate(bars: &[Candle]) -> Candle {
    let (first, last) = (bars[0], bars[bars.len() - 1]);
    Candle {
        time: first.time,
        open: first.open,
        high: bars.iter().map(|b| b.high).max().unwrap_or(first.high),
        low: bars.iter().map(|b| b.low).min().unwrap_or(first.low),
        close: last.close,
        volume: bars.iter().map(|b| b.volume).sum(),
        oi: last.oi,
    }
}

fn round_to_tick(paise: f64, tick: u32) -> u32 {
    let t = tick as f64;
    ((paise / t).round() * t).clamp(0.0, PRICE_MAX as f64) as u32
}

fn round_to_step(v: f64, step: u64) -> u64 {
    let s = step.max(1) as f64;
    ((v / s).round() * s).max(0.0) as u64
}

pub fn is_trading_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The latest weekday on or before `d`.
pub fn latest_trading_day(mut d: NaiveDate) -> NaiveDate {
    while !is_trading_day(d) {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

fn latest_trading_day_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while !is_trading_day(d) {
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

/// The weekday before `d`.
pub fn previous_trading_day(d: NaiveDate) -> NaiveDate {
    latest_trading_day(d.pred_opt().unwrap_or(NaiveDate::MIN))
}

/// `2017-12-15T09:15:00+0530`: ISO 8601 with the offset written without a colon, which Go's client
/// requires.
pub fn format_timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0530").to_string()
}

/// One candle as Kite sends it: `[timestamp, open, high, low, close, volume]`, plus `oi` when asked.
/// Whole-rupee prices are JSON integers, as in the mocks (`1705`); others the shortest decimal.
pub fn candle_to_json(c: &Candle, with_oi: bool) -> Value {
    let mut v = Vec::with_capacity(7);
    v.push(Value::String(format_timestamp(c.time)));
    for p in [c.open, c.high, c.low, c.close] {
        v.push(price_json(p));
    }
    v.push(Value::from(c.volume));
    if with_oi {
        v.push(Value::from(c.oi));
    }
    Value::Array(v)
}

fn price_json(paise: u32) -> Value {
    if paise.is_multiple_of(100) {
        Value::from(paise / 100)
    } else {
        serde_json::Number::from_f64(paise as f64 / 100.0)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A `from` parameter: `YYYY-MM-DD HH:MM:SS` (Kite's format; a `T` is accepted too) or `YYYY-MM-DD`,
/// which means the start of that day.
pub fn parse_from(s: &str) -> Result<NaiveDateTime, HistoryError> {
    parse_bound(s, NaiveTime::MIN)
}

/// A `to` parameter: as `parse_from`, but a bare date means the end of that day.
pub fn parse_to(s: &str) -> Result<NaiveDateTime, HistoryError> {
    parse_bound(s, END_OF_DAY)
}

fn parse_bound(s: &str, time_if_date: NaiveTime) -> Result<NaiveDateTime, HistoryError> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(time_if_date)))
        .map_err(|_| HistoryError::BadDate(s.to_string()))
}

/// Wall time in IST (a fixed +05:30) at `now`.
pub fn ist_now(now: SystemTime) -> NaiveDateTime {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    DateTime::from_timestamp(secs + IST_OFFSET_SECS, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// Session minutes begun by `now` (IST): 0 before 09:15, 375 from 15:29 on. Feed it to
/// `TodayBar::minutes` (at least 1) when today's bar comes from the live market.
pub fn session_minutes_elapsed(now: NaiveTime) -> u16 {
    let since = (now - SESSION_OPEN).num_minutes();
    if now < SESSION_OPEN {
        0
    } else {
        (since + 1).min(SESSION_MINUTES as i64) as u16
    }
}

// A small seeded generator of our own (SplitMix64 with Box–Muller normals): its output is fixed forever,
// so a seed names the same history across builds and dependency upgrades.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(seed: u64, token: u32, salt: u64, date: NaiveDate) -> u64 {
    mix(seed
        ^ mix(((token as u64) << 8) ^ salt.wrapping_mul(GOLDEN))
        ^ mix(date.num_days_from_ce() as u64).rotate_left(17))
}

/// A uniform number in `[0, 1)` fixed by (seed, token, salt): per-instrument parameters.
pub(crate) fn unit_hash(seed: u64, token: u32, salt: u64) -> f64 {
    Rng::new(mix(
        seed ^ mix(((token as u64) << 8) ^ salt.wrapping_mul(GOLDEN))
    ))
    .unit()
}

struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    fn new(key: u64) -> Self {
        Self {
            state: key,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        let theta = std::f64::consts::TAU * self.unit();
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_unit_variance() {
        let mut rng = Rng::new(7);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn session_minutes() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(session_minutes_elapsed(t(9, 0)), 0);
        assert_eq!(session_minutes_elapsed(t(9, 15)), 1);
        assert_eq!(session_minutes_elapsed(t(10, 14)), 60);
        assert_eq!(session_minutes_elapsed(t(15, 29)), 375);
        assert_eq!(session_minutes_elapsed(t(18, 0)), 375);
    }

    #[test]
    fn ist_is_utc_plus_five_thirty() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(ist_now(t).to_string(), "2023-11-15 03:43:20");
    }

    #[test]
    fn timestamps_and_json_match_the_mocks() {
        let c = Candle {
            time: NaiveDate::from_ymd_opt(2017, 12, 15)
                .unwrap()
                .and_hms_opt(9, 15, 0)
                .unwrap(),
            open: 170_450,
            high: 170_500,
            low: 169_925,
            close: 170_280,
            volume: 2499,
            oi: 13_667_775,
        };
        assert_eq!(
            serde_json::to_string(&candle_to_json(&c, false)).unwrap(),
            r#"["2017-12-15T09:15:00+0530",1704.5,1705,1699.25,1702.8,2499]"#
        );
        assert_eq!(candle_to_json(&c, true).as_array().unwrap().len(), 7);
    }
}
