//! An engine fed by the sandbox over loopback fills its market watch and fans ticks out.

use engine::{EngineHub, HubInfo, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::{LiveMessage, Mode, TickerState, TradingMode};
use std::time::Duration;

#[tokio::test]
async fn engine_fills_watch_from_sandbox() {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let hub = EngineHub::new(HubInfo {
        mode: TradingMode::Sandbox,
        sandbox_url: Some(sb.http_url()),
        version: "test".into(),
    });
    let token = sb.mint_access_token();
    let cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token.clone(),
        },
    );
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token));
    let user = UserId::default_user();
    let db = engine::Db::open_memory().await.unwrap();
    let engine = UserEngine::start(user.clone(), kite, cfg, sb.instruments(), db);
    hub.insert(engine.clone());
    let mut live = engine.live();

    let mut ticks = 0;
    tokio::time::timeout(Duration::from_secs(10), async {
        while ticks < 200 {
            if let Ok(LiveMessage::Tick { tick }) = live.recv().await {
                // The sandbox, like Kite, answers a subscribe with a quote-mode snapshot before the
                // mode message turns the stream to full.
                assert!(matches!(tick.mode, Mode::Quote | Mode::Full), "{tick:?}");
                ticks += 1;
            }
        }
    })
    .await
    .expect("ticks flow");
    // Every instrument of the watch got its snapshot tick on subscribe.
    let rows = engine.watch_rows();
    assert_eq!(rows.len(), 53);
    assert!(
        rows.iter().all(|r| r.tick.is_some()),
        "every row has a tick"
    );
    let status = hub.status(&user);
    assert_eq!(status.ticker, TickerState::Connected);
    assert_eq!(status.subscribed, 53);
    assert!(status.ticks_received >= 200);
    // Another user id sees nothing of this engine.
    let other = hub.status(&UserId::new("someone-else"));
    assert_eq!(other.subscribed, 0);
    assert!(hub.get(&UserId::new("someone-else")).is_none());
}

#[tokio::test]
async fn expired_session_recovers_through_the_login_flow() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sb.set_redirect_url("http://127.0.0.1:9/kite/callback");
    let token = sb.mint_access_token();
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token.clone()));
    let cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token.clone(),
        },
    );
    let db = engine::Db::open_memory().await.unwrap();
    let engine = UserEngine::start(UserId::default_user(), kite, cfg, sb.instruments(), db);
    assert!(engine.kite().profile().await.is_ok());
    // The token dies (daily expiry): REST says so with a typed error.
    sb.revoke_access_token(&token);
    let err = engine.kite().profile().await.unwrap_err();
    assert!(err.is_session_expired());
    // A fresh login through the sandbox's login page brings both REST and the ticker back.
    let http = reqwest_like_login(&sb).await;
    engine
        .complete_login(&http, &sb.api_secret())
        .await
        .unwrap();
    assert_eq!(engine.kite().profile().await.unwrap().user_id, "DEMO01");
    let mut state = engine.ticker().watch_state();
    tokio::time::timeout(Duration::from_secs(10), async {
        while *state.borrow() != TickerState::Connected {
            state.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
}

/// Submits the sandbox login form and returns the request token from the redirect.
async fn reqwest_like_login(sb: &Sandbox) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = sb.http_url().trim_start_matches("http://").to_string();
    let body = format!("api_key={}&user_id=DEMO01&password=x", sb.api_key());
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!(
        "POST /connect/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let loc = out
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("location:"))
        .expect("redirect");
    loc.split("request_token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .trim()
        .to_string()
}
