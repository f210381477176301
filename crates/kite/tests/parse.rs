//! The frame parser against frames laid out by hand from SPEC §12.3, the official mock packets, and
//! arbitrary bytes.

use base64::Engine as _;
use kite::parse_packet;
use kite::ticker::parse::{Frame, ParseError};
use model::{InstrumentToken, Mode, Tick};
use proptest::prelude::*;
use std::path::PathBuf;

/// A packet of `len` zero bytes with u32 fields written at the SPEC's byte offsets.
struct Layout(Vec<u8>);

impl Layout {
    fn new(len: usize) -> Self {
        Self(vec![0; len])
    }
    fn u32(mut self, at: usize, v: u32) -> Self {
        self.0[at..at + 4].copy_from_slice(&v.to_be_bytes());
        self
    }
    fn i32(self, at: usize, v: i32) -> Self {
        self.u32(at, v as u32)
    }
    fn u16(mut self, at: usize, v: u16) -> Self {
        self.0[at..at + 2].copy_from_slice(&v.to_be_bytes());
        self
    }
}

fn frame(packets: &[&[u8]]) -> Vec<u8> {
    let mut f = (packets.len() as u16).to_be_bytes().to_vec();
    for p in packets {
        f.extend_from_slice(&(p.len() as u16).to_be_bytes());
        f.extend_from_slice(p);
    }
    f
}

fn ticks(bytes: &[u8]) -> Vec<Result<Tick, ParseError>> {
    match Frame::parse(bytes).expect("header") {
        Frame::Heartbeat => vec![],
        Frame::Packets(p) => p.collect(),
    }
}

const NSE_INFY: u32 = 408065; // segment 1
const NFO_TOKEN: u32 = (12345 << 8) | 2;
const CDS_TOKEN: u32 = (4321 << 8) | 3;
const BCD_TOKEN: u32 = (777 << 8) | 6;
const NIFTY: u32 = 256265; // segment 9

fn quote_layout(token: u32) -> Layout {
    quote_fields(Layout::new(44), token)
}

/// The 44 bytes common to quote and full packets, written into `l`.
fn quote_fields(l: Layout, token: u32) -> Layout {
    l.u32(0, token)
        .u32(4, 157_315)
        .u32(8, 12)
        .u32(12, 157_033)
        .u32(16, 1_175_986)
        .u32(20, 256_511)
        .u32(24, 360_503)
        .u32(28, 156_915)
        .u32(32, 157_500)
        .u32(36, 156_105)
        .u32(40, 156_780)
}

#[test]
fn quote_packet_field_by_field() {
    let p = quote_layout(NSE_INFY).0;
    let t = parse_packet(&p).unwrap();
    assert_eq!(t.token, InstrumentToken(NSE_INFY));
    assert_eq!(t.mode, Mode::Quote);
    assert!(t.tradable);
    assert_eq!(t.last_price, 1573.15);
    assert_eq!(t.last_traded_quantity, 12);
    assert_eq!(t.average_traded_price, 1570.33);
    assert_eq!(t.volume_traded, 1_175_986);
    assert_eq!(t.total_buy_quantity, 256_511);
    assert_eq!(t.total_sell_quantity, 360_503);
    assert_eq!(t.ohlc.open, 1569.15);
    assert_eq!(t.ohlc.high, 1575.0);
    assert_eq!(t.ohlc.low, 1561.05);
    assert_eq!(t.ohlc.close, 1567.8);
    assert_eq!(t.last_trade_time, None);
    assert_eq!(t.exchange_timestamp, None);
    assert_eq!(t.depth, None);
    assert_eq!(t.index_change, None);
    assert!((t.net_change() - 5.35).abs() < 1e-9);
    assert!((t.change_percent() - 5.35 * 100.0 / 1567.8).abs() < 1e-9);
}

#[test]
fn full_packet_field_by_field() {
    let mut l = quote_fields(Layout::new(184), NFO_TOKEN)
        .u32(44, 1_625_461_887)
        .u32(48, 9_876_500)
        .u32(52, 10_000_000)
        .u32(56, 9_000_000)
        .u32(60, 1_625_461_888);
    for k in 0..5u32 {
        let bid = 64 + 12 * k as usize;
        let ask = 124 + 12 * k as usize;
        l = l
            .u32(bid, 100 + k)
            .u32(bid + 4, 157_300 - 5 * k)
            .u16(bid + 8, (k + 1) as u16)
            .u32(ask, 200 + k)
            .u32(ask + 4, 157_320 + 5 * k)
            .u16(ask + 8, (k + 10) as u16);
    }
    let t = parse_packet(&l.0).unwrap();
    assert_eq!(t.mode, Mode::Full);
    assert!(t.tradable);
    assert_eq!(t.last_price, 1573.15);
    assert_eq!(t.last_trade_time, Some(1_625_461_887));
    assert_eq!(t.oi, 9_876_500);
    assert_eq!(t.oi_day_high, 10_000_000);
    assert_eq!(t.oi_day_low, 9_000_000);
    assert_eq!(t.exchange_timestamp, Some(1_625_461_888));
    let d = t.depth.unwrap();
    for k in 0..5usize {
        assert_eq!(d.buy[k].quantity, 100 + k as u32);
        assert!((d.buy[k].price - (1573.0 - 0.05 * k as f64)).abs() < 1e-9);
        assert_eq!(d.buy[k].orders, k as u16 + 1);
        assert_eq!(d.sell[k].quantity, 200 + k as u32);
        assert!((d.sell[k].price - (1573.2 + 0.05 * k as f64)).abs() < 1e-9);
        assert_eq!(d.sell[k].orders, k as u16 + 10);
    }
    assert_eq!(t.best_bid().unwrap().quantity, 100);
    assert_eq!(t.best_ask().unwrap().orders, 10);
}

#[test]
fn ltp_packets_for_tradables_and_indices() {
    let t = parse_packet(&Layout::new(8).u32(0, NSE_INFY).u32(4, 157_315).0).unwrap();
    assert_eq!(
        (t.mode, t.tradable, t.last_price),
        (Mode::Ltp, true, 1573.15)
    );
    assert_eq!(t.volume_traded, 0);
    let t = parse_packet(&Layout::new(8).u32(0, NIFTY).u32(4, 2_605_035).0).unwrap();
    assert_eq!(
        (t.mode, t.tradable, t.last_price),
        (Mode::Ltp, false, 26050.35)
    );
}

fn index_layout(len: usize) -> Layout {
    Layout::new(len)
        .u32(0, NIFTY)
        .u32(4, 2_605_035)
        .u32(8, 2_610_000)
        .u32(12, 2_590_010)
        .u32(16, 2_600_000)
        .u32(20, 2_615_035)
        .i32(24, -1_000_000)
}

#[test]
fn index_quote_packet() {
    let t = parse_packet(&index_layout(28).0).unwrap();
    assert_eq!(t.mode, Mode::Quote);
    assert!(!t.tradable);
    assert_eq!(t.last_price, 26050.35);
    assert_eq!(t.ohlc.high, 26100.0);
    assert_eq!(t.ohlc.low, 25900.1);
    assert_eq!(t.ohlc.open, 26000.0);
    assert_eq!(t.ohlc.close, 26150.35);
    assert_eq!(t.index_change, Some(-10000.0));
    assert_eq!(t.exchange_timestamp, None);
    assert!((t.net_change() + 100.0).abs() < 1e-9);
}

#[test]
fn index_full_packet() {
    let t = parse_packet(&index_layout(32).u32(28, 1_625_461_887).0).unwrap();
    assert_eq!(t.mode, Mode::Full);
    assert!(!t.tradable);
    assert_eq!(t.ohlc.close, 26150.35);
    assert_eq!(t.exchange_timestamp, Some(1_625_461_887));
    assert_eq!(t.depth, None);
}

#[test]
fn currency_divisors() {
    // CDS: 7 decimals. 83.1234567 rupees.
    let t = parse_packet(&quote_layout(CDS_TOKEN).u32(4, 831_234_567).0).unwrap();
    assert!((t.last_price - 83.1234567).abs() < 1e-12);
    assert!((t.ohlc.close - 0.015678).abs() < 1e-12);
    // BCD: 4 decimals.
    let t = parse_packet(&quote_layout(BCD_TOKEN).u32(4, 831_234).0).unwrap();
    assert!((t.last_price - 83.1234).abs() < 1e-12);
    assert!((t.average_traded_price - 15.7033).abs() < 1e-12);
    // Depth prices use the divisor too.
    let mut full = Layout::new(184).u32(0, CDS_TOKEN).u32(68, 831_234_500);
    full = full.u32(64, 1);
    let t = parse_packet(&full.0).unwrap();
    assert!((t.depth.unwrap().buy[0].price - 83.12345).abs() < 1e-12);
}

#[test]
fn mixed_frame_decodes_every_packet_in_order() {
    let q = quote_layout(NSE_INFY).0;
    let l = Layout::new(8).u32(0, NIFTY).u32(4, 1).0;
    let i = index_layout(32).0;
    let f = Layout::new(184).u32(0, NFO_TOKEN).0;
    let out = ticks(&frame(&[&q, &l, &i, &f]));
    let modes: Vec<Mode> = out.iter().map(|t| t.as_ref().unwrap().mode).collect();
    assert_eq!(modes, vec![Mode::Quote, Mode::Ltp, Mode::Full, Mode::Full]);
    let tradable: Vec<bool> = out.iter().map(|t| t.as_ref().unwrap().tradable).collect();
    assert_eq!(tradable, vec![true, false, false, true]);
}

#[test]
fn truncated_frame_is_an_error_not_a_crash() {
    let q = quote_layout(NSE_INFY).0;
    let whole = frame(&[&q, &q]);
    for cut in 2..whole.len() {
        let out = ticks(&whole[..cut]);
        assert!(out.iter().any(|t| t.is_err()), "cut at {cut} should fail");
        assert!(out.len() <= 2);
    }
    assert!(ticks(&whole).iter().all(|t| t.is_ok()));
}

fn mocks_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KITE_MOCKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kite/mocks")
        });
    dir.is_dir().then_some(dir)
}

fn mock_packet(name: &str) -> (Vec<u8>, serde_json::Value) {
    let dir =
        mocks_dir().expect("../shared/kite/mocks must sit beside the checkout (or set KITE_MOCKS)");
    let b64 = std::fs::read_to_string(dir.join(format!("{name}.packet"))).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    (bytes, json)
}

fn check_against_mock(t: &Tick, j: &serde_json::Value) {
    let f = |k: &str| j[k].as_f64().unwrap();
    assert_eq!(t.token.0 as u64, j["instrument_token"].as_u64().unwrap());
    assert_eq!(t.mode.as_str(), j["mode"].as_str().unwrap());
    assert_eq!(t.tradable, j["tradable"].as_bool().unwrap());
    assert!((t.last_price - f("last_price")).abs() < 1e-9);
    assert_eq!(t.last_traded_quantity as f64, f("last_quantity"));
    assert!((t.average_traded_price - f("average_price")).abs() < 1e-9);
    assert_eq!(t.volume_traded as f64, f("volume"));
    assert_eq!(t.total_buy_quantity as f64, f("buy_quantity"));
    assert_eq!(t.total_sell_quantity as f64, f("sell_quantity"));
    for k in ["open", "high", "low", "close"] {
        let v = match k {
            "open" => t.ohlc.open,
            "high" => t.ohlc.high,
            "low" => t.ohlc.low,
            _ => t.ohlc.close,
        };
        assert!((v - j["ohlc"][k].as_f64().unwrap()).abs() < 1e-9, "{k}");
    }
}

#[test]
fn official_quote_mock_packet() {
    let (bytes, json) = mock_packet("ticker_quote");
    assert_eq!(bytes.len(), 44);
    let t = parse_packet(&bytes).unwrap();
    check_against_mock(&t, &json);
    // Wrapped in a frame header it decodes the same.
    let framed = ticks(&frame(&[&bytes]));
    assert_eq!(framed, vec![Ok(t)]);
}

#[test]
fn official_full_mock_packet() {
    let (bytes, json) = mock_packet("ticker_full");
    assert_eq!(bytes.len(), 184);
    let t = parse_packet(&bytes).unwrap();
    check_against_mock(&t, &json);
    // 2021-07-05T10:41:27+05:30
    assert_eq!(t.last_trade_time, Some(1_625_461_887));
    assert_eq!(t.exchange_timestamp, Some(1_625_461_887));
    assert_eq!(t.oi, 0);
    let d = t.depth.unwrap();
    for (side, levels) in [("buy", &d.buy), ("sell", &d.sell)] {
        let mock = json["depth"][side].as_array().unwrap();
        for (k, l) in levels.iter().enumerate() {
            assert!((l.price - mock[k]["price"].as_f64().unwrap()).abs() < 1e-9);
            assert_eq!(l.quantity as u64, mock[k]["quantity"].as_u64().unwrap());
            assert_eq!(l.orders as u64, mock[k]["orders"].as_u64().unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(Frame::Packets(p)) = Frame::parse(&bytes) {
            let n = p.count();
            prop_assert!(n <= bytes.len());
        }
        let _ = parse_packet(&bytes);
    }

    #[test]
    fn arbitrary_packets_in_valid_frames_never_panic(
        lens in proptest::collection::vec(prop_oneof![Just(8usize), Just(28), Just(32), Just(44), Just(184), 0usize..200], 0..6),
        fill in any::<u8>(),
        token in any::<u32>(),
    ) {
        let packets: Vec<Vec<u8>> = lens.iter().map(|&l| {
            let mut p = vec![fill; l];
            if l >= 4 { p[..4].copy_from_slice(&token.to_be_bytes()); }
            p
        }).collect();
        let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
        let out = ticks(&frame(&refs));
        prop_assert_eq!(out.len(), lens.len());
        for (t, l) in out.iter().zip(&lens) {
            if let Ok(t) = t {
                prop_assert!(t.last_price.is_finite());
                prop_assert_eq!(t.token.0, token);
                prop_assert!([8usize, 28, 32, 44, 184].contains(l));
            }
        }
    }

    #[test]
    fn raw_price_round_trips(raw in 0u32..(i32::MAX as u32)) {
        let t = parse_packet(&Layout::new(8).u32(0, NSE_INFY).u32(4, raw).0).unwrap();
        prop_assert_eq!((t.last_price * 100.0).round() as u32, raw);
    }
}
