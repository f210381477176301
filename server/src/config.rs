//! Typed configuration: command line first, then environment (and `.env`), then defaults.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kite-agent",
    version,
    about = "Algorithmic trading agent for Zerodha Kite Connect"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard and engines (the default).
    Run(RunArgs),
    /// Trade on the sandbox under injected faults and check that nothing is lost or duplicated.
    Chaos(crate::chaos::ChaosArgs),
    /// Run only the sandbox exchange, for other Kite clients to connect to.
    Sandbox(SandboxArgs),
    /// Indicators for an OHLCV CSV, as CSV on stdout (TA-Lib conventions).
    Indicators(crate::tools::IndicatorsArgs),
    /// Black-Scholes price and greeks (theta per day, vega and rho per 1%), or implied volatility.
    Greeks(crate::tools::GreeksArgs),
    /// Backtest a strategy over an OHLCV CSV (backtesting.py's conventions and statistics).
    Backtest(crate::tools::BacktestArgs),
    /// Manage the registered Zerodha accounts (secrets are stored encrypted).
    Users(crate::users_cli::UsersArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret from the environment. Its `Debug` never shows the value, so a config dump cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Port of the dashboard and API.
    #[arg(long, env = "PORT", default_value_t = 5000)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Where the database and caches live.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Kite Connect api key. Without it the app runs on the embedded sandbox.
    #[arg(long, env = "KITE_API_KEY")]
    pub kite_api_key: Option<String>,
    /// Kite Connect api secret (used by the login flow).
    #[arg(long, env = "KITE_API_SECRET", hide_env_values = true)]
    pub kite_api_secret: Option<Secret>,
    /// An access token from today's Kite login (until the in-app login exists).
    #[arg(long, env = "KITE_ACCESS_TOKEN", hide_env_values = true)]
    pub kite_access_token: Option<Secret>,
    /// With real credentials: the Zerodha ID they belong to, registered at start (with
    /// `KITE_USER_EMAIL` for the login code) so a one-trader install needs no `users add`.
    #[arg(long, env = "KITE_USER_ID")]
    pub kite_user_id: Option<String>,
    #[arg(long, env = "KITE_USER_EMAIL")]
    pub kite_user_email: Option<String>,
    /// Kite's ticker URL.
    #[arg(long, env = "KITE_TICKER_URL", default_value = "wss://ws.kite.trade")]
    pub kite_ticker_url: String,
    /// Another Kite-compatible REST root (a sandbox run with `kite-agent sandbox`, a recorder): with
    /// it, users connect through their own apps there, as on Kite; no environment session is needed.
    #[arg(long, env = "KITE_API_ROOT")]
    pub kite_api_root: Option<String>,
    /// Seed of the sandbox market, so a session can be replayed.
    #[arg(long, env = "SANDBOX_SEED", default_value_t = 42)]
    pub sandbox_seed: u64,
    /// Port of the embedded sandbox's HTTP side (0: any free port).
    #[arg(long, env = "SANDBOX_HTTP_PORT", default_value_t = 0)]
    pub sandbox_http_port: u16,
    /// Port of the embedded sandbox's ticker (0: any free port).
    #[arg(long, env = "SANDBOX_WS_PORT", default_value_t = 0)]
    pub sandbox_ws_port: u16,
    /// Mark the session cookie `Secure` (set when the dashboard is served over https).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Seconds between the server's pings on /ws/live; a client silent for two is dropped.
    #[arg(long, env = "LIVE_PING_SECS", default_value_t = 15)]
    pub live_ping_secs: u64,
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The standalone sandbox: a Kite stand-in for any Kite client (official SDKs included). Its
/// credentials open only the simulator, so they are plain arguments, printed at start.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// REST API (at the root, as api.kite.trade) and the login page.
    #[arg(long, env = "SANDBOX_HTTP_PORT", default_value_t = 5100)]
    pub http_port: u16,
    /// Ticker WebSocket (at the root, as ws.kite.trade).
    #[arg(long, env = "SANDBOX_WS_PORT", default_value_t = 5101)]
    pub ws_port: u16,
    #[arg(long, env = "SANDBOX_SEED", default_value_t = 42)]
    pub seed: u64,
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The app's api_key.
    #[arg(long, env = "SANDBOX_API_KEY", default_value = kite_sim::auth::DEFAULT_API_KEY)]
    pub api_key: String,
    /// The app's api_secret (for the checksum of `POST /session/token`).
    #[arg(long, env = "SANDBOX_API_SECRET", default_value = kite_sim::auth::DEFAULT_API_SECRET)]
    pub api_secret: String,
    /// The trader whose password the login form checks (other ids log in with any password).
    #[arg(long, env = "SANDBOX_USER_ID", default_value = kite_sim::auth::DEMO_USER)]
    pub user_id: String,
    #[arg(long, env = "SANDBOX_PASSWORD", default_value = "sandbox")]
    pub password: String,
    /// Where the login form sends the browser with `request_token` (the app's registered redirect).
    #[arg(
        long,
        env = "SANDBOX_REDIRECT_URL",
        default_value = "http://127.0.0.1:5000/kite/callback"
    )]
    pub redirect_url: String,
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Where market data and orders go, decided once at start.
#[derive(Debug, Clone)]
pub enum Upstream {
    Sandbox,
    Live {
        /// `None`: api.kite.trade.
        rest_root: Option<String>,
        ticker_url: String,
        /// The one-trader install's app key and today's token, from the environment.
        env_session: Option<(String, Secret)>,
    },
}

impl RunArgs {
    /// Real Kite when both the key and a token are configured, or another Kite-compatible root when
    /// one is; anything less runs the embedded sandbox.
    pub fn upstream(&self) -> Upstream {
        let env_session = match (&self.kite_api_key, &self.kite_access_token) {
            (Some(key), Some(token)) if !key.is_empty() && !token.0.is_empty() => {
                Some((key.clone(), token.clone()))
            }
            _ => None,
        };
        let rest_root = self
            .kite_api_root
            .as_ref()
            .map(|r| r.trim_end_matches('/').to_string())
            .filter(|r| !r.is_empty());
        if env_session.is_none() && rest_root.is_none() {
            return Upstream::Sandbox;
        }
        Upstream::Live {
            rest_root,
            ticker_url: self.kite_ticker_url.clone(),
            env_session,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_sandbox_on_port_5000() {
        let cli = Cli::try_parse_from(["kite-agent", "--kite-api-key", ""]).unwrap();
        assert_eq!(cli.run.port, 5000);
        assert!(matches!(cli.run.upstream(), Upstream::Sandbox));
        let cli = Cli::try_parse_from([
            "kite-agent",
            "--port",
            "6001",
            "--kite-api-key",
            "k",
            "--kite-access-token",
            "supersecret",
        ])
        .unwrap();
        assert_eq!(cli.run.port, 6001);
        let up = cli.run.upstream();
        assert!(matches!(up, Upstream::Live { .. }));
        assert!(!format!("{up:?} {:?}", cli.run).contains("supersecret"));
        // Another Kite-compatible root: live mode without an environment session.
        let cli = Cli::try_parse_from([
            "kite-agent",
            "--kite-api-root",
            "http://127.0.0.1:5100/",
            "--kite-ticker-url",
            "ws://127.0.0.1:5101",
        ])
        .unwrap();
        let Upstream::Live {
            rest_root,
            ticker_url,
            env_session,
        } = cli.run.upstream()
        else {
            panic!("expected live mode")
        };
        assert_eq!(rest_root.as_deref(), Some("http://127.0.0.1:5100"));
        assert_eq!(ticker_url, "ws://127.0.0.1:5101");
        assert!(env_session.is_none());
    }

    #[test]
    fn sandbox_subcommand() {
        let cli = Cli::try_parse_from([
            "kite-agent",
            "sandbox",
            "--http-port",
            "7000",
            "--seed",
            "9",
        ])
        .unwrap();
        let Some(Command::Sandbox(s)) = cli.command else {
            panic!()
        };
        assert_eq!((s.http_port, s.seed), (7000, 9));
        assert_eq!(s.api_key, kite_sim::auth::DEFAULT_API_KEY);
        assert_eq!(s.user_id, kite_sim::auth::DEMO_USER);
        let cli = Cli::try_parse_from([
            "kite-agent",
            "sandbox",
            "--api-key",
            "k1",
            "--api-secret",
            "s1",
            "--user-id",
            "AB1234",
            "--password",
            "pw",
            "--redirect-url",
            "http://127.0.0.1:8000/cb",
        ])
        .unwrap();
        let Some(Command::Sandbox(s)) = cli.command else {
            panic!()
        };
        assert_eq!(
            (
                s.api_key.as_str(),
                s.api_secret.as_str(),
                s.user_id.as_str(),
                s.password.as_str(),
                s.redirect_url.as_str()
            ),
            ("k1", "s1", "AB1234", "pw", "http://127.0.0.1:8000/cb")
        );
    }
}
