//! The engine manager against the sandbox: one engine per user however requests race, each user's
//! Kite session with their own app (the login round trip through the sandbox's login page), idle
//! engines stopped unless they trade live.

use engine::users::{SecretKey, User, UserRegistry};
use engine::{AnalyticsConfig, Db, EngineHub, EngineManager, HubInfo, Upstream, UserId};
use kite_sim::{Sandbox, SandboxConfig};
use model::TradingMode;
use std::sync::Arc;
use std::time::Duration;

struct SandboxUp(Arc<Sandbox>);

impl Upstream for SandboxUp {
    fn rest_root(&self) -> Option<String> {
        Some(self.0.http_url())
    }
    fn ticker_url(&self) -> String {
        self.0.ws_url()
    }
    fn prepare_login(&self, user: &User, redirect_url: &str) {
        use engine::users::ExposeSecret;
        self.0.register_app(
            user.api_key(),
            user.api_secret().expose_secret(),
            redirect_url,
        );
    }
}

struct Setup {
    sb: Arc<Sandbox>,
    manager: EngineManager,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sb = Arc::new(Sandbox::start(SandboxConfig::default()).await.unwrap());
    let db = Db::open(&dir.path().join("engine.db")).await.unwrap();
    let registry = UserRegistry::new(db.clone(), SecretKey::generate());
    let demo = User::new("DEMO01", "demo@x.in", sb.api_key(), sb.api_secret().into()).unwrap();
    registry.add(&demo).await.unwrap();
    let token = sb.mint_session("DEMO01").access_token;
    registry
        .set_access_token(
            "DEMO01",
            &token.into(),
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let other = User::new(
        "TRADER2",
        "t2@x.in",
        "trader2_app",
        "t2-secret-value".to_string().into(),
    )
    .unwrap();
    registry.add(&other).await.unwrap();
    let hub = Arc::new(EngineHub::new(HubInfo {
        mode: TradingMode::Sandbox,
        sandbox_url: Some(sb.http_url()),
        version: "test".into(),
    }));
    let manager = EngineManager::new(
        hub,
        registry,
        db,
        Arc::new(SandboxUp(sb.clone())),
        sb.instruments(),
        AnalyticsConfig::default(),
        "http://127.0.0.1:1/kite/callback".into(),
    );
    Setup {
        sb,
        manager,
        _dir: dir,
    }
}

/// The sandbox login form posted as `user_id` for the app of `login_url`; returns the request token.
async fn sandbox_login(login_url: &str, user_id: &str) -> String {
    let url = reqwest::Url::parse(login_url).unwrap();
    let api_key = url
        .query_pairs()
        .find(|(k, _)| k == "api_key")
        .unwrap()
        .1
        .to_string();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!(
            "{}://{}:{}/connect/login",
            url.scheme(),
            url.host_str().unwrap(),
            url.port().unwrap()
        ))
        .form(&[
            ("api_key", api_key.as_str()),
            ("user_id", user_id),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("http://127.0.0.1:1/kite/callback?"), "{to}");
    reqwest::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "request_token")
        .unwrap()
        .1
        .to_string()
}

#[tokio::test]
async fn one_engine_per_user_even_when_requests_race() {
    let s = setup().await;
    let demo = UserId::new("DEMO01");
    let (a, b, c) = tokio::join!(
        s.manager.engine(&demo),
        s.manager.engine(&demo),
        s.manager.engine(&demo)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&b, &c));
    assert_eq!(s.manager.hub().users(), 1);
    assert_eq!(a.kite().profile().await.unwrap().user_id, "DEMO01");
    // An unregistered id gets no engine.
    assert!(s.manager.engine(&UserId::new("NOBODY")).await.is_err());
    assert_eq!(s.manager.hub().users(), 1);
}

#[tokio::test]
async fn each_user_connects_kite_with_their_own_app() {
    let s = setup().await;
    let t2 = UserId::new("TRADER2");
    let e = s.manager.engine(&t2).await.unwrap();
    assert!(!s.manager.kite_session(&t2).await.unwrap().connected);
    assert!(e.kite().profile().await.is_err(), "no session yet");
    let url = s.manager.login_url(&t2).await.unwrap();
    assert!(url.contains("api_key=trader2_app"), "{url}");
    let token = sandbox_login(&url, "TRADER2").await;
    assert_eq!(
        s.manager.complete_login(&t2, &token).await.unwrap(),
        "TRADER2"
    );
    let k = s.manager.kite_session(&t2).await.unwrap();
    assert!(k.connected && k.expires_ms.unwrap() > chrono::Utc::now().timestamp_millis());
    assert_eq!(e.kite().profile().await.unwrap().user_id, "TRADER2");
    // A request token is single use: replaying it fails and leaves the stored session alone.
    assert!(s.manager.complete_login(&t2, &token).await.is_err());
    assert!(s.manager.kite_session(&t2).await.unwrap().connected);
    // The stored token serves the next engine of the user (after a stop, or a restart).
    assert!(s.manager.release(&t2));
    drop(e);
    let again = s.manager.engine(&t2).await.unwrap();
    assert_eq!(again.kite().profile().await.unwrap().user_id, "TRADER2");
    drop(s.sb);
}

#[tokio::test]
async fn idle_engines_stop_unless_trading_live() {
    let s = setup().await;
    let demo = UserId::new("DEMO01");
    let t2 = UserId::new("TRADER2");
    let d = s.manager.engine(&demo).await.unwrap();
    s.manager.engine(&t2).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while s.sb.ticker_connections().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the demo engine's ticker connects");
    d.trading().start_live().await.unwrap();
    // Both idle and logged out: TRADER2's engine stops, DEMO01's keeps trading.
    let stopped = s.manager.stop_idle(Duration::ZERO, |_| false);
    assert_eq!(stopped, vec![t2.clone()]);
    assert!(s.manager.hub().get(&demo).is_some());
    // A user with a live session is kept even when idle.
    d.trading().stop_live().await.unwrap();
    assert!(s
        .manager
        .stop_idle(Duration::ZERO, |u| u == &demo)
        .is_empty());
    // Not idle long enough: kept.
    assert!(s
        .manager
        .stop_idle(Duration::from_secs(3600), |_| false)
        .is_empty());
    assert_eq!(
        s.manager.stop_idle(Duration::ZERO, |_| false),
        vec![demo.clone()]
    );
    assert_eq!(s.manager.hub().users(), 0);
    // The stopped engine's ticker disconnects once the last handle goes.
    drop(d);
    let gone = tokio::time::timeout(Duration::from_secs(5), async {
        while !s.sb.ticker_connections().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "{:?}", s.sb.ticker_connections());
}
