//! `/user/profile`, `/user/profile/full`, `/user/margins[/{segment}]`.

use super::{ok, ApiResult, KiteUser};
use crate::accounts::SimError;
use crate::state::{lock, Shared};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use model::broker::{
    AvailableMargins, Margins, Profile, ProfileMeta, SegmentMargins, UtilisedMargins,
};
use std::sync::Arc;

pub const EXCHANGES: &[&str] = &["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "MF"];
pub const PRODUCTS: &[&str] = &["CNC", "NRML", "MIS", "MTF", "CO"];
pub const ORDER_TYPES: &[&str] = &["MARKET", "LIMIT", "SL", "SL-M"];

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/user/profile", get(profile))
        .route("/user/margins", get(margins))
        .route("/user/margins/{segment}", get(segment_margins))
}

pub fn profile_of(user_id: &str) -> Profile {
    Profile {
        user_id: user_id.to_string(),
        user_type: "individual".into(),
        email: format!("{}@sandbox.local", user_id.to_lowercase()),
        user_name: format!("Sandbox Trader {user_id}"),
        user_shortname: "Trader".into(),
        broker: "ZERODHA".into(),
        exchanges: EXCHANGES.iter().map(|s| s.to_string()).collect(),
        products: PRODUCTS.iter().map(|s| s.to_string()).collect(),
        order_types: ORDER_TYPES.iter().map(|s| s.to_string()).collect(),
        avatar_url: None,
        meta: ProfileMeta {
            demat_consent: "consent".into(),
        },
    }
}

async fn profile(user: KiteUser) -> ApiResult {
    Ok(ok(profile_of(&user.user_id)))
}

/// Equity funds: opening balance, minus what open orders and positions use, plus realised P&L.
pub fn equity_margins(shared: &Shared, user_id: &str) -> SegmentMargins {
    let snap = shared.latest();
    let last = |t| snap.index_of(t).map(|i| snap.quotes[i].last as f64 / 100.0);
    let lookup = |s: &str| shared.lookup_symbol(&snap, s);
    let mut accounts = lock(&shared.accounts);
    let account = accounts.account_mut(user_id, &lookup);
    let opening = account.opening_balance();
    let used = account.used_margin(&last);
    let realised = account.realised_pnl(&last);
    // Charges of today's fills are debited as they happen.
    let charges = account.charges_paid();
    let live_balance = opening - used + realised - charges;
    SegmentMargins {
        enabled: true,
        net: live_balance,
        available: AvailableMargins {
            adhoc_margin: 0.0,
            cash: opening,
            opening_balance: opening,
            live_balance,
            collateral: 0.0,
            intraday_payin: 0.0,
        },
        utilised: UtilisedMargins {
            debits: used + charges,
            exposure: 0.0,
            m2m_realised: realised,
            m2m_unrealised: 0.0,
            option_premium: 0.0,
            payout: 0.0,
            span: 0.0,
            holding_sales: 0.0,
            turnover: 0.0,
            liquid_collateral: 0.0,
            stock_collateral: 0.0,
            delivery: used,
        },
    }
}

fn commodity_margins() -> SegmentMargins {
    SegmentMargins {
        enabled: false,
        ..SegmentMargins::default()
    }
}

async fn margins(State(shared): State<Arc<Shared>>, user: KiteUser) -> ApiResult {
    Ok(ok(Margins {
        equity: Some(equity_margins(&shared, &user.user_id)),
        commodity: Some(commodity_margins()),
    }))
}

async fn segment_margins(
    State(shared): State<Arc<Shared>>,
    user: KiteUser,
    Path(segment): Path<String>,
) -> ApiResult {
    match segment.as_str() {
        "equity" => Ok(ok(equity_margins(&shared, &user.user_id))),
        "commodity" => Ok(ok(commodity_margins())),
        _ => Err(SimError::input("Invalid segment. Use `equity` or `commodity`.").into()),
    }
}
