//! The ticker client against the sandbox over loopback: streaming, modes, reconnect and resubscribe,
//! silent sockets, refused credentials.

use kite::ticker::Backoff;
use kite::{Credentials, TickerClient, TickerConfig, TickerEvent};
use kite_sim::{Sandbox, SandboxConfig};
use model::{InstrumentToken, Mode, Tick, TickerState};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const INFY: InstrumentToken = InstrumentToken(408065);
const RELIANCE: InstrumentToken = InstrumentToken(738561);
const TCS: InstrumentToken = InstrumentToken(2953217);
const NIFTY: InstrumentToken = InstrumentToken(256265);

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn config(sb: &Sandbox, token: String) -> TickerConfig {
    let mut c = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().to_string(),
            access_token: token,
        },
    );
    c.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(400),
    };
    c.read_timeout = Duration::from_millis(1500);
    c
}

/// Collects ticks until every wanted token has been seen in its wanted mode.
async fn until_ticks(
    rx: &mut Receiver<TickerEvent>,
    want: &[(InstrumentToken, Mode)],
) -> HashMap<InstrumentToken, Tick> {
    let mut seen: HashMap<InstrumentToken, Tick> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if want
            .iter()
            .all(|(t, m)| seen.get(t).is_some_and(|x| x.mode == *m))
        {
            return seen;
        }
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {want:?}; seen {:?}", seen.keys()))
            .expect("ticker channel closed");
        if let TickerEvent::Ticks(ts) = ev {
            for t in ts {
                seen.insert(t.token, t);
            }
        }
    }
}

async fn until_state(
    rx: &mut Receiver<TickerEvent>,
    pred: impl Fn(&TickerState) -> bool,
) -> TickerState {
    timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Some(TickerEvent::State(s)) if pred(&s) => return s,
                Some(_) => {}
                None => panic!("channel closed"),
            }
        }
    })
    .await
    .expect("state never reached")
}

#[tokio::test]
async fn streams_in_each_mode() {
    let sb = sandbox().await;
    let (h, mut rx) = TickerClient::spawn(config(&sb, sb.mint_access_token()));
    h.subscribe(&[INFY], Mode::Full);
    h.subscribe(&[RELIANCE], Mode::Quote);
    h.subscribe(&[TCS, NIFTY], Mode::Ltp);
    let seen = until_ticks(
        &mut rx,
        &[
            (INFY, Mode::Full),
            (RELIANCE, Mode::Quote),
            (TCS, Mode::Ltp),
            (NIFTY, Mode::Ltp),
        ],
    )
    .await;
    let infy = seen[&INFY];
    let depth = infy.depth.expect("full mode carries depth");
    assert!(depth.buy[0].price < depth.sell[0].price);
    assert!(infy.exchange_timestamp.is_some());
    assert!(infy.ohlc.close > 1000.0);
    assert!(seen[&RELIANCE].depth.is_none());
    assert!(!seen[&NIFTY].tradable);
    assert_eq!(h.state(), TickerState::Connected);
    assert_eq!(h.subscribed_count(), 4);

    // The index in full mode comes as a 32-byte packet with a timestamp.
    h.subscribe(&[NIFTY], Mode::Full);
    let seen = until_ticks(&mut rx, &[(NIFTY, Mode::Full)]).await;
    assert!(seen[&NIFTY].ohlc.close > 20000.0);
    h.shutdown();
}

fn sandbox_view(sb: &Sandbox) -> Vec<BTreeMap<InstrumentToken, Mode>> {
    sb.ticker_connections()
        .into_iter()
        .map(|c| c.subscriptions)
        .collect()
}

#[tokio::test]
async fn reconnect_resubscribes_every_instrument_in_its_mode() {
    let sb = sandbox().await;
    let (h, mut rx) = TickerClient::spawn(config(&sb, sb.mint_access_token()));
    h.subscribe(&[INFY, RELIANCE], Mode::Full);
    h.subscribe(&[TCS], Mode::Ltp);
    h.subscribe(&[NIFTY], Mode::Quote);
    h.unsubscribe(&[RELIANCE]);
    let want = [(INFY, Mode::Full), (TCS, Mode::Ltp), (NIFTY, Mode::Quote)];
    until_ticks(&mut rx, &want).await;
    let expected: BTreeMap<InstrumentToken, Mode> = want.iter().copied().collect();
    assert_eq!(sandbox_view(&sb), vec![expected.clone()]);

    // Kill the socket and refuse new ones for a moment: the client must back off, come back, replay.
    sb.drop_ticker_connections(Duration::from_millis(600));
    let s = until_state(&mut rx, |s| matches!(s, TickerState::Reconnecting { .. })).await;
    let TickerState::Reconnecting {
        attempt,
        retry_in_ms,
    } = s
    else {
        unreachable!()
    };
    assert_eq!(attempt, 1);
    assert!(
        (50..=100).contains(&retry_in_ms),
        "first delay {retry_in_ms} ms"
    );
    // A subscription made while down is replayed too.
    h.subscribe(&[RELIANCE], Mode::Quote);
    until_state(&mut rx, |s| *s == TickerState::Connected).await;
    let mut expected = expected;
    expected.insert(RELIANCE, Mode::Quote);
    until_ticks(
        &mut rx,
        &[
            (INFY, Mode::Full),
            (TCS, Mode::Ltp),
            (NIFTY, Mode::Quote),
            (RELIANCE, Mode::Quote),
        ],
    )
    .await;
    assert_eq!(sandbox_view(&sb), vec![expected]);
    h.shutdown();
}

#[tokio::test]
async fn silent_socket_is_detected_and_replaced() {
    let sb = sandbox().await;
    let (h, mut rx) = TickerClient::spawn(config(&sb, sb.mint_access_token()));
    h.subscribe(&[INFY], Mode::Quote);
    until_ticks(&mut rx, &[(INFY, Mode::Quote)]).await;
    // Open but silent for longer than the client's read timeout (1.5 s).
    sb.stall_ticker(Duration::from_millis(2500));
    until_state(&mut rx, |s| matches!(s, TickerState::Reconnecting { .. })).await;
    until_state(&mut rx, |s| *s == TickerState::Connected).await;
    // Ticks resume once the stall ends.
    let mut fresh = false;
    for _ in 0..3 {
        let seen = until_ticks(&mut rx, &[(INFY, Mode::Quote)]).await;
        fresh |= seen.contains_key(&INFY);
    }
    assert!(fresh);
    h.shutdown();
}

#[tokio::test]
async fn refused_credentials_stop_retrying_until_new_ones() {
    let sb = sandbox().await;
    let (h, mut rx) = TickerClient::spawn(config(&sb, "expired-token".into()));
    h.subscribe(&[INFY], Mode::Ltp);
    let s = until_state(&mut rx, |s| matches!(s, TickerState::AuthFailed { .. })).await;
    let TickerState::AuthFailed { reason } = s else {
        unreachable!()
    };
    assert!(reason.contains("403"), "{reason}");
    assert!(
        !reason.contains("expired-token"),
        "the token must not leak into messages"
    );
    // It waits: no reconnect storm.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(matches!(h.state(), TickerState::AuthFailed { .. }));
    assert!(sb.ticker_connections().is_empty());
    // A fresh login fixes it, and the earlier subscription is replayed.
    h.set_credentials(Credentials {
        api_key: sb.api_key().into(),
        access_token: sb.mint_access_token(),
    });
    until_state(&mut rx, |s| *s == TickerState::Connected).await;
    until_ticks(&mut rx, &[(INFY, Mode::Ltp)]).await;
    h.shutdown();
}

#[tokio::test]
async fn heartbeats_keep_an_idle_socket_alive() {
    let sb = sandbox().await;
    let (h, mut rx) = TickerClient::spawn(config(&sb, sb.mint_access_token()));
    until_state(&mut rx, |s| *s == TickerState::Connected).await;
    // No subscriptions: only 1-byte heartbeats arrive. With a 1.5 s read timeout the client would
    // reconnect if they did not.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(h.state(), TickerState::Connected);
    while let Ok(ev) = rx.try_recv() {
        assert!(
            !matches!(ev, TickerEvent::State(TickerState::Reconnecting { .. })),
            "{ev:?}"
        );
    }
    h.shutdown();
}

#[tokio::test]
async fn bad_requests_get_error_text() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let sb = sandbox().await;
    let url = format!(
        "{}/?api_key={}&access_token={}",
        sb.ws_url(),
        sb.api_key(),
        sb.mint_access_token()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text("{\"a\":\"mode\",\"v\":[\"deep\",[408065]]}"))
        .await
        .unwrap();
    let text = timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                return t.to_string();
            }
        }
    })
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "error");
    assert!(v["data"].is_string());

    // A fourth connection for the same key is refused at the upgrade.
    let mut keep = Vec::new();
    for _ in 0..2 {
        let url = format!(
            "{}/?api_key={}&access_token={}",
            sb.ws_url(),
            sb.api_key(),
            sb.mint_access_token()
        );
        keep.push(tokio_tungstenite::connect_async(url).await.unwrap());
    }
    let url = format!(
        "{}/?api_key={}&access_token={}",
        sb.ws_url(),
        sb.api_key(),
        sb.mint_access_token()
    );
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn order_updates_reach_only_their_owner() {
    use kite::rest::{KiteClient, KiteConfig};
    use model::broker::{
        OrderParams, OrderPostback, OrderStatus, OrderType, Product, TransactionType,
    };
    let sb = sandbox().await;
    let mine = sb.mint_session("TRADER1").access_token;
    let theirs = sb.mint_session("TRADER2").access_token;
    let (h1, mut rx1) = TickerClient::spawn(config(&sb, mine.clone()));
    let (h2, mut rx2) = TickerClient::spawn(config(&sb, theirs));
    until_state(&mut rx1, |s| *s == TickerState::Connected).await;
    until_state(&mut rx2, |s| *s == TickerState::Connected).await;

    let rest = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    rest.set_access_token(Some(mine));
    let params = OrderParams {
        tag: Some("post1".into()),
        market_protection: Some(-1.0),
        ..OrderParams::new(
            model::Exchange::Nse,
            "ITC",
            TransactionType::Buy,
            OrderType::Market,
            5,
            Product::Mis,
        )
    };
    let id = rest.place_order(&params).await.unwrap();
    let update = timeout(Duration::from_secs(5), async {
        loop {
            if let Some(TickerEvent::Order(v)) = rx1.recv().await {
                return v;
            }
        }
    })
    .await
    .expect("the owner gets the order update");
    let pb: OrderPostback = serde_json::from_value(update).unwrap();
    assert_eq!(pb.order.order_id, id);
    assert_eq!(pb.order.status, OrderStatus::Complete);
    assert_eq!(pb.user_id, "TRADER1");
    assert_eq!(pb.unfilled_quantity, 0);
    assert_eq!(pb.checksum.len(), 64);
    // The other trader's socket carries nothing about it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(ev) = rx2.try_recv() {
        assert!(!matches!(ev, TickerEvent::Order(_)), "leaked: {ev:?}");
    }
    h1.shutdown();
    h2.shutdown();
}
