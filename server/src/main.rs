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
        Some(Command::Backtest(args)) => offline(server::tools::backtest(&args)),
        Some(Command::Chaos(args)) => chaos(args).await,
        Some(Command::Users(args)) => {
            offline(server::users_cli::run(args, &mut std::io::stdout()).await)
        }
        None => run(cli.run).await,
    }
}

/// Prints the faults and invariants table; exit status 1 when an invariant failed.
async fn chaos(args: server::chaos::ChaosArgs) -> anyhow::Result<()> {
    telemetry::init(server::config::LogFormat::Text);
    let report = server::chaos::run(&args).await?;
    print!("{}", report.table());
    if !report.all_held() {
        std::process::exit(1);
    }
    Ok(())
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
        api_key: args.api_key.clone(),
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
    sb.set_api_secret(&args.api_secret);
    sb.set_redirect_url(&args.redirect_url);
    sb.register_user(&args.user_id, &args.password);
    let session = sb.mint_session(&args.user_id.to_uppercase());
    // The sandbox's credentials are not secrets: they only open the local simulator.
    print!("{}", sandbox_banner(&sb, &args, &session.access_token));
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// What a developer needs to point a Kite client at the sandbox, printed once at start.
fn sandbox_banner(sb: &kite_sim::Sandbox, args: &SandboxArgs, access_token: &str) -> String {
    let http = sb.http_url();
    let ws = sb.ws_url();
    let login = format!("{http}/connect/login?v=3&api_key={}", args.api_key);
    format!(
        "Kite sandbox (seed {seed}): a simulator; these credentials open nothing real.\n\
         \x20 REST root     {http}\n\
         \x20 ticker        {ws}\n\
         \x20 api_key       {key}\n\
         \x20 api_secret    {secret}\n\
         \x20 user_id       {user}\n\
         \x20 password      {password}\n\
         \x20 redirect_url  {redirect}\n\
         \x20 login URL     {login}\n\
         \x20 access_token  {access_token}  (a ready session for {user}, without the login)\n\
         Official Python client: KiteConnect(api_key, root=\"{http}\"), \
         KiteTicker(api_key, access_token, root=\"{ws}\")\n",
        seed = args.seed,
        key = args.api_key,
        secret = args.api_secret,
        user = args.user_id.to_uppercase(),
        password = args.password,
        redirect = args.redirect_url,
    )
}
