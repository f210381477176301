//! Encodes quotes into Kite's binary ticker packets and frames (SPEC §12.3), big-endian throughout.

use crate::market::{Level, Quote};
use model::Mode;

/// Appends one packet for `q` in `mode`, preceded by its u16 length.
pub fn push_packet(buf: &mut Vec<u8>, q: &Quote, mode: Mode) {
    let start = buf.len();
    buf.extend_from_slice(&[0, 0]);
    let put = |buf: &mut Vec<u8>, v: u32| buf.extend_from_slice(&v.to_be_bytes());
    put(buf, q.token.0);
    put(buf, q.last);
    match (mode, q.is_index) {
        (Mode::Ltp, _) => {}
        (_, true) => {
            put(buf, q.high);
            put(buf, q.low);
            put(buf, q.open);
            put(buf, q.close);
            let change = q.last as i64 - q.close as i64;
            buf.extend_from_slice(&(change as i32).to_be_bytes());
            if mode == Mode::Full {
                put(buf, q.exchange_timestamp);
            }
        }
        (_, false) => {
            put(buf, q.last_quantity);
            put(buf, q.average);
            put(buf, q.volume);
            put(buf, q.buy_quantity);
            put(buf, q.sell_quantity);
            put(buf, q.open);
            put(buf, q.high);
            put(buf, q.low);
            put(buf, q.close);
            if mode == Mode::Full {
                put(buf, q.last_trade_time);
                put(buf, q.oi);
                put(buf, q.oi_day_high);
                put(buf, q.oi_day_low);
                put(buf, q.exchange_timestamp);
                let level = |buf: &mut Vec<u8>, l: &Level| {
                    buf.extend_from_slice(&l.quantity.to_be_bytes());
                    buf.extend_from_slice(&l.price.to_be_bytes());
                    buf.extend_from_slice(&l.orders.to_be_bytes());
                    buf.extend_from_slice(&[0, 0]);
                };
                for l in q.bids.iter().chain(q.asks.iter()) {
                    level(buf, l);
                }
            }
        }
    }
    let len = (buf.len() - start - 2) as u16;
    buf[start..start + 2].copy_from_slice(&len.to_be_bytes());
}

/// Builds one frame from packets: `u16 N` then each packet. Returns `None` for no packets, since an
/// empty frame would be wasted bytes (heartbeats are sent separately).
pub fn frame<'a>(packets: impl IntoIterator<Item = (&'a Quote, Mode)>) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(2 + 186 * 8);
    buf.extend_from_slice(&[0, 0]);
    let mut n: u16 = 0;
    for (q, mode) in packets {
        push_packet(&mut buf, q, mode);
        n += 1;
    }
    if n == 0 {
        return None;
    }
    buf[0..2].copy_from_slice(&n.to_be_bytes());
    Some(buf)
}

/// A heartbeat: one byte.
pub const HEARTBEAT: [u8; 1] = [0];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Market, MarketConfig};

    #[test]
    fn packet_lengths_match_spec() {
        let m = Market::new(MarketConfig::default());
        let index = &m.quotes()[0];
        let stock = &m.quotes()[5];
        let len = |q: &Quote, mode| {
            let mut b = Vec::new();
            push_packet(&mut b, q, mode);
            assert_eq!(u16::from_be_bytes([b[0], b[1]]) as usize, b.len() - 2);
            b.len() - 2
        };
        assert_eq!(len(index, Mode::Ltp), 8);
        assert_eq!(len(index, Mode::Quote), 28);
        assert_eq!(len(index, Mode::Full), 32);
        assert_eq!(len(stock, Mode::Ltp), 8);
        assert_eq!(len(stock, Mode::Quote), 44);
        assert_eq!(len(stock, Mode::Full), 184);
    }

    #[test]
    fn frame_counts_packets() {
        let m = Market::new(MarketConfig::default());
        let f = frame(m.quotes().iter().take(3).map(|q| (q, Mode::Ltp))).unwrap();
        assert_eq!(&f[0..2], &[0, 3]);
        assert_eq!(f.len(), 2 + 3 * 10);
        assert!(frame(std::iter::empty()).is_none());
    }
}
