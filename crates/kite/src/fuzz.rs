//! Entry points for fuzzing what this crate reads from the network: the ticker's binary frames, REST
//! reply envelopes (and the typed data inside), and the instruments CSV dump. Each takes arbitrary
//! bytes and must return without panicking, whatever they hold. `fuzz/` drives them with cargo-fuzz
//! (libFuzzer, nightly); `tests/fuzz_smoke.rs` replays the committed corpus and random mutations of it
//! on stable, in every test run.

use crate::rest::client::decode_envelope;
use crate::rest::instruments::parse_instruments_csv;
use crate::ticker::parse::{parse_packet, Frame};
use model::broker::{Holding, Margins, Order, Positions, Profile, Quote, Trade};
use std::collections::HashMap;

/// A ticker frame: the header, then every packet it announces.
pub fn ticker_frame(data: &[u8]) {
    if let Ok(Frame::Packets(packets)) = Frame::parse(data) {
        for p in packets {
            let _ = p;
        }
    }
    let _ = parse_packet(data);
}

/// A REST reply: the first two bytes pick the HTTP status (100..=599), the rest is the body. A decoded
/// `data` is then read as each reply type the client knows.
pub fn rest_envelope(data: &[u8]) {
    let (code, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = decode_envelope(code, &text) {
        let _ = serde_json::from_value::<Vec<Order>>(v.clone());
        let _ = serde_json::from_value::<Vec<Trade>>(v.clone());
        let _ = serde_json::from_value::<Positions>(v.clone());
        let _ = serde_json::from_value::<Vec<Holding>>(v.clone());
        let _ = serde_json::from_value::<Margins>(v.clone());
        let _ = serde_json::from_value::<Profile>(v.clone());
        let _ = serde_json::from_value::<HashMap<String, Quote>>(v);
    }
}

/// The instruments dump (CSV).
pub fn instruments_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_instruments_csv(&text);
}
