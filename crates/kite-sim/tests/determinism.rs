//! The same seed gives the same sandbox: instrument dump, historical candles and the tick stream.
//!
//! A session that went wrong must be replayable (`SANDBOX_SEED`), and tests elsewhere rely on stable
//! prices. The dump and the candles are compared as served over HTTP by two running sandboxes; the tick
//! stream by stepping two market models in lock step with the same clock readings and comparing the
//! binary frames the ticker would send, so no socket timing enters the comparison.

use chrono::{Duration as Days, NaiveDate};
use kite_sim::codec;
use kite_sim::history::{ist_now, latest_trading_day, previous_trading_day};
use kite_sim::instruments::Universe;
use kite_sim::market::{Market, MarketConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::Mode;

/// A sandbox without Kite's per-second limits (3/s on candles): this test is about what is served.
async fn sandbox(seed: u64) -> Sandbox {
    let sb = Sandbox::start(SandboxConfig {
        market: MarketConfig {
            seed,
            ..MarketConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let resp = reqwest::Client::new()
        .post(format!("{}/admin/rest/limits?enforce=false", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    sb
}

/// A raw GET with the sandbox's own session; the body exactly as served.
async fn get(sb: &Sandbox, path: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", sb.http_url()))
        .header("X-Kite-Version", "3")
        .header(
            "Authorization",
            format!("token {}:{}", sb.api_key(), sb.mint_access_token()),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// The token of the first row of `csv` whose tradingsymbol starts with `prefix` and whose instrument
/// type is `kind`.
fn token_of(csv: &str, prefix: &str, kind: &str) -> String {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.len() > 10 && f[2].starts_with(prefix) && f[9] == kind)
        .map(|f| f[0].to_string())
        .unwrap_or_else(|| panic!("no {prefix}… {kind} in the dump"))
}

#[tokio::test]
async fn same_seed_same_dump_and_history_other_seed_other_history() {
    let (a, b, other) = (sandbox(7).await, sandbox(7).await, sandbox(8).await);

    let dump_a = get(&a, "/instruments").await;
    let dump_b = get(&b, "/instruments").await;
    assert!(dump_a.lines().count() > 1_000, "a full dump");
    assert!(dump_a == dump_b, "same seed, different instrument dumps");
    for exchange in ["NSE", "NFO", "BFO"] {
        let path = format!("/instruments/{exchange}");
        assert!(
            get(&a, &path).await == get(&b, &path).await,
            "{path} differs"
        );
    }

    // Several kinds of instrument: cash stocks, an index, a future, an option.
    let nfo = get(&a, "/instruments/NFO").await;
    let tokens = [
        "408065".to_string(), // INFY
        "738561".to_string(), // RELIANCE
        "256265".to_string(), // NIFTY 50
        token_of(&nfo, "NIFTY", "FUT"),
        token_of(&nfo, "NIFTY", "CE"),
    ];
    // Up to the close before the current session: the session's bar follows the live market, which
    // moves with each sandbox's own steps (on a weekend the session is Friday's).
    let session = latest_trading_day(ist_now(std::time::SystemTime::now()).date());
    let last = previous_trading_day(session);
    let ranges = [
        ("minute", last - Days::days(3)),
        ("5minute", last - Days::days(10)),
        ("60minute", last - Days::days(60)),
        ("day", last - Days::days(400)),
    ];
    let mut compared = 0;
    let mut differs_with_other_seed = 0;
    for token in &tokens {
        for (interval, from) in ranges {
            let path = format!(
                "/instruments/historical/{token}/{interval}?from={from}+09:15:00&to={last}+15:30:00&oi=1"
            );
            let (ha, hb) = (get(&a, &path).await, get(&b, &path).await);
            let candles: serde_json::Value = serde_json::from_str(&ha).unwrap();
            let n = candles["data"]["candles"].as_array().map_or(0, Vec::len);
            assert!(n > 0, "{path}: no candles");
            assert!(ha == hb, "same seed, different candles for {path}");
            compared += n;
            if get(&other, &path).await != ha {
                differs_with_other_seed += 1;
            }
        }
    }
    assert!(compared > 5_000, "{compared} candles compared");
    assert_eq!(
        differs_with_other_seed,
        tokens.len() * ranges.len(),
        "another seed must give other candles for every series"
    );
}

/// Every quote as the ticker would send it in full mode, one frame per step.
fn full_frame(m: &Market) -> Vec<u8> {
    codec::frame(m.quotes().iter().map(|q| (q, Mode::Full))).expect("a non-empty frame")
}

fn market(seed: u64, universe: &Universe, start: i64) -> Market {
    Market::with_universe(
        MarketConfig {
            seed,
            ..MarketConfig::default()
        },
        universe,
        start,
    )
}

#[test]
fn same_seed_same_tick_stream_other_seed_other_stream() {
    const STEPS: i64 = 200;
    // A fixed session day and clock: the model sees only the times it is given.
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let start = day.and_hms_opt(4, 0, 0).unwrap().and_utc().timestamp();
    let universe = Universe::build(day, 7).unwrap();
    assert!(
        universe.to_csv(None) == Universe::build(day, 7).unwrap().to_csv(None),
        "the universe itself is seeded"
    );
    let mut a = market(7, &universe, start);
    let mut b = market(7, &universe, start);
    let mut c = market(8, &universe, start);
    assert!(a.quotes().len() > 1_000, "{} instruments", a.quotes().len());
    assert!(full_frame(&a) == full_frame(&b), "opening quotes differ");

    let mut bytes = 0usize;
    let mut same_as_other_seed = 0;
    for s in 0..STEPS {
        // A quarter-second step, as the sandbox runs, on a clock both models share.
        let now = (start + s / 4) as u32;
        let (ca, cb) = (a.step(now), b.step(now));
        c.step(now);
        assert_eq!(ca, cb, "step {s}: different instruments changed");
        assert!(!ca.is_empty(), "step {s}: nothing moved");
        let (fa, fb) = (full_frame(&a), full_frame(&b));
        assert!(fa == fb, "step {s}: the ticks differ");
        assert_eq!(a.quotes(), b.quotes(), "step {s}: the model states differ");
        bytes += fa.len();
        if full_frame(&c) == fa {
            same_as_other_seed += 1;
        }
    }
    assert!(bytes > 1_000_000, "{bytes} bytes of frames compared");
    assert_eq!(same_as_other_seed, 0, "seed 8 repeated seed 7's stream");
    let moved = a
        .quotes()
        .iter()
        .zip(c.quotes())
        .filter(|(x, y)| !x.is_index && x.last != y.last)
        .count();
    assert!(
        moved > 40,
        "only {moved} prices differ between seeds 7 and 8"
    );
}
