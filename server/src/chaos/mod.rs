//! `kite-agent chaos --minutes N --seed S`: two traders trade through the server, run as its own OS
//! process against the sandbox, while Kite's known failure modes are injected at seeded moments;
//! then the invariants that matter for money are checked against the sandbox (the broker's truth)
//! and the server's journal, and printed as a table.
//!
//! Faults (through the sandbox's admin API, as an operator would, and on the server's process):
//! ticker drops and silent stalls, REST 429 and 5xx bursts, a placement reply held back (the
//! postback arrives first), rejections after an accepted reply, partial fills, price gaps, a token
//! expiry (the trader connects Kite again through the login page), and a SIGKILL of the server
//! followed by a restart on the same data dir (the traders' sessions and the journal survive; live
//! trading is started again as the trader would). The kill switch fires once mid-run.

mod invariants;
mod server_proc;

use anyhow::Context as _;
use engine::users::{SecretKey, User, UserRegistry};
use engine::Db;
use invariants::{invariants, kill_switch_quiet, Broker};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::Product;
use model::trading::{AddStrategy, KillSwitchAction, KillSwitchState, RiskLimits, RiskStatus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use server_proc::ServerProc;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct ChaosArgs {
    /// How long the traders trade under faults.
    #[arg(long, default_value_t = 2.0)]
    pub minutes: f64,
    /// Seed of the fault schedule and of the sandbox market: the same seed, the same run.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The server binary to run and kill (default: this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
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
    /// Orders of option structures (legs of baskets) among `orders`.
    pub basket_orders: usize,
}

impl Report {
    pub fn all_held(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.held)
    }

    /// The faults injected and the invariants checked, as text tables.
    pub fn table(&self) -> String {
        let mut out = format!(
            "chaos run: {:.0} s, {} orders ({} option legs), {} fills\n\nfault                          times\n",
            self.seconds, self.orders, self.basket_orders, self.fills
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

/// A trader (their Kite app is registered at the sandbox) and their dashboard session.
pub(crate) struct Trader {
    pub id: &'static str,
    email: String,
    pub cookie: String,
}

const USERS: [&str; 2] = ["DEMO01", "TRADER2"];

fn equity(instrument: &str, qty: u32) -> AddStrategy {
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

/// One option basket: a NIFTY bull call spread allowed to enter at any hour (the run may be at
/// night) and to stay in until the run ends unless its target or stop is hit.
fn option_basket() -> AddStrategy {
    let mut params = BTreeMap::new();
    params.insert("entry_after".to_string(), "00:00".to_string());
    params.insert("exit_at".to_string(), "23:59".to_string());
    AddStrategy {
        kind: "bull_call_spread".into(),
        instrument: "NIFTY".into(),
        params,
        bar_seconds: None,
        product: Some(Product::Mis),
        quantity: None,
    }
}

async fn admin(http: &reqwest::Client, sb: &Sandbox, path_and_query: &str) -> anyhow::Result<()> {
    let r = http
        .post(format!("{}{path_and_query}", sb.http_url()))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "{path_and_query}: {}", r.status());
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// Connect Kite as a trader would when a fault lands on it (a 5xx on the token exchange): try
/// again a moment later, a few times.
async fn connect(srv: &ServerProc, t: &Trader) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..5 {
        match srv.connect_kite(&t.cookie, t.id).await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    Err(last
        .unwrap_or_else(|| anyhow::anyhow!("no attempt"))
        .context(format!("{}: connecting Kite", t.id)))
}

/// Registers the traders (as `kite-agent users add` does) and their apps at the sandbox.
async fn register(sb: &Sandbox, srv: &ServerProc) -> anyhow::Result<Vec<Trader>> {
    let db = Db::open(&srv.dir.join("kite-agent.db")).await?;
    let (key, _) = SecretKey::load_or_create(&srv.dir)?;
    let registry = UserRegistry::new(db.clone(), key);
    let mut traders = Vec::new();
    for id in USERS {
        let api_key = format!("{}_app", id.to_ascii_lowercase());
        let api_secret = format!("{}-secret-chaos", id.to_ascii_lowercase());
        let email = format!("{}@chaos.local", id.to_ascii_lowercase());
        registry
            .add(&User::new(id, &email, &api_key, api_secret.clone().into())?)
            .await?;
        sb.register_app(&api_key, &api_secret, &srv.callback_url());
        traders.push(Trader {
            id,
            email,
            cookie: String::new(),
        });
    }
    db.pool().close().await;
    Ok(traders)
}

/// The moments (fractions of the run) the server is killed: once in a short run, three times in a
/// long one, never near the kill switch at 60 %.
fn kill_points(minutes: f64) -> Vec<f64> {
    if minutes >= 5.0 {
        vec![0.2, 0.42, 0.8]
    } else {
        vec![0.4]
    }
}

pub async fn run(args: &ChaosArgs) -> anyhow::Result<Report> {
    let started = Instant::now();
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?,
    };
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
    let mut srv = ServerProc::new(bin, &dir, sb.http_url(), sb.ws_url())?;
    let result = trade_under_faults(args, &sb, &mut srv).await;
    let _ = srv.stop().await;
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            let tail = srv.log_tail(40);
            return Err(e.context(format!("server log (last lines):\n{tail}")));
        }
    };
    report.seconds = started.elapsed().as_secs_f64();
    if std::env::var_os("CHAOS_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(report)
}

async fn trade_under_faults(
    args: &ChaosArgs,
    sb: &Sandbox,
    srv: &mut ServerProc,
) -> anyhow::Result<Report> {
    let http = reqwest::Client::new();
    let mut traders = register(sb, srv).await?;
    srv.spawn().await?;
    for t in &mut traders {
        t.cookie = srv.login(t.id, &t.email).await?;
        connect(srv, t).await?;
    }
    let symbols = [
        ["NSE:INFY", "NSE:ITC", "NSE:TCS"],
        ["NSE:ITC", "NSE:SBIN", "NSE:HDFCBANK"],
    ];
    for (n, (t, syms)) in traders.iter().zip(symbols).enumerate() {
        let mut adds: Vec<AddStrategy> = syms
            .iter()
            .enumerate()
            .map(|(i, s)| equity(s, 1 + i as u32))
            .collect();
        if n == 1 {
            adds.push(option_basket());
        }
        for a in adds {
            srv.api(Method::POST, "/api/strategies/add", json(&a), &t.cookie)
                .await
                .with_context(|| format!("{}: adding {} {}", t.id, a.kind, a.instrument))?;
        }
        srv.api(Method::POST, "/api/live/start", None, &t.cookie)
            .await?;
    }
    let mut limits: Vec<RiskLimits> = Vec::new();
    for t in &traders {
        let r: RiskStatus =
            serde_json::from_str(&srv.api(Method::GET, "/api/risk", None, &t.cookie).await?)?;
        limits.push(r.limits);
    }

    let mut report = Report::default();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let run_for = Duration::from_secs_f64(args.minutes.max(0.1) * 60.0);
    let t0 = Instant::now();
    let deadline = t0 + run_for;
    let kill_at = t0 + run_for.mul_f64(0.6);
    let mut restarts: Vec<Instant> = kill_points(args.minutes)
        .into_iter()
        .map(|f| t0 + run_for.mul_f64(f))
        .rev()
        .collect();
    let mut killed = false;
    let mut max_open: HashMap<&str, usize> = HashMap::new();
    // Memory of the last incarnation: after 15 s of warm-up, then the highest and the last seen.
    let (mut rss_warm, mut rss_max, mut rss_last) = (None::<f64>, 0.0f64, 0.0f64);
    let mut kill_check = Check {
        name: "kill switch: flat within 1 s, blocked until reset",
        held: false,
        detail: "did not fire".into(),
    };
    let mut kill_window = None;
    let mut next_fault = Instant::now() + Duration::from_secs(3);
    let mut expired: Option<(usize, Instant)> = None;

    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        // Samples: open positions per user at the broker (the risk cap), the server's memory.
        for t in &traders {
            let open = sb
                .account_view(t.id)
                .positions
                .net
                .iter()
                .filter(|p| p.quantity != 0)
                .count();
            let m = max_open.entry(t.id).or_default();
            *m = (*m).max(open);
        }
        if let Some((mb, up)) = srv.rss_mb() {
            rss_max = rss_max.max(mb);
            rss_last = mb;
            if rss_warm.is_none() && up >= Duration::from_secs(15) {
                rss_warm = Some(mb);
            }
        }
        // The expired trader connects Kite again a few seconds later.
        if let Some((i, at)) = expired {
            if Instant::now() >= at {
                connect(srv, &traders[i])
                    .await
                    .context("connecting Kite again after the expiry")?;
                expired = None;
            }
        }
        if restarts.last().is_some_and(|at| Instant::now() >= *at) {
            restarts.pop();
            srv.kill().await?;
            // The market and the broker go on while the server is down: resting orders fill.
            tokio::time::sleep(Duration::from_millis(rng.gen_range(500..2_000))).await;
            srv.spawn().await?;
            rss_warm = None;
            for t in &traders {
                // The session cookie survived; the trader turns live trading back on.
                srv.api(Method::POST, "/api/live/start", None, &t.cookie)
                    .await
                    .with_context(|| format!("{}: live start after the restart", t.id))?;
            }
            *report.faults.entry("server SIGKILL + restart").or_default() += 1;
            continue;
        }
        if !killed && Instant::now() >= kill_at {
            killed = true;
            // The kill switch is measured with REST answering (ticker faults and the market keep
            // going); square-offs refused by a 429 are sent again at once, which
            // `kill_switch_square_offs_refused_by_429_go_again_within_the_second` measures.
            for q in [
                "/admin/rest/fail?count=0",
                "/admin/rest/delay_place?ms=0",
                "/admin/orders/reject?count=0",
                "/admin/orders/partial_fill?count=0&percent=100",
            ] {
                admin(&http, sb, q).await.ok();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (check, window) = fire_kill_switch(sb, srv, &traders[0]).await;
            kill_check = check;
            kill_window = window;
            *report.faults.entry("kill switch (DEMO01)").or_default() += 1;
        }
        if Instant::now() < next_fault {
            continue;
        }
        next_fault = Instant::now() + Duration::from_millis(rng.gen_range(2_000..5_000));
        let fault = match inject(&http, sb, &mut rng, &traders, expired.is_some()).await? {
            Some(Injected::Fault(f)) => f,
            Some(Injected::Expired(i)) => {
                expired = Some((i, Instant::now() + Duration::from_secs(3)));
                "token expiry + connect again"
            }
            None => continue,
        };
        *report.faults.entry(fault).or_default() += 1;
    }

    // Wind down: stop the strategies, let in-flight orders finish and the 2 s reconciliation run.
    if let Some((i, _)) = expired.take() {
        connect(srv, &traders[i]).await?;
    }
    admin(&http, sb, "/admin/rest/fail?count=0").await.ok();
    for t in &traders {
        srv.api(Method::POST, "/api/live/stop", None, &t.cookie)
            .await
            .ok();
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    // What each trader's dashboard shows (orders, journal), to check no one sees another's tags.
    let mut seen = Vec::new();
    for t in &traders {
        let mut text = String::new();
        for path in [
            "/api/orders",
            "/api/journal?limit=100000",
            "/api/signals?limit=100000",
        ] {
            text.push_str(&srv.api(Method::GET, path, None, &t.cookie).await?);
        }
        seen.push(text);
    }
    srv.stop().await?;

    let db = Db::open(&srv.dir.join("kite-agent.db")).await?;
    let brokers: Vec<Broker> = traders
        .iter()
        .map(|t| Broker::of(t.id, sb.account_view(t.id)))
        .collect();
    report.checks = invariants(&db, &brokers, &limits, &max_open, &seen).await?;
    if let Some((since, until)) = kill_window {
        let leaked = kill_switch_quiet(&db, traders[0].id, since, until).await?;
        if !leaked.is_empty() {
            kill_check.held = false;
            kill_check.detail = format!(
                "{}; strategy orders sent while active: {leaked:?}",
                kill_check.detail
            );
        }
    }
    report.checks.push(kill_check);
    let warm = rss_warm.unwrap_or(rss_last);
    report.checks.push(Check {
        name: "memory stayed bounded",
        held: rss_max < 1_024.0 && rss_last <= warm * 1.5 + 32.0,
        detail: format!(
            "server RSS (last of {} processes): after warm-up {warm:.0} MB, max {rss_max:.0} MB, end {rss_last:.0} MB",
            srv.starts
        ),
    });
    for t in &traders {
        let j = engine::journal::Journal::new(db.clone(), engine::UserId::new(t.id));
        let orders = j.orders(100_000).await?;
        report.basket_orders += orders
            .iter()
            .filter(|o| o.exchange == model::Exchange::Nfo)
            .count();
        report.orders += orders.len();
        report.fills += j.all_fills().await?.len();
    }
    db.pool().close().await;
    Ok(report)
}

enum Injected {
    Fault(&'static str),
    /// This trader's token was expired.
    Expired(usize),
}

/// One seeded fault through the sandbox's admin API.
async fn inject(
    http: &reqwest::Client,
    sb: &Sandbox,
    rng: &mut StdRng,
    traders: &[Trader],
    one_expired: bool,
) -> anyhow::Result<Option<Injected>> {
    let f = match rng.gen_range(0..9) {
        0 => {
            let ms = rng.gen_range(300..2_500);
            admin(http, sb, &format!("/admin/ticker/drop?refuse_ms={ms}")).await?;
            "ticker drop"
        }
        1 => {
            let ms = rng.gen_range(4_000..7_000);
            admin(http, sb, &format!("/admin/ticker/stall?ms={ms}")).await?;
            "ticker stall (silent socket)"
        }
        2 => {
            let n = rng.gen_range(2..6);
            admin(
                http,
                sb,
                &format!("/admin/rest/fail?count={n}&status=429&classes=order_place,other"),
            )
            .await?;
            "REST 429 burst"
        }
        3 => {
            let status = [500, 502, 503][rng.gen_range(0..3)];
            let n = rng.gen_range(1..4);
            admin(
                http,
                sb,
                &format!("/admin/rest/fail?count={n}&status={status}&classes=order_place,other"),
            )
            .await?;
            "REST 5xx burst"
        }
        4 => {
            let ms = rng.gen_range(500..2_500);
            admin(http, sb, &format!("/admin/rest/delay_place?ms={ms}")).await?;
            "placement reply held back"
        }
        5 => {
            let n = rng.gen_range(1..3);
            admin(http, sb, &format!("/admin/orders/reject?count={n}")).await?;
            "rejection after accept"
        }
        6 => {
            let n = rng.gen_range(1..3);
            admin(
                http,
                sb,
                &format!("/admin/orders/partial_fill?count={n}&percent=50"),
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
        _ if !one_expired => {
            // The daily rollover: the token dies; REST says TokenException, the ticker gets 403.
            let i = rng.gen_range(0..traders.len());
            admin(
                http,
                sb,
                &format!("/admin/sessions/{}/expire", traders[i].id),
            )
            .await?;
            return Ok(Some(Injected::Expired(i)));
        }
        _ => return Ok(None),
    };
    Ok(Some(Injected::Fault(f)))
}

/// Fires the kill switch through the API and checks the broker at once; returns the check and the
/// window it was active in (to look for strategy orders sent meanwhile, in the journal, at the end).
async fn fire_kill_switch(
    sb: &Sandbox,
    srv: &ServerProc,
    t: &Trader,
) -> (Check, Option<(u64, u64)>) {
    let name = "kill switch: flat within 1 s, blocked until reset";
    let fire = KillSwitchAction::Fire {
        reason: Some("chaos run".into()),
    };
    // The engine watches the account until flat and stamps the moment; the broker is checked after.
    let state: KillSwitchState = match srv
        .api(
            Method::POST,
            "/api/risk/kill-switch",
            json(&fire),
            &t.cookie,
        )
        .await
        .and_then(|b| Ok(serde_json::from_str(&b)?))
    {
        Ok(s) => s,
        Err(e) => {
            return (
                Check {
                    name,
                    held: false,
                    detail: format!("firing failed: {e:#}"),
                },
                None,
            )
        }
    };
    let flat_ms = match (state.since_ms, state.flattened_ms) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let view = sb.account_view(t.id);
    let broker_flat = view.positions.net.iter().all(|p| p.quantity == 0)
        && view.orders.iter().all(|o| o.status.is_terminal());
    // Blocked until reset: live trading refuses to start (and, checked at the end in the journal,
    // no strategy order went out while it was active).
    let blocked = srv
        .call(Method::POST, "/api/live/start", None, Some(&t.cookie))
        .await
        .is_ok_and(|(s, _)| !s.is_success());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let reset = srv
        .api(
            Method::POST,
            "/api/risk/kill-switch",
            json(&KillSwitchAction::Reset),
            &t.cookie,
        )
        .await
        .is_ok();
    let until = engine::journal::now_ms();
    let restarted = srv
        .api(Method::POST, "/api/live/start", None, &t.cookie)
        .await
        .is_ok();
    let held =
        flat_ms.is_some_and(|ms| ms <= 1_000) && broker_flat && blocked && reset && restarted;
    let check = Check {
        name,
        held,
        detail: format!(
            "flat after {} ms (broker agrees: {broker_flat}); while active: live start refused {blocked}; reset and restarted {}",
            flat_ms.map_or("—".to_string(), |m| m.to_string()),
            reset && restarted
        ),
    };
    (check, state.since_ms.map(|s| (s, until)))
}
