//! Kite's published rate limits (SPEC §11), enforced on our side so callers wait instead of getting 429s.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// `/quote`, `/quote/ohlc`, `/quote/ltp`: 1 request/s.
    Quote,
    /// Historical candles: 3 requests/s.
    Historical,
    /// Order placement: 10/s, and 400 a minute, 5000 a day per account.
    OrderPlace,
    /// Everything else: 10/s.
    Other,
}

/// Limits per class; the defaults are Kite's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub quote_per_sec: u32,
    pub historical_per_sec: u32,
    pub orders_per_sec: u32,
    pub orders_per_minute: u32,
    pub orders_per_day: u32,
    pub other_per_sec: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            quote_per_sec: 1,
            historical_per_sec: 3,
            orders_per_sec: 10,
            orders_per_minute: 400,
            orders_per_day: 5000,
            other_per_sec: 10,
        }
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// At most `n` requests in any sliding window of `window` (Kite's per-second limits, with a margin
/// for the network's jitter): unlike a token bucket, whose burst of `n` would let `2n - 1` into some
/// one-second window, this never breaches one.
///
/// Ordinary requests are spaced `window / n` apart and may fill only `n - reserve` of a window; the
/// rest is kept for [`urgent`] ones (the kill switch), which are not spaced and go at once while
/// there is room — its square-offs leave side by side and never queue behind background reads.
pub(crate) struct SlidingWindow {
    n: usize,
    reserve: usize,
    window: Duration,
    sent: Mutex<Sent>,
}

#[derive(Default)]
struct Sent {
    /// Every request of the last window, oldest first.
    at: VecDeque<Instant>,
    /// The last ordinary one.
    ordinary: Option<Instant>,
}

tokio::task_local! {
    static URGENT: bool;
}

/// Runs `f` with its Kite requests marked urgent: they may use the share of every rate limit kept
/// free of ordinary traffic. For the kill switch only; an urgent caller that floods still waits.
pub async fn urgent<F: std::future::Future>(f: F) -> F::Output {
    URGENT.scope(true, f).await
}

/// Runs `f` as ordinary traffic even inside [`urgent`] work (bookkeeping reads that must not take
/// the kill switch's share).
pub async fn ordinary<F: std::future::Future>(f: F) -> F::Output {
    URGENT.scope(false, f).await
}

/// Whether the running task's requests are [`urgent`].
pub fn is_urgent() -> bool {
    URGENT.try_with(|u| *u).unwrap_or(false)
}

impl SlidingWindow {
    pub(crate) fn new(n: u32, window: Duration) -> Self {
        let n = nz(n).get() as usize;
        Self {
            n,
            reserve: n * 3 / 10,
            window,
            sent: Mutex::new(Sent::default()),
        }
    }

    /// Waits until a request may go out and counts it as sent now.
    pub(crate) async fn until_ready(&self) {
        let urgent = is_urgent();
        let (cap, spacing) = if urgent {
            (self.n, Duration::ZERO)
        } else {
            (self.n - self.reserve, self.window / self.n as u32)
        };
        loop {
            let wait = {
                let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while sent
                    .at
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    sent.at.pop_front();
                }
                // Waits for the request whose leaving brings the window under the cap, and for
                // the spacing since the last ordinary request.
                let full = sent
                    .at
                    .len()
                    .checked_sub(cap)
                    .and_then(|i| sent.at.get(i))
                    .map(|t| self.window - now.duration_since(*t));
                let spaced = sent
                    .ordinary
                    .filter(|_| !urgent)
                    .map(|t| spacing.saturating_sub(now.duration_since(t)))
                    .filter(|d| !d.is_zero());
                match full.max(spaced) {
                    Some(d) => d,
                    None => {
                        sent.at.push_back(now);
                        if !urgent {
                            sent.ordinary = Some(now);
                        }
                        return;
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Kite counts requests as they arrive; 10 % of margin absorbs the network's jitter.
const SECOND: Duration = Duration::from_millis(1100);

pub struct Limiter {
    quote: SlidingWindow,
    historical: SlidingWindow,
    orders: SlidingWindow,
    orders_minute: DefaultDirectRateLimiter,
    orders_day: DefaultDirectRateLimiter,
    other: SlidingWindow,
}

impl Limiter {
    pub fn new(l: RateLimits) -> Self {
        let spread = |n: u32, period: Duration| {
            let per = period / nz(n).get();
            RateLimiter::direct(
                Quota::with_period(per)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(nz(n)),
            )
        };
        Self {
            quote: SlidingWindow::new(l.quote_per_sec, SECOND),
            historical: SlidingWindow::new(l.historical_per_sec, SECOND),
            orders: SlidingWindow::new(l.orders_per_sec, SECOND),
            orders_minute: spread(l.orders_per_minute, Duration::from_secs(60)),
            orders_day: spread(l.orders_per_day, Duration::from_secs(86_400)),
            other: SlidingWindow::new(l.other_per_sec, SECOND),
        }
    }

    /// Waits until a request of `class` may go out.
    pub async fn wait(&self, class: Class) {
        match class {
            Class::Quote => self.quote.until_ready().await,
            Class::Historical => self.historical.until_ready().await,
            Class::Other => self.other.until_ready().await,
            Class::OrderPlace => {
                self.orders_day.until_ready().await;
                self.orders_minute.until_ready().await;
                self.orders.until_ready().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_goes_at_once_and_no_window_holds_more_than_n() {
        let w = SlidingWindow::new(10, Duration::from_millis(300));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..25 {
            urgent(w.until_ready()).await;
            at.push(start.elapsed());
        }
        // The first ten side by side, not 30 ms apart.
        assert!(at[9] < Duration::from_millis(25), "{at:?}");
        // The eleventh waits for the first to leave the window.
        assert!(at[10] >= Duration::from_millis(300), "{at:?}");
        for (i, t) in at.iter().enumerate() {
            let inside = at[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_millis(300))
                .count();
            assert!(inside <= 10, "{inside} within one window: {at:?}");
        }
    }

    #[tokio::test]
    async fn ordinary_traffic_leaves_room_for_urgent_requests() {
        let w = SlidingWindow::new(10, Duration::from_millis(1000));
        let start = Instant::now();
        // Background reads go 100 ms apart and take at most 7 of the 10.
        let mut at = Vec::new();
        for _ in 0..7 {
            w.until_ready().await;
            at.push(start.elapsed());
        }
        assert!(
            at.windows(2)
                .all(|p| p[1] - p[0] >= Duration::from_millis(99)),
            "{at:?}"
        );
        let background = tokio::time::timeout(Duration::from_millis(60), w.until_ready()).await;
        assert!(background.is_err(), "an 8th ordinary request went out");
        // The kill switch's three go at once, without the spacing.
        let t = Instant::now();
        for _ in 0..3 {
            urgent(w.until_ready()).await;
        }
        assert!(t.elapsed() < Duration::from_millis(20));
        // And then the window is full for everyone.
        let more = tokio::time::timeout(Duration::from_millis(100), urgent(w.until_ready())).await;
        assert!(more.is_err());
    }

    #[tokio::test]
    async fn urgency_is_scoped_and_can_be_lifted_for_bookkeeping() {
        assert!(!is_urgent());
        assert!(urgent(async { is_urgent() }).await);
        assert!(!urgent(ordinary(async { is_urgent() })).await);
        assert!(
            urgent(async {
                ordinary(async {}).await;
                is_urgent()
            })
            .await
        );
    }
}
