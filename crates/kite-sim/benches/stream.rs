//! Streaming benchmark: a sized sandbox universe, full mode, to many WebSocket clients (issue #4: 5,000
//! instruments at 2 ticks/s each to 50 full-mode connections on 2 cores).
//!
//! How many ticks the sandbox delivers per second, at what CPU cost, and whether every connection keeps
//! up (the freshest exchange timestamp each connection has seen stays within a second or two of the
//! clock, window after window). Kite allows 3,000 instruments per connection, so each client spreads
//! its instruments over as many connections as that takes (two for 5,000), each with an even share.
//! Clients are raw tokio-tungstenite sockets that walk each frame's packet headers and read the
//! exchange timestamp, so their own cost stays small. Sandbox and clients run in one process but on
//! two tokio runtimes with named threads, so the CPU of each side is read apart from /proc.
//!
//!     nice cargo bench -p kite-sim --bench stream
//!     STREAM_INSTRUMENTS=5000 STREAM_CLIENTS=50 STREAM_SECS=30 STREAM_STEP_MS=500 \
//!         nice cargo bench -p kite-sim --bench stream
//!     STREAM_STRIKES=30 nice cargo bench -p kite-sim --bench stream   # the default universe
//!
//! `STREAM_STRIKES` sets the strikes per side of every option chain directly; otherwise the bench takes
//! the fewest that make the sandbox stream at least `STREAM_INSTRUMENTS` instruments.

use futures_util::{SinkExt, StreamExt};
use kite_sim::instruments::{Universe, STRIKES_EACH_SIDE};
use kite_sim::ticker::MAX_INSTRUMENTS_PER_CONNECTION;
use kite_sim::{Sandbox, SandboxConfig};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_tungstenite::tungstenite::Message;

/// Thread-name prefixes of the two runtimes (Linux keeps 15 bytes of a thread's name).
const SANDBOX_THREADS: &str = "sandbox";
const CLIENT_THREADS: &str = "client";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one connection has received.
#[derive(Default)]
struct Counters {
    frames: AtomicU64,
    packets: AtomicU64,
    bytes: AtomicU64,
    /// Newest exchange timestamp (Unix s) in any full packet so far.
    newest: AtomicU64,
}

/// Walks a frame: `u16 count`, then `u16 length` + packet. Returns the packets and the newest exchange
/// timestamp among the full (184-byte) ones.
fn walk(frame: &[u8]) -> Option<(u64, u32)> {
    let count = u16::from_be_bytes([*frame.first()?, *frame.get(1)?]);
    let (mut at, mut newest) = (2usize, 0u32);
    for _ in 0..count {
        let len = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]) as usize;
        let packet = frame.get(at + 2..at + 2 + len)?;
        if len == 184 {
            let ts = u32::from_be_bytes(packet[60..64].try_into().ok()?);
            newest = newest.max(ts);
        }
        at += 2 + len;
    }
    Some((count as u64, newest))
}

async fn connection(url: String, tokens: Vec<u32>, c: Arc<Counters>) {
    let (ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("ticker connect");
    let (mut tx, mut rx) = ws.split();
    let list = serde_json::json!(tokens);
    for msg in [
        serde_json::json!({"a": "subscribe", "v": list}),
        serde_json::json!({"a": "mode", "v": ["full", list]}),
    ] {
        tx.send(Message::Text(msg.to_string().into()))
            .await
            .expect("subscribe");
    }
    while let Some(Ok(msg)) = rx.next().await {
        match msg {
            Message::Binary(b) => {
                c.bytes.fetch_add(b.len() as u64, Relaxed);
                if b.len() < 2 {
                    continue; // heartbeat
                }
                let (packets, newest) = walk(&b).expect("a well-formed frame");
                c.frames.fetch_add(1, Relaxed);
                c.packets.fetch_add(packets, Relaxed);
                c.newest.fetch_max(newest as u64, Relaxed);
            }
            // The ticker's only text to a market-data socket is an error (e.g. over the 3,000 cap).
            Message::Text(t) => panic!("ticker error: {t}"),
            _ => {}
        }
    }
}

/// CPU seconds (user + system) of this process's threads whose name starts with `prefix` (`""` for
/// all), from /proc (clock ticks of 1/100 s). Threads that already exited are not counted.
fn cpu_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0.0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, n)| n);
        if !name.starts_with(prefix) {
            continue;
        }
        // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
        let f: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        ticks += field(11) + field(12);
    }
    ticks / 100.0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Sample {
    at: Instant,
    cpu: f64,
    sandbox_cpu: f64,
    client_cpu: f64,
    packets: u64,
    bytes: u64,
    frames: u64,
}

fn sample(all: &[Arc<Counters>]) -> Sample {
    Sample {
        at: Instant::now(),
        cpu: cpu_seconds(""),
        sandbox_cpu: cpu_seconds(SANDBOX_THREADS),
        client_cpu: cpu_seconds(CLIENT_THREADS),
        packets: all.iter().map(|c| c.packets.load(Relaxed)).sum(),
        bytes: all.iter().map(|c| c.bytes.load(Relaxed)).sum(),
        frames: all.iter().map(|c| c.frames.load(Relaxed)).sum(),
    }
}

/// How many instruments the sandbox streams today with `k` strikes each side: every derivative, plus
/// the indices and stocks the market moves.
fn streamed_with(k: u32) -> usize {
    let today = kite_sim::history::ist_now(SystemTime::now()).date();
    let u = Universe::build_sized(today, 42, k).expect("universe");
    kite_sim::universe::watch_instruments().len()
        + u.instruments().iter().filter(|i| i.is_derivative()).count()
}

/// Strikes per side for the run: `STREAM_STRIKES`, or the fewest that stream `target` instruments.
fn strikes_for(target: usize) -> u32 {
    if let Some(k) = std::env::var("STREAM_STRIKES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return k;
    }
    (0..=kite_sim::instruments::MAX_STRIKES_EACH_SIDE)
        .find(|&k| streamed_with(k) >= target)
        .unwrap_or(STRIKES_EACH_SIDE)
}

fn main() {
    let clients: usize = env_or("STREAM_CLIENTS", 50);
    let secs: u64 = env_or("STREAM_SECS", 30);
    let step_ms: u64 = env_or("STREAM_STEP_MS", 500);
    let strikes = strikes_for(env_or("STREAM_INSTRUMENTS", 5000));
    let threads: usize = env_or(
        "STREAM_THREADS",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    );
    let runtime = |name: &'static str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(name)
            .enable_all()
            .build()
            .expect("runtime")
    };
    let (sandbox_rt, client_rt) = (runtime(SANDBOX_THREADS), runtime(CLIENT_THREADS));
    let expected = streamed_with(strikes);
    let per_client = expected.div_ceil(MAX_INSTRUMENTS_PER_CONNECTION).max(1);
    let sb = sandbox_rt
        .block_on(Sandbox::start(SandboxConfig {
            step_interval: Duration::from_millis(step_ms),
            // Kite allows 3 connections per api_key; the sandbox serves one app (no public way to
            // register more), so the bench lifts the cap to what its clients open.
            max_connections_per_key: clients * per_client,
            strikes_each_side: strikes,
            ..SandboxConfig::default()
        }))
        .expect("sandbox");
    let setup = Setup {
        clients,
        per_client,
        expected,
        secs,
        step_ms,
        strikes,
        threads,
    };
    client_rt.block_on(run(&sb, setup));
    drop(sb);
    sandbox_rt.shutdown_timeout(Duration::from_secs(1));
}

/// The run's parameters, as `main` settled them.
struct Setup {
    clients: usize,
    /// Connections each client opens (each with at most 3,000 instruments).
    per_client: usize,
    /// Instruments the sandbox should stream with `strikes` strikes each side.
    expected: usize,
    secs: u64,
    step_ms: u64,
    strikes: u32,
    threads: usize,
}

async fn run(sb: &Sandbox, setup: Setup) {
    let Setup {
        clients,
        per_client,
        expected,
        secs,
        step_ms,
        strikes,
        threads,
    } = setup;
    let window: u64 = 5;
    // What the sandbox streams: every derivative of the dump (rows with an expiry), plus the indices and
    // stocks the market moves (the other cash rows of the dump have no market model).
    let dump = reqwest::get(format!("{}/instruments", sb.http_url()))
        .await
        .expect("dump")
        .text()
        .await
        .expect("dump body");
    let dump_rows = dump.lines().skip(1).count();
    let cash: HashSet<u32> = sb.instruments().iter().map(|i| i.token.0).collect();
    let tokens: Vec<u32> = dump
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            let token: u32 = cols.first()?.parse().ok()?;
            let derivative = !cols.get(5)?.is_empty();
            (derivative || cash.contains(&token)).then_some(token)
        })
        .collect();
    assert_eq!(
        tokens.len(),
        expected,
        "the dump lists what the market streams"
    );
    let share = tokens.len().div_ceil(per_client);
    let chunks: Vec<Vec<u32>> = tokens.chunks(share).map(<[u32]>::to_vec).collect();
    let url = format!(
        "{}/?api_key={}&access_token={}",
        sb.ws_url(),
        sb.api_key(),
        sb.mint_access_token()
    );
    // counters[client][connection]
    let counters: Vec<Vec<Arc<Counters>>> = (0..clients)
        .map(|_| chunks.iter().map(|_| Arc::default()).collect())
        .collect();
    for client in &counters {
        for (c, chunk) in client.iter().zip(&chunks) {
            tokio::spawn(connection(url.clone(), chunk.clone(), c.clone()));
        }
    }
    let all: Vec<Arc<Counters>> = counters.iter().flatten().cloned().collect();
    // Warm-up: connections, subscriptions and their first snapshots.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let conns = sb.ticker_connections();
    let subscribed: Vec<usize> = conns.iter().map(|c| c.subscriptions.len()).collect();
    let streamed: usize = chunks.iter().map(Vec::len).sum();
    assert_eq!(conns.len(), all.len(), "every connection is open");
    assert_eq!(
        subscribed.iter().sum::<usize>(),
        streamed * clients,
        "every instrument is subscribed"
    );
    println!(
        "stream: {clients} full-mode clients x {streamed} instruments ({strikes} strikes each side; \
         {dump_rows} rows in the dump), {} connections of <= {share}, market step {step_ms} ms, \
         {} cores, {threads} worker threads each for sandbox and clients",
        conns.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let start = sample(&all);
    let mut prev = sample(&all);
    let mut lags = Vec::new();
    for _ in 0..secs / window {
        tokio::time::sleep(Duration::from_secs(window)).await;
        let now = sample(&all);
        let dt = now.at.duration_since(prev.at).as_secs_f64();
        let clock = unix_now();
        // The stalest connection: how far its newest tick is behind the clock.
        let lag = all
            .iter()
            .map(|c| clock.saturating_sub(c.newest.load(Relaxed)))
            .max()
            .unwrap_or(0);
        let rate = (now.packets - prev.packets) as f64 / dt;
        println!(
            "  window: {:>9.0} ticks/s delivered ({:>6.0} per client, {:.2} per instrument), \
             {:>6.1} MB/s, CPU {:>4.0}% (sandbox {:>4.0}%, clients {:>4.0}%), worst lag {lag} s",
            rate,
            rate / clients as f64,
            rate / clients as f64 / streamed.max(1) as f64,
            (now.bytes - prev.bytes) as f64 / dt / 1e6,
            (now.cpu - prev.cpu) / dt * 100.0,
            (now.sandbox_cpu - prev.sandbox_cpu) / dt * 100.0,
            (now.client_cpu - prev.client_cpu) / dt * 100.0,
        );
        lags.push(lag);
        prev = now;
    }
    let end = sample(&all);
    let dt = end.at.duration_since(start.at).as_secs_f64();
    let per_client: Vec<u64> = counters
        .iter()
        .map(|c| c.iter().map(|c| c.packets.load(Relaxed)).sum())
        .collect();
    let (lo, hi) = (
        per_client.iter().min().copied().unwrap_or(0),
        per_client.iter().max().copied().unwrap_or(0),
    );
    let rate = (end.packets - start.packets) as f64 / dt;
    let keeps_up = lags.iter().all(|&l| l <= 2)
        && lags
            .first()
            .zip(lags.last())
            .is_none_or(|(a, b)| *b <= a + 1);
    println!(
        "stream: {rate:.0} ticks/s delivered over {dt:.0} s ({:.2} per instrument per client, \
         {:.0} frames/s, {:.1} MB/s), CPU {:.0}% of one core (sandbox {:.0}%, clients {:.0}%), \
         per-client totals {lo}..{hi}, worst lag {} s -> {}",
        rate / clients as f64 / streamed.max(1) as f64,
        (end.frames - start.frames) as f64 / dt,
        (end.bytes - start.bytes) as f64 / dt / 1e6,
        (end.cpu - start.cpu) / dt * 100.0,
        (end.sandbox_cpu - start.sandbox_cpu) / dt * 100.0,
        (end.client_cpu - start.client_cpu) / dt * 100.0,
        lags.iter().max().copied().unwrap_or(0),
        if keeps_up { "keeps up" } else { "FALLS BEHIND" }
    );
}
