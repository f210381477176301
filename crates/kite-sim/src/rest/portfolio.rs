//! Positions and holdings (SPEC §6).

use super::{ok, ApiResult, KiteUser};
use crate::state::{lock, Shared};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use model::broker::AuctionInstrument;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/portfolio/positions", get(positions))
        .route("/portfolio/holdings", get(holdings))
        .route("/portfolio/holdings/auctions", get(auctions))
}

async fn positions(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    let snap = shared.latest();
    let last = |t| snap.index_of(t).map(|i| snap.quotes[i].last as f64 / 100.0);
    let lookup = |s: &str| shared.lookup_symbol(&snap, s);
    let mut accounts = lock(&shared.accounts);
    Ok(ok(accounts
        .account_mut(&user.user_id, &lookup)
        .positions(&last)))
}

async fn holdings(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    let snap = shared.latest();
    let quotes = |t| {
        snap.index_of(t).map(|i| {
            let q = &snap.quotes[i];
            (q.last as f64 / 100.0, q.close as f64 / 100.0)
        })
    };
    let lookup = |s: &str| shared.lookup_symbol(&snap, s);
    let mut holdings = lock(&shared.accounts)
        .account_mut(&user.user_id, &lookup)
        .holdings(&quotes);
    // Kite always sends `authorised_date` (the last CDSL authorisation; a string, never null), and
    // official clients parse it as a date: today's midnight stands in for it.
    let midnight = crate::accounts::ist(shared.now())
        .date()
        .and_hms_opt(0, 0, 0);
    for h in &mut holdings {
        h.authorised_date = h.authorised_date.or(midnight);
    }
    Ok(ok(holdings))
}

/// The sandbox runs no auctions.
async fn auctions(_user: KiteUser) -> ApiResult {
    Ok(ok(Vec::<AuctionInstrument>::new()))
}
