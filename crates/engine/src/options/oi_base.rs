//! The OI each contract had when first seen in the IST day, the base of "OI change".
//!
//! Kite's ticks and quotes carry the current OI and the day's high and low, but not the day's
//! opening OI; so the base is the first OI this engine observed for the contract that day (at the
//! open if the engine runs from before the open, otherwise from when tracking started). The first
//! chain or tracker reading of the day sets it; it resets when the IST date changes.

use chrono::NaiveDate;
use model::InstrumentToken;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct OiBase {
    day: Mutex<(Option<NaiveDate>, HashMap<InstrumentToken, u64>)>,
}

impl OiBase {
    pub fn new() -> Self {
        Self::default()
    }

    /// OI now minus the day's base for `token` (recording `oi` as the base when it is the first
    /// reading of `today`).
    pub fn change(&self, today: NaiveDate, token: InstrumentToken, oi: u64) -> i64 {
        let mut g = self.day.lock().unwrap_or_else(|p| p.into_inner());
        if g.0 != Some(today) {
            *g = (Some(today), HashMap::new());
        }
        let base = *g.1.entry(token).or_insert(oi);
        oi as i64 - base as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reading_of_the_day_is_the_base() {
        let b = OiBase::new();
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let d2 = d1.succ_opt().unwrap();
        let t = InstrumentToken(1);
        assert_eq!(b.change(d1, t, 1000), 0);
        assert_eq!(b.change(d1, t, 1300), 300);
        assert_eq!(b.change(d1, t, 900), -100);
        assert_eq!(b.change(d1, InstrumentToken(2), 50), 0);
        // A new day starts over.
        assert_eq!(b.change(d2, t, 900), 0);
        assert_eq!(b.change(d2, t, 950), 50);
    }
}
