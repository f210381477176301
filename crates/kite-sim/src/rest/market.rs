//! `/quote`, `/quote/ohlc`, `/quote/ltp` from the live market (SPEC §7.1).

use super::params::Params;
use super::{ok, ApiError, ApiResult, KiteUser};
use crate::accounts::{ist, SimError};
use crate::market::Quote as SimQuote;
use crate::state::{Shared, Snapshot};
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Router;
use model::broker::{DepthEntry, LtpQuote, OhlcQuote, Quote, QuoteDepth, QuoteMap};
use model::Ohlc;
use std::sync::Arc;

pub const QUOTE_LIMIT: usize = 500;
pub const OHLC_LTP_LIMIT: usize = 1000;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/quote", get(quote))
        .route("/quote/ohlc", get(ohlc))
        .route("/quote/ltp", get(ltp))
}

fn rupees(p: u32) -> f64 {
    p as f64 / 100.0
}

fn ohlc_of(q: &SimQuote) -> Ohlc {
    Ohlc {
        open: rupees(q.open),
        high: rupees(q.high),
        low: rupees(q.low),
        close: rupees(q.close),
    }
}

/// The instruments asked for that exist, each with the exact key the caller sent.
fn resolve<'a>(
    shared: &Shared,
    snap: &'a Snapshot,
    raw: Option<String>,
    limit: usize,
) -> Result<Vec<(String, &'a SimQuote)>, ApiError> {
    let p = Params::parse(raw.unwrap_or_default().as_bytes())?;
    let keys = p.all("i");
    if keys.is_empty() {
        return Err(SimError::input("No instruments given. Use `i=EXCHANGE:SYMBOL`.").into());
    }
    if keys.len() > limit {
        return Err(SimError::input(format!(
            "Too many instruments: at most {limit} per request."
        ))
        .into());
    }
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (ex, sym) = k.split_once(':')?;
            let idx = shared.find_listing(snap, ex, sym)?;
            Some((k.to_string(), &snap.quotes[idx]))
        })
        .collect())
}

/// `circuit` = the lower and upper limits in paise, the ones orders are checked against.
fn full_quote(q: &SimQuote, circuit: (u32, u32)) -> Quote {
    let level = |l: &crate::market::Level| DepthEntry {
        price: rupees(l.price),
        quantity: l.quantity as u64,
        orders: l.orders as u64,
    };
    let last = rupees(q.last);
    let close = rupees(q.close);
    Quote {
        instrument_token: q.token,
        timestamp: Some(ist(q.exchange_timestamp as i64)),
        last_trade_time: (q.last_trade_time > 0).then(|| ist(q.last_trade_time as i64)),
        last_price: last,
        last_quantity: q.last_quantity as u64,
        buy_quantity: q.buy_quantity as u64,
        sell_quantity: q.sell_quantity as u64,
        volume: q.volume as u64,
        average_price: rupees(q.average),
        oi: q.oi as f64,
        oi_day_high: q.oi_day_high as f64,
        oi_day_low: q.oi_day_low as f64,
        net_change: if close > 0.0 { last - close } else { 0.0 },
        lower_circuit_limit: rupees(circuit.0),
        upper_circuit_limit: rupees(circuit.1),
        ohlc: ohlc_of(q),
        depth: QuoteDepth {
            buy: q.bids.iter().map(level).collect(),
            sell: q.asks.iter().map(level).collect(),
        },
    }
}

async fn quote(
    State(shared): State<Arc<Shared>>,
    _u: KiteUser,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let snap = shared.latest();
    let out: QuoteMap<Quote> = resolve(&shared, &snap, raw, QUOTE_LIMIT)?
        .into_iter()
        .map(|(k, q)| (k, full_quote(q, shared.circuit_limits(&snap, q))))
        .collect();
    Ok(ok(out))
}

async fn ohlc(
    State(shared): State<Arc<Shared>>,
    _u: KiteUser,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let snap = shared.latest();
    let out: QuoteMap<OhlcQuote> = resolve(&shared, &snap, raw, OHLC_LTP_LIMIT)?
        .into_iter()
        .map(|(k, q)| {
            (
                k,
                OhlcQuote {
                    instrument_token: q.token,
                    last_price: rupees(q.last),
                    ohlc: ohlc_of(q),
                },
            )
        })
        .collect();
    Ok(ok(out))
}

async fn ltp(
    State(shared): State<Arc<Shared>>,
    _u: KiteUser,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let snap = shared.latest();
    let out: QuoteMap<LtpQuote> = resolve(&shared, &snap, raw, OHLC_LTP_LIMIT)?
        .into_iter()
        .map(|(k, q)| {
            (
                k,
                LtpQuote {
                    instrument_token: q.token,
                    last_price: rupees(q.last),
                },
            )
        })
        .collect();
    Ok(ok(out))
}
