//! The orders-per-minute limit: a sliding 60 s window over the times of approved intents.

use std::collections::VecDeque;

/// Length of the window.
pub const WINDOW_MS: u64 = 60_000;

/// Times of approved intents still inside the window. An intent at `t` counts at `now` while
/// `now - t < 60 s`, so any 60 s span holds at most the limit.
#[derive(Debug, Clone, Default)]
pub struct OrderWindow {
    times: VecDeque<u64>,
}

impl OrderWindow {
    /// Intents counted at `now` (times are pushed in non-decreasing order by the manager).
    pub fn count(&self, now: u64) -> u32 {
        let live = match now.checked_sub(WINDOW_MS) {
            None => self.times.len(),
            Some(cutoff) => self.times.iter().filter(|&&t| t > cutoff).count(),
        };
        u32::try_from(live).unwrap_or(u32::MAX)
    }

    /// Drops times that left the window at `now`.
    pub fn prune(&mut self, now: u64) {
        if now < WINDOW_MS {
            return;
        }
        let cutoff = now - WINDOW_MS;
        while self.times.front().is_some_and(|&t| t <= cutoff) {
            self.times.pop_front();
        }
    }

    pub fn push(&mut self, now: u64) {
        self.times.push_back(now);
    }

    pub fn clear(&mut self) {
        self.times.clear();
    }
}
