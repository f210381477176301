//! Zerodha's official Python client (`kiteconnect` from PyPI, pinned in
//! scripts/python_client/requirements.txt) against an in-process sandbox on loopback.
//!
//! Our own Rust client was written against the same SPEC as the sandbox, so it cannot catch a
//! misreading both share. The official client can: it runs the browser login, the checksum exchange,
//! orders, portfolio, quotes, the instrument dump, historical candles and full-mode ticks over its own
//! Twisted/autobahn ticker (scripts/python_client/check_sandbox.py does the checking).

use kite_sim::{Sandbox, SandboxConfig};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python(args: &[&str]) -> std::io::Result<Output> {
    Command::new("python3").args(args).output()
}

/// Fails (never skips) when the client is missing: a silently skipped compatibility test proves
/// nothing.
fn require_kiteconnect() {
    let probe = python(&["-c", "import kiteconnect, twisted, autobahn"]);
    let ok = probe.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the official kiteconnect Python package is not importable ({}); run `scripts/setup.sh test` \
         (it runs `python3 -m pip install -r scripts/python_client/requirements.txt`)",
        match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => format!("python3: {e}"),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_logs_in_trades_reads_and_streams() {
    require_kiteconnect();
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    // A registered trader with a password, and an app secret other than the default, as the
    // standalone `kite-agent sandbox --user-id --password --api-secret` sets them up.
    sb.set_api_secret("py-check-secret");
    sb.register_user("PY0001", "hunter2");
    sb.set_redirect_url("http://127.0.0.1:9/kite/callback");

    let script = repo_root().join("scripts/python_client/check_sandbox.py");
    let args: Vec<String> = vec![
        script.display().to_string(),
        "--http-url".into(),
        sb.http_url(),
        "--ws-url".into(),
        sb.ws_url(),
        "--api-key".into(),
        sb.api_key().into(),
        "--api-secret".into(),
        "py-check-secret".into(),
        "--user-id".into(),
        "PY0001".into(),
        "--password".into(),
        "hunter2".into(),
        "--seconds".into(),
        "15".into(),
    ];
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            python(&refs).expect("running python3")
        })
    };
    let out = run(args.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "check_sandbox.py failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(stdout.contains("PASS:"), "{stdout}");
    for step in [
        "generate_session",
        "market order",
        "historical",
        "full-mode ticks",
        "order update COMPLETE",
    ] {
        assert!(stdout.contains(step), "no `{step}` line in:\n{stdout}");
    }

    // The script must fail, with a clear message, when the login is wrong: a wrong password.
    let mut wrong = args;
    let pw = wrong.iter().position(|a| a == "hunter2").unwrap();
    wrong[pw] = "wrong".into();
    let out = run(wrong).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong password passed");
    assert!(
        stderr.contains("FAIL: login form post: HTTP 401"),
        "{stderr}"
    );
}
