//! `kite-agent users add|list|remove|set-keys|import`: the user registry from the command line.
//!
//! Secrets are taken from `--api-secret` or, better (a command line is visible to every process
//! on the machine), from the first line of standard input. Nothing secret is ever printed.

use crate::config::Secret;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use engine::users::{KeySource, SecretKey, SecretString, User, UserRegistry};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct UsersArgs {
    /// Where the database and the key file live.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub action: UsersAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum UsersAction {
    /// Register a Zerodha account with its Kite app's api_key and api_secret.
    Add {
        /// Zerodha client id (AB1234).
        zerodha_id: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        api_key: String,
        /// Visible to other processes; without it the secret is read from standard input.
        #[arg(long)]
        api_secret: Option<Secret>,
    },
    /// List the registered accounts (never their secrets).
    List,
    /// Remove an account and its stored access token.
    Remove { zerodha_id: String },
    /// Replace an account's api_key and api_secret (its access token is dropped).
    SetKeys {
        zerodha_id: String,
        #[arg(long)]
        api_key: String,
        /// Visible to other processes; without it the secret is read from standard input.
        #[arg(long)]
        api_secret: Option<Secret>,
    },
    /// Import a users.json: [{"zerodha_id","email","api_key","api_secret"}, …].
    Import { path: PathBuf },
}

/// Runs one `users` command, writing its report to `out`.
pub async fn run(args: UsersArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let registry = open(&args.data_dir).await?;
    match args.action {
        UsersAction::Add {
            zerodha_id,
            email,
            api_key,
            api_secret,
        } => {
            let secret = secret_arg(api_secret)?;
            let user = User::new(&zerodha_id, &email, &api_key, secret)?;
            registry.add(&user).await?;
            writeln!(out, "added {user}")?;
        }
        UsersAction::List => {
            let users = registry.list().await?;
            if users.is_empty() {
                writeln!(out, "no users")?;
            }
            for u in users {
                let token = match u.token_expires {
                    Some(t) if t > chrono_now() => format!("token until {}", t.to_rfc3339()),
                    Some(_) => "token expired".to_string(),
                    None => "no token".to_string(),
                };
                writeln!(
                    out,
                    "{:<10}  {:<32}  {:<20}  {token}",
                    u.zerodha_id.as_str(),
                    u.email,
                    u.api_key
                )?;
            }
        }
        UsersAction::Remove { zerodha_id } => {
            registry.remove(&zerodha_id).await?;
            writeln!(out, "removed {}", zerodha_id.trim().to_uppercase())?;
        }
        UsersAction::SetKeys {
            zerodha_id,
            api_key,
            api_secret,
        } => {
            let secret = secret_arg(api_secret)?;
            registry.set_keys(&zerodha_id, &api_key, &secret).await?;
            writeln!(
                out,
                "keys of {} replaced (api_key {})",
                zerodha_id.trim().to_uppercase(),
                api_key.trim()
            )?;
        }
        UsersAction::Import { path } => {
            let r = registry.import_json(&path).await?;
            writeln!(
                out,
                "imported {}: {} added, {} updated",
                path.display(),
                r.added,
                r.updated
            )?;
        }
    }
    Ok(())
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The registry over `<data_dir>/kite-agent.db`, with the key from `KITE_AGENT_KEY` or the key file.
async fn open(data_dir: &Path) -> anyhow::Result<UserRegistry> {
    let (key, source) = SecretKey::load_or_create(data_dir)?;
    if let KeySource::Created(path) = source {
        eprintln!(
            "created the encryption key {} (mode 0600): back it up, the stored secrets cannot be \
             read without it",
            path.display()
        );
    }
    let db_path = data_dir.join("kite-agent.db");
    let db = engine::Db::open(&db_path)
        .await
        .with_context(|| format!("opening the database {}", db_path.display()))?;
    Ok(UserRegistry::new(db, key))
}

/// The secret from the flag, else the first line of standard input (prompted on a terminal).
fn secret_arg(flag: Option<Secret>) -> anyhow::Result<SecretString> {
    if let Some(Secret(s)) = flag {
        return Ok(SecretString::from(s));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("api_secret: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the api_secret from standard input")?;
    let secret = SecretString::from(line.trim_end_matches(['\r', '\n']).to_string());
    secrecy::zeroize::Zeroize::zeroize(&mut line);
    Ok(secret)
}
