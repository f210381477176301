//! The registry against a real SQLite file: round trips, what is actually stored, and failures.

use super::*;
use crate::db::Db;
use chrono::{Duration, Utc};
use sqlx::Row;
use std::path::Path;

const SECRET: &str = "api-secret-7f3a9c1e5b";
const TOKEN: &str = "access-token-Qx81mZ";

async fn open(dir: &Path, key: &SecretKey) -> (Db, UserRegistry) {
    let db = Db::open(dir.join("kite-agent.db")).await.unwrap();
    (db.clone(), UserRegistry::new(db, key.clone()))
}

fn user(id: &str, secret: &str) -> User {
    User::new(
        id,
        &format!("{}@example.in", id.to_lowercase()),
        &format!("key{}", id.to_lowercase()),
        SecretString::from(secret),
    )
    .unwrap()
}

/// Every stored text of the two tables, and the raw bytes of the database files.
async fn everything_stored(db: &Db, dir: &Path) -> String {
    let mut out = String::new();
    for r in sqlx::query("SELECT zerodha_id, email, api_key, api_secret_enc FROM users")
        .fetch_all(db.pool())
        .await
        .unwrap()
    {
        for i in 0..4 {
            out.push_str(&r.get::<String, _>(i));
            out.push('\n');
        }
    }
    for r in sqlx::query("SELECT zerodha_id, access_token_enc FROM user_tokens")
        .fetch_all(db.pool())
        .await
        .unwrap()
    {
        for i in 0..2 {
            out.push_str(&r.get::<String, _>(i));
            out.push('\n');
        }
    }
    for f in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    out
}

#[tokio::test]
async fn round_trip_and_nothing_stored_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate();
    let (db, reg) = open(dir.path(), &key).await;
    reg.add(&user("ab1234", SECRET)).await.unwrap();
    reg.add(&user("ZX99", "other-secret-zz")).await.unwrap();

    let got = reg.get("Ab1234").await.unwrap();
    assert_eq!(got.zerodha_id().as_str(), "AB1234");
    assert_eq!(got.email(), "ab1234@example.in");
    assert_eq!(got.api_key(), "keyab1234");
    assert_eq!(got.api_secret().expose_secret(), SECRET);

    let listed = reg.list().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|u| u.zerodha_id.as_str()).collect();
    assert_eq!(ids, ["AB1234", "ZX99"]);
    assert!(listed.iter().all(|u| u.token_expires.is_none()));

    let expires = Utc::now() + Duration::hours(8);
    reg.set_access_token("AB1234", &SecretString::from(TOKEN), expires)
        .await
        .unwrap();
    let t = reg.access_token("ab1234").await.unwrap().unwrap();
    assert_eq!(t.token.expose_secret(), TOKEN);
    assert_eq!(t.expires.timestamp_millis(), expires.timestamp_millis());
    assert_eq!(
        reg.list().await.unwrap()[0]
            .token_expires
            .map(|e| e.timestamp_millis()),
        Some(expires.timestamp_millis())
    );

    // The column holds base64 of version 1 + nonce + ciphertext; neither secret is anywhere.
    let sealed: String =
        sqlx::query_scalar("SELECT api_secret_enc FROM users WHERE zerodha_id = 'AB1234'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_ne!(sealed, SECRET);
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&sealed)
        .unwrap();
    assert_eq!(raw[0], cipher::VERSION_1);
    assert_eq!(raw.len(), 1 + 24 + SECRET.len() + 16);
    let stored = everything_stored(&db, dir.path()).await;
    assert!(stored.contains("keyab1234"), "the scan must see the rows");
    for secret in [SECRET, "other-secret-zz", TOKEN] {
        assert!(!stored.contains(secret), "{secret} stored in the clear");
    }

    // Reopened (a restart) with the same key: everything is still there.
    drop(reg);
    db.pool().close().await;
    let (_db, reg) = open(dir.path(), &key).await;
    assert_eq!(
        reg.get("AB1234")
            .await
            .unwrap()
            .api_secret()
            .expose_secret(),
        SECRET
    );
    assert_eq!(
        reg.access_token("AB1234")
            .await
            .unwrap()
            .unwrap()
            .token
            .expose_secret(),
        TOKEN
    );
}

#[tokio::test]
async fn a_wrong_key_or_tampered_row_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let (db, reg) = open(dir.path(), &SecretKey::generate()).await;
    reg.add(&user("AB1234", SECRET)).await.unwrap();
    reg.add(&user("CD5678", "cd-secret-123")).await.unwrap();
    reg.set_access_token(
        "AB1234",
        &SecretString::from(TOKEN),
        Utc::now() + Duration::hours(1),
    )
    .await
    .unwrap();

    let wrong = UserRegistry::new(db.clone(), SecretKey::generate());
    let err = wrong.get("AB1234").await.unwrap_err();
    assert!(
        matches!(
            &err,
            UserError::Decrypt {
                field: "users.api_secret",
                source: CipherError::Authentication,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("wrong key"), "{err}");
    assert!(matches!(
        wrong.access_token("AB1234").await,
        Err(UserError::Decrypt {
            source: CipherError::Authentication,
            ..
        })
    ));
    // Listing decrypts nothing, so it works with any key.
    assert_eq!(wrong.list().await.unwrap().len(), 2);

    // One character of the stored text changed.
    let sealed: String =
        sqlx::query_scalar("SELECT api_secret_enc FROM users WHERE zerodha_id = 'AB1234'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let mut chars: Vec<char> = sealed.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    sqlx::query("UPDATE users SET api_secret_enc = ? WHERE zerodha_id = 'AB1234'")
        .bind(&tampered)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(matches!(
        reg.get("AB1234").await,
        Err(UserError::Decrypt {
            source: CipherError::Authentication,
            ..
        })
    ));

    // Another user's ciphertext copied into this row: sealed for another place, so refused.
    sqlx::query(
        "UPDATE users SET api_secret_enc = \
         (SELECT api_secret_enc FROM users WHERE zerodha_id = 'CD5678') WHERE zerodha_id = 'AB1234'",
    )
    .execute(db.pool())
    .await
    .unwrap();
    assert!(matches!(
        reg.get("AB1234").await,
        Err(UserError::Decrypt {
            source: CipherError::Authentication,
            ..
        })
    ));
    // Garbage that is not even base64.
    sqlx::query("UPDATE users SET api_secret_enc = 'not base64!' WHERE zerodha_id = 'AB1234'")
        .execute(db.pool())
        .await
        .unwrap();
    assert!(matches!(
        reg.get("AB1234").await,
        Err(UserError::Decrypt {
            source: CipherError::Encoding,
            ..
        })
    ));
    assert_eq!(
        reg.get("CD5678")
            .await
            .unwrap()
            .api_secret()
            .expose_secret(),
        "cd-secret-123"
    );
}

#[tokio::test]
async fn duplicates_unknown_ids_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, reg) = open(dir.path(), &SecretKey::generate()).await;
    reg.add(&user("AB1234", SECRET)).await.unwrap();
    let err = reg.add(&user("ab1234", "x-secret")).await.unwrap_err();
    assert!(
        matches!(&err, UserError::Duplicate(id) if id == "AB1234"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "user AB1234 already exists");
    // The first one is untouched.
    assert_eq!(
        reg.get("AB1234")
            .await
            .unwrap()
            .api_secret()
            .expose_secret(),
        SECRET
    );

    let s = SecretString::from("s");
    for err in [
        reg.get("ZZ99").await.unwrap_err(),
        reg.remove("ZZ99").await.unwrap_err(),
        reg.set_keys("ZZ99", "k", &s).await.unwrap_err(),
        reg.set_access_token("ZZ99", &s, Utc::now())
            .await
            .unwrap_err(),
        reg.access_token("ZZ99").await.unwrap_err(),
        reg.clear_token("ZZ99").await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, UserError::NotFound(id) if id == "ZZ99"),
            "{err:?}"
        );
    }
    assert!(matches!(reg.get("A-1").await, Err(UserError::InvalidId(_))));
    assert!(matches!(
        reg.set_keys("AB1234", "bad key", &s).await,
        Err(UserError::InvalidApiKey)
    ));
    assert!(matches!(
        reg.set_keys("AB1234", "k", &SecretString::from("")).await,
        Err(UserError::InvalidSecret("api_secret"))
    ));
    assert!(matches!(
        reg.set_access_token("AB1234", &SecretString::from(" "), Utc::now())
            .await,
        Err(UserError::InvalidSecret("access_token"))
    ));
}

#[tokio::test]
async fn keys_tokens_and_removal() {
    let dir = tempfile::tempdir().unwrap();
    let (db, reg) = open(dir.path(), &SecretKey::generate()).await;
    reg.add(&user("AB1234", SECRET)).await.unwrap();
    reg.add(&user("CD5678", "cd-secret-123")).await.unwrap();
    let later = Utc::now() + Duration::hours(6);
    reg.set_access_token("AB1234", &SecretString::from("t1-abc"), later)
        .await
        .unwrap();
    // Replaced, not duplicated.
    reg.set_access_token("AB1234", &SecretString::from(TOKEN), later)
        .await
        .unwrap();
    assert_eq!(
        reg.access_token("AB1234")
            .await
            .unwrap()
            .unwrap()
            .token
            .expose_secret(),
        TOKEN
    );
    // Expired: not handed out, though still stored until cleared.
    assert!(reg
        .access_token_at("AB1234", later + Duration::seconds(1))
        .await
        .unwrap()
        .is_none());
    assert!(reg.access_token("CD5678").await.unwrap().is_none());

    assert!(reg.clear_token("AB1234").await.unwrap());
    assert!(!reg.clear_token("AB1234").await.unwrap());
    assert!(reg.access_token("AB1234").await.unwrap().is_none());

    // New keys: the old token goes with the old app.
    reg.set_access_token("AB1234", &SecretString::from(TOKEN), later)
        .await
        .unwrap();
    reg.set_keys("ab1234", "newkey", &SecretString::from("new-secret-42"))
        .await
        .unwrap();
    let u = reg.get("AB1234").await.unwrap();
    assert_eq!(
        (u.api_key(), u.api_secret().expose_secret()),
        ("newkey", "new-secret-42")
    );
    assert!(reg.access_token("AB1234").await.unwrap().is_none());

    reg.set_access_token("CD5678", &SecretString::from(TOKEN), later)
        .await
        .unwrap();
    reg.remove("cd5678").await.unwrap();
    assert!(matches!(
        reg.get("CD5678").await,
        Err(UserError::NotFound(_))
    ));
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_tokens")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(tokens, 0, "the removed user's token must go too");
    let ids: Vec<_> = reg
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.zerodha_id.to_string())
        .collect();
    assert_eq!(ids, ["AB1234"]);
}

#[tokio::test]
async fn import_of_a_registry_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, reg) = open(dir.path(), &SecretKey::generate()).await;
    reg.add(&user("AB1234", SECRET)).await.unwrap();
    let later = Utc::now() + Duration::hours(6);
    reg.set_access_token("AB1234", &SecretString::from(TOKEN), later)
        .await
        .unwrap();
    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        r#"[
  {"zerodha_id": "ab1234", "email": "new@example.in", "api_key": "keyab1234", "api_secret": "rotated-1"},
  {"zerodha_id": "QW77", "email": "qw@example.in", "api_key": "kq", "api_secret": "qw-secret", "note": "desk 2"}
]"#,
    )
    .unwrap();
    let report = reg.import_json(&file).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 1,
            updated: 1
        }
    );
    let a = reg.get("AB1234").await.unwrap();
    assert_eq!(
        (a.email(), a.api_secret().expose_secret()),
        ("new@example.in", "rotated-1")
    );
    // Same api_key: the session survives a re-import.
    assert!(reg.access_token("AB1234").await.unwrap().is_some());
    let q = reg.get("qw77").await.unwrap();
    assert_eq!(
        (q.email(), q.api_key(), q.api_secret().expose_secret()),
        ("qw@example.in", "kq", "qw-secret")
    );
    // Idempotent.
    assert_eq!(
        reg.import_json(&file).await.unwrap(),
        ImportReport {
            added: 0,
            updated: 2
        }
    );

    // One bad entry imports nothing, and the error names it.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"zerodha_id": "NEW1", "email": "n@example.in", "api_key": "k", "api_secret": "s1"},
            {"zerodha_id": "NEW2", "email": "not-an-email", "api_key": "k", "api_secret": "s2"}]"#,
    )
    .unwrap();
    let err = reg.import_json(&bad).await.unwrap_err();
    assert!(
        matches!(&err, UserError::ImportEntry { index: 1, zerodha_id, .. } if zerodha_id == "NEW2"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not-an-email"), "{err}");
    assert!(matches!(reg.get("NEW1").await, Err(UserError::NotFound(_))));

    std::fs::write(
        &bad,
        r#"[{"zerodha_id": "NEW1", "email": "n@example.in", "api_key": "k", "api_secret": "s1"},
            {"zerodha_id": "new1", "email": "n@example.in", "api_key": "k", "api_secret": "s2"}]"#,
    )
    .unwrap();
    assert!(matches!(
        reg.import_json(&bad).await,
        Err(UserError::ImportDuplicate { zerodha_id, .. }) if zerodha_id == "NEW1"
    ));
    std::fs::write(&bad, r#"{"zerodha_id": "NEW1"}"#).unwrap();
    assert!(matches!(
        reg.import_json(&bad).await,
        Err(UserError::ImportFormat { .. })
    ));
    std::fs::write(&bad, r#"[{"zerodha_id": "NEW1", "api_secret": "leak-me"}]"#).unwrap();
    let err = reg.import_json(&bad).await.unwrap_err();
    assert!(!err.to_string().contains("leak-me"), "{err}");
    assert!(matches!(
        reg.import_json(&dir.path().join("missing.json")).await,
        Err(UserError::ImportRead { .. })
    ));
    assert_eq!(reg.list().await.unwrap().len(), 2);
}
