//! Bars built from live ticks, so a live strategy sees the same kind of input as the backtester.
//!
//! A bar covers `[start, start + seconds)` of exchange time. It closes when the first tick of a later
//! bucket arrives, or when [`BarBuilder::flush`] is called after the bucket's end (a quiet market
//! must not hold a bar open forever). Volume is the increase of the day's cumulative traded volume.

use model::Tick;
use quant::Bar;

#[derive(Debug, Clone)]
pub struct BarBuilder {
    seconds: i64,
    current: Option<Bar>,
    last_volume: Option<u64>,
}

impl BarBuilder {
    /// Bars of `seconds` (at least 1).
    pub fn new(seconds: u32) -> Self {
        Self {
            seconds: i64::from(seconds.max(1)),
            current: None,
            last_volume: None,
        }
    }

    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    fn bucket(&self, ts: i64) -> i64 {
        ts - ts.rem_euclid(self.seconds)
    }

    /// Feeds one tick (exchange time in Unix seconds); returns the bar it closed, if any.
    pub fn on_tick(&mut self, tick: &Tick, now_secs: i64) -> Option<Bar> {
        let price = tick.last_price;
        if !price.is_finite() || price <= 0.0 {
            return None;
        }
        let ts = tick
            .exchange_timestamp
            .or(tick.last_trade_time)
            .map(i64::from)
            .unwrap_or(now_secs);
        let volume = u64::from(tick.volume_traded);
        let traded = match self.last_volume {
            Some(prev) if volume >= prev => (volume - prev) as f64,
            _ => 0.0,
        };
        self.last_volume = Some(volume);
        self.on_price(ts, price, traded)
    }

    /// Feeds one trade price with its volume at `ts` (Unix seconds); returns the bar it closed.
    pub fn on_price(&mut self, ts: i64, price: f64, volume: f64) -> Option<Bar> {
        let start = self.bucket(ts);
        match &mut self.current {
            Some(bar) if bar.ts == start => {
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += volume;
                None
            }
            // A tick older than the open bar (out of order): fold it into the open bar's close
            // would be wrong, and reopening the past is impossible; drop it.
            Some(bar) if start < bar.ts => None,
            _ => self
                .current
                .replace(Bar::new(start, price, price, price, price, volume)),
        }
    }

    /// Closes the open bar if its time is over at `now_secs`.
    pub fn flush(&mut self, now_secs: i64) -> Option<Bar> {
        match &self.current {
            Some(bar) if now_secs >= bar.ts + self.seconds => self.current.take(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_make_bars_by_exchange_time() {
        let mut b = BarBuilder::new(5);
        assert_eq!(b.on_price(100, 10.0, 1.0), None);
        assert_eq!(b.on_price(101, 12.0, 2.0), None);
        assert_eq!(b.on_price(103, 9.0, 3.0), None);
        assert_eq!(b.on_price(104, 11.0, 4.0), None);
        // An out-of-order tick from a closed bucket is dropped.
        assert_eq!(b.on_price(94, 50.0, 1.0), None);
        let bar = b.on_price(105, 11.5, 5.0).unwrap();
        assert_eq!(bar, Bar::new(100, 10.0, 12.0, 9.0, 11.0, 10.0));
        assert_eq!(b.flush(109), None);
        assert_eq!(
            b.flush(110),
            Some(Bar::new(105, 11.5, 11.5, 11.5, 11.5, 5.0))
        );
        assert_eq!(b.flush(200), None);
    }

    #[test]
    fn volume_is_the_increase_of_the_days_total() {
        let mut b = BarBuilder::new(60);
        let mut t = Tick {
            last_price: 100.0,
            volume_traded: 1_000,
            exchange_timestamp: Some(120),
            ..Tick::default()
        };
        b.on_tick(&t, 0);
        t.volume_traded = 1_250;
        t.exchange_timestamp = Some(130);
        b.on_tick(&t, 0);
        t.exchange_timestamp = Some(180);
        t.volume_traded = 1_300;
        let bar = b.on_tick(&t, 0).unwrap();
        assert_eq!(bar.volume, 250.0);
        // Zero and non-finite prices never make a bar.
        t.last_price = 0.0;
        assert_eq!(b.on_tick(&t, 0), None);
    }
}
