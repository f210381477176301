//! One equity strategy at run time: its own thread, fed ticks, building bars and calling the
//! strategy. A strategy that blocks or loops only stops its own thread: the engine, the other
//! strategies and the kill switch keep working.

use super::bars::BarBuilder;
use crate::strategy::{Side, Signal, Strategy};
use model::trading::{SignalSide, StrategyId};
use model::Tick;
use quant::indicators::Atr;
use quant::Bar;
use std::sync::mpsc as std_mpsc;
use tokio::sync::mpsc;

/// What a runner thread is fed.
#[derive(Debug, Clone)]
pub enum RunnerInput {
    Tick(Box<Tick>),
    /// Wall clock (Unix seconds): closes a bar whose time is over in a quiet market.
    Flush(i64),
    /// A closed bar from elsewhere (a replay).
    Bar(Bar),
}

/// A signal with what the engine needs to size and price it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerSignal {
    pub strategy_id: StrategyId,
    pub side: SignalSide,
    pub strength: f64,
    pub reason: String,
    /// The bar's close (or the tick's price) the signal was taken on.
    pub price: f64,
    /// ATR(14) of the bars so far, for risk sizing.
    pub atr: Option<f64>,
    /// Start of the bar the signal was taken on (Unix seconds), or the tick's time.
    pub bar_ts: i64,
}

pub fn side_of(s: Side) -> SignalSide {
    match s {
        Side::Buy => SignalSide::Buy,
        Side::Sell => SignalSide::Sell,
        Side::Exit => SignalSide::Exit,
    }
}

/// Handle on a runner thread; dropping it stops the thread after its current call returns.
pub struct Runner {
    tx: std_mpsc::Sender<RunnerInput>,
}

impl Runner {
    /// Starts the thread for strategy `id`.
    pub fn spawn(
        id: StrategyId,
        mut strategy: Box<dyn Strategy>,
        bar_seconds: u32,
        out: mpsc::UnboundedSender<RunnerSignal>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = std_mpsc::channel::<RunnerInput>();
        std::thread::Builder::new()
            .name(format!("strategy-{id}"))
            .spawn(move || {
                let mut bars = BarBuilder::new(bar_seconds);
                let mut atr = AtrTrack::new();
                let on_bar = |bar: Bar, strategy: &mut Box<dyn Strategy>, atr: &mut AtrTrack| {
                    let a = atr.update(&bar);
                    strategy.on_bar(&bar).map(|s| (s, bar.close, bar.ts, a))
                };
                while let Ok(input) = rx.recv() {
                    let fired: Option<(Signal, f64, i64, Option<f64>)> = match input {
                        RunnerInput::Tick(t) => {
                            let now = chrono::Utc::now().timestamp();
                            let intrabar = strategy.on_tick(&t).map(|s| {
                                let ts = t.exchange_timestamp.map(i64::from).unwrap_or(now);
                                (s, t.last_price, ts, atr.last)
                            });
                            let closed = bars.on_tick(&t, now);
                            let from_bar = closed.and_then(|b| on_bar(b, &mut strategy, &mut atr));
                            if let Some(x) = intrabar {
                                send(&out, id, x);
                            }
                            from_bar
                        }
                        RunnerInput::Flush(now) => bars
                            .flush(now)
                            .and_then(|b| on_bar(b, &mut strategy, &mut atr)),
                        RunnerInput::Bar(b) => on_bar(b, &mut strategy, &mut atr),
                    };
                    if let Some(x) = fired {
                        send(&out, id, x);
                    }
                }
            })?;
        Ok(Self { tx })
    }

    /// Feeds the thread; `false` once it has stopped.
    pub fn feed(&self, input: RunnerInput) -> bool {
        self.tx.send(input).is_ok()
    }
}

/// ATR(14) of the bars so far, for risk sizing.
struct AtrTrack {
    atr: Option<Atr>,
    last: Option<f64>,
}

impl AtrTrack {
    fn new() -> Self {
        Self {
            // 14 is a valid period: construction cannot fail.
            atr: Atr::new(14).ok(),
            last: None,
        }
    }

    fn update(&mut self, bar: &Bar) -> Option<f64> {
        if let Some(v) = self
            .atr
            .as_mut()
            .and_then(|a| a.update(bar.high, bar.low, bar.close))
        {
            self.last = Some(v);
        }
        self.last
    }
}

fn send(
    out: &mpsc::UnboundedSender<RunnerSignal>,
    id: StrategyId,
    (s, price, ts, atr): (Signal, f64, i64, Option<f64>),
) {
    let _ = out.send(RunnerSignal {
        strategy_id: id,
        side: side_of(s.side),
        strength: s.strength,
        reason: s.reason,
        price,
        atr,
        bar_ts: ts,
    });
}
