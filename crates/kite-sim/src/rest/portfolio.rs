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
    let mut accounts = lock(&shared.accounts);
    Ok(ok(accounts
        .account_mut(&user.user_id, &lookup)
        .holdings(&quotes)))
}

/// The sandbox runs no auctions.
async fn auctions(_user: KiteUser) -> ApiResult {
    Ok(ok(Vec::<AuctionInstrument>::new()))
}
