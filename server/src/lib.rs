//! The kite-agent server: hosts the engines, serves the dashboard, the REST API and the live sockets.
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod tools;
pub mod users_cli;

use anyhow::Context as _;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use config::{RunArgs, Upstream};
use engine::{EngineHub, HubInfo, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use model::TradingMode;
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tracing::info;

/// A started server. Dropping it does not stop it; call [`Running::wait`] or abort the task.
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Arc<EngineHub>,
    pub sandbox: Option<Arc<Sandbox>>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the upstream (sandbox or real Kite), the default user's engine and the HTTP server.
pub async fn start(
    args: &RunArgs,
    leptos_options: LeptosOptions,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let db_path = args.data_dir.join("kite-agent.db");
    let db = engine::Db::open(&db_path)
        .await
        .with_context(|| format!("opening the database {}", db_path.display()))?;
    // The sandbox reuses Kite's tokens: never let its candles stand for real ones (or another seed's).
    let source = match args.upstream() {
        Upstream::Sandbox => format!("sandbox:{}", args.sandbox_seed),
        Upstream::Live { .. } => "kite".to_string(),
    };
    if db.candles().bind_source(&source).await? {
        info!(%source, "candle cache emptied: its candles came from another market");
    }
    let (mode, ticker, kite, secret, sandbox) = match args.upstream() {
        Upstream::Sandbox => {
            let sb = Sandbox::start(SandboxConfig {
                market: kite_sim::market::MarketConfig {
                    seed: args.sandbox_seed,
                    ..Default::default()
                },
                http_addr: SocketAddr::new([127, 0, 0, 1].into(), args.sandbox_http_port),
                ws_addr: SocketAddr::new([127, 0, 0, 1].into(), args.sandbox_ws_port),
                // The practice account survives a restart, like a real one.
                data_dir: Some(args.data_dir.join("sandbox")),
                ..SandboxConfig::default()
            })
            .await
            .context("starting the sandbox")?;
            // The demo trader is logged in from the start, so a new user sees a working dashboard.
            let token = sb.mint_access_token();
            sb.set_redirect_url(format!("http://{addr}/kite/callback"));
            let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url()))?;
            kite.set_access_token(Some(token.clone()));
            let creds = Credentials {
                api_key: sb.api_key().to_string(),
                access_token: token,
            };
            let ticker = TickerConfig::new(sb.ws_url(), creds);
            let secret = Some(Arc::new(sb.api_secret()));
            (
                TradingMode::Sandbox,
                ticker,
                kite,
                secret,
                Some(Arc::new(sb)),
            )
        }
        Upstream::Live {
            api_key,
            access_token,
            ticker_url,
        } => {
            let kite = KiteClient::new(KiteConfig::new(api_key.clone()))?;
            kite.set_access_token(Some(access_token.0.clone()));
            let creds = Credentials {
                api_key,
                access_token: access_token.0,
            };
            let secret = args.kite_api_secret.as_ref().map(|s| Arc::new(s.0.clone()));
            let ticker = TickerConfig::new(ticker_url, creds);
            (TradingMode::Live, ticker, kite, secret, None)
        }
    };
    let hub = Arc::new(EngineHub::new(HubInfo {
        mode,
        sandbox_url: sandbox.as_ref().map(|s| s.http_url()),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }));
    // Until the instruments dump is loaded (REST client), the watch list is the sandbox's universe,
    // whose tokens are Kite's own.
    let instruments = kite_sim::universe::watch_instruments();
    hub.insert(UserEngine::start(
        UserId::default_user(),
        kite,
        ticker,
        instruments,
        db.clone(),
    ));
    info!(?mode, "engine started");

    let state = AppState {
        leptos_options: leptos_options.clone(),
        hub: hub.clone(),
        live_ping: Duration::from_secs(args.live_ping_secs.max(1)),
        kite_secret: secret,
        db,
    };
    let app = router(state);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    info!(%addr, "listening");
    Ok(Running {
        addr,
        hub,
        sandbox,
        task,
    })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let hub = state.hub.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .merge(routes::api::router())
        .merge(routes::account::router())
        .merge(routes::options::router())
        .merge(routes::analysis::router())
        .merge(routes::trading::router())
        .route(
            "/api/{*rest}",
            get(routes::api::not_found).post(routes::api::not_found),
        )
        .route("/ws/live", get(routes::live::upgrade))
        .route("/ws/oi", get(routes::oi_ws::upgrade))
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(hub.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .with_state(state)
}

/// Loads Leptos's runtime options from `Leptos.toml` (environment variables `LEPTOS_*` override it;
/// without the file, from the environment alone), then applies the command line's address.
pub fn leptos_options(args: &RunArgs) -> anyhow::Result<LeptosOptions> {
    // The working directory first (how the app is run); then the workspace it was built in (tests run
    // from the crate's own folder).
    let candidates = [
        std::path::PathBuf::from("Leptos.toml"),
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml"),
    ];
    let conf = match candidates.iter().find(|p| p.exists()) {
        Some(p) => leptos::config::get_configuration(p.to_str()),
        None => leptos::config::get_configuration(None),
    }
    .context("reading Leptos.toml")?;
    let mut options = conf.leptos_options;
    options.site_addr = SocketAddr::new(args.host, args.port);
    Ok(options)
}
