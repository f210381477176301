//! The latest tick per instrument, in the order the user's watch list shows them.

use model::{InstrumentToken, Tick, WatchInstrument, WatchRow};
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct MarketWatch {
    instruments: Vec<WatchInstrument>,
    latest: HashMap<InstrumentToken, Tick>,
}

impl MarketWatch {
    pub fn new(instruments: Vec<WatchInstrument>) -> Self {
        Self {
            instruments,
            latest: HashMap::new(),
        }
    }

    pub fn instruments(&self) -> &[WatchInstrument] {
        &self.instruments
    }

    pub fn tokens(&self) -> Vec<InstrumentToken> {
        self.instruments.iter().map(|i| i.token).collect()
    }

    /// Merges a tick into the latest state. A tick in a leaner mode than what is held (an `ltp` tick
    /// after a `full` one) only updates the fields it carries, so the row never loses its depth or OHLC.
    pub fn apply(&mut self, tick: Tick) -> Tick {
        let merged = match self.latest.get(&tick.token) {
            Some(prev) if tick.mode < prev.mode => {
                let mut m = *prev;
                m.last_price = tick.last_price;
                if tick.mode == model::Mode::Quote {
                    m.last_traded_quantity = tick.last_traded_quantity;
                    m.average_traded_price = tick.average_traded_price;
                    m.volume_traded = tick.volume_traded;
                    m.total_buy_quantity = tick.total_buy_quantity;
                    m.total_sell_quantity = tick.total_sell_quantity;
                    m.ohlc = tick.ohlc;
                    m.index_change = tick.index_change;
                }
                m
            }
            _ => tick,
        };
        self.latest.insert(tick.token, merged);
        merged
    }

    pub fn latest(&self, token: InstrumentToken) -> Option<&Tick> {
        self.latest.get(&token)
    }

    /// Latest ticks in watch-list order (instruments without a tick yet are left out).
    pub fn ticks(&self) -> Vec<Tick> {
        self.instruments
            .iter()
            .filter_map(|i| self.latest.get(&i.token).copied())
            .collect()
    }

    pub fn rows(&self) -> Vec<WatchRow> {
        self.instruments
            .iter()
            .map(|i| WatchRow {
                instrument: i.clone(),
                tick: self.latest.get(&i.token).copied(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Mode, Ohlc};

    #[test]
    fn leaner_tick_keeps_richer_fields() {
        let mut w = MarketWatch::default();
        let full = Tick {
            token: InstrumentToken(1),
            mode: Mode::Full,
            last_price: 10.0,
            ohlc: Ohlc {
                close: 9.0,
                ..Ohlc::default()
            },
            depth: Some(Default::default()),
            ..Tick::default()
        };
        w.apply(full);
        let ltp = Tick {
            token: InstrumentToken(1),
            mode: Mode::Ltp,
            last_price: 11.0,
            ..Tick::default()
        };
        let m = w.apply(ltp);
        assert_eq!(m.last_price, 11.0);
        assert_eq!(m.mode, Mode::Full);
        assert_eq!(m.ohlc.close, 9.0);
        assert!(m.depth.is_some());
    }
}
