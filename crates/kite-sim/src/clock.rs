//! The sandbox's clock and market hours.
//!
//! Real time by default; a trader can run it faster (practise a whole session in minutes) or jump it to
//! an instant (the open, to see AMOs released). `stay_open` keeps the exchange accepting regular orders
//! at any hour, so practice at night and tests do not depend on when they run.

use chrono::{Datelike, NaiveDateTime, NaiveTime, Weekday};
use std::time::Instant;

/// IST is UTC+05:30 all year.
pub const IST_OFFSET_SECS: i64 = 19_800;

/// The clock's settings, as `SandboxConfig` and `POST /admin/clock` take them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockConfig {
    /// Simulated seconds per real second (1 = real time).
    pub speed: f64,
    /// Unix seconds the clock starts at; `None` = now.
    pub start: Option<i64>,
    /// Accept regular orders outside market hours.
    pub stay_open: bool,
}

impl Default for ClockConfig {
    fn default() -> Self {
        Self {
            speed: 1.0,
            start: None,
            stay_open: true,
        }
    }
}

/// Whether regular orders reach the exchange now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// 09:15-15:30 IST on a weekday.
    Open,
    /// Outside hours, but `stay_open` lets orders through.
    HeldOpen,
    Closed,
}

impl Session {
    pub fn accepts_regular(self) -> bool {
        !matches!(self, Session::Closed)
    }
}

#[derive(Debug)]
pub struct Clock {
    /// Real instant and simulated Unix time (fractional seconds) at the last setting.
    anchor: (Instant, f64),
    speed: f64,
    stay_open: bool,
}

fn real_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Clock {
    pub fn new(c: &ClockConfig) -> Self {
        Self {
            anchor: (
                Instant::now(),
                c.start.map(|s| s as f64).unwrap_or_else(real_unix),
            ),
            speed: if c.speed.is_finite() && c.speed > 0.0 {
                c.speed
            } else {
                1.0
            },
            stay_open: c.stay_open,
        }
    }

    /// Simulated Unix seconds now.
    pub fn now(&self) -> i64 {
        let real = self.anchor.0.elapsed().as_secs_f64();
        (self.anchor.1 + real * self.speed).floor() as i64
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn stay_open(&self) -> bool {
        self.stay_open
    }

    /// Changes speed, the open switch and/or the current instant; time continues from where it is.
    pub fn set(&mut self, speed: Option<f64>, stay_open: Option<bool>, at: Option<i64>) {
        let now = at
            .map(|t| t as f64)
            .unwrap_or_else(|| self.anchor.1 + self.anchor.0.elapsed().as_secs_f64() * self.speed);
        self.anchor = (Instant::now(), now);
        if let Some(s) = speed.filter(|s| s.is_finite() && *s > 0.0) {
            self.speed = s;
        }
        if let Some(o) = stay_open {
            self.stay_open = o;
        }
    }

    pub fn session(&self, unix: i64) -> Session {
        if in_hours(unix) {
            Session::Open
        } else if self.stay_open {
            Session::HeldOpen
        } else {
            Session::Closed
        }
    }
}

/// IST wall time of `unix`.
pub fn ist(unix: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(unix + IST_OFFSET_SECS, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// Unix seconds of an IST wall time.
pub fn unix_of_ist(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp() - IST_OFFSET_SECS
}

/// Whether `unix` falls in the normal session, 09:15-15:30 IST Monday to Friday (exchange holidays
/// are not modelled).
pub fn in_hours(unix: i64) -> bool {
    let t = ist(unix);
    let weekday = !matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
    let open = NaiveTime::from_hms_opt(9, 15, 0).unwrap_or_default();
    let close = NaiveTime::from_hms_opt(15, 30, 0).unwrap_or_default();
    weekday && t.time() >= open && t.time() < close
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        unix_of_ist(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap(),
        )
    }

    #[test]
    fn session_hours_in_ist_on_weekdays() {
        // 2026-11-27 is a Friday, 2026-11-28 a Saturday.
        assert!(!in_hours(at(2026, 11, 27, 9, 14)));
        assert!(in_hours(at(2026, 11, 27, 9, 15)));
        assert!(in_hours(at(2026, 11, 27, 15, 29)));
        assert!(!in_hours(at(2026, 11, 27, 15, 30)));
        assert!(!in_hours(at(2026, 11, 28, 11, 0)));
    }

    #[test]
    fn accelerated_clock_runs_faster_and_can_be_set() {
        let start = at(2026, 11, 27, 9, 14);
        let mut c = Clock::new(&ClockConfig {
            speed: 600.0,
            start: Some(start),
            stay_open: false,
        });
        assert_eq!(c.session(c.now()), Session::Closed);
        std::thread::sleep(std::time::Duration::from_millis(150));
        // 0.15 s at 600× is 90 simulated seconds: past 09:15.
        assert!(c.now() >= start + 60, "{}", c.now() - start);
        assert_eq!(c.session(c.now()), Session::Open);
        c.set(Some(1.0), Some(true), Some(at(2026, 11, 28, 20, 0)));
        assert_eq!(c.session(c.now()), Session::HeldOpen);
        assert!(c.session(c.now()).accepts_regular());
    }
}
