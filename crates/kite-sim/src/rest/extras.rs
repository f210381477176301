//! The rest of SPEC's routes: full profile, holdings summary, position conversion, GTT triggers and the
//! margin and charge calculators.

use super::params::Params;
use super::{ok, ApiError, ApiResult, KiteUser};
use crate::accounts::{ist, now_unix, SimError};
use crate::charges::{charges, kind, sum};
use crate::state::{lock, Shared};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Router;
use model::broker::{
    BasketMargins, ChargesOrder, ContractNote, ConvertPositionParams, FullProfile, FullProfileMeta,
    Gtt, GttCondition, GttOrder, GttParams, GttResponse, GttStatus, HoldingsSummary, MarginOrder,
    MarginPnl, OrderMargin, PositionType, Product, TransactionType,
};
use model::Exchange;
use std::str::FromStr;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/user/profile/full", get(full_profile))
        .route("/portfolio/holdings/summary", get(holdings_summary))
        .route("/portfolio/positions", axum::routing::put(convert_position))
        .route("/gtt/triggers", get(list_gtts).post(create_gtt))
        .route(
            "/gtt/triggers/{id}",
            get(get_gtt).put(modify_gtt).delete(delete_gtt),
        )
        .route("/margins/orders", post(order_margins))
        .route("/margins/basket", post(basket_margins))
        .route("/charges/orders", post(order_charges))
}

async fn full_profile(user: KiteUser) -> ApiResult {
    let p = super::user::profile_of(&user.user_id);
    Ok(ok(FullProfile {
        user_id: p.user_id,
        twofa_type: "totp".into(),
        user_name: p.user_name,
        user_type: p.user_type,
        email: p.email,
        phone: "*9999".into(),
        broker: p.broker,
        // Official clients index these lists and parse these times (`full_profile.json`).
        bank_accounts: vec![model::broker::BankAccount {
            name: "SANDBOX BANK".into(),
            branch: String::new(),
            account: "*0001".into(),
        }],
        dp_ids: vec!["0000000000000000".into()],
        products: p.products,
        order_types: p.order_types,
        exchanges: p.exchanges,
        pan: "*1234A".into(),
        user_shortname: p.user_shortname,
        avatar_url: None,
        tags: Vec::new(),
        password_timestamp: chrono::DateTime::UNIX_EPOCH.naive_utc().into(),
        twofa_timestamp: chrono::DateTime::UNIX_EPOCH.naive_utc().into(),
        meta: FullProfileMeta::default(),
    }))
}

async fn holdings_summary(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    let snap = shared.latest();
    let quotes = |t| {
        snap.index_of(t).map(|i| {
            let q = &snap.quotes[i];
            (q.last as f64 / 100.0, q.close as f64 / 100.0)
        })
    };
    let lookup = |s: &str| shared.lookup_symbol(&snap, s);
    let holdings = lock(&shared.accounts)
        .account_mut(&user.user_id, &lookup)
        .holdings(&quotes);
    let invested: f64 = holdings
        .iter()
        .map(|h| h.average_price * h.quantity as f64)
        .sum();
    let current: f64 = holdings
        .iter()
        .map(|h| h.last_price * h.quantity as f64)
        .sum();
    let yesterday: f64 = holdings
        .iter()
        .map(|h| h.close_price * h.quantity as f64)
        .sum();
    let pct = |a: f64, b: f64| if b > 0.0 { a * 100.0 / b } else { 0.0 };
    Ok(ok(HoldingsSummary {
        total_pnl: current - invested,
        total_pnl_percent: pct(current - invested, invested),
        today_pnl: current - yesterday,
        today_pnl_percent: pct(current - yesterday, yesterday),
        invested_amount: invested,
        current_value: current,
    }))
}

async fn convert_position(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let parse = |k: &str| p.required(k).map(str::to_string);
    let params = ConvertPositionParams {
        exchange: Exchange::from_str(&parse("exchange")?)
            .map_err(|_| SimError::input("Invalid `exchange`."))?,
        tradingsymbol: parse("tradingsymbol")?,
        transaction_type: TransactionType::from_str(&parse("transaction_type")?)
            .map_err(|_| SimError::input("Invalid `transaction_type`."))?,
        position_type: PositionType::from_str(&parse("position_type")?)
            .map_err(|_| SimError::input("Invalid `position_type`."))?,
        quantity: p
            .whole("quantity")?
            .filter(|q| *q > 0)
            .ok_or_else(|| SimError::input("Invalid `quantity`."))?,
        old_product: Product::from_str(&parse("old_product")?)
            .map_err(|_| SimError::input("Invalid `old_product`."))?,
        new_product: Product::from_str(&parse("new_product")?)
            .map_err(|_| SimError::input("Invalid `new_product`."))?,
    };
    let converted = lock(&shared.accounts).convert(&user.user_id, &params);
    shared.settle();
    shared.flush().await;
    converted?;
    Ok(ok(true))
}

fn gtt_from_form(shared: &Shared, body: &[u8]) -> Result<(GttParams, GttCondition), ApiError> {
    let p = Params::parse(body)?;
    let params = GttParams::from_form(
        p.required("type")?,
        p.required("condition")?,
        p.required("orders")?,
    )
    .map_err(|e| SimError::input(e.to_string()))?;
    params
        .validate()
        .map_err(|e| SimError::input(e.to_string()))?;
    let snap = shared.latest();
    let c = &params.condition;
    let idx = shared
        .find_listing(&snap, c.exchange.as_str(), &c.tradingsymbol)
        .ok_or_else(|| SimError::input("Invalid `tradingsymbol` in condition."))?;
    let condition = GttCondition {
        exchange: c.exchange,
        last_price: c.last_price,
        tradingsymbol: c.tradingsymbol.clone(),
        trigger_values: c.trigger_values.clone(),
        instrument_token: snap.quotes[idx].token,
    };
    Ok((params, condition))
}

fn gtt_orders(params: &GttParams) -> Vec<GttOrder> {
    params
        .orders
        .iter()
        .map(|o| GttOrder {
            exchange: o.exchange,
            tradingsymbol: o.tradingsymbol.clone(),
            product: o.product,
            order_type: o.order_type,
            transaction_type: o.transaction_type,
            quantity: o.quantity,
            price: o.price,
            result: None,
        })
        .collect()
}

async fn create_gtt(State(shared): State<Arc<Shared>>, user: KiteUser, body: Bytes) -> ApiResult {
    let (params, condition) = gtt_from_form(&shared, &body)?;
    let id = {
        let now = ist(now_unix());
        let mut book = lock(&shared.gtts);
        let id = book.next_id();
        book.insert(Gtt {
            id,
            user_id: user.user_id.clone(),
            parent_trigger: None,
            gtt_type: params.gtt_type,
            created_at: now,
            updated_at: now,
            expires_at: Some(now + chrono::Duration::days(365)),
            status: GttStatus::Active,
            condition,
            orders: gtt_orders(&params),
            meta: Default::default(),
        });
        id
    };
    shared.persist_gtts(&user.user_id);
    shared.flush().await;
    Ok(ok(GttResponse { trigger_id: id }))
}

async fn list_gtts(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    Ok(ok(lock(&shared.gtts).of_user(&user.user_id)))
}

fn gtt_id(s: &str) -> Result<u64, ApiError> {
    s.parse()
        .map_err(|_| ApiError(SimError::input("Invalid trigger id.")))
}

async fn get_gtt(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = gtt_id(&id)?;
    lock(&shared.gtts)
        .get(&user.user_id, id)
        .map(ok)
        .ok_or_else(|| {
            SimError::new(
                model::broker::ErrorType::GeneralException,
                "Trigger not found.",
            )
            .into()
        })
}

async fn modify_gtt(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = gtt_id(&id)?;
    let (params, condition) = gtt_from_form(&shared, &body)?;
    {
        let mut book = lock(&shared.gtts);
        let g = book
            .get_mut(&user.user_id, id)
            .ok_or_else(|| SimError::input("Trigger not found."))?;
        if g.status != GttStatus::Active {
            return Err(SimError::input("Only active triggers can be modified.").into());
        }
        g.gtt_type = params.gtt_type;
        g.condition = condition;
        g.orders = gtt_orders(&params);
        g.updated_at = ist(now_unix());
    }
    shared.persist_gtts(&user.user_id);
    shared.flush().await;
    Ok(ok(GttResponse { trigger_id: id }))
}

async fn delete_gtt(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = gtt_id(&id)?;
    {
        let mut book = lock(&shared.gtts);
        let g = book
            .get_mut(&user.user_id, id)
            .ok_or_else(|| SimError::input("Trigger not found."))?;
        g.status = GttStatus::Deleted;
        g.updated_at = ist(now_unix());
    }
    shared.persist_gtts(&user.user_id);
    shared.flush().await;
    Ok(ok(GttResponse { trigger_id: id }))
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError(SimError::input(format!("Invalid JSON body: {e}"))))
}

fn margin_of(shared: &Shared, o: &MarginOrder) -> Result<OrderMargin, ApiError> {
    let snap = shared.latest();
    let idx = shared
        .find_listing(&snap, o.exchange.as_str(), &o.tradingsymbol)
        .ok_or_else(|| SimError::input(format!("Invalid `tradingsymbol` {}.", o.tradingsymbol)))?;
    let price = o
        .price
        .filter(|p| *p > 0.0)
        .unwrap_or(snap.quotes[idx].last as f64 / 100.0);
    let value = price * o.quantity as f64;
    // The order book's margin rule, split into Kite's fields: VaR for cash, SPAN for futures and
    // written options, premium for bought options.
    let (total, is_option) = shared.margin_required(
        &snap,
        &snap.quotes[idx],
        o.product,
        o.transaction_type,
        price,
        o.quantity,
    );
    let derivative = matches!(o.exchange, Exchange::Nfo | Exchange::Bfo);
    let (var, span, option_premium) = if !derivative {
        (total, 0.0, 0.0)
    } else if is_option && o.transaction_type == TransactionType::Buy {
        (0.0, 0.0, total)
    } else {
        (0.0, total, 0.0)
    };
    let leverage = if total > 0.0 { value / total } else { 1.0 };
    let c = charges(
        kind(o.exchange, o.product, is_option),
        o.transaction_type,
        o.quantity,
        price,
    );
    Ok(OrderMargin {
        margin_type: "equity".into(),
        tradingsymbol: o.tradingsymbol.clone(),
        exchange: o.exchange.as_str().into(),
        span,
        exposure: 0.0,
        option_premium,
        additional: 0.0,
        bo: 0.0,
        cash: 0.0,
        var,
        pnl: MarginPnl::default(),
        leverage,
        charges: c,
        total,
    })
}

async fn order_margins(State(shared): State<Arc<Shared>>, _u: KiteUser, body: Bytes) -> ApiResult {
    let orders: Vec<MarginOrder> = json_body(&body)?;
    let out = orders
        .iter()
        .map(|o| margin_of(&shared, o))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(out))
}

fn total(name: &str, legs: &[OrderMargin]) -> OrderMargin {
    OrderMargin {
        margin_type: name.into(),
        tradingsymbol: String::new(),
        exchange: String::new(),
        span: legs.iter().map(|l| l.span).sum(),
        exposure: legs.iter().map(|l| l.exposure).sum(),
        option_premium: legs.iter().map(|l| l.option_premium).sum(),
        additional: 0.0,
        bo: 0.0,
        cash: 0.0,
        var: legs.iter().map(|l| l.var).sum(),
        pnl: MarginPnl::default(),
        leverage: 0.0,
        charges: sum(legs.iter().map(|l| &l.charges)),
        total: legs.iter().map(|l| l.total).sum(),
    }
}

/// Equity baskets get no hedge benefit, so `final` equals `initial`.
async fn basket_margins(
    State(shared): State<Arc<Shared>>,
    _u: KiteUser,
    RawQuery(_q): RawQuery,
    body: Bytes,
) -> ApiResult {
    let orders: Vec<MarginOrder> = json_body(&body)?;
    let legs = orders
        .iter()
        .map(|o| margin_of(&shared, o))
        .collect::<Result<Vec<_>, _>>()?;
    let initial = total("", &legs);
    Ok(ok(BasketMargins {
        final_: initial.clone(),
        charges: initial.charges.clone(),
        initial,
        orders: legs,
    }))
}

async fn order_charges(_u: KiteUser, body: Bytes) -> ApiResult {
    let orders: Vec<ChargesOrder> = json_body(&body)?;
    Ok(ok(orders
        .into_iter()
        .map(|o| ContractNote {
            charges: charges(
                kind(
                    o.exchange,
                    o.product,
                    o.tradingsymbol.ends_with("CE") || o.tradingsymbol.ends_with("PE"),
                ),
                o.transaction_type,
                o.quantity,
                o.average_price,
            ),
            transaction_type: o.transaction_type,
            tradingsymbol: o.tradingsymbol,
            exchange: o.exchange,
            variety: o.variety,
            product: o.product,
            order_type: o.order_type,
            quantity: o.quantity,
            price: o.average_price,
        })
        .collect::<Vec<_>>()))
}
