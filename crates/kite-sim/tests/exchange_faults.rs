//! Fault knobs on the order path: orders that fill only partly, orders accepted and then rejected.

mod exchange_support;

use exchange_support::*;
use model::broker::{OrderStatus, Product, TransactionType};

#[tokio::test]
async fn next_orders_fill_only_partly_then_stop() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let (status, body) = post_form(
        &sb,
        "/admin/orders/partial_fill?count=1&percent=40",
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = c
        .place_order(&market("ITC", TransactionType::Buy, 25, Product::Mis))
        .await
        .unwrap();
    for _ in 0..3 {
        sb.step_market().await;
    }
    let o = last_state(&c, &id).await;
    assert_eq!(
        (o.status, o.filled_quantity, o.pending_quantity),
        (OrderStatus::Open, 10, 15)
    );
    // Only the next one: the following order fills whole.
    let id = c
        .place_order(&market("ITC", TransactionType::Buy, 25, Product::Mis))
        .await
        .unwrap();
    assert_eq!(last_state(&c, &id).await.filled_quantity, 25);
}

#[tokio::test]
async fn next_orders_are_accepted_then_rejected_with_an_update() {
    let sb = frozen().await;
    let c = logged_in(&sb);
    let mut updates = Updates::connect(&sb, sb.mint_access_token()).await;
    let (status, _) = post_form(&sb, "/admin/orders/reject?count=2", None, &[]).await;
    assert_eq!(status, 200);
    for _ in 0..2 {
        let id = c
            .place_order(&market("ITC", TransactionType::Buy, 1, Product::Mis))
            .await
            .expect("accepted with an order id");
        let o = last_state(&c, &id).await;
        assert_eq!(o.status, OrderStatus::Rejected);
        assert!(o.status_message.unwrap().contains("rejected"));
        let posted = updates.until(&id, "REJECTED").await;
        assert_eq!(posted.len(), 1);
    }
    let id = c
        .place_order(&market("ITC", TransactionType::Buy, 1, Product::Mis))
        .await
        .unwrap();
    assert_eq!(last_state(&c, &id).await.status, OrderStatus::Complete);
}

async fn profile_statuses(sb: &kite_sim::Sandbox, token: &str, n: usize) -> Vec<u16> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for _ in 0..n {
        let r = http
            .get(format!("{}/user/profile", sb.http_url()))
            .header("Authorization", format!("token {}:{token}", sb.api_key()))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        match status {
            200 => assert_eq!(body["status"], "success"),
            429 => assert_eq!(body["error_type"], "NetworkException"),
            500 => assert_eq!(body["error_type"], "GeneralException"),
            other => panic!("unexpected {other}: {body}"),
        }
        out.push(status);
    }
    out
}

#[tokio::test]
async fn random_faults_follow_their_seed() {
    let sb = frozen().await;
    let token = sb.mint_access_token();
    let (s, _) = post_form(&sb, "/admin/rest/limits?enforce=false", None, &[]).await;
    assert_eq!(s, 200);
    let arm = "/admin/rest/random?rate=0.4&seed=7&kinds=429,500&classes=other";
    assert_eq!(post_form(&sb, arm, None, &[]).await.0, 200);
    let first = profile_statuses(&sb, &token, 60).await;
    let failed = first.iter().filter(|s| **s != 200).count();
    assert!(
        (10..=40).contains(&failed),
        "{failed} of 60 failed at rate 0.4"
    );
    assert!(first.contains(&429) && first.contains(&500));
    // The same seed replays the same failures.
    assert_eq!(post_form(&sb, arm, None, &[]).await.0, 200);
    assert_eq!(profile_statuses(&sb, &token, 60).await, first);
    // rate 0 turns it off.
    assert_eq!(
        post_form(&sb, "/admin/rest/random?rate=0", None, &[])
            .await
            .0,
        200
    );
    assert!(profile_statuses(&sb, &token, 10)
        .await
        .iter()
        .all(|s| *s == 200));

    // Delays: served, but late.
    let delay = "/admin/rest/random?rate=1&seed=1&kinds=delay&delay_ms=300";
    assert_eq!(post_form(&sb, delay, None, &[]).await.0, 200);
    let t = std::time::Instant::now();
    assert_eq!(profile_statuses(&sb, &token, 1).await, vec![200]);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    let (s, body) = post_form(&sb, "/admin/rest/random?rate=2", None, &[]).await;
    assert_eq!(
        (s, body["error_type"].as_str()),
        (400, Some("InputException"))
    );
}

/// The login page is Kite's website, not its API: injected API faults (and rate limits) wait for
/// the next API call instead of refusing a trader's login.
#[tokio::test]
async fn the_login_page_is_not_hit_by_api_faults() {
    let sb = frozen().await;
    let token = sb.mint_access_token();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    http.post(format!(
        "{}/admin/rest/fail?count=1&status=429&classes=other",
        sb.http_url()
    ))
    .send()
    .await
    .unwrap();
    sb.set_redirect_url("http://127.0.0.1:9/callback");
    let page = http
        .get(format!(
            "{}/connect/login?v=3&api_key={}",
            sb.http_url(),
            sb.api_key()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let form = http
        .post(format!("{}/connect/login", sb.http_url()))
        .form(&[
            ("api_key", sb.api_key()),
            ("user_id", kite_sim::auth::DEMO_USER),
            ("password", "sandbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 302);
    // The fault is still armed for the API.
    assert_eq!(profile_statuses(&sb, &token, 2).await, vec![429, 200]);
}
