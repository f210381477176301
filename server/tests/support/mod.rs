//! The whole server on a loopback port, on the embedded sandbox, with real logins: a code requested
//! over HTTP, read from the outbox, exchanged for the session cookie every later request carries.
#![allow(dead_code)]

use clap::Parser;
use server::config::Cli;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const DEMO: &str = server::DEMO_USER;
pub const DEMO_EMAIL: &str = server::DEMO_EMAIL;

pub struct Srv {
    pub run: server::Running,
    pub addr: SocketAddr,
    pub dir: PathBuf,
}

impl Drop for Srv {
    fn drop(&mut self) {
        self.run.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server on a fresh data dir (the sandbox keeps its accounts on disk), never with a developer's
/// real credentials from the environment.
pub async fn start(name: &str, extra: &[&str]) -> Srv {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kta-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_string_lossy().to_string();
    let mut argv = vec!["kite-agent", "--port", "0", "--data-dir", &data];
    argv.extend_from_slice(extra);
    let mut args = Cli::try_parse_from(argv).unwrap().run;
    args.kite_api_key = None;
    args.kite_access_token = None;
    let options = server::leptos_options(&args).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let run = server::start(&args, options, listener).await.unwrap();
    let addr = run.addr;
    Srv { run, addr, dir }
}

/// One HTTP/1.1 exchange over a real socket.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_string())
    }

    /// The `kta_session=…` pair a login set.
    pub fn session_cookie(&self) -> Option<String> {
        self.head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .map(|l| l["set-cookie:".len()..].trim())
            .find(|c| c.starts_with("kta_session=") && !c.starts_with("kta_session=;"))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{cookie}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        head: head.to_string(),
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn mails(outbox: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(outbox) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The code in a mail: the line that is exactly six digits.
pub fn code_in(mail: &str) -> String {
    mail.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in:\n{mail}"))
        .to_string()
}

impl Srv {
    pub async fn call(&self, method: &str, path: &str, body: &str, cookie: Option<&str>) -> Reply {
        call(self.addr, method, path, body, cookie).await
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Reply {
        call(self.addr, "GET", path, "", Some(cookie)).await
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }

    /// Logs `id` in by code (requested over HTTP, read from the outbox) and returns the cookie pair.
    pub async fn login(&self, id: &str, email: &str) -> String {
        let before: HashSet<PathBuf> = mails(&self.outbox()).into_iter().collect();
        let body = serde_json::json!({"zerodha_id": id, "email": email}).to_string();
        let r = self.call("POST", "/auth/otp/request", &body, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mail = loop {
            if let Some(p) = mails(&self.outbox())
                .into_iter()
                .find(|p| !before.contains(p))
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
                break std::fs::read_to_string(p).unwrap();
            }
            assert!(Instant::now() < deadline, "no login mail for {id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let body = serde_json::json!({"zerodha_id": id, "code": code_in(&mail)}).to_string();
        let r = self.call("POST", "/auth/otp/verify", &body, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.session_cookie().expect("a session cookie")
    }

    /// The demo user's session.
    pub async fn login_demo(&self) -> String {
        self.login(DEMO, DEMO_EMAIL).await
    }

    /// Registers another trader with their own Kite app, as `kite-agent users add` does.
    pub async fn add_user(&self, id: &str, email: &str, api_key: &str, api_secret: &str) {
        let db = engine::Db::open(&self.dir.join("kite-agent.db"))
            .await
            .unwrap();
        let (key, _) = engine::users::SecretKey::load_or_create(&self.dir).unwrap();
        let registry = engine::users::UserRegistry::new(db, key);
        let user =
            engine::users::User::new(id, email, api_key, api_secret.to_string().into()).unwrap();
        registry.add(&user).await.unwrap();
    }

    /// Connects the user's Kite account through the sandbox's login page: `/kite/login` (with their
    /// cookie) → the login form posted as `kite_user` → `/kite/callback` with the request token.
    pub async fn connect_kite(&self, cookie: &str, kite_user: &str) {
        let r = self.get("/kite/login", cookie).await;
        assert!((300..400).contains(&r.status), "{} {}", r.status, r.body);
        let login = r.header("location").expect("redirect to the login page");
        let url = reqwest::Url::parse(&login).unwrap();
        let api_key = url
            .query_pairs()
            .find(|(k, _)| k == "api_key")
            .map(|(_, v)| v.to_string())
            .expect("api_key in the login URL");
        let sandbox: SocketAddr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
            .parse()
            .unwrap();
        let form = format!("api_key={api_key}&user_id={kite_user}&password=x");
        let mut s = tokio::net::TcpStream::connect(sandbox).await.unwrap();
        let req = format!(
            "POST /connect/login HTTP/1.1\r\nHost: {sandbox}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let back = out
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("location:"))
            .map(|l| l["location:".len()..].trim().to_string())
            .unwrap_or_else(|| panic!("the login page did not redirect: {out}"));
        let back = reqwest::Url::parse(&back).unwrap();
        assert_eq!(back.path(), "/kite/callback");
        let path = format!("/kite/callback?{}", back.query().unwrap());
        let r = self.get(&path, cookie).await;
        assert!(
            (300..400).contains(&r.status),
            "callback: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.header("location").as_deref(), Some("/"));
    }

    /// A `/ws/…` socket opened with the cookie.
    pub async fn ws(
        &self,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        tokio_tungstenite::tungstenite::Error,
    > {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}{path}", self.addr)
            .into_client_request()
            .unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
            .await
            .map(|(ws, _)| ws)
    }
}
