//! Zero-copy decoding of Kite's binary ticker frames (SPEC §12.3).
//!
//! A frame is `u16 N` then N times (`u16 L`, L bytes). Packets are read straight out of the socket's
//! buffer: nothing is copied or allocated. Any byte string is either decoded or rejected with a
//! [`ParseError`]; nothing here can panic, because the bytes come from the network.

use model::{tick::Depth, DepthLevel, InstrumentToken, Mode, Ohlc, Tick, DEPTH_LEVELS};
use thiserror::Error;

pub const LTP_LEN: usize = 8;
pub const INDEX_QUOTE_LEN: usize = 28;
pub const INDEX_FULL_LEN: usize = 32;
pub const QUOTE_LEN: usize = 44;
pub const FULL_LEN: usize = 184;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("frame of {0} bytes is too short for its packet count")]
    ShortFrame(usize),
    #[error("packet {index} announces {announced} bytes but only {available} remain")]
    Truncated {
        index: usize,
        announced: usize,
        available: usize,
    },
    #[error("packet of {0} bytes matches no known kind (8, 28, 32, 44, 184)")]
    UnknownLength(usize),
    #[error("{0} bytes left over after the last packet")]
    TrailingBytes(usize),
}

/// One binary message from the ticker: either a heartbeat or a list of packets.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// A 1-byte keep-alive (or any frame too short to hold a packet count).
    Heartbeat,
    Packets(Packets<'a>),
}

impl<'a> Frame<'a> {
    /// Reads the frame header. Packets are decoded lazily by iterating.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        match bytes.len() {
            0 | 1 => Ok(Frame::Heartbeat),
            _ => {
                let count = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
                Ok(Frame::Packets(Packets {
                    rest: &bytes[2..],
                    remaining: count,
                    index: 0,
                    total_len: bytes.len(),
                }))
            }
        }
    }

    /// Number of packets announced by the header (0 for a heartbeat).
    pub fn announced(&self) -> usize {
        match self {
            Frame::Heartbeat => 0,
            Frame::Packets(p) => p.remaining,
        }
    }
}

/// Iterator over the packets of a frame. After the first error it stops.
#[derive(Debug, Clone, Copy)]
pub struct Packets<'a> {
    rest: &'a [u8],
    remaining: usize,
    index: usize,
    total_len: usize,
}

impl<'a> Packets<'a> {
    fn fail(&mut self, e: ParseError) -> Option<Result<Tick, ParseError>> {
        self.remaining = 0;
        self.rest = &[];
        Some(Err(e))
    }
}

impl Iterator for Packets<'_> {
    type Item = Result<Tick, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            if !self.rest.is_empty() {
                let n = self.rest.len();
                return self.fail(ParseError::TrailingBytes(n));
            }
            return None;
        }
        let Some((len_bytes, after)) = self.rest.split_first_chunk::<2>() else {
            let total = self.total_len;
            return self.fail(ParseError::ShortFrame(total));
        };
        let len = u16::from_be_bytes(*len_bytes) as usize;
        if after.len() < len {
            let e = ParseError::Truncated {
                index: self.index,
                announced: len,
                available: after.len(),
            };
            return self.fail(e);
        }
        let (packet, rest) = after.split_at(len);
        self.rest = rest;
        self.remaining -= 1;
        self.index += 1;
        Some(parse_packet(packet))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining + 1))
    }
}

#[inline(always)]
fn u32_at(p: &[u8], at: usize) -> u32 {
    // Callers check the packet length first, so this never falls back; the fallback keeps it panic-free.
    match p.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

#[inline(always)]
fn u16_at(p: &[u8], at: usize) -> u16 {
    match p.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

#[inline(always)]
fn nonzero(v: u32) -> Option<u32> {
    (v != 0).then_some(v)
}

/// Decodes one packet (without its length prefix). The kind is known only from the length.
pub fn parse_packet(p: &[u8]) -> Result<Tick, ParseError> {
    let len = p.len();
    if !matches!(
        len,
        LTP_LEN | INDEX_QUOTE_LEN | INDEX_FULL_LEN | QUOTE_LEN | FULL_LEN
    ) {
        return Err(ParseError::UnknownLength(len));
    }
    let token = InstrumentToken(u32_at(p, 0));
    let segment = token.segment();
    let div = segment.price_divisor();
    let price = |at: usize| u32_at(p, at) as f64 / div;
    let tradable = segment.is_tradable();
    let mut tick = Tick {
        token,
        tradable,
        last_price: price(4),
        ..Tick::default()
    };
    if len == LTP_LEN {
        tick.mode = Mode::Ltp;
        return Ok(tick);
    }
    if !tradable && (len == INDEX_QUOTE_LEN || len == INDEX_FULL_LEN) {
        tick.mode = if len == INDEX_FULL_LEN {
            Mode::Full
        } else {
            Mode::Quote
        };
        tick.ohlc = Ohlc {
            high: price(8),
            low: price(12),
            open: price(16),
            close: price(20),
        };
        tick.index_change = Some(u32_at(p, 24) as i32 as f64 / div);
        if len == INDEX_FULL_LEN {
            tick.exchange_timestamp = nonzero(u32_at(p, 28));
        }
        return Ok(tick);
    }
    if len < QUOTE_LEN {
        // A 28/32-byte packet for a tradable token: the index layout does not apply.
        return Err(ParseError::UnknownLength(len));
    }
    tick.mode = Mode::Quote;
    tick.last_traded_quantity = u32_at(p, 8);
    tick.average_traded_price = price(12);
    tick.volume_traded = u32_at(p, 16);
    tick.total_buy_quantity = u32_at(p, 20);
    tick.total_sell_quantity = u32_at(p, 24);
    tick.ohlc = Ohlc {
        open: price(28),
        high: price(32),
        low: price(36),
        close: price(40),
    };
    if len == FULL_LEN {
        tick.mode = Mode::Full;
        tick.last_trade_time = nonzero(u32_at(p, 44));
        tick.oi = u32_at(p, 48);
        tick.oi_day_high = u32_at(p, 52);
        tick.oi_day_low = u32_at(p, 56);
        tick.exchange_timestamp = nonzero(u32_at(p, 60));
        let level = |at: usize| DepthLevel {
            quantity: u32_at(p, at),
            price: price(at + 4),
            orders: u16_at(p, at + 8),
        };
        let mut depth = Depth::default();
        for k in 0..DEPTH_LEVELS {
            depth.buy[k] = level(64 + 12 * k);
            depth.sell[k] = level(124 + 12 * k);
        }
        tick.depth = Some(depth);
    }
    Ok(tick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_is_heartbeat() {
        assert!(matches!(Frame::parse(&[0]), Ok(Frame::Heartbeat)));
        assert!(matches!(Frame::parse(&[]), Ok(Frame::Heartbeat)));
    }

    #[test]
    fn empty_packet_list_is_fine() {
        let f = Frame::parse(&[0, 0]).unwrap();
        let Frame::Packets(mut p) = f else { panic!() };
        assert!(p.next().is_none());
    }

    #[test]
    fn truncated_packet_is_error() {
        // One packet announced of 8 bytes, only 4 present.
        let f = Frame::parse(&[0, 1, 0, 8, 1, 2, 3, 4]).unwrap();
        let Frame::Packets(mut p) = f else { panic!() };
        assert_eq!(
            p.next(),
            Some(Err(ParseError::Truncated {
                index: 0,
                announced: 8,
                available: 4
            }))
        );
        assert_eq!(p.next(), None);
    }

    #[test]
    fn missing_length_prefix_is_error() {
        let f = Frame::parse(&[0, 2, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1, 7]).unwrap();
        let v: Vec<_> = match f {
            Frame::Packets(p) => p.collect(),
            _ => panic!(),
        };
        assert!(v[0].is_ok());
        assert_eq!(v[1], Err(ParseError::ShortFrame(13)));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn trailing_bytes_are_reported() {
        let f = Frame::parse(&[0, 0, 9, 9]).unwrap();
        let v: Vec<_> = match f {
            Frame::Packets(p) => p.collect(),
            _ => panic!(),
        };
        assert_eq!(v, vec![Err(ParseError::TrailingBytes(2))]);
    }

    #[test]
    fn odd_lengths_are_rejected() {
        for len in [0usize, 7, 9, 27, 43, 45, 183, 185] {
            assert_eq!(
                parse_packet(&vec![0; len]),
                Err(ParseError::UnknownLength(len))
            );
        }
        // 28-byte packet for an NSE (tradable) token is not an index packet.
        let mut p = vec![0u8; 28];
        p[3] = 1;
        assert_eq!(parse_packet(&p), Err(ParseError::UnknownLength(28)));
    }
}
