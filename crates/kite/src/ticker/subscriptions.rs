//! The set of instruments a ticker client wants, and the messages that ask the server for them.

use model::{InstrumentToken, Mode};
use std::collections::BTreeMap;

/// Kite allows 3000 instruments per connection; subscribe messages are chunked below that.
pub const MAX_TOKENS_PER_MESSAGE: usize = 1000;

/// Wanted instruments and their modes. The client replays this after every reconnect, so it is the one
/// source of truth for what the socket should stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    modes: BTreeMap<InstrumentToken, Mode>,
}

impl Subscriptions {
    pub fn len(&self) -> usize {
        self.modes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modes.is_empty()
    }

    pub fn mode_of(&self, token: InstrumentToken) -> Option<Mode> {
        self.modes.get(&token).copied()
    }

    pub fn set(&mut self, tokens: &[InstrumentToken], mode: Mode) {
        for &t in tokens {
            self.modes.insert(t, mode);
        }
    }

    pub fn remove(&mut self, tokens: &[InstrumentToken]) {
        for t in tokens {
            self.modes.remove(t);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (InstrumentToken, Mode)> + '_ {
        self.modes.iter().map(|(t, m)| (*t, *m))
    }

    /// Messages that bring a fresh connection to this state: subscribes for every token, then one
    /// mode message per mode group (the order gokiteconnect uses).
    pub fn replay_messages(&self) -> Vec<String> {
        let tokens: Vec<InstrumentToken> = self.modes.keys().copied().collect();
        let mut out = Vec::new();
        for chunk in tokens.chunks(MAX_TOKENS_PER_MESSAGE) {
            out.push(subscribe_message(chunk));
        }
        for mode in [Mode::Ltp, Mode::Quote, Mode::Full] {
            let group: Vec<InstrumentToken> = self
                .modes
                .iter()
                .filter(|(_, m)| **m == mode)
                .map(|(t, _)| *t)
                .collect();
            for chunk in group.chunks(MAX_TOKENS_PER_MESSAGE) {
                out.push(mode_message(chunk, mode));
            }
        }
        out
    }
}

pub fn subscribe_message(tokens: &[InstrumentToken]) -> String {
    serde_json::json!({ "a": "subscribe", "v": tokens }).to_string()
}

pub fn unsubscribe_message(tokens: &[InstrumentToken]) -> String {
    serde_json::json!({ "a": "unsubscribe", "v": tokens }).to_string()
}

pub fn mode_message(tokens: &[InstrumentToken], mode: Mode) -> String {
    serde_json::json!({ "a": "mode", "v": [mode.as_str(), tokens] }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_subscribes_then_sets_modes() {
        let mut s = Subscriptions::default();
        s.set(
            &[InstrumentToken(408065), InstrumentToken(884737)],
            Mode::Full,
        );
        s.set(&[InstrumentToken(256265)], Mode::Ltp);
        s.remove(&[InstrumentToken(884737)]);
        assert_eq!(
            s.replay_messages(),
            vec![
                r#"{"a":"subscribe","v":[256265,408065]}"#.to_string(),
                r#"{"a":"mode","v":["ltp",[256265]]}"#.to_string(),
                r#"{"a":"mode","v":["full",[408065]]}"#.to_string(),
            ]
        );
    }

    #[test]
    fn empty_replays_nothing() {
        assert!(Subscriptions::default().replay_messages().is_empty());
    }
}
