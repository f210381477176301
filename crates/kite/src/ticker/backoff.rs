//! Reconnect delays: exponential growth with jitter, so a fleet of clients that lost the same server does
//! not come back in lock-step.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Upper bound of the delay before attempt `attempt` (1-based): `initial * 2^(attempt-1)`, capped.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(20);
        self.initial.saturating_mul(1u32 << shift).min(self.max)
    }

    /// "Equal jitter": half the ceiling fixed, the other half random. Never zero, never above the ceiling.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let jitter_ms = rng.gen_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms).min(ceiling - half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn grows_then_caps() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(5), Duration::from_millis(1600));
        assert_eq!(b.ceiling(6), Duration::from_secs(2));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_in_band() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for attempt in 1..40 {
            for _ in 0..50 {
                let d = b.delay(attempt, &mut rng);
                let c = b.ceiling(attempt);
                assert!(d >= c / 2 && d <= c, "{d:?} outside [{:?}, {c:?}]", c / 2);
                seen.insert(d);
            }
        }
        assert!(seen.len() > 100, "jitter must actually vary");
    }
}
