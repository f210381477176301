//! The server under test as a separate OS process (so the chaos run can SIGKILL it), and the HTTP
//! client a trader's browser would be: login by code from the outbox, Connect Kite through the
//! sandbox's login page, then the REST API with the session cookie.

use anyhow::{bail, Context as _};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// One incarnation of the server process.
struct Proc {
    child: Child,
    pid: u32,
    started: Instant,
}

/// The server binary run on a fixed port and data dir against the sandbox (as a Kite-compatible
/// upstream), restartable after a kill.
pub struct ServerProc {
    bin: PathBuf,
    pub dir: PathBuf,
    pub addr: SocketAddr,
    rest_root: String,
    ticker_url: String,
    proc: Option<Proc>,
    http: reqwest::Client,
    /// Incarnations started so far.
    pub starts: u32,
}

/// A free loopback port: bound, read and released (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl ServerProc {
    pub fn new(
        bin: PathBuf,
        dir: &Path,
        rest_root: String,
        ticker_url: String,
    ) -> anyhow::Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(Self {
            bin,
            dir: dir.to_path_buf(),
            addr,
            rest_root,
            ticker_url,
            proc: None,
            http,
            starts: 0,
        })
    }

    /// Where Kite sends the trader back after login.
    pub fn callback_url(&self) -> String {
        format!("http://{}/kite/callback", self.addr)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The last lines of the server's log, for an error message.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Starts the server and waits until it answers. The environment never lends it a developer's
    /// real credentials: the sandbox is its Kite.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(self.proc.is_none(), "the server is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = Command::new(&self.bin)
            .arg("run")
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &self.addr.port().to_string(),
            ])
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["--kite-api-root", &self.rest_root])
            .args(["--kite-ticker-url", &self.ticker_url])
            // No `.env` from the developer's checkout is read in the data dir.
            .current_dir(&self.dir)
            .env("KITE_API_KEY", "")
            .env("KITE_ACCESS_TOKEN", "")
            .env_remove("SMTP_URL")
            .env_remove("KITE_USER_ID")
            .env(
                "RUST_LOG",
                std::env::var("CHAOS_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let pid = child.id().context("the server exited at once")?;
        self.proc = Some(Proc {
            child,
            pid,
            started: Instant::now(),
        });
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(p) = self.proc.as_mut() {
                if let Some(status) = p.child.try_wait()? {
                    self.proc = None;
                    bail!("the server exited ({status}):\n{}", self.log_tail(30));
                }
            }
            // 200 or 503 (degraded while engines connect): either way it serves.
            if let Ok(r) = self
                .http
                .get(format!("http://{}/api/health", self.addr))
                .send()
                .await
            {
                if r.status() == StatusCode::OK || r.status() == StatusCode::SERVICE_UNAVAILABLE {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("the server did not answer in 60 s:\n{}", self.log_tail(30));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no shutdown path runs, as in a crash or an OOM kill.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut p) = self.proc.take() {
            p.child.kill().await.context("killing the server")?;
        }
        Ok(())
    }

    /// Ctrl-C (SIGINT), then SIGKILL if it has not stopped within 5 s.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut p) = self.proc.take() else {
            return Ok(());
        };
        let _ = std::process::Command::new("kill")
            .args(["-INT", &p.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(5), p.child.wait())
            .await
            .is_err()
        {
            p.child.kill().await?;
        }
        Ok(())
    }

    /// Resident memory of the running server, and how long it has run.
    pub fn rss_mb(&self) -> Option<(f64, Duration)> {
        let p = self.proc.as_ref()?;
        let s = std::fs::read_to_string(format!("/proc/{}/status", p.pid)).ok()?;
        let kb: f64 = s
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some((kb / 1024.0, p.started.elapsed()))
    }

    /// One request to the server; the reply's status and body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        cookie: Option<&str>,
    ) -> anyhow::Result<(StatusCode, String)> {
        let r = self.request(method, path, body, cookie).await?;
        let status = r.status();
        Ok((status, r.text().await.unwrap_or_default()))
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        cookie: Option<&str>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut req = self
            .http
            .request(method.clone(), format!("http://{}{path}", self.addr));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        req.send().await.with_context(|| format!("{method} {path}"))
    }

    /// A request that must succeed; its body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        cookie: &str,
    ) -> anyhow::Result<String> {
        let (status, text) = self.call(method.clone(), path, body, Some(cookie)).await?;
        anyhow::ensure!(status.is_success(), "{method} {path}: {status} {text}");
        Ok(text)
    }

    fn mails(&self) -> HashSet<PathBuf> {
        std::fs::read_dir(self.dir.join("outbox"))
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Logs in by code (requested over HTTP, read from the outbox) and returns the cookie pair.
    pub async fn login(&self, id: &str, email: &str) -> anyhow::Result<String> {
        let before = self.mails();
        let body = serde_json::json!({"zerodha_id": id, "email": email}).to_string();
        let (status, text) = self
            .call(Method::POST, "/auth/otp/request", Some(body), None)
            .await?;
        anyhow::ensure!(
            status.is_success(),
            "code request for {id}: {status} {text}"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let mail = loop {
            if let Some(p) = self.mails().into_iter().find(|p| !before.contains(p)) {
                tokio::time::sleep(Duration::from_millis(30)).await;
                break std::fs::read_to_string(p)?;
            }
            anyhow::ensure!(Instant::now() < deadline, "no login mail for {id}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        };
        let code = mail
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .context("no code in the login mail")?;
        let body = serde_json::json!({"zerodha_id": id, "code": code}).to_string();
        let r = self
            .request(Method::POST, "/auth/otp/verify", Some(body), None)
            .await?;
        anyhow::ensure!(r.status().is_success(), "verify for {id}: {}", r.status());
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("kta_session=") && !c.starts_with("kta_session=;"))
            .and_then(|c| c.split(';').next())
            .map(str::to_string)
            .context("no session cookie")
    }

    /// Connect Kite as the trader does: `/kite/login` → the (sandbox's) Kite login form → back to
    /// `/kite/callback` with the request token, which the server exchanges with the user's secret.
    pub async fn connect_kite(&self, cookie: &str, kite_user: &str) -> anyhow::Result<()> {
        let r = self
            .request(Method::GET, "/kite/login", None, Some(cookie))
            .await?;
        anyhow::ensure!(r.status().is_redirection(), "/kite/login: {}", r.status());
        let login = location(&r)?;
        let login = reqwest::Url::parse(&login)?;
        let api_key = login
            .query_pairs()
            .find(|(k, _)| k == "api_key")
            .map(|(_, v)| v.to_string())
            .context("no api_key in the login URL")?;
        let r = self
            .http
            .post(login.join("/connect/login")?)
            .form(&[
                ("api_key", api_key.as_str()),
                ("user_id", kite_user),
                ("password", "x"),
            ])
            .send()
            .await?;
        let back = reqwest::Url::parse(&location(&r)?)?;
        anyhow::ensure!(back.path() == "/kite/callback", "login went to {back}");
        let path = format!("/kite/callback?{}", back.query().unwrap_or_default());
        let r = self.request(Method::GET, &path, None, Some(cookie)).await?;
        anyhow::ensure!(r.status().is_redirection(), "callback: {}", r.status());
        Ok(())
    }
}

fn location(r: &reqwest::Response) -> anyhow::Result<String> {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .with_context(|| format!("no redirect ({})", r.status()))
}
