//! Alerts by email (issue #8), on the whole server over the sandbox: the setting is per user and off
//! by default; with it on, a rejection caused at the sandbox arrives as exactly one mail in the outbox,
//! to that user, with the broker's reason; with it off, none; another user never gets it.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::Srv;

const B: &str = "TRADER2";
const B_EMAIL: &str = "trader2@example.com";

/// The server's coalescing window and a margin for the mail to be written.
const SETTLE: Duration =
    Duration::from_millis(server::alert_mail::WINDOW.as_millis() as u64 + 2500);

/// Alert mails in the outbox (login-code mails left out), by file.
fn alert_mails(outbox: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(outbox)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
                .filter(|(_, t)| t.contains("\r\nSubject: Kite Agent:"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    mail.split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
}

fn body(mail: &str) -> String {
    let (_, raw) = mail.split_once("\r\n\r\n").unwrap();
    let bytes = quoted_printable::decode(raw, quoted_printable::ParseMode::Robust).unwrap();
    String::from_utf8(bytes).unwrap()
}

async fn setting(srv: &Srv, cookie: &str) -> Value {
    let r = srv.get("/api/alerts/email", cookie).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn set(srv: &Srv, cookie: &str, enabled: bool) -> Value {
    let r = srv
        .call(
            "POST",
            "/api/alerts/email",
            &json!({ "enabled": enabled }).to_string(),
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Starts the user's engine and waits until its ticker (which carries the order postbacks) is up.
async fn engine_connected(srv: &Srv, cookie: &str) {
    assert_eq!(srv.get("/api/status", cookie).await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = srv.get("/api/health", cookie).await.json();
        if h["user"]["ticker"]["state"] == json!("connected") {
            return;
        }
        assert!(Instant::now() < deadline, "ticker never connected: {h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Makes the sandbox reject the next order, places one for `user` as if from Kite's web app, and
/// returns the order id.
async fn rejected_order(srv: &Srv, user: &str) -> String {
    let sb = srv.run.sandbox.as_ref().unwrap().http_url();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{sb}/admin/orders/reject?count=1"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let v: Value = http
        .post(format!("{sb}/admin/accounts/{user}/orders/regular"))
        .form(&[
            ("exchange", "NSE"),
            ("tradingsymbol", "INFY"),
            ("transaction_type", "BUY"),
            ("order_type", "MARKET"),
            ("quantity", "1"),
            ("product", "MIS"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"]["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

/// The broker's rejection reason for the order, once the broker reports it rejected.
async fn rejection_reason(srv: &Srv, cookie: &str, order_id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let orders = srv.get("/api/orders", cookie).await.json();
        let order = orders
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order_id"] == json!(order_id))
            .cloned();
        if let Some(o) = order.filter(|o| o["status"] == json!("REJECTED")) {
            let reason = o["status_message"].as_str().unwrap_or("").to_string();
            assert!(!reason.is_empty(), "{o}");
            return reason;
        }
        assert!(Instant::now() < deadline, "order {order_id} not rejected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the user has `count` rejection alerts (so "no mail" below is not just "not yet").
async fn rejections_raised(srv: &Srv, cookie: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alerts = srv.get("/api/alerts", cookie).await.json();
        let n = alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == json!("rejection"))
            .count();
        if n >= count {
            return;
        }
        assert!(Instant::now() < deadline, "no rejection alert: {alerts}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setting_is_each_users_own_and_refuses_anonymous_callers() {
    let srv = support::start("alert-mail-setting", &[]).await;
    srv.add_user(B, B_EMAIL, "trader2_app", "trader2-secret")
        .await;
    let a = srv.login_demo().await;
    let b = srv.login(B, B_EMAIL).await;

    for method in ["GET", "POST"] {
        let r = srv
            .call(method, "/api/alerts/email", r#"{"enabled":true}"#, None)
            .await;
        assert_eq!(r.status, 401, "{method}: {}", r.body);
    }
    assert_eq!(
        setting(&srv, &a).await,
        json!({"enabled": false, "email": support::DEMO_EMAIL})
    );
    assert_eq!(
        setting(&srv, &b).await,
        json!({"enabled": false, "email": B_EMAIL})
    );
    assert_eq!(
        set(&srv, &a, true).await,
        json!({"enabled": true, "email": support::DEMO_EMAIL})
    );
    assert_eq!(setting(&srv, &a).await["enabled"], true);
    assert_eq!(
        setting(&srv, &b).await["enabled"],
        false,
        "A's switch is A's"
    );
    // The body names no user: a field other than `enabled` is refused, not read.
    for bad in [
        r#"{"enabled":true,"user":"TRADER2"}"#,
        r#"{"enabled":"yes"}"#,
        "not json",
    ] {
        let r = srv.call("POST", "/api/alerts/email", bad, Some(&b)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["code"], "invalid_body");
    }
    assert_eq!(setting(&srv, &b).await["enabled"], false);
    // The Alerts page renders the switch with the address the mails go to.
    let page = srv.get("/alerts", &a).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"data-testid="alert-email-toggle""#),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("On: sent to {}", support::DEMO_EMAIL)));
    assert!(!page.body.contains(B_EMAIL));

    assert_eq!(set(&srv, &a, false).await["enabled"], false);
    assert_eq!(setting(&srv, &a).await["enabled"], false);
    let page = srv.get("/alerts", &a).await;
    assert!(page
        .body
        .contains(&format!("Off: when on, they go to {}", support::DEMO_EMAIL)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_mailed_once_to_its_user_only_and_only_when_on() {
    let srv = support::start("alert-mail", &[]).await;
    srv.add_user(B, B_EMAIL, "trader2_app", "trader2-secret")
        .await;
    let a = srv.login_demo().await;
    let b = srv.login(B, B_EMAIL).await;
    srv.connect_kite(&b, B).await;
    engine_connected(&srv, &a).await;
    engine_connected(&srv, &b).await;
    set(&srv, &a, true).await;
    set(&srv, &b, true).await;
    let outbox = srv.outbox();
    assert!(alert_mails(&outbox).is_empty());

    // On: one rejection, one mail, to A, with the broker's reason.
    let order = rejected_order(&srv, support::DEMO).await;
    let reason = rejection_reason(&srv, &a, &order).await;
    let to = |who: &str| -> Vec<String> {
        alert_mails(&outbox)
            .into_iter()
            .map(|m| m.1)
            .filter(|m| header(m, "To") == Some(who))
            .collect()
    };
    let deadline = Instant::now() + SETTLE + Duration::from_secs(10);
    while to(support::DEMO_EMAIL).is_empty() {
        assert!(Instant::now() < deadline, "no alert mail arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything else of the same window would be in this mail; a second mail would be a second one.
    tokio::time::sleep(SETTLE).await;
    let mails = to(support::DEMO_EMAIL);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert!(
        header(mail, "Subject").is_some_and(|s| s.starts_with("Kite Agent: Order rejected")),
        "{mail}"
    );
    let text = body(mail);
    assert!(text.contains(&reason), "reason {reason:?} not in:\n{text}");
    assert!(text.contains("NSE:INFY BUY 1"), "{text}");
    assert!(text.contains(" IST  Order rejected: "), "{text}");
    // B (also on) may have alerts of their own (their engine saw no Kite session before they
    // connected it), never A's.
    for m in to(B_EMAIL) {
        assert!(!body(&m).contains("Order rejected"), "B got A's alert: {m}");
    }

    // Off: the alert is still raised (and listed), but no mail goes out.
    set(&srv, &a, false).await;
    let seen: BTreeSet<PathBuf> = alert_mails(&outbox).into_iter().map(|m| m.0).collect();
    let order2 = rejected_order(&srv, support::DEMO).await;
    rejection_reason(&srv, &a, &order2).await;
    rejections_raised(&srv, &a, 2).await;
    tokio::time::sleep(SETTLE).await;
    let to_a = to(support::DEMO_EMAIL);
    assert_eq!(to_a.len(), 1, "mailed while off: {to_a:#?}");

    // B's own rejection reaches B (their setting is on), not A.
    let order3 = rejected_order(&srv, B).await;
    let reason3 = rejection_reason(&srv, &b, &order3).await;
    let deadline = Instant::now() + SETTLE + Duration::from_secs(10);
    let b_mail = loop {
        if let Some(m) = alert_mails(&outbox)
            .into_iter()
            .find(|m| !seen.contains(&m.0) && body(&m.1).contains("Order rejected"))
        {
            break m.1;
        }
        assert!(Instant::now() < deadline, "B's alert mail never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(header(&b_mail, "To"), Some(B_EMAIL));
    assert!(body(&b_mail).contains(&reason3));
    assert_eq!(to(support::DEMO_EMAIL).len(), 1, "A's setting is off");
}
