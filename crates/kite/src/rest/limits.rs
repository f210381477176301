//! Kite's published rate limits (SPEC §11), enforced on our side so callers wait instead of getting 429s.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

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

/// Per-second limits are spread evenly with no burst and a 5% margin: a token bucket with a burst of
/// `n` would let `2n - 1` requests into some one-second window, which Kite counts as a breach.
fn per_second(n: u32) -> DefaultDirectRateLimiter {
    let period = Duration::from_millis(1050) / nz(n).get();
    RateLimiter::direct(
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN),
    )
}

pub struct Limiter {
    quote: DefaultDirectRateLimiter,
    historical: DefaultDirectRateLimiter,
    orders: DefaultDirectRateLimiter,
    orders_minute: DefaultDirectRateLimiter,
    orders_day: DefaultDirectRateLimiter,
    other: DefaultDirectRateLimiter,
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
            quote: per_second(l.quote_per_sec),
            historical: per_second(l.historical_per_sec),
            orders: per_second(l.orders_per_sec),
            orders_minute: spread(l.orders_per_minute, Duration::from_secs(60)),
            orders_day: spread(l.orders_per_day, Duration::from_secs(86_400)),
            other: per_second(l.other_per_sec),
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
