//! The sandbox's instrument dump and historical candles, checked against Kite's format (the official mock
//! files) and against their own promises: determinism, anchoring, aggregation, limits.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};
use kite_sim::history::{
    candle_to_json, check_range, parse_from, parse_to, Candle, CandleRequest, History,
    HistoryError, Interval, Profile, TodayBar, SESSION_MINUTES,
};
use kite_sim::instruments::{
    is_monthly_expiry, parse_derivative_symbol, parse_exchange, InstrumentType, Underlying,
    Universe, CSV_HEADER, NIFTY_NEXT_50,
};
use kite_sim::universe::NIFTY_50;
use model::{Exchange, InstrumentToken, Segment};
use std::collections::HashSet;
use std::path::PathBuf;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, min, 0).unwrap()
}

/// A Thursday, so both weekly and monthly expiries are around.
const TODAY: (i32, u32, u32) = (2025, 11, 20);

fn today() -> NaiveDate {
    date(TODAY.0, TODAY.1, TODAY.2)
}

fn universe() -> Universe {
    Universe::build(today(), 42).unwrap()
}

fn mocks_dir() -> PathBuf {
    let dir = std::env::var_os("KITE_MOCKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kite/mocks")
        });
    assert!(
        dir.is_dir(),
        "../shared/kite/mocks must sit beside the checkout (or set KITE_MOCKS)"
    );
    dir
}

const RELIANCE: InstrumentToken = InstrumentToken(738561);
const NIFTY: InstrumentToken = InstrumentToken(256265);

// ---------------------------------------------------------------------------------------------------
// Instruments

#[test]
fn csv_header_and_line_ends_match_the_mock_dumps() {
    for file in ["instruments_all.csv", "instruments_nse.csv"] {
        let mock = std::fs::read_to_string(mocks_dir().join(file)).unwrap();
        let mock_header = mock.split("\r\n").next().unwrap();
        assert_eq!(mock_header, CSV_HEADER, "{file}");
        assert!(mock.ends_with("\r\n"));
    }
    let csv = universe().to_csv(None);
    assert!(csv.starts_with(&format!("{CSV_HEADER}\r\n")));
    assert!(csv.ends_with("\r\n"));
    // Every line end is CRLF: no bare LF anywhere.
    assert_eq!(csv.matches('\n').count(), csv.matches("\r\n").count());
}

/// The per-cell rules of SPEC §7.2, applied to every row of the dump and of the mock (so the checks
/// themselves are known to accept Kite's own output).
fn check_row(row: &str) {
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells.len(), 12, "{row}");
    cells[0].parse::<u32>().unwrap();
    cells[1].parse::<u32>().unwrap();
    assert_eq!(
        cells[0].parse::<u32>().unwrap() >> 8,
        cells[1].parse::<u32>().unwrap(),
        "{row}"
    );
    assert!(!cells[2].is_empty());
    for i in [4, 6, 7] {
        let c = cells[i];
        assert!(c.contains('.'), "decimal cell {i} of {row}");
        assert!(c.parse::<f64>().unwrap() >= 0.0);
        let (_, frac) = c.split_once('.').unwrap();
        assert!(!frac.is_empty() && frac.len() <= 2, "{row}");
        assert!(
            frac.len() == 1 || !frac.ends_with('0'),
            "shortest form: {row}"
        );
    }
    assert!(
        cells[5].is_empty() || NaiveDate::parse_from_str(cells[5], "%Y-%m-%d").is_ok(),
        "{row}"
    );
    assert!(!cells[8].contains('.'), "integer lot size: {row}");
    cells[8].parse::<u32>().unwrap();
    assert!(["EQ", "FUT", "CE", "PE"].contains(&cells[9]));
    assert!(
        ["NSE", "BSE", "INDICES", "NFO-OPT", "NFO-FUT", "BFO-OPT", "BFO-FUT"].contains(&cells[10])
    );
    assert!(["NSE", "BSE", "NFO", "BFO"].contains(&cells[11]));
    assert!(
        cells[10] == "INDICES" || cells[10].starts_with(cells[11]),
        "segment of {row}"
    );
    let token: u32 = cells[0].parse().unwrap();
    let segment_id = match (cells[10], cells[11]) {
        ("INDICES", _) => 9,
        (_, "NSE") => 1,
        (_, "NFO") => 2,
        (_, "BSE") => 4,
        _ => 5,
    };
    assert_eq!(token & 0xFF, segment_id, "{row}");
}

#[test]
fn every_row_follows_the_dump_rules_as_the_mock_does() {
    let mock = std::fs::read_to_string(mocks_dir().join("instruments_all.csv")).unwrap();
    for row in mock.split("\r\n").skip(1).filter(|r| !r.is_empty()) {
        check_row(row);
    }
    let csv = universe().to_csv(None);
    let rows: Vec<&str> = csv
        .split("\r\n")
        .skip(1)
        .filter(|r| !r.is_empty())
        .collect();
    assert_eq!(rows.len(), universe().instruments().len());
    for row in rows {
        check_row(row);
    }
}

#[test]
fn dump_rows_look_like_kites() {
    let csv = universe().to_csv(None);
    assert!(csv.contains("\r\n256265,1001,NIFTY 50,NIFTY 50,26050.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"));
    assert!(csv.contains("\r\n265,1,SENSEX,SENSEX,85200.0,,0.0,0.0,0,EQ,INDICES,BSE\r\n"));
    assert!(csv.contains("\r\n257801,1007,NIFTY FIN SERVICE,NIFTY FIN SERVICE,"));
    assert!(csv.contains(
        "\r\n738561,2885,RELIANCE,RELIANCE INDUSTRIES,1545.0,,0.0,0.05,1,EQ,NSE,NSE\r\n"
    ));
    // A monthly option row: the mock's shape, with the underlying as name.
    let u = universe();
    let row = u
        .instruments()
        .iter()
        .find(|i| i.tradingsymbol == "BANKNIFTY25NOV59000CE")
        .expect("BANKNIFTY November 59000 call");
    let mut line = String::new();
    row.write_csv_row(&mut line);
    let prefix = format!(
        "{},{},BANKNIFTY25NOV59000CE,BANKNIFTY,",
        row.token, row.exchange_token
    );
    assert!(line.starts_with(&prefix), "{line}");
    assert!(
        line.ends_with(",2025-11-25,59000.0,0.05,35,CE,NFO-OPT,NFO\r\n"),
        "{line}"
    );
}

#[test]
fn per_exchange_dumps_partition_the_full_one() {
    let u = universe();
    let full = u.to_csv(None).lines().count() - 1;
    let mut sum = 0;
    for ex in ["NSE", "BSE", "NFO", "BFO", "MCX"] {
        let exchange = parse_exchange(ex).unwrap();
        let csv = u.to_csv(Some(exchange));
        assert!(csv.starts_with(CSV_HEADER));
        for row in csv.split("\r\n").skip(1).filter(|r| !r.is_empty()) {
            assert!(row.ends_with(&format!(",{ex}")), "{row} in {ex}");
        }
        sum += csv.lines().count() - 1;
    }
    assert_eq!(sum, full);
    assert_eq!(u.to_csv(Some(Exchange::Mcx)), format!("{CSV_HEADER}\r\n"));
    assert_eq!(parse_exchange("nse"), None);
    assert_eq!(parse_exchange("XYZ"), None);
}

#[test]
fn universe_holds_both_stock_indices_and_four_indices() {
    let u = universe();
    let eq: Vec<_> = u
        .instruments()
        .iter()
        .filter(|i| i.segment == "NSE")
        .collect();
    assert_eq!(eq.len(), 100);
    let symbols: HashSet<&str> = eq.iter().map(|i| i.tradingsymbol.as_str()).collect();
    assert_eq!(symbols.len(), 100, "NIFTY 50 and NEXT 50 overlap");
    for &(token, sym, _, _) in NIFTY_50 {
        let i = u.find(Exchange::Nse, sym).unwrap();
        assert_eq!(i.token.0, token, "NIFTY 50 tokens are reused as is");
    }
    for &(sym, _, price) in NIFTY_NEXT_50 {
        let i = u.find(Exchange::Nse, sym).unwrap();
        assert_eq!(i.token.segment(), Segment::Nse);
        assert_eq!(i.last_price % 5, 0);
        assert!((i.last_price as f64 / 100.0 - price).abs() < 0.05);
    }
    let indices: Vec<_> = u.instruments().iter().filter(|i| i.is_index()).collect();
    assert_eq!(indices.len(), 4);
    for i in indices {
        assert_eq!(i.token.segment(), Segment::Indices, "{}", i.tradingsymbol);
    }
    assert_eq!(u.find(Exchange::Bse, "SENSEX").unwrap().token.0, 265);
}

#[test]
fn tokens_are_unique_and_carry_their_segment() {
    let u = universe();
    let mut tokens = HashSet::new();
    let mut keys = HashSet::new();
    for i in u.instruments() {
        assert!(tokens.insert(i.token), "token {} repeats", i.token);
        assert!(keys.insert((i.exchange, i.tradingsymbol.clone())));
        assert_eq!(i.token.exchange_token(), i.exchange_token);
        let want = match (i.is_index(), i.exchange) {
            (true, _) => Segment::Indices,
            (false, Exchange::Nse) => Segment::Nse,
            (false, Exchange::Nfo) => Segment::Nfo,
            (false, Exchange::Bfo) => Segment::Bfo,
            (false, Exchange::Bse) => Segment::Bse,
            _ => unreachable!(),
        };
        assert_eq!(i.token.segment(), want, "{}", i.tradingsymbol);
        assert_eq!(u.get(i.token), Some(i));
    }
}

#[test]
fn contract_tokens_do_not_change_from_day_to_day() {
    let a = Universe::build(today(), 42).unwrap();
    let b = Universe::build(date(2025, 11, 24), 7).unwrap();
    let mut shared = 0;
    for i in a.instruments().iter().filter(|i| i.is_derivative()) {
        if let Some(j) = b.find(i.exchange, &i.tradingsymbol) {
            assert_eq!(i.token, j.token, "{}", i.tradingsymbol);
            shared += 1;
        }
    }
    assert!(shared > 1000, "{shared}");
}

#[test]
fn expiries_fall_on_the_right_weekdays() {
    let u = universe();
    let mut seen = HashSet::new();
    for i in u.instruments().iter().filter(|i| i.is_derivative()) {
        let und = i.underlying.unwrap();
        let expiry = i.expiry.unwrap();
        assert!(expiry >= today());
        let monthly = is_monthly_expiry(und, expiry);
        match und {
            Underlying::Nifty | Underlying::BankNifty => assert_eq!(expiry.weekday(), Weekday::Tue),
            Underlying::Sensex => assert_eq!(expiry.weekday(), Weekday::Thu),
        }
        if und == Underlying::BankNifty || i.instrument_type == InstrumentType::Fut {
            assert!(monthly, "{} must be monthly", i.tradingsymbol);
        }
        if monthly {
            // The last such weekday of its month.
            assert_ne!((expiry + chrono::Days::new(7)).month(), expiry.month());
        }
        seen.insert((und, expiry, i.instrument_type == InstrumentType::Fut));
    }
    // NIFTY: Nov 25 (monthly), Dec 2, 9, 16 weekly, Dec 30 and Jan 27 monthly.
    let nifty: Vec<NaiveDate> = {
        let mut v: Vec<_> = seen
            .iter()
            .filter(|(u, _, fut)| *u == Underlying::Nifty && !fut)
            .map(|s| s.1)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        nifty,
        vec![
            date(2025, 11, 25),
            date(2025, 12, 2),
            date(2025, 12, 9),
            date(2025, 12, 16),
            date(2025, 12, 30),
            date(2026, 1, 27)
        ]
    );
    // SENSEX weekly includes today (Thursday 20 November), the monthly one is 27 November.
    assert!(seen.contains(&(Underlying::Sensex, today(), false)));
    assert!(seen.contains(&(Underlying::Sensex, date(2025, 11, 27), false)));
    // Futures: NIFTY and BANKNIFTY, three months each; none on SENSEX.
    let futs: Vec<_> = u
        .instruments()
        .iter()
        .filter(|i| i.instrument_type == InstrumentType::Fut)
        .map(|i| i.tradingsymbol.as_str())
        .collect();
    assert_eq!(
        futs,
        vec![
            "NIFTY25NOVFUT",
            "NIFTY25DECFUT",
            "NIFTY26JANFUT",
            "BANKNIFTY25NOVFUT",
            "BANKNIFTY25DECFUT",
            "BANKNIFTY26JANFUT"
        ]
    );
}

#[test]
fn derivative_rows_are_consistent_and_parse_back() {
    let u = universe();
    let mut weekly = 0;
    for i in u.instruments().iter().filter(|i| i.is_derivative()) {
        let und = i.underlying.unwrap();
        let p = parse_derivative_symbol(&i.tradingsymbol).unwrap();
        let expiry = i.expiry.unwrap();
        assert_eq!(p.underlying, und.symbol());
        assert_eq!(i.name, und.symbol());
        assert_eq!((p.year, p.month), (expiry.year(), expiry.month()));
        assert_eq!(p.instrument_type, i.instrument_type);
        assert_eq!(i.lot_size, und.lot_size());
        assert_eq!(i.tick_size, 5);
        assert!(
            i.last_price >= 5 && i.last_price % 5 == 0,
            "{}",
            i.tradingsymbol
        );
        match p.day {
            Some(d) => {
                weekly += 1;
                assert_eq!(d, expiry.day());
                assert!(!is_monthly_expiry(und, expiry));
            }
            None => assert!(is_monthly_expiry(und, expiry)),
        }
        if i.instrument_type == InstrumentType::Fut {
            assert_eq!(p.strike, None);
            assert_eq!(i.strike, 0);
        } else {
            assert_eq!(p.strike, Some(i.strike));
            assert_eq!(i.strike % (und.strike_step() * 100), 0);
        }
        let expect_segment = match (i.exchange, i.instrument_type) {
            (Exchange::Nfo, InstrumentType::Fut) => "NFO-FUT",
            (Exchange::Nfo, _) => "NFO-OPT",
            (Exchange::Bfo, _) => "BFO-OPT",
            _ => unreachable!(),
        };
        assert_eq!(i.segment, expect_segment);
    }
    assert!(weekly > 0);
    // ±30 strikes around the index level for each expiry, calls and puts.
    let chain = u
        .instruments()
        .iter()
        .filter(|i| i.underlying == Some(Underlying::Nifty) && i.expiry == Some(date(2025, 12, 2)))
        .count();
    assert_eq!(chain, 61 * 2);
    assert!(u.find(Exchange::Nfo, "NIFTY25D0226000CE").is_some());
    assert!(u.find(Exchange::Nfo, "NIFTY25NOV26000PE").is_some());
    assert!(u.find(Exchange::Bfo, "SENSEX25N2085200CE").is_some());
    assert!(u.find(Exchange::Nfo, "BANKNIFTY25D0259000CE").is_none());
}

#[test]
fn option_prices_are_sane() {
    let u = universe();
    let call = |s: &str| u.find(Exchange::Nfo, s).unwrap().last_price;
    // Calls fall with the strike; puts rise; both worth more with more time.
    assert!(call("NIFTY25D0225000CE") > call("NIFTY25D0226000CE"));
    assert!(call("NIFTY25D0226000CE") > call("NIFTY25D0227000CE"));
    assert!(call("NIFTY25D0225000PE") < call("NIFTY25D0226000PE"));
    assert!(call("NIFTY25DEC26000CE") > call("NIFTY25D0226000CE"));
    // Deep in the money: about the intrinsic value.
    let deep = call("NIFTY25D0224600CE") as f64 / 100.0;
    assert!((1450.0..1600.0).contains(&deep), "{deep}");
}

#[test]
fn universe_is_deterministic() {
    assert_eq!(
        Universe::build(today(), 42).unwrap().to_csv(None),
        Universe::build(today(), 42).unwrap().to_csv(None)
    );
    assert_ne!(
        Universe::build(today(), 42)
            .unwrap()
            .to_csv(Some(Exchange::Nfo)),
        Universe::build(today(), 43)
            .unwrap()
            .to_csv(Some(Exchange::Nfo)),
        "the seed moves option prices"
    );
    assert_eq!(
        Universe::build(today(), 42)
            .unwrap()
            .to_csv(Some(Exchange::Nse)),
        Universe::build(today(), 43)
            .unwrap()
            .to_csv(Some(Exchange::Nse)),
    );
}

// ---------------------------------------------------------------------------------------------------
// History

fn history(seed: u64) -> History {
    History::from_universe(seed, &universe())
}

fn all_days(h: &History, token: InstrumentToken) -> Vec<Candle> {
    h.daily(token).unwrap()
}

fn assert_ohlc(c: &Candle, tick: u32) {
    assert!(c.low > 0);
    assert!(c.low <= c.open.min(c.close), "{c:?}");
    assert!(c.high >= c.open.max(c.close), "{c:?}");
    for p in [c.open, c.high, c.low, c.close] {
        assert_eq!(p % tick, 0, "{c:?} off tick");
    }
}

#[test]
fn daily_history_covers_three_years_of_weekdays() {
    let h = history(42);
    let days = all_days(&h, RELIANCE);
    assert!(days.len() >= 3 * 250, "{}", days.len());
    assert!(days[0].time.date() <= date(2022, 11, 20));
    let mut prev = None;
    for c in &days {
        let d = c.time.date();
        assert!(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d}");
        assert_eq!(c.time.time(), chrono::NaiveTime::MIN);
        assert!(prev.is_none_or(|p| p < d), "ascending, no repeats");
        prev = Some(d);
        assert_ohlc(c, 5);
        assert!(c.volume > 0);
        assert_eq!(c.oi, 0);
    }
    // Without today's bar the series ends on the previous trading day at the dump's price.
    let last = days.last().unwrap();
    assert_eq!(last.time.date(), date(2025, 11, 19));
    assert_eq!(last.close, 154_500);
    // Indices report no volume.
    assert!(all_days(&h, NIFTY).iter().all(|c| c.volume == 0));
}

#[test]
fn daily_volatility_is_realistic() {
    let h = history(42);
    for (sym, lo, hi) in [("RELIANCE", 0.008, 0.03), ("NIFTY 50", 0.006, 0.014)] {
        let u = universe();
        let i = u.find(Exchange::Nse, sym).unwrap_or_else(|| {
            u.instruments()
                .iter()
                .find(|i| i.tradingsymbol == sym)
                .unwrap()
        });
        let closes: Vec<f64> = all_days(&h, i.token)
            .iter()
            .map(|c| c.close as f64)
            .collect();
        let r: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
        assert!((lo..hi).contains(&sd), "{sym}: daily sigma {sd}");
    }
}

#[test]
fn the_last_daily_candle_is_todays_bar() {
    let mut h = history(42);
    let bar = TodayBar {
        open: 155_000,
        high: 157_250,
        low: 153_900,
        close: 156_105,
        volume: 4_321_987,
        oi: 0,
        minutes: 200,
    };
    h.set_today(RELIANCE, bar).unwrap();
    let days = all_days(&h, RELIANCE);
    let last = days.last().unwrap();
    assert_eq!(last.time.date(), today());
    assert_eq!(
        (last.open, last.high, last.low, last.close, last.volume),
        (155_000, 157_250, 153_900, 156_105, 4_321_987)
    );
    // The day before closes at the previous close the live market starts from.
    assert_eq!(days[days.len() - 2].close, 154_500);
    // Today's intraday stops at the minutes covered, and aggregates to the bar.
    let mins = h
        .candles(
            RELIANCE,
            Interval::Minute,
            at(2025, 11, 20, 0, 0),
            at(2025, 11, 20, 23, 59),
            false,
            false,
        )
        .unwrap();
    assert_eq!(mins.len(), 200);
    assert_eq!(mins.last().unwrap().time, at(2025, 11, 20, 12, 34));
    let agg = aggregate(&mins);
    assert_eq!(
        (agg.open, agg.high, agg.low, agg.close, agg.volume),
        (155_000, 157_250, 153_900, 156_105, 4_321_987)
    );
    // A bar given per request wins over the stored one, and a bad one is refused.
    let req = CandleRequest {
        token: RELIANCE,
        interval: Interval::Day,
        from: at(2025, 11, 1, 0, 0),
        to: at(2025, 11, 20, 23, 59),
        continuous: false,
        oi: false,
    };
    let other = TodayBar {
        close: 154_000,
        ..bar
    };
    let out = h.candles_for(&req, Some(other)).unwrap();
    assert_eq!(out.last().unwrap().close, 154_000);
    let bad = TodayBar { high: 1, ..bar };
    assert_eq!(
        h.candles_for(&req, Some(bad)),
        Err(HistoryError::BadTodayBar)
    );
}

#[test]
fn history_anchors_to_the_live_market() {
    use kite_sim::market::{Market, MarketConfig};
    let mut market = Market::new(MarketConfig::default());
    for s in 0..50 {
        market.step(1_700_000_000 + s);
    }
    let mut h = history(42);
    for q in market.quotes() {
        h.set_today(q.token, TodayBar::from_quote(q, SESSION_MINUTES))
            .unwrap();
        let days = h.daily(q.token).unwrap();
        let (prev, last) = (days[days.len() - 2], days[days.len() - 1]);
        assert_eq!(prev.close, q.close, "{}", q.symbol);
        assert_eq!(
            (last.open, last.high, last.low, last.close),
            (q.open, q.high, q.low, q.last)
        );
    }
}

#[test]
fn history_is_deterministic_per_seed() {
    let req = |token| CandleRequest {
        token,
        interval: Interval::Minute5,
        from: at(2025, 9, 1, 9, 0),
        to: at(2025, 11, 20, 16, 0),
        continuous: false,
        oi: true,
    };
    let a = history(42);
    let b = history(42);
    let c = history(7);
    for token in [RELIANCE, NIFTY] {
        assert_eq!(all_days(&a, token), all_days(&b, token));
        assert_ne!(all_days(&a, token), all_days(&c, token));
        assert_eq!(
            a.candles_for(&req(token), None),
            b.candles_for(&req(token), None)
        );
        assert_ne!(
            a.candles_for(&req(token), None),
            c.candles_for(&req(token), None)
        );
    }
    // Different instruments under one seed walk differently.
    let infy = InstrumentToken(408065);
    let ret = |t| {
        let d = all_days(&a, t);
        d.windows(2)
            .map(|w| w[1].close as f64 / w[0].close as f64)
            .collect::<Vec<_>>()
    };
    assert_ne!(ret(RELIANCE)[..20], ret(infy)[..20]);
}

fn aggregate(c: &[Candle]) -> Candle {
    Candle {
        time: c[0].time,
        open: c[0].open,
        high: c.iter().map(|x| x.high).max().unwrap(),
        low: c.iter().map(|x| x.low).min().unwrap(),
        close: c[c.len() - 1].close,
        volume: c.iter().map(|x| x.volume).sum(),
        oi: c[c.len() - 1].oi,
    }
}

#[test]
fn intraday_candles_aggregate_to_the_daily_candle() {
    let h = history(42);
    let u = universe();
    let fut = u.find(Exchange::Nfo, "NIFTY25DECFUT").unwrap().token;
    let day = |token| {
        h.candles(
            token,
            Interval::Day,
            at(2025, 11, 10, 0, 0),
            at(2025, 11, 14, 23, 59),
            false,
            true,
        )
        .unwrap()
    };
    for token in [RELIANCE, NIFTY, fut] {
        let days = day(token);
        assert_eq!(days.len(), 5);
        for interval in Interval::ALL.into_iter().filter(|i| *i != Interval::Day) {
            let bars = h
                .candles(
                    token,
                    interval,
                    at(2025, 11, 10, 0, 0),
                    at(2025, 11, 14, 23, 59),
                    false,
                    true,
                )
                .unwrap();
            let per_day = (SESSION_MINUTES as usize).div_ceil(interval.minutes() as usize);
            assert_eq!(bars.len(), 5 * per_day, "{interval:?}");
            for (d, chunk) in days.iter().zip(bars.chunks(per_day)) {
                let mut agg = aggregate(chunk);
                agg.time = d.time;
                assert_eq!(&agg, d, "{interval:?} on {}", d.time);
                for (k, b) in chunk.iter().enumerate() {
                    assert_ohlc(b, 5);
                    let start = d.time.date().and_hms_opt(9, 15, 0).unwrap()
                        + chrono::TimeDelta::minutes((k * interval.minutes() as usize) as i64);
                    assert_eq!(b.time, start, "aligned to 09:15");
                }
            }
        }
    }
    let hourly = h
        .candles(
            RELIANCE,
            Interval::Minute60,
            at(2025, 11, 10, 0, 0),
            at(2025, 11, 10, 23, 59),
            false,
            false,
        )
        .unwrap();
    let starts: Vec<String> = hourly
        .iter()
        .map(|c| c.time.format("%H:%M").to_string())
        .collect();
    assert_eq!(
        starts,
        ["09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15"]
    );
}

#[test]
fn futures_and_options_carry_open_interest() {
    let h = history(42);
    let u = universe();
    let opt = u.find(Exchange::Nfo, "NIFTY25DEC26000CE").unwrap();
    let with = |oi| {
        h.candles(
            opt.token,
            Interval::Day,
            at(2025, 11, 1, 0, 0),
            at(2025, 11, 20, 0, 0),
            false,
            oi,
        )
        .unwrap()
    };
    let days = with(true);
    assert!(!days.is_empty());
    for c in &days {
        assert!(c.oi > 0 && c.oi % 75 == 0, "{c:?}");
        assert!(c.volume > 0);
        assert_ohlc(c, 5);
    }
    assert!(with(false).iter().all(|c| c.oi == 0));
    assert_eq!(days.last().unwrap().close, opt.last_price);
    // An option has no history before its listing; a future's continuous series has.
    let listed = opt.listed.unwrap();
    assert_eq!(all_days(&h, opt.token)[0].time.date(), listed);
    let fut = u.find(Exchange::Nfo, "NIFTY25DECFUT").unwrap().token;
    let span = |continuous| {
        h.candles(
            fut,
            Interval::Day,
            at(2024, 1, 1, 0, 0),
            at(2025, 1, 1, 0, 0),
            continuous,
            false,
        )
        .unwrap()
        .len()
    };
    assert_eq!(span(false), 0);
    assert!(span(true) > 250);
}

#[test]
fn candles_are_selected_by_start_time() {
    let h = history(42);
    let c = h
        .candles(
            RELIANCE,
            Interval::Minute15,
            at(2025, 11, 14, 10, 0),
            at(2025, 11, 14, 11, 0),
            false,
            false,
        )
        .unwrap();
    let starts: Vec<String> = c
        .iter()
        .map(|c| c.time.format("%H:%M").to_string())
        .collect();
    assert_eq!(starts, ["10:00", "10:15", "10:30", "10:45", "11:00"]);
    // Weekends and the future have nothing.
    let empty = |from, to| {
        h.candles(RELIANCE, Interval::Minute, from, to, false, false)
            .unwrap()
    };
    assert!(empty(at(2025, 11, 15, 0, 0), at(2025, 11, 16, 23, 59)).is_empty());
    assert!(empty(at(2025, 11, 21, 0, 0), at(2025, 11, 30, 0, 0)).is_empty());
    assert!(empty(at(2010, 1, 1, 0, 0), at(2010, 2, 1, 0, 0)).is_empty());
}

#[test]
fn range_limits_per_interval() {
    let expected = [
        ("minute", 60),
        ("3minute", 100),
        ("5minute", 100),
        ("10minute", 100),
        ("15minute", 200),
        ("30minute", 200),
        ("60minute", 400),
        ("day", 2000),
    ];
    let h = history(42);
    let to = at(2025, 11, 20, 15, 30);
    for (name, max) in expected {
        let interval: Interval = name.parse().unwrap();
        assert_eq!(interval.as_str(), name);
        assert_eq!(interval.max_days(), max);
        let from_ok = to - chrono::TimeDelta::days(max as i64);
        assert_eq!(check_range(interval, from_ok, to), Ok(()));
        assert!(h
            .candles(RELIANCE, interval, from_ok, to, false, false)
            .is_ok());
        let too_far = from_ok - chrono::TimeDelta::days(1);
        let err = h
            .candles(RELIANCE, interval, too_far, to, false, false)
            .unwrap_err();
        assert_eq!(
            err,
            HistoryError::RangeTooLong {
                interval,
                max_days: max
            }
        );
        assert_eq!(
            err.to_string(),
            format!("interval exceeds max limit: {max} days")
        );
        assert_eq!(err.error_type(), "InputException");
        assert_eq!(err.http_status(), 400);
    }
}

#[test]
fn bad_requests_have_typed_errors() {
    let h = history(42);
    let (from, to) = (at(2025, 11, 10, 9, 15), at(2025, 11, 14, 15, 30));
    assert_eq!(
        "hour".parse::<Interval>(),
        Err(HistoryError::BadInterval("hour".into()))
    );
    assert_eq!(
        h.candles(InstrumentToken(1), Interval::Day, from, to, false, false),
        Err(HistoryError::UnknownToken(InstrumentToken(1)))
    );
    assert_eq!(
        h.candles(RELIANCE, Interval::Day, to, from, false, false),
        Err(HistoryError::FromAfterTo)
    );
    assert_eq!(
        h.candles(RELIANCE, Interval::Minute, from, to, true, false),
        Err(HistoryError::ContinuousIntraday)
    );
    assert_eq!(
        parse_from("2017-12-15 09:15:00").unwrap(),
        at(2017, 12, 15, 9, 15)
    );
    assert_eq!(parse_from("2017-12-15").unwrap(), at(2017, 12, 15, 0, 0));
    assert_eq!(
        parse_to("2017-12-15").unwrap(),
        date(2017, 12, 15).and_hms_opt(23, 59, 59).unwrap()
    );
    assert!(matches!(
        parse_from("15-12-2017"),
        Err(HistoryError::BadDate(_))
    ));
}

#[test]
fn json_candles_have_the_mock_shape() {
    let mock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(mocks_dir().join("historical_oi.json")).unwrap(),
    )
    .unwrap();
    let mock_candle = &mock["data"]["candles"][0];
    let h = history(42);
    let u = universe();
    let fut = u.find(Exchange::Nfo, "NIFTY25DECFUT").unwrap().token;
    let c = h
        .candles(
            fut,
            Interval::Minute,
            at(2025, 11, 14, 9, 15),
            at(2025, 11, 14, 9, 15),
            false,
            true,
        )
        .unwrap();
    let json = candle_to_json(&c[0], true);
    let (ours, theirs) = (json.as_array().unwrap(), mock_candle.as_array().unwrap());
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a.is_string(), b.is_string());
        assert_eq!(a.is_number(), b.is_number());
    }
    let ts = ours[0].as_str().unwrap();
    assert_eq!(ts, "2025-11-14T09:15:00+0530");
    assert_eq!(ts.len(), theirs[0].as_str().unwrap().len());
    assert_eq!(candle_to_json(&c[0], false).as_array().unwrap().len(), 6);
    // Custom profiles work for instruments outside the dump.
    let mut own = History::new(1, today());
    let profile = Profile::for_instrument(u.find(Exchange::Nse, "INFY").unwrap(), 1);
    own.insert(InstrumentToken((999_999 << 8) | 1), profile, 100_000);
    assert!(
        own.daily(InstrumentToken((999_999 << 8) | 1))
            .unwrap()
            .len()
            > 750
    );
}
