//! Every official Kite mock (SPEC §0, `shared/kite/mocks/`) decodes into the typed model with the
//! values it holds, and encoding the decoded value back keeps every key of the mock with the same JSON
//! type and integer fields as integers — what the sandbox needs to satisfy the official clients.
//!
//! The mocks are read in place (never copied into the repository); `KITE_MOCKS` overrides the folder.

use chrono::{NaiveDate, NaiveDateTime};
use model::broker::*;
use model::{Exchange, InstrumentToken};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------------
// harness

fn mocks_dir() -> PathBuf {
    std::env::var_os("KITE_MOCKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kite/mocks")
        })
}

fn read(name: &str) -> String {
    let path = mocks_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The `data` of a mock envelope.
fn data(name: &str) -> Value {
    let v: Value = serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    v.get("data")
        .cloned()
        .unwrap_or_else(|| panic!("{name} has no data"))
}

/// Decodes a mock's `data`, also through the whole `Envelope<T>`.
fn decode<T: DeserializeOwned>(name: &str) -> T {
    let env: Envelope<T> =
        serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name} as envelope: {e}"));
    assert_eq!(env.status, ResponseStatus::Success);
    env.data
}

/// Integer-typed fields of SPEC §1.4: Go decodes them into ints and fails on `1.0`.
const INT_KEYS: &[&str] = &[
    "instrument_token",
    "quantity",
    "overnight_quantity",
    "buy_quantity",
    "sell_quantity",
    "day_buy_quantity",
    "day_sell_quantity",
    "used_quantity",
    "t1_quantity",
    "realised_quantity",
    "authorised_quantity",
    "opening_quantity",
    "collateral_quantity",
    "last_quantity",
    "volume",
    "orders",
    "validity_ttl",
    "id",
    "trigger_id",
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `mock` (recursively; first element of arrays) is in `out` with the same JSON type.
/// `null` in the mock must stay `null` unless its key is in `null_ok` (where SPEC says to emit a typed
/// default, e.g. GTT `meta` → `{}`). Keys of `int_keys` holding an integer in the mock must be
/// integers in `out`.
fn assert_keys(mock: &Value, out: &Value, path: &str, int_keys: &[&str], null_ok: &[&str]) {
    let key = path.rsplit('.').next().unwrap_or("");
    match mock {
        Value::Null => {
            assert!(
                out.is_null() || null_ok.contains(&key),
                "{path}: mock null, encoded {out}"
            );
        }
        Value::Object(m) => {
            let o = out
                .as_object()
                .unwrap_or_else(|| panic!("{path}: expected object, encoded {out}"));
            for (k, v) in m {
                let child = o
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k}: key missing from encoding"));
                assert_keys(v, child, &format!("{path}.{k}"), int_keys, null_ok);
            }
        }
        Value::Array(a) => {
            let o = out
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected array, encoded {out}"));
            assert_eq!(a.len(), o.len(), "{path}: array length");
            if let (Some(m), Some(e)) = (a.first(), o.first()) {
                assert_keys(m, e, &format!("{path}[0]"), int_keys, null_ok);
            }
        }
        _ => {
            assert_eq!(kind(mock), kind(out), "{path}: mock {mock}, encoded {out}");
            if (mock.is_u64() || mock.is_i64()) && int_keys.contains(&key) {
                assert!(
                    out.is_u64() || out.is_i64(),
                    "{path}: integer field encoded as {out}"
                );
            }
        }
    }
}

/// Encodes `value` and checks it against the mock's `data` (and the `Envelope` form against the file).
fn round_trip<T: Serialize>(name: &str, value: &T) {
    round_trip_with(name, value, INT_KEYS, &[]);
}

fn round_trip_with<T: Serialize>(name: &str, value: &T, int_keys: &[&str], null_ok: &[&str]) {
    let mock = data(name);
    let out = serde_json::to_value(value).unwrap();
    assert_keys(&mock, &out, "data", int_keys, null_ok);
    let env = serde_json::to_value(Envelope::success(value)).unwrap();
    assert_eq!(env["status"], "success");
}

/// serde_json's default float parser may land one ULP off for long decimals (no `float_roundtrip`),
/// so long mock values compare with a relative tolerance.
fn assert_close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= want.abs() * 1e-12,
        "got {got}, want {want}"
    );
}

fn ts(s: &str) -> NaiveDateTime {
    time::parse_datetime(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    time::parse_date(s).unwrap()
}

/// Mocks covered here, one test each; `ticker_*` files are covered by the ticker parser's tests.
const COVERED: &[&str] = &[
    "alerts_create.json",
    "alerts_create_ato.json",
    "alerts_delete.json",
    "alerts_get.json",
    "alerts_get_one.json",
    "alerts_history.json",
    "alerts_modify.json",
    "auctions_list.json",
    "autoslice_response.json",
    "basket_margins.json",
    "convert_position.json",
    "full_profile.json",
    "generate_session.json",
    "gtt_delete_order.json",
    "gtt_get_order.json",
    "gtt_get_orders.json",
    "gtt_modify_order.json",
    "gtt_place_order.json",
    "historical_minute.json",
    "historical_oi.json",
    "holdings.json",
    "holdings_auth.json",
    "holdings_compact.json",
    "holdings_summary.json",
    "instruments_all.csv",
    "instruments_nse.csv",
    "ltp.json",
    "margin_commodity.json",
    "margins.json",
    "margins_equity.json",
    "mf_holdings.json",
    "mf_instruments.csv",
    "mf_order_cancel.json",
    "mf_order_response.json",
    "mf_orders.json",
    "mf_orders_info.json",
    "mf_sip_cancel.json",
    "mf_sip_info.json",
    "mf_sip_modify.json",
    "mf_sip_place.json",
    "mf_sips.json",
    "ohlc.json",
    "order_cancel.json",
    "order_info.json",
    "order_margins.json",
    "order_modify.json",
    "order_response.json",
    "order_trades.json",
    "orders.json",
    "positions.json",
    "postback.json",
    "profile.json",
    "quote.json",
    "session_logout.json",
    "trades.json",
    "trigger_range.json",
    "virtual_contract_note.json",
];

#[test]
fn every_mock_file_has_a_test() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(mocks_dir()).expect("mocks folder") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let data_file = name.ends_with(".json") || name.ends_with(".csv");
        if data_file && !name.starts_with("ticker_") && !COVERED.contains(&name.as_str()) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "mocks without a test: {missing:?}");
}

// ---------------------------------------------------------------------------------------------------
// user, session, funds

#[test]
fn generate_session() {
    let s: Session = decode("generate_session.json");
    assert_eq!(s.user_id, "XX0000");
    assert_eq!(s.user_name, "Kite Connect");
    assert_eq!(s.broker, "ZERODHA");
    assert_eq!(s.exchanges.len(), 8);
    assert_eq!(s.exchanges[7], "MF");
    assert_eq!(s.products, ["CNC", "NRML", "MIS", "BO", "CO"]);
    assert_eq!(s.order_types[3], "SL-M");
    assert_eq!(s.avatar_url.as_deref(), Some("abc"));
    assert_eq!(s.access_token, "XXXXXX");
    assert_eq!(s.public_token, "XXXXXXXX");
    assert_eq!(s.refresh_token, "");
    assert_eq!(s.login_time, Some(ts("2021-01-01 16:15:14")));
    assert_eq!(s.meta.demat_consent, "physical");
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("XXXXXXXX"), "public_token leaked: {dbg}");
    round_trip("generate_session.json", &s);
}

#[test]
fn profile() {
    let p: Profile = decode("profile.json");
    assert_eq!(p.user_id, "AB1234");
    assert_eq!(p.email, "xxxyyy@gmail.com");
    assert_eq!(p.user_shortname, "AxAx");
    assert_eq!(p.exchanges[0], "BFO");
    assert_eq!(p.avatar_url, None);
    assert_eq!(p.meta.demat_consent, "physical");
    round_trip("profile.json", &p);
}

#[test]
fn full_profile() {
    let p: FullProfile = decode("full_profile.json");
    assert_eq!(p.user_id, "AB1234");
    assert_eq!(p.twofa_type, "totp");
    assert_eq!(p.phone, "*9999");
    assert_eq!(p.bank_accounts.len(), 2);
    assert_eq!(p.bank_accounts[1].name, "State Bank of India");
    assert_eq!(p.dp_ids, ["0xx0xxx0xxxx0xx0"]);
    assert_eq!(p.pan, "*xxxI");
    assert!(p.tags.is_empty());
    assert_eq!(p.password_timestamp, Some(ts("1970-01-01 00:00:00")));
    assert_eq!(p.meta.poa, "physical");
    assert_eq!(p.meta.silo, "x");
    round_trip("full_profile.json", &p);
}

#[test]
fn session_logout() {
    let ok: bool = decode("session_logout.json");
    assert!(ok);
    round_trip("session_logout.json", &ok);
}

fn check_equity(m: &SegmentMargins) {
    assert!(m.enabled);
    assert_close(m.net, 99725.05000000002);
    assert_eq!(m.available.cash, 245431.6);
    assert_eq!(m.available.opening_balance, 245431.6);
    assert_close(m.available.live_balance, 99725.05000000002);
    assert_eq!(m.utilised.debits, 145706.55);
    assert_eq!(m.utilised.exposure, 38981.25);
    assert_eq!(m.utilised.m2m_realised, 761.7);
    assert_eq!(m.utilised.span, 101989.0);
}

#[test]
fn margins() {
    let m: Margins = decode("margins.json");
    check_equity(m.equity.as_ref().unwrap());
    let c = m.commodity.as_ref().unwrap();
    assert_eq!(c.net, 100661.7);
    assert_eq!(c.available.cash, 100661.7);
    assert_eq!(c.utilised.debits, 0.0);
    round_trip("margins.json", &m);
}

#[test]
fn margins_equity() {
    let m: SegmentMargins = decode("margins_equity.json");
    check_equity(&m);
    round_trip("margins_equity.json", &m);
}

#[test]
fn margin_commodity() {
    let m: SegmentMargins = decode("margin_commodity.json");
    assert!(m.enabled);
    assert_eq!(m.net, 96426.33);
    assert_close(m.available.live_balance, 96426.32999999999);
    assert_eq!(m.utilised.debits, 871.17);
    assert_eq!(m.utilised.exposure, 117.35);
    assert_eq!(m.utilised.span, 563.0);
    assert_eq!(m.utilised.payout, 0.0); // `-0` in the mock
    round_trip("margin_commodity.json", &m);
}

// ---------------------------------------------------------------------------------------------------
// orders and trades

#[test]
fn orders() {
    let orders: Vec<Order> = decode("orders.json");
    assert_eq!(orders.len(), 10);

    let o = &orders[0];
    assert_eq!(o.order_id, OrderId::from("100000000000000"));
    assert_eq!(o.exchange_order_id.as_deref(), Some("200000000000000"));
    assert_eq!(o.parent_order_id, None);
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert!(o.status.is_terminal());
    assert_eq!(o.order_timestamp, ts("2021-05-31 09:18:57"));
    assert_eq!(o.exchange_update_timestamp, Some(ts("2021-05-31 09:18:58")));
    assert_eq!(o.exchange_timestamp, Some(ts("2021-05-31 09:15:38")));
    assert_eq!(o.variety, Variety::Regular);
    assert_eq!(o.exchange, Exchange::Cds);
    assert_eq!(o.tradingsymbol, "USDINR21JUNFUT");
    assert_eq!(o.instrument_token, InstrumentToken(412675));
    assert_eq!(o.order_type, OrderType::Limit);
    assert_eq!(o.transaction_type, TransactionType::Buy);
    assert_eq!(o.validity, Validity::Day);
    assert_eq!(o.product, Product::Nrml);
    assert_eq!(o.price, 72.0);
    assert_eq!(
        (o.quantity, o.pending_quantity, o.cancelled_quantity),
        (1, 1, 1)
    );
    assert!(o.meta.is_empty());
    assert!(o.tags.is_empty());
    assert_eq!(o.guid.as_deref(), Some("XXXXX"));

    assert_eq!(orders[2].order_type, OrderType::Market);
    assert_eq!(orders[2].average_price, 109.35);

    let ice = &orders[3];
    assert_eq!(ice.order_id.as_str(), "220524001859672");
    assert_eq!(ice.status, OrderStatus::Rejected);
    assert_eq!(ice.exchange_order_id, None);
    assert!(ice
        .status_message
        .as_deref()
        .unwrap()
        .starts_with("Insufficient funds. Required margin is 95417.84"));
    assert!(ice
        .status_message_raw
        .as_deref()
        .unwrap()
        .starts_with("RMS:Margin Exceeds"));
    assert_eq!(ice.variety, Variety::Iceberg);
    assert_eq!(ice.validity, Validity::Ttl);
    assert_eq!(ice.validity_ttl, 2);
    assert_eq!(ice.quantity, 200);
    assert_eq!(ice.price, 463.0);
    assert_eq!(
        ice.iceberg(),
        Some(IcebergMeta {
            leg: 1,
            legs: 5,
            leg_quantity: 200,
            total_quantity: 1000,
            remaining_quantity: 800
        })
    );
    assert_eq!(ice.tag.as_deref(), Some("icebergord"));
    assert_eq!(ice.tags, ["icebergord"]);

    assert_eq!(orders[4].exchange, Exchange::Mcx);
    assert_eq!(orders[4].instrument_token, InstrumentToken(58424839));
    assert_eq!(orders[5].tags, ["connect test order2", "XXXXX"]);

    let auction = &orders[6];
    assert_eq!(auction.variety, Variety::Auction);
    assert_eq!(auction.auction_number.as_deref(), Some("22"));
    assert_eq!(auction.pending_quantity, 60);
    assert_eq!(auction.guid, None);

    assert_eq!(orders[7].product, Product::Mtf);
    assert_eq!(orders[7].account_id.as_deref(), Some("XXXXXX"));

    // Above 2^53: must survive exactly.
    assert_eq!(orders[8].order_id.as_str(), "1953341975595868160");
    assert_eq!(orders[8].tags, ["mktp", "mktp:2.00"]);
    assert_eq!(orders[8].price, 159.82);

    let child = &orders[9];
    assert_eq!(child.terminal_id.as_deref(), Some("111111111111100"));
    assert_eq!(child.exchange, Exchange::Nfo);
    assert_eq!(child.filled_quantity, 150);
    assert_eq!(
        child.autoslice_parent(),
        Some(OrderId::from("1953367517640548352"))
    );

    round_trip("orders.json", &orders);
    // Every row, not only the first, keeps its keys (the auction and autoslice rows have extra ones).
    let mock = data("orders.json");
    let out = serde_json::to_value(&orders).unwrap();
    for (i, (m, o)) in mock
        .as_array()
        .unwrap()
        .iter()
        .zip(out.as_array().unwrap())
        .enumerate()
    {
        assert_keys(m, o, &format!("data[{i}]"), INT_KEYS, &[]);
    }
    assert_eq!(out[8]["order_id"], "1953341975595868160");
    assert_eq!(out[0]["meta"], serde_json::json!({}));
}

#[test]
fn order_info() {
    let history: Vec<Order> = decode("order_info.json");
    let statuses: Vec<&str> = history.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "OPEN",
            "MODIFY VALIDATION PENDING",
            "MODIFY PENDING",
            "MODIFIED",
            "OPEN"
        ]
    );
    assert_eq!(history[0].status, OrderStatus::PutOrderReqReceived);
    assert!(history.iter().all(|o| o.status.is_pending()));
    assert!(history
        .iter()
        .all(|o| o.order_id.as_str() == "171229000724687"));
    assert_eq!(history[0].instrument_token, InstrumentToken(1));
    assert_eq!(history[1].instrument_token, InstrumentToken(779521));
    assert_eq!(history[0].placed_by, "DA0017");
    assert_eq!(history[0].exchange_timestamp, None);
    assert_eq!(
        history[3].exchange_order_id.as_deref(),
        Some("1300000001887410")
    );
    assert_eq!(history[7].price, 300.1);
    assert_eq!(history[7].order_timestamp, ts("2017-12-29 11:08:16"));
    // Keys absent from this old mock decode to defaults.
    assert_eq!(history[0].validity_ttl, 0);
    assert!(history[0].meta.is_empty());
    assert_eq!(history[0].status_message_raw, None);
    round_trip("order_info.json", &history);
}

#[test]
fn postback() {
    let raw: Value = serde_json::from_str(&read("postback.json")).unwrap();
    let p: OrderPostback = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(p.user_id, "AB1234");
    assert_eq!(p.app_id, 1234);
    assert_eq!(p.unfilled_quantity, 0);
    assert!(p.checksum.starts_with("2011845d9348"));
    assert_eq!(p.order.order_id.as_str(), "220303000308932");
    assert_eq!(p.order.status, OrderStatus::Complete);
    assert_eq!(p.order.order_type, OrderType::Market);
    assert_eq!(p.order.average_price, 470.0);
    assert_eq!(p.order.filled_quantity, 1);
    assert_eq!(p.order.order_timestamp, ts("2022-03-03 09:24:25"));
    // The bare payload decodes as a plain order too.
    let o: Order = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(o, p.order);
    let out = serde_json::to_value(&p).unwrap();
    assert_keys(&raw, &out, "postback", INT_KEYS, &[]);
}

fn check_trade_keys(name: &str, trades: &[Trade]) {
    round_trip(name, &trades);
    let out = serde_json::to_value(trades).unwrap();
    assert_eq!(out[0]["order_timestamp"], data(name)[0]["order_timestamp"]);
}

#[test]
fn trades() {
    let trades: Vec<Trade> = decode("trades.json");
    assert_eq!(trades.len(), 4);
    let t = &trades[0];
    assert_eq!(t.trade_id, "10000000");
    assert_eq!(t.order_id.as_str(), "200000000000000");
    assert_eq!(t.exchange_order_id.as_deref(), Some("300000000000000"));
    assert_eq!(t.exchange, Exchange::Nse);
    assert_eq!(t.instrument_token, InstrumentToken(779521));
    assert_eq!(t.product, Product::Cnc);
    assert_eq!(t.average_price, 420.65);
    assert_eq!(t.quantity, 1);
    assert_eq!(t.fill_timestamp, Some(ts("2021-05-31 09:16:39")));
    assert_eq!(t.order_timestamp, "09:16:39");
    assert_eq!(t.order_time(), Some(ts("2021-05-31 09:16:39").time()));
    assert_eq!(trades[1].average_price, 72.755);
    assert_eq!(trades[1].product, Product::Mis);
    assert_eq!(trades[3].order_id.as_str(), "1100000000000000");
    check_trade_keys("trades.json", &trades);
}

#[test]
fn order_trades() {
    let trades: Vec<Trade> = decode("order_trades.json");
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].exchange, Exchange::Mcx);
    assert_eq!(trades[0].tradingsymbol, "GOLDPETAL21JUNFUT");
    assert_eq!(trades[0].average_price, 4852.0);
    assert_eq!(
        trades[0].exchange_timestamp,
        Some(ts("2021-05-31 16:00:36"))
    );
    assert_eq!(
        trades[0].order_time(),
        Some(ts("2021-05-31 16:00:36").time())
    );
    check_trade_keys("order_trades.json", &trades);
}

fn check_order_response(name: &str) {
    let r: OrderResponse = decode(name);
    assert_eq!(r.order_id, OrderId::from("151220000000000"));
    round_trip(name, &r);
}

#[test]
fn order_response() {
    check_order_response("order_response.json");
}

#[test]
fn order_modify() {
    check_order_response("order_modify.json");
}

#[test]
fn order_cancel() {
    check_order_response("order_cancel.json");
}

#[test]
fn autoslice_response() {
    let r: AutosliceResponse = decode("autoslice_response.json");
    assert_eq!(r.order_id.as_str(), "1914227164488687616");
    assert_eq!(r.children.len(), 4);
    assert_eq!(
        r.children[0],
        AutosliceChild::Placed {
            order_id: "1914227164534824960".into()
        }
    );
    match &r.children[2] {
        AutosliceChild::Failed { error } => {
            assert_eq!(error.code, 400);
            assert_eq!(error.error_type, ErrorType::MarginException);
            assert!(error.message.contains("228365.92"));
            assert_eq!(error.data, None);
        }
        other => panic!("expected a failed child, got {other:?}"),
    }
    round_trip("autoslice_response.json", &r);
    // Each child keeps its own shape.
    let out = serde_json::to_value(&r).unwrap();
    assert_keys(
        &data("autoslice_response.json")["children"][2],
        &out["children"][2],
        "children[2]",
        INT_KEYS,
        &[],
    );
}

// ---------------------------------------------------------------------------------------------------
// portfolio

#[test]
fn positions() {
    let p: Positions = decode("positions.json");
    assert_eq!((p.net.len(), p.day.len()), (3, 3));
    let lead = &p.net[0];
    assert_eq!(lead.tradingsymbol, "LEADMINI17DECFUT");
    assert_eq!(lead.exchange, Exchange::Mcx);
    assert_eq!(lead.instrument_token, InstrumentToken(53496327));
    assert_eq!(lead.product, Product::Nrml);
    assert_eq!(lead.quantity, 1);
    assert_eq!(lead.multiplier, 1000.0);
    assert_eq!(lead.average_price, 161.05);
    assert_eq!(lead.value, -161050.0);
    assert_eq!(lead.buy_m2m, 161050.0);
    let gold = &p.net[1];
    assert_eq!(gold.overnight_quantity, 3);
    assert_eq!(gold.pnl, 801.0);
    assert_eq!(gold.m2m, 276.0);
    assert_eq!(gold.buy_price, 23139.75);
    assert_eq!(gold.day_sell_quantity, 4);
    assert_eq!(p.net[2].product, Product::Co);
    // The same contract is flat in `net` and short 3 in `day`.
    assert_eq!(p.day[0].tradingsymbol, "GOLDGUINEA17DECFUT");
    assert_eq!(p.day[0].quantity, -3);
    assert_eq!(p.day[0].pnl, -93.0);
    round_trip("positions.json", &p);
}

#[test]
fn convert_position() {
    let ok: bool = decode("convert_position.json");
    assert!(ok);
    round_trip("convert_position.json", &ok);
}

#[test]
fn holdings() {
    let h: Vec<Holding> = decode("holdings.json");
    assert_eq!(h.len(), 2);
    let a = &h[0];
    assert_eq!(a.tradingsymbol, "AARON");
    assert_eq!(a.instrument_token, InstrumentToken(263681));
    assert_eq!(a.isin, "INE721Z01010");
    assert_eq!(a.product, Product::Cnc);
    assert_eq!(a.quantity, 1);
    assert_eq!(a.realised_quantity, 1);
    assert_eq!(a.authorised_date, Some(ts("2025-01-17 00:00:00")));
    assert!(a.authorisation.is_empty());
    assert_eq!(a.opening_quantity, 1);
    assert_eq!(a.collateral_type, "");
    assert!(!a.discrepancy);
    assert_eq!(a.average_price, 161.0);
    assert_eq!(a.last_price, 352.95);
    assert_eq!(a.pnl, 191.95);
    assert_close(a.day_change_percentage, 0.17028522775648244);
    assert_eq!(a.mtf.quantity, 1000);
    assert_eq!(a.mtf.average_price, 100.0);
    assert_eq!(a.mtf.value, 100000.0);
    let s = &h[1];
    assert_eq!(s.exchange, Exchange::Bse);
    assert_eq!(s.instrument_token, InstrumentToken(128028676));
    assert_eq!(s.quantity, 16);
    assert_eq!(s.average_price, 801.78125);
    assert_eq!(s.mtf.quantity, 0);
    round_trip("holdings.json", &h);
}

#[test]
fn auctions_list() {
    let a: Vec<AuctionInstrument> = decode("auctions_list.json");
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].tradingsymbol, "ASHOKLEY");
    assert_eq!(a[0].instrument_token, InstrumentToken(54282));
    assert_eq!(a[0].isin, "INE208A01029");
    assert_eq!(a[0].auction_number, "20");
    assert_eq!(a[0].average_price, 131.95);
    assert_eq!(a[0].authorised_date, Some(ts("2022-12-21 00:00:00")));
    assert_eq!(a[1].quantity, 5);
    assert_eq!(a[1].close_price, 84.0);
    assert_eq!(a[2].auction_number, "7529");
    round_trip("auctions_list.json", &a);
}

#[test]
fn holdings_compact() {
    let h: Vec<HoldingsCompact> = decode("holdings_compact.json");
    assert_eq!(h.len(), 21);
    assert_eq!(h[0].tradingsymbol, "63MOONS");
    assert_eq!(h[0].instrument_token, InstrumentToken(3038209));
    assert_eq!(h[4].tradingsymbol, "BHEL");
    assert_eq!(h[4].quantity, 40);
    assert_eq!(h[7].exchange, Exchange::Bse);
    assert_eq!(h[7].instrument_token, InstrumentToken(128120068));
    assert_eq!(h[20].tradingsymbol, "SBIN");
    assert_eq!(h[20].quantity, 32);
    assert!(h.iter().all(|x| x.t1_quantity == 0));
    round_trip("holdings_compact.json", &h);
}

#[test]
fn holdings_summary() {
    let s: HoldingsSummary = decode("holdings_summary.json");
    assert_close(s.total_pnl, 6798.235950000001);
    assert_close(s.total_pnl_percent, 16.56312500412587);
    assert_close(s.today_pnl, -76.79999999999775);
    assert_close(s.today_pnl_percent, -0.16026898477945015);
    assert_eq!(s.invested_amount, 41044.40405);
    assert_close(s.current_value, 47842.64000000001);
    round_trip("holdings_summary.json", &s);
}

#[test]
fn holdings_auth() {
    let a: HoldingsAuth = decode("holdings_auth.json");
    assert_eq!(a.request_id, "na8QgCeQm05UHG6NL9sAGRzdfSF64UdB");
    round_trip("holdings_auth.json", &a);
}

// ---------------------------------------------------------------------------------------------------
// market data

#[test]
fn quote() {
    let q: QuoteMap<Quote> = decode("quote.json");
    assert_eq!(q.len(), 1);
    let infy = &q["NSE:INFY"];
    assert_eq!(infy.instrument_token, InstrumentToken(408065));
    assert_eq!(infy.timestamp, Some(ts("2021-06-08 15:45:56")));
    assert_eq!(infy.last_trade_time, Some(ts("2021-06-08 15:45:52")));
    assert_eq!(infy.last_price, 1412.95);
    assert_eq!(infy.last_quantity, 5);
    assert_eq!(infy.buy_quantity, 0);
    assert_eq!(infy.sell_quantity, 5191);
    assert_eq!(infy.volume, 7360198);
    assert_eq!(infy.average_price, 1412.47);
    assert_eq!(infy.lower_circuit_limit, 1250.7);
    assert_eq!(infy.upper_circuit_limit, 1528.6);
    assert_eq!(infy.ohlc.open, 1396.0);
    assert_eq!(infy.ohlc.high, 1421.75);
    assert_eq!(infy.ohlc.low, 1395.55);
    assert_eq!(infy.ohlc.close, 1389.65);
    assert_eq!((infy.depth.buy.len(), infy.depth.sell.len()), (5, 5));
    assert_eq!(infy.depth.buy[0], DepthEntry::default());
    assert_eq!(
        infy.depth.sell[0],
        DepthEntry {
            price: 1412.95,
            quantity: 5191,
            orders: 13
        }
    );
    round_trip("quote.json", &q);
    let out = serde_json::to_value(&q).unwrap();
    assert_eq!(out["NSE:INFY"]["depth"]["sell"][0]["orders"], 13);
    assert!(out["NSE:INFY"]["depth"]["sell"][0]["quantity"].is_u64());
}

#[test]
fn quote_nullable_times() {
    let q: Quote = serde_json::from_value(serde_json::json!({
        "instrument_token": 408065, "timestamp": null, "last_trade_time": null, "last_price": 1.5
    }))
    .unwrap();
    assert_eq!((q.timestamp, q.last_trade_time), (None, None));
    let out = serde_json::to_value(&q).unwrap();
    assert!(out["last_trade_time"].is_null());
    assert_eq!(out["depth"]["buy"], serde_json::json!([]));
}

#[test]
fn ohlc() {
    let q: QuoteMap<OhlcQuote> = decode("ohlc.json");
    let infy = &q["NSE:INFY"];
    assert_eq!(infy.instrument_token, InstrumentToken(408065));
    assert_eq!(infy.last_price, 1075.0);
    assert_eq!(infy.ohlc.open, 1085.8);
    assert_eq!(infy.ohlc.high, 1085.9);
    assert_eq!(infy.ohlc.low, 1070.9);
    assert_eq!(infy.ohlc.close, 1075.8);
    round_trip("ohlc.json", &q);
}

#[test]
fn ltp() {
    let q: QuoteMap<LtpQuote> = decode("ltp.json");
    assert_eq!(
        q["NSE:INFY"],
        LtpQuote {
            instrument_token: InstrumentToken(408065),
            last_price: 1074.35
        }
    );
    round_trip("ltp.json", &q);
}

#[test]
fn trigger_range() {
    let r: QuoteMap<TriggerRange> = decode("trigger_range.json");
    assert_eq!(r.len(), 2);
    assert_eq!(r["NSE:INFY"].instrument_token, InstrumentToken(0));
    assert_eq!(r["NSE:INFY"].lower, 1075.599);
    assert_eq!(r["NSE:INFY"].upper, 1138.2);
    assert_eq!(r["NSE:RELIANCE"].lower, 870.57475);
    assert_eq!(r["NSE:RELIANCE"].upper, 902.15);
    round_trip("trigger_range.json", &r);
}

/// Candles encode back to the very text of the mock's arrays (timestamps with `+0530`, volume and OI
/// as integers); prices compare as numbers.
fn check_candles_encode(name: &str, c: &Candles) {
    round_trip(name, c);
    let mock = data(name);
    let out = serde_json::to_value(c).unwrap();
    for (m, o) in mock["candles"]
        .as_array()
        .unwrap()
        .iter()
        .zip(out["candles"].as_array().unwrap())
    {
        let (m, o) = (m.as_array().unwrap(), o.as_array().unwrap());
        assert_eq!(m.len(), o.len());
        assert_eq!(m[0], o[0]);
        for i in 1..5 {
            assert_eq!(m[i].as_f64(), o[i].as_f64());
        }
        for i in 5..m.len() {
            assert!(o[i].is_u64(), "volume/oi must be integers: {}", o[i]);
            assert_eq!(m[i].as_u64(), o[i].as_u64());
        }
    }
}

#[test]
fn historical_minute() {
    let c: Candles = decode("historical_minute.json");
    assert_eq!(c.candles.len(), 6);
    let first = c.candles[0];
    assert_eq!(first.timestamp, ts("2017-12-15 09:15:00"));
    assert_eq!(
        (first.open, first.high, first.low, first.close),
        (1704.5, 1705.0, 1699.25, 1702.8)
    );
    assert_eq!((first.volume, first.oi), (2499, None));
    let last = c.candles[5];
    assert_eq!(last.timestamp, ts("2017-12-15 09:20:00"));
    assert_eq!(last.close, 1696.9);
    assert_eq!(last.volume, 802);
    check_candles_encode("historical_minute.json", &c);
}

#[test]
fn historical_oi() {
    let c: Candles = decode("historical_oi.json");
    assert_eq!(c.candles.len(), 6);
    let first = c.candles[0];
    assert_eq!(first.timestamp, ts("2019-12-04 09:15:00"));
    assert_eq!(first.open, 12009.9);
    assert_eq!((first.volume, first.oi), (163275, Some(13667775)));
    assert_eq!(c.candles[2].oi, Some(13758000));
    assert_eq!(c.candles[5].oi, Some(13777050));
    check_candles_encode("historical_oi.json", &c);
}

// ---------------------------------------------------------------------------------------------------
// instrument dumps

/// Parses a dump with the `csv` crate (as the client does) and each record with the model.
fn csv_records(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = read(name);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn instruments(name: &str) -> Vec<Instrument> {
    let (header, rows) = csv_records(name);
    assert_eq!(header, Instrument::CSV_HEADER);
    rows.iter()
        .map(|r| {
            let fields: Vec<&str> = r.iter().map(String::as_str).collect();
            Instrument::from_csv_record(&fields).unwrap_or_else(|e| panic!("{name} {r:?}: {e}"))
        })
        .collect()
}

fn check_instrument_tokens(list: &[Instrument]) {
    for i in list {
        assert_eq!(
            i.instrument_token.exchange_token(),
            i.exchange_token,
            "{i:?}"
        );
    }
}

#[test]
fn instruments_all_csv() {
    let list = instruments("instruments_all.csv");
    assert_eq!(list.len(), 99);
    let count = |e| list.iter().filter(|i| i.exchange == e).count();
    assert_eq!(
        (
            count(Exchange::Nse),
            count(Exchange::Bse),
            count(Exchange::Nfo)
        ),
        (55, 19, 25)
    );
    assert_eq!(list[0].instrument_token, InstrumentToken(3813889));
    assert_eq!(list[0].tradingsymbol, "CENTRALBK-BE");
    assert_eq!(list[0].name, "CENTRAL BANK OF INDIA");
    assert_eq!(list[0].instrument_type, InstrumentType::Eq);
    assert_eq!(list[0].expiry, None);

    let ce = list
        .iter()
        .find(|i| i.tradingsymbol == "BANKNIFTY18JAN23500CE")
        .unwrap();
    assert_eq!(ce.instrument_token, InstrumentToken(12073986));
    assert_eq!(ce.exchange_token, 47164);
    assert_eq!(ce.name, "");
    assert_eq!(ce.last_price, 2528.4);
    assert_eq!(ce.expiry, Some(date("2018-01-25")));
    assert_eq!(ce.strike, 23500.0);
    assert_eq!(ce.tick_size, 0.05);
    assert_eq!(ce.lot_size, 40);
    assert_eq!(ce.instrument_type, InstrumentType::Ce);
    assert_eq!(ce.segment, "NFO-OPT");
    assert_eq!(ce.exchange, Exchange::Nfo);

    let pe = list
        .iter()
        .find(|i| i.tradingsymbol == "ADANIPORTS17DEC490PE")
        .unwrap();
    assert_eq!(pe.instrument_type, InstrumentType::Pe);
    assert_eq!(pe.lot_size, 2500);
    assert_eq!(pe.strike, 490.0);

    let cox = list
        .iter()
        .find(|i| i.tradingsymbol == "COX&KINGS")
        .unwrap();
    assert_eq!(cox.name, "COX & KINGS");
    assert_eq!(cox.exchange, Exchange::Bse);
    assert_eq!(cox.segment, "BSE");
    check_instrument_tokens(&list);

    // Writing a row back gives the mock's cells.
    let (_, rows) = csv_records("instruments_all.csv");
    for (inst, row) in list.iter().zip(&rows) {
        assert_eq!(inst.to_csv_record().to_vec(), *row);
    }
}

#[test]
fn instruments_nse_csv() {
    let list = instruments("instruments_nse.csv");
    assert_eq!(list.len(), 99);
    assert!(list.iter().all(|i| i.exchange == Exchange::Nse));
    assert!(list.iter().all(|i| i.segment == "NSE"));
    assert_eq!(list[0].tradingsymbol, "CENTRALBK-BE");
    let last = list.last().unwrap();
    assert_eq!(last.instrument_token, InstrumentToken(510209));
    assert_eq!(last.tradingsymbol, "IRFC-ND");
    assert_eq!(last.name, "BOND 8.44% PA TF TII-SIB");
    assert_eq!(last.tick_size, 0.01);
    check_instrument_tokens(&list);

    // A hand split of CRLF lines (no csv crate) works too, the `\r` landing on the last field.
    let text = read("instruments_nse.csv");
    let line = text.split('\n').nth(1).unwrap();
    assert!(line.ends_with('\r'));
    let fields: Vec<&str> = line.split(',').collect();
    assert_eq!(Instrument::from_csv_record(&fields).unwrap(), list[0]);
}

#[test]
fn mf_instruments_csv() {
    let (header, rows) = csv_records("mf_instruments.csv");
    assert_eq!(header, MfInstrument::CSV_HEADER);
    let funds: Vec<MfInstrument> = rows
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.iter().map(String::as_str).collect();
            MfInstrument::from_csv_record(&f).unwrap()
        })
        .collect();
    assert_eq!(funds.len(), 99);
    let f = &funds[0];
    assert_eq!(f.tradingsymbol, "INF209K01157");
    assert_eq!(f.amc, "BirlaSunLifeMutualFund_MF");
    assert_eq!(f.name, "Aditya Birla Sun Life Advantage Fund");
    assert!(f.purchase_allowed && f.redemption_allowed);
    assert_eq!(f.minimum_purchase_amount, 1000.0);
    assert_eq!(f.minimum_redemption_quantity, 0.001);
    assert_eq!(f.dividend_type, "payout");
    assert_eq!(f.scheme_type, "equity");
    assert_eq!(f.plan, "regular");
    assert_eq!(f.settlement_type, "T3");
    assert_eq!(f.last_price, 106.8);
    assert_eq!(f.last_price_date, Some(date("2017-11-23")));
    let last = funds.last().unwrap();
    assert_eq!(last.tradingsymbol, "INF209K01VR7");
    assert_eq!(last.plan, "direct");
    assert_eq!(last.last_price, 151.59);
}

// ---------------------------------------------------------------------------------------------------
// GTT

fn check_triggered_rain(g: &Gtt) {
    assert_eq!(g.user_id, "XX0000");
    assert_eq!(g.parent_trigger, None);
    assert_eq!(g.gtt_type, GttType::TwoLeg);
    assert_eq!(g.status, GttStatus::Triggered);
    assert_eq!(g.created_at, ts("2019-09-09 15:13:22"));
    assert_eq!(g.updated_at, ts("2019-09-09 15:15:08"));
    assert_eq!(g.expires_at, Some(ts("2020-01-01 12:00:00")));
    assert_eq!(g.condition.exchange, Exchange::Nse);
    assert_eq!(g.condition.tradingsymbol, "RAIN");
    assert_eq!(g.condition.last_price, 102.6);
    assert_eq!(g.condition.trigger_values, [102.0, 103.7]);
    assert_eq!(g.condition.instrument_token, InstrumentToken(3926273));
    assert_eq!(g.orders.len(), 2);
    assert_eq!(g.orders[0].result, None);
    assert_eq!(g.orders[0].transaction_type, TransactionType::Sell);
    let r = g.orders[1].result.as_ref().unwrap();
    assert_eq!(r.account_id, "XX0000");
    assert_eq!(r.validity, Validity::Day);
    assert_eq!(r.meta, r#"{"app_id":12617,"gtt":105099}"#);
    assert_eq!(r.timestamp, Some(ts("2019-09-09 15:15:08")));
    assert_eq!(r.triggered_at, 103.7);
    assert_eq!(r.order_result.status, "failed");
    assert_eq!(r.order_result.order_id, "");
    assert!(r
        .order_result
        .rejection_reason
        .contains("lower circuit limit of 70.65"));
    // `null` in the mock, `{}` in the model.
    assert!(g.meta.is_empty());
}

#[test]
fn gtt_get_order() {
    let g: Gtt = decode("gtt_get_order.json");
    assert_eq!(g.id, 123);
    check_triggered_rain(&g);
    round_trip_with("gtt_get_order.json", &g, INT_KEYS, &["meta"]);
    assert_eq!(
        serde_json::to_value(&g).unwrap()["meta"],
        serde_json::json!({})
    );
}

#[test]
fn gtt_get_orders() {
    let list: Vec<Gtt> = decode("gtt_get_orders.json");
    assert_eq!(list.len(), 2);
    let g = &list[0];
    assert_eq!(g.id, 112127);
    assert_eq!(g.gtt_type, GttType::Single);
    assert_eq!(g.status, GttStatus::Active);
    assert_eq!(g.condition.trigger_values, [702.0]);
    assert_eq!(g.condition.last_price, 798.0);
    assert_eq!(g.condition.instrument_token, InstrumentToken(408065));
    assert_eq!(g.orders[0].price, 702.5);
    assert_eq!(g.orders[0].quantity, 1);
    assert_eq!(g.orders[0].product, Product::Cnc);
    assert_eq!(g.expires_at, Some(ts("2020-09-12 13:25:16")));
    assert_eq!(list[1].id, 105099);
    check_triggered_rain(&list[1]);
    round_trip("gtt_get_orders.json", &list);
    // The second row's `result` object and `null` meta, checked too.
    let out = serde_json::to_value(&list).unwrap();
    assert_keys(
        &data("gtt_get_orders.json")[1],
        &out[1],
        "data[1]",
        INT_KEYS,
        &["meta"],
    );
    assert_keys(
        &data("gtt_get_orders.json")[1]["orders"][1],
        &out[1]["orders"][1],
        "data[1].orders[1]",
        INT_KEYS,
        &[],
    );
}

fn check_gtt_response(name: &str) {
    let r: GttResponse = decode(name);
    assert_eq!(r.trigger_id, 123);
    round_trip(name, &r);
    assert_eq!(
        serde_json::to_string(&Envelope::success(r)).unwrap(),
        read(name).trim()
    );
}

#[test]
fn gtt_place_order() {
    check_gtt_response("gtt_place_order.json");
}

#[test]
fn gtt_modify_order() {
    check_gtt_response("gtt_modify_order.json");
}

#[test]
fn gtt_delete_order() {
    check_gtt_response("gtt_delete_order.json");
}

// ---------------------------------------------------------------------------------------------------
// margin and charge calculators

#[test]
fn order_margins() {
    let m: Vec<OrderMargin> = decode("order_margins.json");
    assert_eq!(m.len(), 1);
    let infy = &m[0];
    assert_eq!(infy.margin_type, "equity");
    assert_eq!(infy.tradingsymbol, "INFY");
    assert_eq!(infy.exchange, "NSE");
    assert_eq!(infy.var, 1498.0);
    assert_eq!(infy.leverage, 1.0);
    assert_eq!(infy.total, 1498.0);
    assert_eq!(infy.charges.transaction_tax, 1.498);
    assert_eq!(infy.charges.transaction_tax_type, "stt");
    assert_eq!(infy.charges.stamp_duty, 0.22);
    assert_close(infy.charges.gst.igst, 0.011372219999999999);
    assert_eq!(infy.charges.total, 1.79255122);
    round_trip("order_margins.json", &m);
}

#[test]
fn basket_margins() {
    let b: BasketMargins = decode("basket_margins.json");
    assert_eq!(b.initial.margin_type, "");
    assert_eq!(b.initial.span, 66832.5);
    assert_eq!(b.initial.total, 96504.975);
    assert_close(b.final_.span, 7788.000000000007);
    assert_eq!(b.final_.option_premium, -2152.5);
    assert_close(b.final_.total, 34786.725000000006);
    assert_eq!(b.orders.len(), 2);
    assert_eq!(b.orders[0].tradingsymbol, "NIFTY23JUL20600CE");
    assert_eq!(b.orders[0].exchange, "NFO");
    assert_eq!(b.orders[0].charges.brokerage, 20.0);
    assert_close(b.orders[0].charges.total, 26.851761274999998);
    assert_eq!(b.orders[1].option_premium, 521.25);
    assert_eq!(b.charges.brokerage, 40.0);
    assert_eq!(b.charges.sebi_turnover_charge, 0.003195);
    round_trip("basket_margins.json", &b);
    let out = serde_json::to_value(&b).unwrap();
    assert!(out.get("final").is_some() && out.get("final_").is_none());
}

#[test]
fn virtual_contract_note() {
    let notes: Vec<ContractNote> = decode("virtual_contract_note.json");
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[0].transaction_type, TransactionType::Buy);
    assert_eq!(notes[0].exchange, Exchange::Nse);
    assert_eq!(notes[0].order_type, OrderType::Market);
    assert_eq!(notes[0].price, 560.0);
    assert_eq!(notes[0].charges.total, 0.5826968);
    let gold = &notes[1];
    assert_eq!(gold.exchange, Exchange::Mcx);
    assert_eq!(gold.transaction_type, TransactionType::Sell);
    assert_eq!(gold.charges.transaction_tax_type, "ctt");
    assert_eq!(gold.charges.brokerage, 1.7586);
    assert_eq!(notes[2].quantity, 100);
    assert_eq!(notes[2].price, 1.5);
    assert_eq!(notes[2].charges.gst.total, 3.613527);
    round_trip("virtual_contract_note.json", &notes);
}

// ---------------------------------------------------------------------------------------------------
// mutual funds (fractional quantities: the integer rule of §1.4 does not apply)

#[test]
fn mf_orders() {
    let o: Vec<MfOrder> = decode("mf_orders.json");
    assert_eq!(o.len(), 5);
    let a = &o[0];
    assert_eq!(a.order_id, "271989e0-a64e-4cf3-b4e4-afb8f38dd203");
    assert_eq!(a.status, "REJECTED");
    assert_eq!(a.purchase_type, "FRESH");
    assert_eq!(a.folio, None);
    assert_eq!(a.order_timestamp, ts("2021-06-30 08:33:07"));
    assert_eq!(a.exchange_order_id.as_deref(), Some("254657127"));
    assert_eq!(a.last_price, 30.68);
    assert_eq!(a.settlement_id.as_deref(), Some("2122061"));
    assert_eq!(a.transaction_type, TransactionType::Buy);
    assert_eq!(a.amount, 1000.0);
    assert_eq!(a.exchange_timestamp, Some(date("2021-06-30")));
    assert_eq!(a.variety, "amc_sip");
    assert_eq!(a.last_price_date, Some(date("2021-06-29")));
    assert_eq!(
        a.status_message.as_deref(),
        Some("AMC SIP: Insufficient balance.")
    );
    assert_eq!(a.fund, "HDFC Balanced Advantage Fund - Direct Plan");
    assert_eq!(o[1].tag.as_deref(), Some("coinandroidsip"));
    assert_eq!(o[1].exchange_timestamp, None);
    assert_eq!(o[2].status, "OPEN");
    round_trip_with("mf_orders.json", &o, &[], &[]);
}

#[test]
fn mf_orders_info() {
    let o: MfOrder = decode("mf_orders_info.json");
    assert_eq!(o.order_id, "2b6ad4b7-c84e-4c76-b459-f3a8994184f1");
    assert_eq!(o.status, "OPEN");
    assert_eq!(o.tradingsymbol, "INF761K01EE1");
    assert_eq!(o.amount, 5000.0);
    assert_eq!(o.quantity, 0.0);
    assert_eq!(o.placed_by, "ZV8062");
    assert_eq!(o.status_message.as_deref(), Some("Insufficient fund. 1/5"));
    round_trip_with("mf_orders_info.json", &o, &[], &[]);
}

fn check_mf_order_id(name: &str) {
    let r: MfOrderResponse = decode(name);
    assert_eq!(r.order_id, "3bb085d1-5038-450e-a807-6543fef6c9ae");
    round_trip(name, &r);
}

#[test]
fn mf_order_response() {
    check_mf_order_id("mf_order_response.json");
}

#[test]
fn mf_order_cancel() {
    check_mf_order_id("mf_order_cancel.json");
}

#[test]
fn mf_sips() {
    // This mock has no `status` key; the envelope defaults it to success.
    let s: Vec<MfSip> = decode("mf_sips.json");
    assert_eq!(s.len(), 5);
    let a = &s[0];
    assert_eq!(a.sip_id, "892741486820670");
    assert_eq!(a.status, "ACTIVE");
    assert_eq!(a.sip_reg_num, None);
    assert_eq!(a.created, ts("2021-05-05 05:56:27"));
    assert_eq!(a.dividend_type, "idcw");
    assert_eq!(a.instalment_amount, 500.0);
    assert_eq!(a.instalments, -1);
    assert_eq!(a.pending_instalments, -1);
    assert_eq!(a.next_instalment, Some(date("2021-05-12")));
    assert_eq!(a.last_instalment, Some(ts("2021-05-05 05:56:27")));
    assert_eq!(a.step_up.get("05-05"), Some(&10.0));
    assert_eq!(a.frequency, "weekly");
    assert_eq!(a.sip_type, "sip");
    let amc = &s[2];
    assert_eq!(amc.sip_reg_num.as_deref(), Some("15158182"));
    assert_eq!(amc.instalments, 9999);
    assert_eq!(amc.completed_instalments, 1);
    assert_eq!(amc.instalment_day, 10);
    assert!(amc.step_up.is_empty());
    assert_eq!(s[4].frequency, "quarterly");
    round_trip_with("mf_sips.json", &s, &[], &[]);
}

#[test]
fn mf_sip_info() {
    let s: MfSip = decode("mf_sip_info.json");
    assert_eq!(s.sip_id, "181635213661372");
    assert_eq!(s.tradingsymbol, "INF209KB1ZH2");
    assert_eq!(s.instalment_amount, 5000.0);
    assert_eq!(s.step_up.get("15-02"), Some(&10.0));
    assert_eq!(s.fund_source.as_deref(), Some("pool"));
    assert_eq!(s.tag.as_deref(), Some("coiniossip"));
    assert_eq!(s.next_instalment, Some(date("2022-02-22")));
    round_trip_with("mf_sip_info.json", &s, &[], &[]);
}

fn check_sip_id(name: &str) {
    let r: MfSipResponse = decode(name);
    assert_eq!(r.sip_id, "986124545877922");
    round_trip(name, &r);
}

#[test]
fn mf_sip_place() {
    check_sip_id("mf_sip_place.json");
}

#[test]
fn mf_sip_modify() {
    check_sip_id("mf_sip_modify.json");
}

#[test]
fn mf_sip_cancel() {
    check_sip_id("mf_sip_cancel.json");
}

#[test]
fn mf_holdings() {
    let h: Vec<MfHolding> = decode("mf_holdings.json");
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].folio, "3108290884");
    assert_eq!(h[0].fund, "INVESCO INDIA TAX PLAN - DIRECT PLAN");
    assert_eq!(h[0].tradingsymbol, "INF205K01NT8");
    assert_eq!(h[0].average_price, 78.43);
    assert_eq!(h[0].last_price, 84.86);
    assert_eq!(h[0].last_price_date, None);
    assert_eq!(h[0].quantity, 382.488);
    assert_eq!(h[1].average_price, 1874.101138);
    assert_eq!(h[2].quantity, 257.057);
    round_trip_with("mf_holdings.json", &h, &[], &[]);
    assert_eq!(serde_json::to_value(&h).unwrap()[0]["last_price_date"], "");
}

// ---------------------------------------------------------------------------------------------------
// alerts

fn check_nifty_alert(a: &Alert, constant: f64) {
    assert_eq!(a.alert_type, "simple");
    assert_eq!(a.user_id, "AB1234");
    assert_eq!(a.uuid, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(a.name, "NIFTY 50");
    assert_eq!(a.status, "enabled");
    assert_eq!(a.lhs_attribute, "LastTradedPrice");
    assert_eq!(a.lhs_exchange, "INDICES");
    assert_eq!(a.lhs_tradingsymbol, "NIFTY 50");
    assert_eq!(a.operator, ">=");
    assert_eq!(a.rhs_type, "constant");
    assert_eq!(a.rhs_constant, constant);
    assert_eq!(a.alert_count, 0);
    assert_eq!(a.created_at, ts("2025-05-26 12:07:50"));
    assert!(a.basket.is_none());
}

#[test]
fn alerts_create() {
    let a: Alert = decode("alerts_create.json");
    check_nifty_alert(&a, 27000.0);
    round_trip("alerts_create.json", &a);
}

#[test]
fn alerts_create_ato() {
    let a: Alert = decode("alerts_create_ato.json");
    assert_eq!(a.alert_type, "ato");
    assert_eq!(a.uuid, "a5a2b03d-4851-44b3-9d85-0123baa4a273");
    assert_eq!(a.created_at, ts("2025-05-26 12:09:26"));
    assert_eq!(a.rhs_constant, 27000.0);
    round_trip("alerts_create_ato.json", &a);
}

#[test]
fn alerts_get_one() {
    let a: Alert = decode("alerts_get_one.json");
    check_nifty_alert(&a, 27000.0);
    round_trip("alerts_get_one.json", &a);
}

#[test]
fn alerts_modify() {
    let a: Alert = decode("alerts_modify.json");
    check_nifty_alert(&a, 27500.0);
    assert_eq!(a.updated_at, ts("2025-05-26 12:10:15"));
    round_trip("alerts_modify.json", &a);
}

#[test]
fn alerts_get() {
    let list: Vec<Alert> = decode("alerts_get.json");
    assert_eq!(list.len(), 2);
    check_nifty_alert(&list[0], 27000.0);
    let ato = &list[1];
    assert_eq!(ato.alert_type, "ato");
    assert_eq!(ato.status, "disabled");
    assert_eq!(ato.operator, "<=");
    assert_eq!(ato.rhs_constant, 71.8);
    assert_eq!(ato.alert_count, 1);
    let item = &ato.basket.as_ref().unwrap().items[0];
    assert_eq!(item.id, 275218517);
    assert_eq!(item.tradingsymbol, "GOLDBEES");
    assert_eq!(item.instrument_token, InstrumentToken(3693569));
    assert_eq!(item.params["price"], 72.22);
    assert_eq!(item.params["quantity"], 10000);
    round_trip("alerts_get.json", &list);
    let out = serde_json::to_value(&list).unwrap();
    assert_keys(
        &data("alerts_get.json")[1],
        &out[1],
        "data[1]",
        INT_KEYS,
        &[],
    );
}

#[test]
fn alerts_history() {
    let h: Vec<AlertHistory> = decode("alerts_history.json");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].uuid, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(h[0].alert_type, "simple");
    assert_eq!(
        h[0].condition,
        r#"LastTradedPrice("INDICES:NIFTY NEXT 50") <= 58290.35"#
    );
    assert_eq!(h[0].created_at, ts("2025-02-17 09:16:46"));
    assert_eq!(h[0].order_meta, None);
    let m = &h[0].meta[0];
    assert_eq!(m.instrument_token, InstrumentToken(270857));
    assert_eq!(m.tradingsymbol, "NIFTY NEXT 50");
    assert_eq!(m.exchange, "INDICES");
    assert_eq!(m.last_price, 58288.05);
    assert_eq!(m.ohlc.close, 59557.95);
    assert_eq!(m.net_change, -1269.9);
    assert_eq!(m.last_trade_time, Some(ts("0001-01-01 00:00:00")));
    round_trip("alerts_history.json", &h);
}

#[test]
fn alerts_delete() {
    let v: Envelope<()> = serde_json::from_str(&read("alerts_delete.json")).unwrap();
    assert_eq!(v.status, ResponseStatus::Success);
    round_trip("alerts_delete.json", &v.data);
}

// ---------------------------------------------------------------------------------------------------
// errors

#[test]
fn error_body_decodes_forum_shape() {
    let body: ErrorBody = serde_json::from_str(
        r#"{"status":"error","message":"Too many requests","error_type":"NetworkException","data":null}"#,
    )
    .unwrap();
    assert_eq!(body.status, ResponseStatus::Error);
    assert_eq!(body.error_type, ErrorType::NetworkException);
    assert_eq!(body.message, "Too many requests");
    assert_eq!(
        body,
        ErrorBody::new(ErrorType::NetworkException, "Too many requests")
    );
}

#[test]
#[should_panic(expected = "integer field encoded as 1.0")]
fn key_check_catches_float_integers() {
    let mock = serde_json::json!({"quantity": 1});
    assert_keys(
        &mock,
        &serde_json::json!({"quantity": 1.0}),
        "x",
        INT_KEYS,
        &[],
    );
}

#[test]
#[should_panic(expected = "key missing")]
fn key_check_catches_missing_keys() {
    let mock = serde_json::json!({"meta": {}, "tag": null});
    assert_keys(&mock, &serde_json::json!({"meta": {}}), "x", INT_KEYS, &[]);
}
