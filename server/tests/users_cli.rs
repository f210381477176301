//! `kite-agent users …` through the real binary, on a fresh data directory each test.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` (so no `.env` of the workspace applies) with `DATA_DIR=dir/data`,
/// feeding `stdin`.
fn users(dir: &Path, args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kite-agent"))
        .arg("users")
        .args(args)
        .current_dir(dir)
        .env("DATA_DIR", dir.join("data"))
        .env_remove("KITE_AGENT_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Every byte under the data directory (database, WAL, key file) as text.
fn stored(dir: &Path) -> String {
    let mut all = String::new();
    for f in std::fs::read_dir(dir.join("data")).unwrap() {
        let path = f.unwrap().path();
        if path.is_file() {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(path).unwrap()));
        }
    }
    all
}

#[test]
fn add_list_set_keys_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // The secret from standard input (the safe way).
    let r = users(
        dir,
        &[
            "add",
            "ab1234",
            "--email",
            "trader@example.in",
            "--api-key",
            "kk1",
        ],
        "first-secret-8d2f\n",
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout, "added AB1234 <trader@example.in> api_key kk1\n");
    assert!(
        r.stderr.contains("created the encryption key"),
        "{}",
        r.stderr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("data/secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The secret as a flag; the key file is reused, not recreated.
    let r = users(
        dir,
        &[
            "add",
            "CD5678",
            "--email",
            "desk@example.in",
            "--api-key",
            "kk2",
            "--api-secret",
            "second-secret-91ab",
        ],
        "",
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(!r.stderr.contains("created"), "{}", r.stderr);

    let r = users(dir, &["list"], "");
    assert!(r.ok, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].starts_with("AB1234") && lines[0].contains("trader@example.in"));
    assert!(lines[0].contains("kk1") && lines[0].ends_with("no token"));
    assert!(lines[1].starts_with("CD5678") && lines[1].contains("kk2"));
    for secret in ["first-secret-8d2f", "second-secret-91ab"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
        assert!(
            !stored(dir).contains(secret),
            "{secret} stored in the clear"
        );
    }

    let r = users(
        dir,
        &["set-keys", "ab1234", "--api-key", "kk9"],
        "third-secret-55\n",
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout, "keys of AB1234 replaced (api_key kk9)\n");
    assert!(!r.stdout.contains("third-secret-55"));
    assert!(!stored(dir).contains("third-secret-55"));
    let r = users(dir, &["list"], "");
    assert!(
        r.stdout.lines().next().unwrap().contains("kk9"),
        "{}",
        r.stdout
    );

    let r = users(dir, &["remove", "cd5678"], "");
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout, "removed CD5678\n");
    let r = users(dir, &["list"], "");
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("AB1234"));
}

#[test]
fn duplicate_unknown_and_invalid_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let add = |id: &str| {
        users(
            dir,
            &["add", id, "--email", "t@example.in", "--api-key", "kk"],
            "s-1\n",
        )
    };
    assert!(add("AB1234").ok);
    let r = add("ab1234");
    assert!(!r.ok);
    assert_eq!(r.stderr.trim(), "error: user AB1234 already exists");

    for args in [
        &["remove", "ZZ99"][..],
        &["set-keys", "ZZ99", "--api-key", "k", "--api-secret", "s"][..],
    ] {
        let r = users(dir, args, "");
        assert!(!r.ok);
        assert_eq!(r.stderr.trim(), "error: no user ZZ99", "{args:?}");
    }
    let r = users(
        dir,
        &["add", "A-1", "--email", "t@example.in", "--api-key", "k"],
        "s\n",
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("invalid Zerodha id \"A-1\""),
        "{}",
        r.stderr
    );
    let r = users(
        dir,
        &["add", "QQ11", "--email", "nope", "--api-key", "k"],
        "s\n",
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("invalid email \"nope\""), "{}", r.stderr);
    // No secret on stdin and none as a flag.
    let r = users(
        dir,
        &["add", "QQ11", "--email", "q@example.in", "--api-key", "k"],
        "",
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("invalid api_secret"), "{}", r.stderr);
    assert_eq!(users(dir, &["list"], "").stdout.lines().count(), 1);
}

#[test]
fn import_a_users_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let file = dir.join("users.json");
    std::fs::write(
        &file,
        r#"[
  {"zerodha_id": "AB1234", "email": "a@example.in", "api_key": "ka", "api_secret": "imp-secret-a1"},
  {"zerodha_id": "cd5678", "email": "c@example.in", "api_key": "kc", "api_secret": "imp-secret-c2"}
]"#,
    )
    .unwrap();
    let r = users(dir, &["import", file.to_str().unwrap()], "");
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.ends_with(": 2 added, 0 updated\n"), "{}", r.stdout);
    let r = users(dir, &["import", file.to_str().unwrap()], "");
    assert!(r.stdout.ends_with(": 0 added, 2 updated\n"), "{}", r.stdout);
    let r = users(dir, &["list"], "");
    let ids: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["AB1234", "CD5678"]);
    let all = stored(dir);
    assert!(!all.contains("imp-secret-a1") && !all.contains("imp-secret-c2"));

    std::fs::write(&file, "not json").unwrap();
    let r = users(dir, &["import", file.to_str().unwrap()], "");
    assert!(!r.ok);
    assert!(r.stderr.contains("is not a list of users"), "{}", r.stderr);
}

#[test]
fn a_key_from_the_environment_and_a_malformed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = |key: &str, args: &[&str], stdin: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kite-agent"));
        c.arg("users")
            .args(args)
            .current_dir(dir)
            .env("DATA_DIR", dir.join("data"))
            .env("KITE_AGENT_KEY", key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let key = "11".repeat(32);
    let out = run(
        &key,
        &["add", "AB1234", "--email", "a@example.in", "--api-key", "k"],
        "s-9\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.join("data/secret.key").exists(),
        "an env key writes no file"
    );
    let out = run("short", &["list"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KITE_AGENT_KEY is not a 32-byte key"), "{err}");
    assert!(
        !err.contains("short"),
        "the bad key must not be echoed: {err}"
    );
}
