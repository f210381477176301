//! The user, their session and their funds (SPEC §3.2, §4).

use super::json::null_as_default;
use super::time::opt_datetime;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `meta` of a profile or session.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileMeta {
    /// `physical`, `consent` or empty.
    pub demat_consent: String,
}

/// `GET /user/profile`. Exchanges, products and order types are kept as text: profiles list values
/// that are not order parameters (`MF`, `BO`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: String,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub user_shortname: String,
    #[serde(default)]
    pub broker: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub exchanges: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub products: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_types: Vec<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: ProfileMeta,
}

/// A bank account of the full profile (masked by Kite).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BankAccount {
    pub name: String,
    pub branch: String,
    pub account: String,
}

/// `meta` of the full profile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FullProfileMeta {
    pub poa: String,
    pub silo: String,
    #[serde(deserialize_with = "null_as_default")]
    pub account_blocks: Vec<String>,
}

/// `GET /user/profile/full` (Go only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullProfile {
    pub user_id: String,
    #[serde(default)]
    pub twofa_type: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub email: String,
    /// Masked, e.g. `*9999`.
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub broker: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bank_accounts: Vec<BankAccount>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dp_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub products: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_types: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub exchanges: Vec<String>,
    /// Masked.
    #[serde(default)]
    pub pan: String,
    #[serde(default)]
    pub user_shortname: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, with = "opt_datetime")]
    pub password_timestamp: Option<NaiveDateTime>,
    #[serde(default, with = "opt_datetime")]
    pub twofa_timestamp: Option<NaiveDateTime>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: FullProfileMeta,
}

/// `data` of `POST /session/token` (SPEC §3.2). Holds credentials: its `Debug` redacts them, so a
/// logged session leaks nothing.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub user_shortname: String,
    #[serde(default)]
    pub broker: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub exchanges: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub products: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_types: Vec<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub api_key: String,
    /// Secret.
    pub access_token: String,
    /// Secret.
    #[serde(default)]
    pub public_token: String,
    /// Secret.
    #[serde(default)]
    pub enctoken: String,
    /// Secret; usually empty.
    #[serde(default)]
    pub refresh_token: String,
    #[serde(default)]
    pub silo: String,
    /// Always written: the Python client indexes it unconditionally.
    #[serde(default, with = "opt_datetime")]
    pub login_time: Option<NaiveDateTime>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: ProfileMeta,
}

/// Shows whether a secret is set without showing it.
fn redacted(s: &str) -> &'static str {
    if s.is_empty() {
        ""
    } else {
        "<redacted>"
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("user_type", &self.user_type)
            .field("email", &self.email)
            .field("user_name", &self.user_name)
            .field("user_shortname", &self.user_shortname)
            .field("broker", &self.broker)
            .field("exchanges", &self.exchanges)
            .field("products", &self.products)
            .field("order_types", &self.order_types)
            .field("avatar_url", &self.avatar_url)
            .field("api_key", &self.api_key)
            .field("access_token", &redacted(&self.access_token))
            .field("public_token", &redacted(&self.public_token))
            .field("enctoken", &redacted(&self.enctoken))
            .field("refresh_token", &redacted(&self.refresh_token))
            .field("silo", &self.silo)
            .field("login_time", &self.login_time)
            .field("meta", &self.meta)
            .finish()
    }
}

/// `GET /user/margins`: one entry per segment the account has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Margins {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equity: Option<SegmentMargins>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commodity: Option<SegmentMargins>,
}

/// Funds of one segment, `GET /user/margins/{segment}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentMargins {
    pub enabled: bool,
    /// Available to trade.
    pub net: f64,
    pub available: AvailableMargins,
    pub utilised: UtilisedMargins,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AvailableMargins {
    pub adhoc_margin: f64,
    pub cash: f64,
    pub opening_balance: f64,
    pub live_balance: f64,
    pub collateral: f64,
    pub intraday_payin: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UtilisedMargins {
    pub debits: f64,
    pub exposure: f64,
    pub m2m_realised: f64,
    pub m2m_unrealised: f64,
    pub option_premium: f64,
    pub payout: f64,
    pub span: f64,
    pub holding_sales: f64,
    pub turnover: f64,
    pub liquid_collateral: f64,
    pub stock_collateral: f64,
    pub delivery: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_debug_redacts_secrets() {
        let s: Session = serde_json::from_value(serde_json::json!({
            "user_id": "XX0000", "api_key": "key", "access_token": "AT-SECRET",
            "public_token": "PT-SECRET", "enctoken": "ENC-SECRET", "refresh_token": "",
            "login_time": "2021-01-01 16:15:14"
        }))
        .unwrap();
        let dbg = format!("{s:?}");
        for secret in ["AT-SECRET", "PT-SECRET", "ENC-SECRET"] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
        assert!(dbg.contains("XX0000") && dbg.contains("<redacted>"));
    }
}
