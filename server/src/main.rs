//! `kite-agent`: the trading agent's server, or with `sandbox` the simulator alone.

use anyhow::Context as _;
use clap::Parser;
use server::config::{Cli, Command, RunArgs, SandboxArgs};
use server::telemetry;
use std::net::SocketAddr;
use tracing::info;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; a malformed one should not go unnoticed.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("warning: ignoring .env: {e}");
        }
    }
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sandbox(args)) => sandbox(args).await,
        Some(Command::Run(args)) => run(args).await,
        Some(Command::Indicators(args)) => offline(server::tools::indicators(&args)),
        Some(Command::Greeks(args)) => offline(server::tools::greeks(&args)),
        None => run(cli.run).await,
    }
}

/// Offline tools report a failure as one line and exit status 1, like any command-line tool.
fn offline(r: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(e) = r {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let options = server::leptos_options(&args)?;
    let addr = options.site_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr} (is another instance running? try --port)"))?;
    let running = server::start(&args, options, listener).await?;
    info!("dashboard at http://{}", running.addr);
    tokio::select! {
        r = running.task => r?.context("server stopped")?,
        _ = tokio::signal::ctrl_c() => info!("shutting down"),
    }
    Ok(())
}

async fn sandbox(args: SandboxArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let sb = kite_sim::Sandbox::start(kite_sim::SandboxConfig {
        market: kite_sim::market::MarketConfig {
            seed: args.seed,
            ..Default::default()
        },
        http_addr: SocketAddr::new(args.host, args.http_port),
        ws_addr: SocketAddr::new(args.host, args.ws_port),
        ..Default::default()
    })
    .await
    .context("starting the sandbox")?;
    let token = sb.mint_access_token();
    // The sandbox's credentials are not secrets: they only open the local simulator.
    println!("sandbox http:   {}", sb.http_url());
    println!("sandbox ticker: {}", sb.ws_url());
    println!("api_key={} access_token={token}", sb.api_key());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
