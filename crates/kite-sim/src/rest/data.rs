//! The instrument dump (SPEC §7.2) and historical candles (§7.3), from the sandbox's universe and its
//! seeded history. The last daily candle is today's live bar.

use super::params::Params;
use super::{ok, ApiError, ApiResult, KiteUser};
use crate::accounts::SimError;
use crate::history::{
    candle_to_json, check_range, ist_now, parse_from, parse_to, session_minutes_elapsed,
    CandleRequest, Interval, TodayBar,
};
use crate::instruments::parse_exchange;
use crate::state::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::broker::ErrorType;
use model::InstrumentToken;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/instruments", get(all_instruments))
        .route("/instruments/{exchange}", get(exchange_instruments))
        .route(
            "/instruments/historical/{token}/{interval}",
            get(historical),
        )
}

fn csv(body: String) -> Response {
    // Exactly `text/csv`: the JS client parses only on that header (SPEC §1.4).
    ([(header::CONTENT_TYPE, "text/csv")], body).into_response()
}

/// The dump does not check the access token (SPEC §7.2).
async fn all_instruments(State(shared): State<Arc<Shared>>) -> Response {
    csv(shared.data.universe.to_csv(None))
}

async fn exchange_instruments(
    State(shared): State<Arc<Shared>>,
    Path(exchange): Path<String>,
) -> ApiResult {
    let ex = parse_exchange(&exchange)
        .ok_or_else(|| SimError::input(format!("Invalid exchange `{exchange}`.")))?;
    Ok(csv(shared.data.universe.to_csv(Some(ex))))
}

async fn historical(
    State(shared): State<Arc<Shared>>,
    _user: KiteUser,
    Path((token, interval)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let bad = |e: crate::history::HistoryError| {
        ApiError(SimError::new(ErrorType::InputException, e.to_string()))
    };
    let token = token
        .parse::<u32>()
        .map(InstrumentToken)
        .map_err(|_| SimError::input("Invalid `instrument_token`."))?;
    let interval: Interval = interval.parse().map_err(bad)?;
    let p = Params::parse(raw.unwrap_or_default().as_bytes())?;
    let from = parse_from(p.required("from")?).map_err(bad)?;
    let to = parse_to(p.required("to")?).map_err(bad)?;
    check_range(interval, from, to).map_err(bad)?;
    let with_oi = p.boolean("oi").unwrap_or(false);
    let req = CandleRequest {
        token,
        interval,
        from,
        to,
        continuous: p.boolean("continuous").unwrap_or(false),
        oi: with_oi,
    };
    // Today's bar comes from the live market, so history and ticks agree.
    let snap = shared.latest();
    let minutes = session_minutes_elapsed(ist_now(std::time::SystemTime::now()).time()).max(1);
    let today = snap
        .index_of(token)
        .map(|i| TodayBar::from_quote(&snap.quotes[i], minutes));
    let candles = shared.data.history.candles_for(&req, today).map_err(bad)?;
    let rows: Vec<serde_json::Value> = candles.iter().map(|c| candle_to_json(c, with_oi)).collect();
    Ok(ok(serde_json::json!({ "candles": rows })))
}
