//! Orders and trades (SPEC §5).

use super::params::{modify_params, order_params, Params};
use super::{ok, ApiResult, KiteUser};
use crate::accounts::SimError;
use crate::state::{lock, Shared};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::Router;
use model::broker::{OrderId, OrderResponse, Variety};
use std::str::FromStr;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/orders", get(orders))
        .route("/orders/{variety_or_id}", post(place).get(history))
        .route("/orders/{variety}/{order_id}", put(modify).delete(cancel))
        .route("/orders/{order_id}/trades", get(order_trades))
        .route("/trades", get(trades))
}

fn variety(v: &str) -> Result<Variety, SimError> {
    Variety::from_str(v).map_err(|_| SimError::input(format!("Invalid variety `{v}`.")))
}

async fn place(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(v): Path<String>,
    body: Bytes,
) -> ApiResult {
    let params = order_params(variety(&v)?, &Params::parse(&body)?)?;
    if params.autoslice == Some(true) {
        let reply = shared.place_autoslice(&user.user_id, &params);
        shared.flush().await;
        return Ok(ok(reply?));
    }
    let id = shared.place_order(&user.user_id, &params)?;
    shared.flush().await;
    let delay = shared.rest_faults_take_place_delay();
    if let Some(d) = delay {
        // Fault: the order exists, but the reply comes too late (the client sees a time-out).
        tokio::time::sleep(d).await;
    }
    Ok(ok(OrderResponse { order_id: id }))
}

async fn modify(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path((v, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    variety(&v)?;
    let m = modify_params(&Params::parse(&body)?)?;
    let id = OrderId(id);
    let snap = shared.latest();
    let now = shared.now();
    let result = {
        let mut accounts = lock(&shared.accounts);
        let quote = order_quote(&accounts, &snap, &user.user_id, &id);
        accounts.modify(&user.user_id, &id, &m, quote, now)
    };
    shared.settle();
    shared.flush().await;
    Ok(ok(OrderResponse { order_id: result? }))
}

/// The current quote of an order's instrument.
fn order_quote<'a>(
    accounts: &crate::accounts::Accounts,
    snap: &'a crate::state::Snapshot,
    user_id: &str,
    id: &OrderId,
) -> Option<&'a crate::market::Quote> {
    accounts
        .account(user_id)
        .and_then(|a| a.order_history(id))
        .and_then(|h| h.last().map(|o| o.instrument_token))
        .and_then(|t| snap.index_of(t))
        .map(|i| &snap.quotes[i])
}

async fn cancel(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path((v, id)): Path<(String, String)>,
) -> ApiResult {
    variety(&v)?;
    let id = OrderId(id);
    let snap = shared.latest();
    let now = shared.now();
    let result = {
        let mut accounts = lock(&shared.accounts);
        let quote = order_quote(&accounts, &snap, &user.user_id, &id);
        accounts.cancel(&user.user_id, &id, quote, now)
    };
    shared.settle();
    shared.flush().await;
    Ok(ok(OrderResponse { order_id: result? }))
}

async fn orders(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    let list = lock(&shared.accounts)
        .account(&user.user_id)
        .map(|a| a.orders())
        .unwrap_or_default();
    Ok(ok(list))
}

async fn history(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(id): Path<String>,
) -> ApiResult {
    let h = lock(&shared.accounts)
        .account(&user.user_id)
        .and_then(|a| a.order_history(&OrderId(id)))
        .ok_or_else(|| SimError::order("Couldn't find that order."))?;
    Ok(ok(h))
}

async fn order_trades(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(id): Path<String>,
) -> ApiResult {
    let t = lock(&shared.accounts)
        .account(&user.user_id)
        .and_then(|a| a.order_trades(&OrderId(id)))
        .ok_or_else(|| SimError::order("Couldn't find that order."))?;
    Ok(ok(t))
}

async fn trades(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    let list = lock(&shared.accounts)
        .account(&user.user_id)
        .map(|a| a.trades())
        .unwrap_or_default();
    Ok(ok(list))
}
