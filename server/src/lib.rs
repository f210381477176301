//! The kite-agent server: hosts the engines, serves the dashboard, the REST API and the live sockets.
#![forbid(unsafe_code)]

pub mod alert_mail;
pub mod auth;
pub mod chaos;
pub mod config;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod tools;
pub mod upstream;
pub mod users_cli;

use anyhow::Context as _;
use app::{shell, App};
use auth::{AuthLimits, AuthState, Mailer};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use config::{RunArgs, Upstream};
use engine::users::{SecretKey, UserRegistry};
use engine::{AnalyticsConfig, EngineHub, EngineManager, HubInfo};
use kite_sim::{Sandbox, SandboxConfig};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use model::TradingMode;
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_cookies::CookieManagerLayer;
use tower_http::trace::TraceLayer;
use tracing::{info, warn};
use upstream::{KiteUpstream, RegistryDirectory, SandboxUpstream};

/// A started server. Dropping it does not stop it; call [`Running::wait`] or abort the task.
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Arc<EngineHub>,
    pub sandbox: Option<Arc<Sandbox>>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The sandbox's demo trader: registered at start in sandbox mode, with a ready Kite session, so a
/// new user logs in (code in the outbox and the log) and lands on a live dashboard.
pub const DEMO_USER: &str = kite_sim::auth::DEMO_USER;
pub const DEMO_EMAIL: &str = "demo@sandbox.local";

/// Starts the upstream (sandbox or real Kite), the login service and the HTTP server. Engines start
/// per user, on their first request after login.
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
        Upstream::Live {
            rest_root: Some(root),
            ..
        } => format!("kite:{root}"),
        Upstream::Live { .. } => "kite".to_string(),
    };
    if db.candles().bind_source(&source).await? {
        info!(%source, "candle cache emptied: its candles came from another market");
    }
    let (key, key_source) = SecretKey::load_or_create(&args.data_dir)
        .context("loading the key that encrypts users' Kite secrets")?;
    info!(source = ?key_source, "secrets key loaded");
    let registry = UserRegistry::new(db.clone(), key);
    let redirect_url = format!("http://{addr}/kite/callback");
    let mut mailer = Mailer::from_env(&args.data_dir).context("setting up login mail")?;
    let (mode, upstream, sandbox): (TradingMode, Arc<dyn engine::Upstream>, _) =
        match args.upstream() {
            Upstream::Sandbox => {
                let sb = Arc::new(
                    Sandbox::start(SandboxConfig {
                        market: kite_sim::market::MarketConfig {
                            seed: args.sandbox_seed,
                            ..Default::default()
                        },
                        http_addr: SocketAddr::new([127, 0, 0, 1].into(), args.sandbox_http_port),
                        ws_addr: SocketAddr::new([127, 0, 0, 1].into(), args.sandbox_ws_port),
                        // The practice accounts survive a restart, like real ones.
                        data_dir: Some(args.data_dir.join("sandbox")),
                        ..SandboxConfig::default()
                    })
                    .await
                    .context("starting the sandbox")?,
                );
                sb.set_redirect_url(redirect_url.clone());
                seed_demo_user(&registry, &sb).await?;
                mailer = mailer.print_codes_for(DEMO_USER);
                let up: Arc<dyn engine::Upstream> = Arc::new(SandboxUpstream(sb.clone()));
                (TradingMode::Sandbox, up, Some(sb))
            }
            Upstream::Live {
                rest_root,
                ticker_url,
                env_session,
            } => {
                if let Some(root) = &rest_root {
                    info!(%root, %ticker_url, "Kite-compatible upstream instead of api.kite.trade");
                }
                let up: Arc<dyn engine::Upstream> = Arc::new(KiteUpstream {
                    rest_root,
                    ticker_url,
                });
                if let Some((api_key, access_token)) = &env_session {
                    seed_env_user(args, &registry, api_key, &access_token.0).await?;
                }
                if registry.list().await?.is_empty() {
                    warn!("no users registered: add traders with `kite-agent users add`");
                }
                (TradingMode::Live, up, None)
            }
        };
    let hub = Arc::new(EngineHub::new(HubInfo {
        mode,
        sandbox_url: sandbox.as_ref().map(|s| s.http_url()),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }));
    // Until the instruments dump is loaded (REST client), the watch list is the sandbox's universe,
    // whose tokens are Kite's own.
    let engines = Arc::new(EngineManager::new(
        hub.clone(),
        registry.clone(),
        db.clone(),
        upstream,
        kite_sim::universe::watch_instruments(),
        AnalyticsConfig::default(),
        redirect_url,
    ));
    // Alerts by mail, for the users who turned it on: watched from each engine's start.
    let alert_mail = alert_mail::AlertMail::new(
        db.clone(),
        engines.registry().clone(),
        mailer.clone(),
        alert_mail::WINDOW,
    );
    engines.on_engine_start(move |e| alert_mail.watch(e));
    let cookie_key = auth::load_or_create_key(&args.data_dir.join("session.key"))
        .context("loading the session cookie key")?;
    let auth = AuthState::new(
        db.clone(),
        Arc::new(RegistryDirectory(registry)),
        mailer,
        cookie_key,
        AuthLimits::default(),
        args.secure_cookies,
    );
    tokio::spawn(stop_idle_engines(engines.clone(), auth.store()));
    metrics::handle();
    info!(?mode, "ready");

    let state = AppState {
        leptos_options: leptos_options.clone(),
        engines,
        auth,
        live_ping: Duration::from_secs(args.live_ping_secs.max(1)),
        db,
    };
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    info!(%addr, "listening");
    Ok(Running {
        addr,
        hub,
        sandbox,
        task,
    })
}

/// Registers the demo trader (first start) and gives them a fresh sandbox session (every start: the
/// sandbox's sessions do not outlive it).
async fn seed_demo_user(registry: &UserRegistry, sb: &Sandbox) -> anyhow::Result<()> {
    use engine::users::{User, UserError};
    let demo = match registry.get(DEMO_USER).await {
        Ok(u) => u,
        Err(UserError::NotFound(_)) => {
            let u = User::new(DEMO_USER, DEMO_EMAIL, sb.api_key(), sb.api_secret().into())?;
            registry.add(&u).await?;
            info!(
                zerodha_id = DEMO_USER,
                email = DEMO_EMAIL,
                "sandbox demo user registered"
            );
            u
        }
        Err(e) => return Err(e.into()),
    };
    if demo.api_key() == sb.api_key() {
        let session = sb.mint_session(DEMO_USER);
        registry
            .set_access_token(
                DEMO_USER,
                &session.access_token.into(),
                engine::manager::token_expiry(chrono::Utc::now()),
            )
            .await?;
    }
    info!(
        zerodha_id = DEMO_USER,
        email = DEMO_EMAIL,
        "sandbox: log in as the demo user; the login code is printed here and written to the outbox"
    );
    Ok(())
}

/// A one-trader install configured by environment: `KITE_USER_ID` + `KITE_USER_EMAIL` with the app's
/// key and secret are registered (or their keys updated), and today's access token stored for them.
async fn seed_env_user(
    args: &RunArgs,
    registry: &UserRegistry,
    api_key: &str,
    access_token: &str,
) -> anyhow::Result<()> {
    use engine::users::{ExposeSecret, User, UserError};
    let (Some(id), Some(email), Some(secret)) = (
        args.kite_user_id.as_deref(),
        args.kite_user_email.as_deref(),
        args.kite_api_secret.as_ref(),
    ) else {
        return Ok(());
    };
    match registry.get(id).await {
        Ok(u) if u.api_key() == api_key && u.api_secret().expose_secret() == secret.0 => {}
        Ok(_) => {
            registry
                .set_keys(id, api_key, &secret.0.clone().into())
                .await?
        }
        Err(UserError::NotFound(_)) => {
            registry
                .add(&User::new(id, email, api_key, secret.0.clone().into())?)
                .await?
        }
        Err(e) => return Err(e.into()),
    }
    registry
        .set_access_token(
            id,
            &access_token.to_string().into(),
            engine::manager::token_expiry(chrono::Utc::now()),
        )
        .await?;
    info!(zerodha_id = id, "trader from the environment registered");
    Ok(())
}

/// Every 30 s, stops the engines of users with no live session left (logged out or expired), unless
/// they trade live.
async fn stop_idle_engines(engines: Arc<EngineManager>, store: auth::AuthStore) {
    let mut every = tokio::time::interval(Duration::from_secs(30));
    loop {
        every.tick().await;
        let active = match store.active_users(auth::now_ms()).await {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "listing live sessions failed; no engine stopped");
                continue;
            }
        };
        let stopped = engines.stop_idle(Duration::from_secs(60), |u| {
            active.iter().any(|a| a == u.as_str())
        });
        if !stopped.is_empty() {
            info!(count = stopped.len(), "idle engines stopped");
        }
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let engines = state.engines.clone();
    let options = state.leptos_options.clone();
    let auth_routes = auth::router().with_state(state.auth.clone());
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
        .route("/metrics", get(metrics::render))
        .route_layer(middleware::from_fn(metrics::track))
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(engines.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .merge(auth_routes)
        .layer(middleware::from_fn_with_state(
            state.auth.clone(),
            auth::gate::gate,
        ))
        .layer(middleware::from_fn(auth::origin::same_origin_only))
        .layer(CookieManagerLayer::new())
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
