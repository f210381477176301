//! One engine per logged-in trader, built on demand from the user registry.
//!
//! Each user's engine has their own Kite client (their api_key, their access token), their own ticker
//! connection, strategies, risk manager and journal rows; the hub keys them by Zerodha ID, so a request
//! resolved to one user can never reach another's engine. Engines of users who are gone (logged out or
//! idle, with live trading off) are stopped; a running strategy keeps its engine alive.

use crate::db::Db;
use crate::hub::{EngineHub, UserId};
use crate::user_engine::{AnalyticsConfig, UserEngine};
use crate::users::{ExposeSecret, User, UserError, UserRegistry};
use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, TimeZone, Utc};
use kite::ticker::Credentials;
use kite::{KiteClient, KiteConfig, KiteError, TickerConfig};
use model::{AlertEmailSetting, WatchInstrument};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Runs once for every engine the manager starts, right after it is in the hub: the server hangs
/// per-engine work on it (alert mails) without the engine knowing about mail.
pub type StartHook = Arc<dyn Fn(&Arc<UserEngine>) + Send + Sync>;

/// Where users' Kite clients connect: Kite itself or the embedded sandbox.
pub trait Upstream: Send + Sync + 'static {
    /// REST root for the users' clients; `None` for Kite's own.
    fn rest_root(&self) -> Option<String>;
    /// The ticker's WebSocket URL.
    fn ticker_url(&self) -> String;
    /// Runs before a user is sent to the login page with `redirect_url` as the callback. The sandbox
    /// registers the user's app there; on Kite the app is registered by the trader in Kite's console.
    fn prepare_login(&self, _user: &User, _redirect_url: &str) {}
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Kite(#[from] KiteError),
}

/// What the dashboard shows about a user's Kite connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KiteSession {
    /// A stored access token that has not reached its expiry (Kite may still revoke it earlier; the
    /// ticker's `AuthFailed` state says so).
    pub connected: bool,
    pub expires_ms: Option<i64>,
    /// Where the browser goes to (re)connect.
    pub login_url: String,
}

/// Kite's access tokens stop working at 6 AM IST the next morning (SPEC: session expiry).
pub fn token_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    let ist = FixedOffset::east_opt(5 * 3600 + 1800).expect("IST offset is valid");
    let local = now.with_timezone(&ist);
    let six = ist
        .from_local_datetime(
            &local
                .date_naive()
                .and_hms_opt(6, 0, 0)
                .expect("06:00 exists"),
        )
        .single()
        .expect("a fixed offset has no gaps");
    let next = if six > local {
        six
    } else {
        six + ChronoDuration::days(1)
    };
    next.with_timezone(&Utc)
}

pub struct EngineManager {
    hub: Arc<EngineHub>,
    registry: UserRegistry,
    db: Db,
    upstream: Arc<dyn Upstream>,
    instruments: Vec<WatchInstrument>,
    config: AnalyticsConfig,
    /// The app's `/kite/callback` URL (absolute).
    redirect_url: String,
    /// Only one engine is ever built per user, even when requests race.
    starting: tokio::sync::Mutex<()>,
    last_seen: Mutex<HashMap<UserId, Instant>>,
    on_start: Mutex<Vec<StartHook>>,
}

/// The path of the app's own "connect Kite" route (it redirects to the user's Kite login page).
pub const CONNECT_PATH: &str = model::account::KITE_LOGIN_PATH;

impl EngineManager {
    pub fn new(
        hub: Arc<EngineHub>,
        registry: UserRegistry,
        db: Db,
        upstream: Arc<dyn Upstream>,
        instruments: Vec<WatchInstrument>,
        config: AnalyticsConfig,
        redirect_url: String,
    ) -> Self {
        Self {
            hub,
            registry,
            db,
            upstream,
            instruments,
            config,
            redirect_url,
            starting: tokio::sync::Mutex::new(()),
            last_seen: Mutex::new(HashMap::new()),
            on_start: Mutex::new(Vec::new()),
        }
    }

    /// Calls `hook` with every engine started from now on (register before serving requests).
    pub fn on_engine_start(&self, hook: impl Fn(&Arc<UserEngine>) + Send + Sync + 'static) {
        self.on_start
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::new(hook));
    }

    /// Whether `user` gets their alerts by mail, and at which registered address.
    pub async fn alert_email(&self, user: &UserId) -> Result<AlertEmailSetting, ManagerError> {
        let record = self.registry.get(user.as_str()).await?;
        let enabled = self
            .journal(user)
            .alert_email()
            .await
            .map_err(UserError::from)?;
        Ok(AlertEmailSetting {
            enabled,
            email: record.email().to_string(),
        })
    }

    /// Turns alert mails on or off for `user` (a registered user only) and returns the new state.
    pub async fn set_alert_email(
        &self,
        user: &UserId,
        enabled: bool,
    ) -> Result<AlertEmailSetting, ManagerError> {
        let record = self.registry.get(user.as_str()).await?;
        self.journal(user)
            .set_alert_email(enabled)
            .await
            .map_err(UserError::from)?;
        Ok(AlertEmailSetting {
            enabled,
            email: record.email().to_string(),
        })
    }

    fn journal(&self, user: &UserId) -> crate::journal::Journal {
        crate::journal::Journal::new(self.db.clone(), user.clone())
    }

    pub fn hub(&self) -> &Arc<EngineHub> {
        &self.hub
    }

    pub fn registry(&self) -> &UserRegistry {
        &self.registry
    }

    fn touch(&self, user: &UserId) {
        self.last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.clone(), Instant::now());
    }

    /// The user's running engine, started on first use with their stored Kite session (without one
    /// the engine runs disconnected: settings, journal and strategies work, broker calls answer
    /// "not logged in" until Kite is connected).
    pub async fn engine(&self, user: &UserId) -> Result<Arc<UserEngine>, ManagerError> {
        self.touch(user);
        if let Some(e) = self.hub.get(user) {
            return Ok(e);
        }
        let _one = self.starting.lock().await;
        if let Some(e) = self.hub.get(user) {
            return Ok(e);
        }
        let record = self.registry.get(user.as_str()).await?;
        let token = self.registry.access_token(user.as_str()).await?;
        let mut cfg = KiteConfig::new(record.api_key());
        if let Some(root) = self.upstream.rest_root() {
            cfg = cfg.with_root(root);
        }
        let kite = KiteClient::new(cfg)?;
        let access = token
            .as_ref()
            .map(|t| t.token.expose_secret().to_string())
            .unwrap_or_default();
        kite.set_access_token(token.as_ref().map(|_| access.clone()));
        let ticker = TickerConfig::new(
            self.upstream.ticker_url(),
            Credentials {
                api_key: record.api_key().to_string(),
                access_token: access,
            },
        );
        let engine = UserEngine::start_with(
            user.clone(),
            kite,
            ticker,
            self.instruments.clone(),
            self.db.clone(),
            self.config.clone(),
        );
        self.hub.insert(engine.clone());
        info!(user = %user, kite_connected = token.is_some(), "engine started");
        let hooks = self
            .on_start
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for hook in hooks {
            hook(&engine);
        }
        Ok(engine)
    }

    /// The Kite login page for the user's own app.
    pub async fn login_url(&self, user: &UserId) -> Result<String, ManagerError> {
        let record = self.registry.get(user.as_str()).await?;
        self.upstream.prepare_login(&record, &self.redirect_url);
        Ok(self.engine(user).await?.kite().login_url(None))
    }

    /// Finishes the Kite login: exchanges the request token with the user's own secret, hands the new
    /// access token to their engine and stores it (encrypted) until Kite's 6 AM expiry.
    pub async fn complete_login(
        &self,
        user: &UserId,
        request_token: &str,
    ) -> Result<String, ManagerError> {
        let record = self.registry.get(user.as_str()).await?;
        let engine = self.engine(user).await?;
        let session = engine
            .complete_login(request_token, record.api_secret().expose_secret())
            .await?;
        let kite_user = session.user_id.clone();
        if !kite_user.eq_ignore_ascii_case(user.as_str()) {
            // Allowed (a family account logged in on a trader's app), but worth a line in the log.
            warn!(user = %user, kite_user = %kite_user, "Kite login as a different Kite user");
        }
        self.registry
            .set_access_token(
                user.as_str(),
                &session.access_token.into(),
                token_expiry(Utc::now()),
            )
            .await?;
        Ok(kite_user)
    }

    /// Whether the user has a usable Kite session.
    pub async fn kite_session(&self, user: &UserId) -> Result<KiteSession, ManagerError> {
        let token = self.registry.access_token(user.as_str()).await?;
        Ok(KiteSession {
            connected: token.is_some(),
            expires_ms: token.map(|t| t.expires.timestamp_millis()),
            login_url: CONNECT_PATH.to_string(),
        })
    }

    /// Health of the process and its database, and of `user`'s own feed and Kite session.
    pub async fn health(&self, user: Option<&UserId>) -> model::Health {
        let database = match sqlx::query("SELECT 1").execute(self.db.pool()).await {
            Ok(_) => model::ComponentHealth {
                ok: true,
                error: None,
            },
            Err(e) => model::ComponentHealth {
                ok: false,
                error: Some(e.to_string()),
            },
        };
        let mut user_health = None;
        if let Some(u) = user {
            if let Ok(engine) = self.engine(u).await {
                let kite_connected = self
                    .kite_session(u)
                    .await
                    .map(|k| k.connected)
                    .unwrap_or(false);
                user_health = Some(model::UserHealth {
                    zerodha_id: u.to_string(),
                    ticker: engine.ticker_state(),
                    kite_connected,
                    ticks_received: engine.ticks_received(),
                    subscribed: engine.subscribed(),
                });
            }
        }
        let feed_ok = user_health
            .as_ref()
            .is_none_or(|h| h.ticker == model::TickerState::Connected);
        model::Health {
            status: if database.ok && feed_ok {
                "ok"
            } else {
                "degraded"
            }
            .to_string(),
            mode: self.hub.mode(),
            version: self.hub.info().version.clone(),
            uptime_secs: self.hub.uptime_secs(),
            engines: self.hub.users(),
            database,
            user: user_health,
        }
    }

    /// Stops the user's engine unless it is trading live. Returns whether it was stopped.
    pub fn release(&self, user: &UserId) -> bool {
        let Some(engine) = self.hub.get(user) else {
            return false;
        };
        if engine.trading().live_status().running {
            info!(user = %user, "engine kept: live trading is on");
            return false;
        }
        drop(engine);
        let stopped = self.hub.remove(user).is_some();
        if stopped {
            info!(user = %user, "engine stopped");
        }
        stopped
    }

    /// Stops every engine not used for `idle` whose user `keep` does not vouch for (a live session),
    /// unless it trades live. Returns the users whose engines stopped.
    pub fn stop_idle(&self, idle: Duration, keep: impl Fn(&UserId) -> bool) -> Vec<UserId> {
        let now = Instant::now();
        let stale: Vec<UserId> = {
            let seen = self.last_seen.lock().unwrap_or_else(|p| p.into_inner());
            self.hub
                .user_ids()
                .into_iter()
                .filter(|u| seen.get(u).is_none_or(|t| now.duration_since(*t) >= idle))
                .filter(|u| !keep(u))
                .collect()
        };
        stale.into_iter().filter(|u| self.release(u)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn tokens_expire_at_the_next_six_am_ist() {
        // 10:00 IST → 06:00 IST next day (00:30 UTC).
        assert_eq!(
            token_expiry(utc("2026-11-28T04:30:00Z")),
            utc("2026-11-29T00:30:00Z")
        );
        // 05:59 IST → 06:00 IST the same day.
        assert_eq!(
            token_expiry(utc("2026-11-28T00:29:00Z")),
            utc("2026-11-28T00:30:00Z")
        );
        // Exactly 06:00 IST: the token logged in now lives until tomorrow.
        assert_eq!(
            token_expiry(utc("2026-11-28T00:30:00Z")),
            utc("2026-11-29T00:30:00Z")
        );
        // 23:00 IST, the day before (17:30 UTC): 06:00 IST next morning.
        assert_eq!(
            token_expiry(utc("2026-11-27T17:30:00Z")),
            utc("2026-11-28T00:30:00Z")
        );
    }
}
