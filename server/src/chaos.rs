//! `kite-agent chaos --minutes N --seed S`: two traders' engines trade on the sandbox while Kite's
//! known failure modes are injected at seeded moments, then the invariants that matter for money are
//! checked against the sandbox (the broker's truth) and printed as a table.
//!
//! Faults (through the sandbox's admin API, as an operator would): ticker drops and silent stalls,
//! REST 429 and 5xx bursts on order placement, a placement reply held back (the postback arrives
//! first), rejections after an accepted reply, partial fills, price gaps, and a token expiry (the
//! trader logs in again through the sandbox's login page). The kill switch fires once mid-run.
//! A process kill and restart is covered by the execution tests (`restart mid-order`) and not
//! repeated here: both engines run in this process.

use anyhow::Context as _;
use engine::{Db, UserEngine, UserId};
use kite::ticker::Credentials;
use kite::{KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::Product;
use model::trading::{AddStrategy, KillSwitchAction};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct ChaosArgs {
    /// How long the traders trade under faults.
    #[arg(long, default_value_t = 2.0)]
    pub minutes: f64,
    /// Seed of the fault schedule and of the sandbox market: the same seed, the same run.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// One invariant's outcome.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub held: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub seconds: f64,
    pub faults: BTreeMap<&'static str, u32>,
    pub checks: Vec<Check>,
    pub orders: usize,
    pub fills: usize,
}

impl Report {
    pub fn all_held(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.held)
    }

    /// The faults injected and the invariants checked, as text tables.
    pub fn table(&self) -> String {
        let mut out = format!(
            "chaos run: {:.0} s, {} orders, {} fills\n\nfault                          times\n",
            self.seconds, self.orders, self.fills
        );
        for (f, n) in &self.faults {
            out.push_str(&format!("{f:<30} {n:>5}\n"));
        }
        out.push_str("\ninvariant                                   held  detail\n");
        for c in &self.checks {
            out.push_str(&format!(
                "{:<43} {:<5} {}\n",
                c.name,
                if c.held { "yes" } else { "NO" },
                c.detail
            ));
        }
        out
    }
}

const USERS: [&str; 2] = ["DEMO01", "TRADER2"];

struct Trader {
    id: &'static str,
    api_key: String,
    api_secret: String,
    engine: Arc<UserEngine>,
    kite: KiteClient,
}

fn rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

async fn admin(http: &reqwest::Client, sb: &Sandbox, path_and_query: &str) -> anyhow::Result<()> {
    let r = http
        .post(format!("{}{path_and_query}", sb.http_url()))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "{path_and_query}: {}", r.status());
    Ok(())
}

/// The sandbox's login form for `user` on the app `api_key` → a request token (what a trader's
/// browser does).
async fn login_token(sb: &Sandbox, api_key: &str, user: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = http
        .post(format!("{}/connect/login", sb.http_url()))
        .form(&[("api_key", api_key), ("user_id", user), ("password", "x")])
        .send()
        .await?;
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("the login page did not redirect")?;
    let url = reqwest::Url::parse(to)?;
    url.query_pairs()
        .find(|(k, _)| k == "request_token")
        .map(|(_, v)| v.to_string())
        .context("no request_token in the redirect")
}

/// Each trader has their own Kite app (as in the product), so the sandbox's per-app rate limits are
/// theirs alone; the session comes from the login page and the checksum exchange.
async fn start_trader(sb: &Sandbox, db: &Db, id: &'static str) -> anyhow::Result<Trader> {
    let api_key = format!("{}_app", id.to_ascii_lowercase());
    let api_secret = format!("{}-secret-chaos", id.to_ascii_lowercase());
    sb.register_app(&api_key, &api_secret, "http://127.0.0.1:9/kite/callback");
    let kite = KiteClient::new(KiteConfig::new(&api_key).with_root(sb.http_url()))?;
    let request_token = login_token(sb, &api_key, id).await?;
    let session = kite.generate_session(&request_token, &api_secret).await?;
    let ticker = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: api_key.clone(),
            access_token: session.access_token,
        },
    );
    let engine = UserEngine::start(
        UserId::new(id),
        kite.clone(),
        ticker,
        sb.instruments(),
        db.clone(),
    );
    Ok(Trader {
        id,
        api_key,
        api_secret,
        engine,
        kite,
    })
}

/// A trader logs in again after their token died.
async fn login_again(sb: &Sandbox, t: &Trader) -> anyhow::Result<()> {
    let token = login_token(sb, &t.api_key, t.id).await?;
    t.engine
        .complete_login(&token, &t.api_secret)
        .await
        .context("logging in again after the expiry")?;
    Ok(())
}

fn strategy(instrument: &str, qty: u32) -> AddStrategy {
    let mut params = BTreeMap::new();
    params.insert("fast".to_string(), "2".to_string());
    params.insert("slow".to_string(), "3".to_string());
    AddStrategy {
        kind: "ema_crossover".into(),
        instrument: instrument.into(),
        params,
        bar_seconds: Some(1),
        product: Some(Product::Mis),
        quantity: Some(qty),
    }
}

/// Whether the account holds nothing and works no order.
async fn flat(kite: &KiteClient) -> bool {
    let (Ok(p), Ok(o)) = (kite.positions().await, kite.orders().await) else {
        return false;
    };
    p.net.iter().all(|p| p.quantity == 0) && o.iter().all(|o| o.status.is_terminal())
}

pub async fn run(args: &ChaosArgs) -> anyhow::Result<Report> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("kite-chaos-{}-{}", std::process::id(), args.seed));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(100),
        market: kite_sim::market::MarketConfig {
            seed: args.seed,
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await?;
    // Where the login page sends the trader back with the request token (read, never followed).
    sb.set_redirect_url("http://127.0.0.1:9/kite/callback");
    let db = Db::open(&dir.join("kite-agent.db")).await?;
    let http = reqwest::Client::new();
    let mut traders = Vec::new();
    for id in USERS {
        traders.push(start_trader(&sb, &db, id).await?);
    }
    let symbols = [
        ["NSE:INFY", "NSE:ITC", "NSE:TCS"],
        ["NSE:ITC", "NSE:SBIN", "NSE:HDFCBANK"],
    ];
    for (t, syms) in traders.iter().zip(symbols) {
        for (i, s) in syms.iter().enumerate() {
            t.engine
                .trading()
                .add_strategy(strategy(s, 1 + i as u32))
                .await
                .with_context(|| format!("{}: adding {s}", t.id))?;
        }
        t.engine.trading().start_live().await?;
    }
    let limits: Vec<_> = {
        let mut v = Vec::new();
        for t in &traders {
            v.push(t.engine.trading().risk_status().await?.limits);
        }
        v
    };

    let mut report = Report::default();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let run_for = Duration::from_secs_f64(args.minutes.max(0.1) * 60.0);
    let deadline = Instant::now() + run_for;
    let kill_at = Instant::now() + run_for.mul_f64(0.6);
    let mut killed = false;
    let mut max_open: HashMap<&str, usize> = HashMap::new();
    let (mut rss_warm, mut rss_max) = (None::<f64>, 0.0f64);
    let warm_at = Instant::now() + run_for.mul_f64(0.25);
    let mut kill_check = Check {
        name: "kill switch: flat within 1 s, blocked until reset",
        held: false,
        detail: "did not fire".into(),
    };
    let mut next_fault = Instant::now() + Duration::from_secs(3);
    let mut expired: Option<(usize, Instant)> = None;

    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        // Samples: open positions per user (the risk cap), memory.
        for t in &traders {
            if let Ok(p) = t.kite.positions().await {
                let open = p.net.iter().filter(|p| p.quantity != 0).count();
                let m = max_open.entry(t.id).or_default();
                *m = (*m).max(open);
            }
        }
        if let Some(r) = rss_mb() {
            rss_max = rss_max.max(r);
            if rss_warm.is_none() && Instant::now() >= warm_at {
                rss_warm = Some(r);
            }
        }
        // The expired trader logs in again a few seconds later.
        if let Some((i, at)) = expired {
            if Instant::now() >= at {
                login_again(&sb, &traders[i]).await?;
                expired = None;
            }
        }
        if !killed && Instant::now() >= kill_at {
            killed = true;
            // The kill switch is measured with REST answering (ticker faults and the market keep
            // going): a square-off refused by a 429 burst waits for the thorough path (see
            // BENCHMARKS.md), which the one-second promise does not cover yet.
            for q in [
                "/admin/rest/fail?count=0",
                "/admin/rest/delay_place?ms=0",
                "/admin/orders/reject?count=0",
                "/admin/orders/partial_fill?count=0&percent=100",
            ] {
                admin(&http, &sb, q).await.ok();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            kill_check = fire_kill_switch(&traders[0]).await;
            *report.faults.entry("kill switch (DEMO01)").or_default() += 1;
        }
        if Instant::now() < next_fault {
            continue;
        }
        next_fault = Instant::now() + Duration::from_millis(rng.gen_range(2_000..5_000));
        let fault: &'static str = match rng.gen_range(0..9) {
            0 => {
                admin(
                    &http,
                    &sb,
                    &format!("/admin/ticker/drop?refuse_ms={}", rng.gen_range(300..2_500)),
                )
                .await?;
                "ticker drop"
            }
            1 => {
                admin(
                    &http,
                    &sb,
                    &format!("/admin/ticker/stall?ms={}", rng.gen_range(4_000..7_000)),
                )
                .await?;
                "ticker stall (silent socket)"
            }
            2 => {
                admin(
                    &http,
                    &sb,
                    &format!(
                        "/admin/rest/fail?count={}&status=429&classes=order_place,other",
                        rng.gen_range(2..6)
                    ),
                )
                .await?;
                "REST 429 burst"
            }
            3 => {
                let status = [500, 502, 503][rng.gen_range(0..3)];
                admin(
                    &http,
                    &sb,
                    &format!(
                        "/admin/rest/fail?count={}&status={status}&classes=order_place,other",
                        rng.gen_range(1..4)
                    ),
                )
                .await?;
                "REST 5xx burst"
            }
            4 => {
                admin(
                    &http,
                    &sb,
                    &format!("/admin/rest/delay_place?ms={}", rng.gen_range(500..2_500)),
                )
                .await?;
                "placement reply held back"
            }
            5 => {
                admin(
                    &http,
                    &sb,
                    &format!("/admin/orders/reject?count={}", rng.gen_range(1..3)),
                )
                .await?;
                "rejection after accept"
            }
            6 => {
                admin(
                    &http,
                    &sb,
                    &format!(
                        "/admin/orders/partial_fill?count={}&percent=50",
                        rng.gen_range(1..3)
                    ),
                )
                .await?;
                "partial fills"
            }
            7 => {
                let s = ["INFY", "ITC", "TCS", "SBIN", "HDFCBANK"][rng.gen_range(0..5)];
                let pct = if rng.gen_bool(0.5) { 1.5 } else { -1.5 };
                sb.jump_price(s, pct).await;
                "price gap ±1.5 %"
            }
            _ if expired.is_none() => {
                // The daily rollover: the token dies; REST says TokenException, the ticker gets 403.
                let i = rng.gen_range(0..traders.len());
                admin(
                    &http,
                    &sb,
                    &format!("/admin/sessions/{}/expire", traders[i].id),
                )
                .await?;
                expired = Some((i, Instant::now() + Duration::from_secs(3)));
                "token expiry + login again"
            }
            _ => continue,
        };
        *report.faults.entry(fault).or_default() += 1;
    }

    // Wind down: stop the strategies, let in-flight orders finish, reconcile with the broker.
    if let Some((i, _)) = expired.take() {
        login_again(&sb, &traders[i]).await?;
    }
    admin(&http, &sb, "/admin/rest/fail?count=0").await.ok();
    for t in &traders {
        t.engine.trading().stop_live().await.ok();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    for t in &traders {
        let _ = t.engine.trading().executor().reconcile().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    report.checks = invariants(&traders, &limits, &max_open).await?;
    report.checks.push(kill_check);
    let rss_end = rss_mb().unwrap_or(0.0);
    let warm = rss_warm.unwrap_or(rss_end);
    report.checks.push(Check {
        name: "memory stayed bounded",
        held: rss_max < 1_024.0 && rss_end <= warm * 1.5 + 32.0,
        detail: format!("RSS after warm-up {warm:.0} MB, max {rss_max:.0} MB, end {rss_end:.0} MB"),
    });
    for t in &traders {
        let j = t.engine.trading().journal_db();
        report.orders += j.orders(100_000).await?.len();
        report.fills += j.all_fills().await?.len();
    }
    report.seconds = started.elapsed().as_secs_f64();
    drop(traders);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

/// Fires the kill switch and watches the broker from that instant until the account is flat.
async fn fire_kill_switch(t: &Trader) -> Check {
    let name = "kill switch: flat within 1 s, blocked until reset";
    // The engine watches the account until flat and stamps the moment; the broker is checked after.
    let state = match t
        .engine
        .trading()
        .kill_switch(KillSwitchAction::Fire {
            reason: Some("chaos run".into()),
        })
        .await
    {
        Ok(s) => s,
        Err(e) => {
            return Check {
                name,
                held: false,
                detail: format!("firing failed: {e}"),
            }
        }
    };
    let flat_ms = match (state.since_ms, state.flattened_ms) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let broker_flat = flat(&t.kite).await;
    // Blocked until reset: live trading refuses to start and strategies place nothing.
    let blocked = t.engine.trading().start_live().await.is_err();
    // No strategy order may be created while it is active (its own square-offs carry no strategy).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let since = state.since_ms.unwrap_or(0);
    let strategy_orders: Vec<String> = match t.engine.trading().journal_db().orders(10_000).await {
        Ok(orders) => orders
            .into_iter()
            // Journalled after it fired and sent to the broker anyway.
            .filter(|o| o.strategy_id.is_some() && o.created_ms >= since && o.order_id.is_some())
            .map(|o| o.tag)
            .collect(),
        Err(e) => vec![format!("journal unreadable: {e}")],
    };
    let quiet = strategy_orders.is_empty();
    let reset = t
        .engine
        .trading()
        .kill_switch(KillSwitchAction::Reset)
        .await
        .is_ok();
    let restarted = t.engine.trading().start_live().await.is_ok();
    let held = flat_ms.is_some_and(|ms| ms <= 1_000)
        && broker_flat
        && blocked
        && quiet
        && reset
        && restarted;
    Check {
        name,
        held,
        detail: format!(
            "flat after {} ms (broker agrees: {broker_flat}); while active: live start refused {blocked}, strategy orders {strategy_orders:?}; reset and restarted {}",
            flat_ms.map_or("—".to_string(), |m| m.to_string()),
            reset && restarted
        ),
    }
}

async fn invariants(
    traders: &[Trader],
    limits: &[model::trading::RiskLimits],
    max_open: &HashMap<&str, usize>,
) -> anyhow::Result<Vec<Check>> {
    let mut dup = Vec::new();
    let mut fills_bad = Vec::new();
    let mut pos_bad = Vec::new();
    let mut risk_bad = Vec::new();
    let mut cross = Vec::new();
    let mut tags_of: Vec<BTreeSet<String>> = Vec::new();
    let mut broker_tags_of: Vec<BTreeSet<String>> = Vec::new();
    for (t, lim) in traders.iter().zip(limits) {
        let j = t.engine.trading().journal_db();
        let journal_orders = j.orders(100_000).await?;
        let tags: BTreeSet<String> = journal_orders.iter().map(|o| o.tag.clone()).collect();
        let broker = t.kite.orders().await?;
        // 1. No tag placed twice at the broker.
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for o in &broker {
            if let Some(tag) = o.tag.as_deref().filter(|t| !t.is_empty()) {
                *seen.entry(tag).or_default() += 1;
            }
        }
        dup.extend(
            seen.iter()
                .filter(|(_, n)| **n > 1)
                .map(|(t, n)| format!("{t}×{n}")),
        );
        let broker_tags: BTreeSet<String> = seen.keys().map(|s| s.to_string()).collect();
        // 2. Every broker fill of the engine's orders is journalled exactly once.
        let engine_ids: BTreeSet<String> = broker
            .iter()
            .filter(|o| o.tag.as_deref().is_some_and(|tag| tags.contains(tag)))
            .map(|o| o.order_id.0.clone())
            .collect();
        let broker_fills: BTreeSet<String> = t
            .kite
            .trades()
            .await?
            .into_iter()
            .filter(|f| engine_ids.contains(&f.order_id.0))
            .map(|f| f.trade_id)
            .collect();
        let journal_fills = j.all_fills().await?;
        let journalled: BTreeSet<String> =
            journal_fills.iter().map(|f| f.trade_id.clone()).collect();
        if journalled.len() != journal_fills.len() {
            fills_bad.push(format!("{}: a fill journalled twice", t.id));
        }
        for missing in broker_fills.difference(&journalled) {
            fills_bad.push(format!("{}: broker fill {missing} not journalled", t.id));
        }
        for extra in journalled.difference(&broker_fills) {
            fills_bad.push(format!(
                "{}: journal fill {extra} unknown to the broker",
                t.id
            ));
        }
        // 3. Positions from the journal's fills equal the broker's.
        let mut mine: BTreeMap<String, i64> = BTreeMap::new();
        for f in &journal_fills {
            let q = f.quantity as i64;
            *mine.entry(f.tradingsymbol.clone()).or_default() +=
                if f.side == model::broker::TransactionType::Buy {
                    q
                } else {
                    -q
                };
        }
        let mut theirs: BTreeMap<String, i64> = BTreeMap::new();
        for p in t.kite.positions().await?.net {
            *theirs.entry(p.tradingsymbol.clone()).or_default() += p.quantity;
        }
        mine.retain(|_, q| *q != 0);
        theirs.retain(|_, q| *q != 0);
        if mine != theirs {
            pos_bad.push(format!("{}: journal {mine:?} vs broker {theirs:?}", t.id));
        }
        // 4. Risk caps: open positions (sampled every 250 ms) and orders per minute (journal).
        let open = max_open.get(t.id).copied().unwrap_or(0);
        if open > lim.max_open_positions as usize {
            risk_bad.push(format!(
                "{}: {open} open positions > {}",
                t.id, lim.max_open_positions
            ));
        }
        // The cap counts intents the risk manager let through (one intent may take two orders,
        // e.g. a reversal), in any sliding 60 s window.
        let mut approved: Vec<u64> = t
            .engine
            .trading()
            .signals(100_000)
            .await?
            .into_iter()
            .filter(|s| !matches!(s.verdict, model::trading::RiskVerdict::Rejected { .. }))
            .map(|s| s.ts_ms)
            .collect();
        approved.sort_unstable();
        let per_minute = approved
            .iter()
            .enumerate()
            .map(|(i, &t0)| {
                approved[i..]
                    .iter()
                    .take_while(|&&t| t < t0 + 60_000)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if per_minute > lim.max_orders_per_minute as usize {
            risk_bad.push(format!(
                "{}: {per_minute} approved in a minute > {}",
                t.id, lim.max_orders_per_minute
            ));
        }
        tags_of.push(tags);
        broker_tags_of.push(broker_tags);
    }
    // 5. No user's orders in another's account or journal.
    for i in 0..traders.len() {
        for k in 0..traders.len() {
            if i != k {
                let leaked: Vec<_> = tags_of[i].intersection(&broker_tags_of[k]).collect();
                if !leaked.is_empty() {
                    cross.push(format!(
                        "{} orders at {}: {leaked:?}",
                        traders[i].id, traders[k].id
                    ));
                }
            }
        }
    }
    let check = |name, bad: Vec<String>, ok: String| Check {
        name,
        held: bad.is_empty(),
        detail: if bad.is_empty() { ok } else { bad.join("; ") },
    };
    Ok(vec![
        check(
            "no order placed twice (by tag)",
            dup,
            "every tag once".into(),
        ),
        check(
            "every broker fill journalled exactly once",
            fills_bad,
            "fills match".into(),
        ),
        check(
            "engine positions equal the broker's",
            pos_bad,
            "positions match".into(),
        ),
        check("no risk limit breached", risk_bad, "within caps".into()),
        check(
            "no user saw another's orders",
            cross,
            "accounts disjoint".into(),
        ),
    ])
}
