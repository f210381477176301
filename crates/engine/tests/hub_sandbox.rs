//! An engine fed by the sandbox over loopback fills its market watch and fans ticks out.

use engine::{EngineHub, HubInfo, UserEngine, UserId};
use kite::{Credentials, TickerConfig};
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
    let cfg = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: sb.mint_access_token(),
        },
    );
    let user = UserId::default_user();
    let engine = UserEngine::start(user.clone(), cfg, sb.instruments());
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
