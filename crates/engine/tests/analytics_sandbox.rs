//! Option chains, the OI tracker and the scanner against a real sandbox over loopback, with the
//! candle cache in a SQLite file.

use engine::{AnalyticsConfig, Db, EngineError, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::analysis::TemplateCriterion;
use model::options::{OiSummary, Underlying};
use model::{Exchange, LiveMessage};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;

struct Setup {
    sb: Sandbox,
    engine: Arc<UserEngine>,
    dir: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(name: &str) -> Setup {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let token = sb.mint_access_token();
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token.clone()));
    let ticker = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token,
        },
    );
    let dir = std::env::temp_dir().join(format!("engine-analytics-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(dir.join("kite-agent.db")).await.unwrap();
    let engine = UserEngine::start_with(
        UserId::default_user(),
        kite,
        ticker,
        sb.instruments(),
        db,
        AnalyticsConfig::default(),
    );
    Setup { sb, engine, dir }
}

#[tokio::test]
async fn nifty_chain_has_sane_iv_and_greeks_around_atm() {
    let s = setup("chain").await;
    let chain = s
        .engine
        .option_chain(Underlying::Nifty, None)
        .await
        .unwrap();
    assert_eq!(chain.exchange, Exchange::Nfo);
    assert_eq!(chain.expiry, chain.expiries[0], "nearest expiry by default");
    assert!(chain.expiries.windows(2).all(|w| w[0] < w[1]));
    assert!(chain.spot > 10_000.0, "spot {}", chain.spot);
    assert!(chain.time_to_expiry > 0.0 && chain.time_to_expiry < 0.1);
    assert_eq!(chain.rate, 0.065);
    assert!(chain.rows.len() >= 20, "{} strikes", chain.rows.len());
    assert!(chain.rows.windows(2).all(|w| w[0].strike < w[1].strike));
    let atm = chain.atm_strike.unwrap();
    assert!(
        (atm - chain.spot).abs() <= 50.0,
        "ATM {atm} vs spot {}",
        chain.spot
    );
    let i = chain.rows.iter().position(|r| r.strike == atm).unwrap();
    for row in &chain.rows[i - 2..=i + 2] {
        let call = row.call.as_ref().expect("call listed");
        let put = row.put.as_ref().expect("put listed");
        for leg in [call, put] {
            let iv = leg
                .iv
                .unwrap_or_else(|| panic!("no IV for {}", leg.tradingsymbol));
            assert!((0.05..=1.0).contains(&iv), "{} IV {iv}", leg.tradingsymbol);
            let g = leg.greeks.unwrap();
            assert!(g.gamma > 0.0 && g.vega > 0.0 && g.theta < 0.0, "{g:?}");
            assert!(leg.oi > 0 && leg.ltp > 0.0 && leg.lot_size == 75);
        }
        let (cg, pg) = (call.greeks.unwrap(), put.greeks.unwrap());
        assert!(cg.delta > 0.0 && cg.delta < 1.0 && cg.rho > 0.0, "{cg:?}");
        assert!(pg.delta < 0.0 && pg.delta > -1.0 && pg.rho < 0.0, "{pg:?}");
    }
    assert!(chain.max_pain.is_some() && chain.pcr_oi.unwrap() > 0.0);
    // A later expiry by name; one that does not exist is a typed error naming what is listed.
    let far = s
        .engine
        .option_chain(Underlying::Nifty, Some(chain.expiries[1].clone()))
        .await
        .unwrap();
    assert_eq!(far.expiry, chain.expiries[1]);
    assert!(far.time_to_expiry > chain.time_to_expiry);
    match s
        .engine
        .option_chain(Underlying::Nifty, Some("2001-01-01".into()))
        .await
    {
        Err(e @ EngineError::UnknownExpiry { .. }) => assert!(e.is_bad_request()),
        other => panic!("{other:?}"),
    }
    // SENSEX trades on BSE's derivatives segment.
    let sensex = s
        .engine
        .option_chain(Underlying::Sensex, None)
        .await
        .unwrap();
    assert_eq!(sensex.exchange, Exchange::Bfo);
    assert!(sensex.spot > 40_000.0 && !sensex.rows.is_empty());
}

#[tokio::test]
async fn oi_tracker_publishes_quickly_and_oi_moves() {
    let s = setup("oi").await;
    let tracker = s.engine.oi_tracker();
    let mut rx = tracker.subscribe();
    let mut live = s.engine.live();
    let tracked = tracker
        .start(&[Underlying::Nifty, Underlying::Banknifty])
        .await;
    assert_eq!(tracked, vec![Underlying::Nifty, Underlying::Banknifty]);
    // Idempotent: a second start adds nothing and subscribes nothing twice.
    let subscribed = s.engine.subscribed();
    assert_eq!(tracker.start(&[Underlying::Nifty]).await, tracked);
    assert_eq!(s.engine.subscribed(), subscribed);
    let first: OiSummary = timeout(Duration::from_secs(3), async {
        loop {
            let m = rx.recv().await.unwrap();
            if m.underlying == Underlying::Nifty {
                return m;
            }
        }
    })
    .await
    .expect("a NIFTY summary within 3 s");
    assert!(first.total_call_oi > 0 && first.total_put_oi > 0);
    assert!(first.strikes.len() >= 20 && first.spot > 0.0);
    assert!(first.atm_strike.is_some() && first.max_pain.is_some());
    // Ticks move OI; the change against the day's base follows.
    let moved = timeout(Duration::from_secs(20), async {
        loop {
            let m = rx.recv().await.unwrap();
            if m.underlying == Underlying::Nifty && m.strikes != first.strikes {
                return m;
            }
        }
    })
    .await
    .expect("OI changes over time");
    assert!(moved.updated_ms > first.updated_ms);
    assert!(moved
        .strikes
        .iter()
        .any(|s| s.call_oi_change != 0 || s.put_oi_change != 0));
    let sum: i64 = moved.strikes.iter().map(|s| s.call_oi_change).sum();
    assert_eq!(sum, moved.total_call_oi_change);
    assert_eq!(tracker.summaries().len(), 2);
    assert!(tracker.summary(Underlying::Sensex).is_none());
    assert!(tracker.failed().is_empty());

    // Nothing has expired now; at a time past every expiry both books roll (here onto the same
    // nearest expiry, since the listing itself is today's): unsubscribed, seeded again, republished.
    assert!(tracker.roll_expired(0).await.is_empty());
    let rolled = tracker.roll_expired(i64::MAX).await;
    assert_eq!(rolled.len(), 2);
    assert_eq!(tracker.tracking(), tracked);
    assert_eq!(s.engine.subscribed(), subscribed);
    let after = tracker
        .summary(Underlying::Nifty)
        .expect("republished at once");
    assert_eq!(after.expiry, first.expiry);
    assert!(after.updated_ms >= moved.updated_ms);
    // Option ticks stay out of the market watch and the dashboards' live channel.
    let watch: std::collections::HashSet<_> =
        s.sb.instruments().into_iter().map(|i| i.token).collect();
    assert_eq!(s.engine.watch_rows().len(), watch.len());
    while let Ok(m) = live.try_recv() {
        if let LiveMessage::Tick { tick } = m {
            assert!(
                watch.contains(&tick.token),
                "option tick {tick:?} on /ws/live"
            );
        }
    }
}

async fn historical_requests(sb: &Sandbox) -> usize {
    let log: serde_json::Value = reqwest::get(format!("{}/admin/rest/requests", sb.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/instruments/historical/"))
        })
        .count()
}

async fn wait_scan(engine: &UserEngine) {
    timeout(Duration::from_secs(120), async {
        while engine.scanner().status().scanning {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("scan finishes");
}

#[tokio::test]
async fn scanner_fills_the_cache_once_and_rescans_from_it() {
    let s = setup("scan").await;
    let scanner = s.engine.scanner();
    assert!(scanner.results().is_none());
    let started = scanner.start();
    assert!(started.started);
    assert_eq!(started.status.total, 50);
    assert!(!scanner.start().started, "one scan at a time");
    wait_scan(&s.engine).await;
    let status = scanner.status();
    assert_eq!(status.error, None);
    assert_eq!((status.done, status.total, status.progress), (50, 50, 1.0));
    assert!(status.last_scan_time.is_some());
    let first = historical_requests(&s.sb).await;
    assert!(first >= 50, "one request per stock at least, got {first}");
    assert_eq!(scanner.last_historical_calls(), first);

    let r = scanner.results().unwrap();
    assert_eq!(r.stocks.len(), 50);
    for st in &r.stocks {
        assert_eq!(st.template.len(), 8, "{}", st.symbol);
        let order: Vec<TemplateCriterion> = st.template.iter().map(|c| c.criterion).collect();
        assert_eq!(order, TemplateCriterion::ALL);
        assert!(
            st.rs_rating.is_some() && st.high_52w.is_some(),
            "{}",
            st.symbol
        );
        assert_eq!(st.template_pass, st.template.iter().all(|c| c.pass));
    }
    let ratings: Vec<u8> = r.stocks.iter().filter_map(|s| s.rs_rating).collect();
    assert_eq!(ratings.iter().min(), Some(&1));
    assert_eq!(ratings.iter().max(), Some(&99));
    assert!(r.daily.gainers.len() + r.daily.losers.len() > 0);

    // The second scan: everything closed is cached, today's bar comes from one quote.
    assert!(scanner.start().started);
    wait_scan(&s.engine).await;
    assert_eq!(scanner.status().error, None);
    assert_eq!(
        historical_requests(&s.sb).await,
        first,
        "no historical request"
    );
    assert_eq!(scanner.last_historical_calls(), 0);
    let again = scanner.results().unwrap();
    assert_eq!(again.stocks.len(), 50);

    // Charts read the same cache.
    let candles = scanner.candles("infy", 300).await.unwrap();
    assert_eq!(candles.len(), 300);
    assert!(candles.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
    let infy = again.stocks.iter().find(|s| s.symbol == "INFY").unwrap();
    assert!((candles.last().unwrap().close - infy.close).abs() / infy.close < 0.05);
    assert_eq!(historical_requests(&s.sb).await, first);
    assert!(matches!(
        scanner.candles("NOSUCHCO", 10).await,
        Err(EngineError::UnknownSymbol(_))
    ));
    assert!(matches!(
        scanner.candles("INFY", 0).await,
        Err(EngineError::Invalid(_))
    ));
}
