//! The login flow end to end: the auth router alone on a loopback port, a real SQLite file, the file
//! outbox, and a tracing subscriber capturing every log line.

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::auth::{
    self, load_or_create_key, quota, AuthLimits, AuthState, Mailer, UserDirectory, COOKIE_NAME,
};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The registry the tests log in against: their own data.
struct Registry(HashMap<String, String>);

impl UserDirectory for Registry {
    fn email_of<'a>(&'a self, zerodha_id: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move { self.0.get(zerodha_id).cloned() })
    }
}

const ID: &str = "AB1234";
const EMAIL: &str = "trader@example.com";

/// Every log line of the test process, as text.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

struct Harness {
    _dir: tempfile::TempDir,
    base: String,
    outbox: PathBuf,
    db: engine::Db,
    http: reqwest::Client,
    seen: HashSet<PathBuf>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// `kta_session=<value>` from the reply's Set-Cookie, and the whole header line.
    fn session_cookie(&self) -> Option<(String, String)> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{COOKIE_NAME}=")))
            .map(|line| {
                let pair = line.split(';').next().unwrap().trim().to_string();
                (pair, line.to_string())
            })
    }
}

async fn start(limits: AuthLimits, secure: bool) -> Harness {
    logs();
    let dir = tempfile::tempdir().unwrap();
    let db = engine::Db::open(dir.path().join("kite-agent.db"))
        .await
        .unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::outbox(&outbox, auth::mail::DEFAULT_FROM).unwrap();
    let key = load_or_create_key(&dir.path().join("session.key")).unwrap();
    let directory = Arc::new(Registry(HashMap::from([
        (ID.to_string(), EMAIL.to_string()),
        ("CD5678".to_string(), "other@example.com".to_string()),
    ])));
    let state = AuthState::new(db.clone(), directory, mailer, key, limits, secure);
    let app = auth::router().with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Harness {
        _dir: dir,
        base: format!("http://{addr}"),
        outbox,
        db,
        http: reqwest::Client::new(),
        seen: HashSet::new(),
    }
}

fn roomy() -> AuthLimits {
    AuthLimits {
        otp_per_id: quota(Duration::from_secs(1), 50),
        otp_per_ip: quota(Duration::from_secs(1), 50),
        ..AuthLimits::default()
    }
}

impl Harness {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        cookie: Option<&str>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        let r = req.send().await.unwrap();
        Reply {
            status: r.status(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    async fn post(&self, path: &str, body: Value, cookie: Option<&str>) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body), cookie)
            .await
    }

    async fn request_code(&self, id: &str, email: &str) -> Reply {
        self.post(
            "/auth/otp/request",
            json!({"zerodha_id": id, "email": email}),
            None,
        )
        .await
    }

    async fn verify(&self, id: &str, code: &str, cookie: Option<&str>) -> Reply {
        self.post(
            "/auth/otp/verify",
            json!({"zerodha_id": id, "code": code}),
            cookie,
        )
        .await
    }

    async fn whoami(&self, cookie: Option<&str>) -> Reply {
        self.send(reqwest::Method::GET, "/auth/session", None, cookie)
            .await
    }

    fn mails(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(&self.outbox) {
            Ok(rd) => rd
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Waits for a mail not seen before and returns its text.
    async fn next_mail(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(p) = self.mails().into_iter().find(|p| !self.seen.contains(p)) {
                // The file transport writes in one go, but give a partly written file a moment.
                tokio::time::sleep(Duration::from_millis(20)).await;
                self.seen.insert(p.clone());
                return std::fs::read_to_string(&p).unwrap();
            }
            assert!(Instant::now() < deadline, "no new mail in the outbox");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asks for a code and reads it from the mail it produced.
    async fn fresh_code(&mut self) -> String {
        let r = self.request_code(ID, EMAIL).await;
        assert_eq!(r.status, StatusCode::OK);
        code_in(&self.next_mail().await)
    }

    /// A complete login; returns the `kta_session=…` pair.
    async fn login(&mut self, cookie: Option<&str>) -> String {
        let code = self.fresh_code().await;
        let r = self.verify(ID, &code, cookie).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        r.session_cookie().expect("a session cookie").0
    }

    async fn session_hashes(&self) -> Vec<(String, String)> {
        sqlx::query_as("SELECT id_hash, user_id FROM sessions ORDER BY created_ms")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }
}

/// The code in a mail: the line that is exactly six digits.
fn code_in(mail: &str) -> String {
    let codes: Vec<&str> = mail
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(codes.len(), 1, "one code line in:\n{mail}");
    codes[0].to_string()
}

/// Another six digits than `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

fn error_code(r: &Reply) -> String {
    let v = r.json();
    assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
    v["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn unknown_id_and_wrong_email_get_the_same_reply_and_no_mail() {
    let mut h = start(roomy(), false).await;
    let unknown = h.request_code("ZZ9999", EMAIL).await;
    let wrong_email = h.request_code(ID, "someone@example.com").await;
    let right = h.request_code(ID, "  Trader@Example.com ").await;
    for r in [&unknown, &wrong_email, &right] {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, unknown.body, "replies differ");
    }
    assert_eq!(
        unknown.json(),
        json!({"sent": true, "message": "If the ID and email match, a code was sent."})
    );
    let mail = h.next_mail().await;
    assert!(mail.contains(&format!("To: {EMAIL}")), "{mail}");
    code_in(&mail);
    // The two non-matching requests were processed before the matching one: nothing else comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.mails().len(), 1);
    let ids: Vec<(String,)> = sqlx::query_as("SELECT zerodha_id FROM otp_challenges")
        .fetch_all(h.db.pool())
        .await
        .unwrap();
    assert_eq!(ids, vec![(ID.to_string(),)]);
    // The stored challenge holds a keyed hash, not the code.
    let (hash,): (String,) = sqlx::query_as("SELECT code_hash FROM otp_challenges")
        .fetch_one(h.db.pool())
        .await
        .unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains(&code_in(&mail)));
    // Malformed input is refused outright (its shape reveals nothing).
    let bad = h.request_code("AB-12", EMAIL).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad), "invalid_request");
}

#[tokio::test]
async fn code_from_the_outbox_logs_in_with_a_hardened_cookie_once() {
    let mut h = start(roomy(), false).await;
    let anon = h.whoami(None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&anon), "not_logged_in");

    let code = h.fresh_code().await;
    let r = h.verify("ab1234", &code, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"], json!({"zerodha_id": ID}));
    let (pair, line) = r.session_cookie().unwrap();
    let attrs: Vec<String> = line.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"httponly".to_string()), "{line}");
    assert!(attrs.contains(&"samesite=lax".to_string()), "{line}");
    assert!(attrs.contains(&"path=/".to_string()), "{line}");
    assert!(attrs.contains(&format!("max-age={}", 12 * 3600)), "{line}");
    assert!(!attrs.contains(&"secure".to_string()), "{line}");

    let me = h.whoami(Some(&pair)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"]["zerodha_id"], ID);
    let rows = h.session_hashes().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, ID);
    // The cookie is encrypted: its value is not the stored hash, nor anything readable.
    assert!(!pair.contains(&rows[0].0));

    // Single use: the same code again is refused, and opens no second session.
    let again = h.verify(ID, &code, None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&again), "invalid_code");
    assert!(again.session_cookie().is_none());
    assert_eq!(h.session_hashes().await.len(), 1);
}

#[tokio::test]
async fn cookie_is_secure_when_served_over_https() {
    let mut h = start(roomy(), true).await;
    let code = h.fresh_code().await;
    let r = h.verify(ID, &code, None).await;
    let (_, line) = r.session_cookie().unwrap();
    assert!(line.split(';').any(|a| a.trim() == "Secure"), "{line}");
}

#[tokio::test]
async fn an_expired_code_fails() {
    let mut h = start(
        AuthLimits {
            otp_ttl: Duration::from_millis(800),
            ..roomy()
        },
        false,
    )
    .await;
    let code = h.fresh_code().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = h.verify(ID, &code, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&r), "invalid_code");
    assert!(r.session_cookie().is_none());
    // A new code works (the expiry was the code's, not the account's).
    let code = h.fresh_code().await;
    assert_eq!(h.verify(ID, &code, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_attempt() {
    let mut h = start(roomy(), false).await;
    let code = h.fresh_code().await;
    for i in 1..=4 {
        let r = h.verify(ID, &wrong(&code), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(error_code(&r), "invalid_code");
    }
    let fifth = h.verify(ID, "not-a-code", None).await;
    assert_eq!(fifth.status, StatusCode::LOCKED);
    assert_eq!(error_code(&fifth), "code_locked");
    // The sixth try, even with the right code, is refused.
    let sixth = h.verify(ID, &code, None).await;
    assert_eq!(sixth.status, StatusCode::LOCKED);
    assert!(sixth.session_cookie().is_none());
    assert!(h.session_hashes().await.is_empty());
    // A new code is a new attempt.
    let code = h.fresh_code().await;
    assert_eq!(h.verify(ID, &code, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_tampered_cookie_is_rejected() {
    let mut h = start(roomy(), false).await;
    let pair = h.login(None).await;
    assert_eq!(h.whoami(Some(&pair)).await.status, StatusCode::OK);
    let (name, value) = pair.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
    assert_ne!(tampered, pair);
    let r = h.whoami(Some(&tampered)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&r), "not_logged_in");
    // A session id sent in clear (not sealed with the server's key) is no better.
    let (id_hash, _) = h.session_hashes().await.remove(0);
    let forged = format!("{COOKIE_NAME}={id_hash}");
    assert_eq!(
        h.whoami(Some(&forged)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let mut h = start(roomy(), false).await;
    let pair = h.login(None).await;
    let out = h.post("/auth/logout", json!({}), Some(&pair)).await;
    assert_eq!(out.status, StatusCode::OK);
    let (cleared, line) = out.session_cookie().expect("a removal cookie");
    assert_eq!(cleared, format!("{COOKIE_NAME}="));
    assert!(line.to_lowercase().contains("max-age=0"), "{line}");
    assert!(h.session_hashes().await.is_empty());
    // The old cookie, replayed as a copy would be, opens nothing.
    let replay = h.whoami(Some(&pair)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&replay), "session_expired");
}

#[tokio::test]
async fn each_login_rotates_the_session() {
    let mut h = start(roomy(), false).await;
    let first = h.login(None).await;
    let first_rows = h.session_hashes().await;
    let second = h.login(Some(&first)).await;
    let second_rows = h.session_hashes().await;
    assert_ne!(first, second);
    assert_eq!(first_rows.len(), 1);
    assert_eq!(second_rows.len(), 1);
    assert_ne!(first_rows[0].0, second_rows[0].0, "a new id");
    assert_eq!(
        h.whoami(Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.whoami(Some(&second)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let mut h = start(
        AuthLimits {
            session_ttl: Duration::from_millis(700),
            ..roomy()
        },
        false,
    )
    .await;
    let pair = h.login(None).await;
    assert_eq!(h.whoami(Some(&pair)).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let r = h.whoami(Some(&pair)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&r), "session_expired");
}

#[tokio::test]
async fn code_requests_are_rate_limited_per_id_and_per_ip() {
    let h = start(
        AuthLimits {
            otp_per_id: quota(Duration::from_secs(600), 2),
            otp_per_ip: quota(Duration::from_secs(600), 4),
            ..AuthLimits::default()
        },
        false,
    )
    .await;
    assert_eq!(h.request_code(ID, EMAIL).await.status, StatusCode::OK);
    assert_eq!(h.request_code(ID, EMAIL).await.status, StatusCode::OK);
    let per_id = h.request_code(ID, EMAIL).await;
    assert_eq!(per_id.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&per_id), "rate_limited");
    let wait: u64 = per_id.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "Retry-After {wait}");
    // Another ID still may (the limit was the ID's) ...
    assert_eq!(
        h.request_code("CD5678", "x@example.com").await.status,
        StatusCode::OK
    );
    // ... until this address has used its 4: then a never-seen ID is refused too.
    let per_ip = h.request_code("EF9012", "y@example.com").await;
    assert_eq!(per_ip.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&per_ip), "rate_limited");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let h = start(roomy(), false).await;
    let r = h
        .http
        .post(format!("{}/auth/otp/request", h.base))
        .header("origin", "https://evil.example")
        .json(&json!({"zerodha_id": ID, "email": EMAIL}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = h
        .http
        .post(format!("{}/auth/otp/request", h.base))
        .header("origin", h.base.clone())
        .json(&json!({"zerodha_id": ID, "email": EMAIL}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_code_never_reaches_the_logs() {
    let mut h = start(roomy(), false).await;
    let code = h.fresh_code().await;
    assert_eq!(h.verify(ID, &code, None).await.status, StatusCode::OK);
    let text = log_text();
    // The capture works: the outbox write and the login were logged...
    assert!(text.contains("login code written to the outbox"), "{text}");
    assert!(text.contains(&h.outbox.display().to_string()));
    assert!(text.contains("logged in"));
    // ... and no line holds the code as a number of its own.
    let leaked = text.lines().any(|line| {
        line.split(|c: char| !c.is_ascii_digit())
            .any(|run| run == code)
    });
    assert!(!leaked, "the code {code} is in the logs");
    assert!(!text.contains("valid for"), "the mail body is in the logs");
}

#[tokio::test]
async fn concurrent_verifies_consume_a_code_once() {
    let mut h = start(roomy(), false).await;
    let code = h.fresh_code().await;
    let h = Arc::new(h);
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (h, code) = (h.clone(), code.clone());
            tokio::spawn(async move { h.verify(ID, &code, None).await.status })
        })
        .collect();
    let mut ok = 0;
    for t in tries {
        let status = t.await.unwrap();
        assert!(
            status == StatusCode::OK
                || status == StatusCode::UNAUTHORIZED
                || status == StatusCode::LOCKED,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    assert_eq!(ok, 1, "exactly one session from one code");
    assert_eq!(h.session_hashes().await.len(), 1);
}

#[tokio::test]
async fn concurrent_wrong_codes_never_exceed_the_attempt_limit() {
    let mut h = start(roomy(), false).await;
    let code = h.fresh_code().await;
    let h = Arc::new(h);
    let tries: Vec<_> = (0..12)
        .map(|_| {
            let (h, bad) = (h.clone(), wrong(&code));
            tokio::spawn(async move { h.verify(ID, &bad, None).await.status })
        })
        .collect();
    for t in tries {
        t.await.unwrap();
    }
    let (attempts,): (i64,) = sqlx::query_as("SELECT attempts FROM otp_challenges")
        .fetch_one(h.db.pool())
        .await
        .unwrap();
    assert_eq!(attempts, 5);
    assert_eq!(h.verify(ID, &code, None).await.status, StatusCode::LOCKED);
}

/// Reply times of unknown and matching requests (printed; both do the same work before replying).
#[tokio::test]
async fn reply_time_does_not_depend_on_the_id() {
    let mut h = start(
        AuthLimits {
            otp_per_id: quota(Duration::from_millis(1), 100),
            otp_per_ip: quota(Duration::from_millis(1), 100),
            ..AuthLimits::default()
        },
        false,
    )
    .await;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    for i in 0..15 {
        let t = Instant::now();
        let r = h.request_code(&format!("ZZ{i:04}"), EMAIL).await;
        unknown.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);
        let t = Instant::now();
        let r = h.request_code(ID, EMAIL).await;
        known.push(t.elapsed());
        assert_eq!(r.status, StatusCode::OK);
        h.next_mail().await;
    }
    let (u, k) = (median(&mut unknown), median(&mut known));
    eprintln!("median reply: unknown ID {u:?}, matching ID and email {k:?}");
    // The matching request's work (hash, database, mail) happens after the reply.
    assert_eq!(h.mails().len(), 15);
}
