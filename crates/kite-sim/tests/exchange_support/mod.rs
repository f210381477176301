//! Shared setup of the exchange tests: a sandbox whose market moves only when a test steps it (so the
//! depth a test reads is the depth its order meets), the real REST client and ticker client over
//! loopback, and a raw HTTP client for what the Rust client refuses to send.
#![allow(dead_code)]

use kite::rest::{KiteClient, KiteConfig};
use kite::{Credentials, TickerClient, TickerConfig, TickerEvent};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{
    Order, OrderId, OrderParams, OrderPostback, OrderType, Product, Quote, TransactionType,
};
use model::Exchange;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// A sandbox stepped by hand: its own interval is an hour, and the first step happens at start.
pub async fn frozen_with(mut cfg: SandboxConfig) -> Sandbox {
    cfg.step_interval = Duration::from_secs(3600);
    let sb = Sandbox::start(cfg).await.unwrap();
    sb.step_market().await;
    sb
}

pub async fn frozen() -> Sandbox {
    frozen_with(SandboxConfig::default()).await
}

pub fn client_for(sb: &Sandbox, token: String) -> KiteClient {
    let mut cfg = KiteConfig::new(sb.api_key()).with_root(sb.http_url());
    cfg.retry_base = Duration::from_millis(20);
    let c = KiteClient::new(cfg).unwrap();
    c.set_access_token(Some(token));
    c
}

pub fn logged_in(sb: &Sandbox) -> KiteClient {
    client_for(sb, sb.mint_access_token())
}

pub async fn quote(c: &KiteClient, key: &str) -> Quote {
    c.quote(&[key]).await.unwrap().remove(key).unwrap()
}

pub fn market(symbol: &str, side: TransactionType, qty: u32, product: Product) -> OrderParams {
    OrderParams {
        market_protection: Some(-1.0),
        ..OrderParams::new(Exchange::Nse, symbol, side, OrderType::Market, qty, product)
    }
}

pub fn limit(symbol: &str, side: TransactionType, qty: u32, price: f64) -> OrderParams {
    OrderParams {
        price: Some(price),
        ..OrderParams::new(
            Exchange::Nse,
            symbol,
            side,
            OrderType::Limit,
            qty,
            Product::Mis,
        )
    }
}

pub async fn last_state(c: &KiteClient, id: &OrderId) -> Order {
    c.order_history(id).await.unwrap().pop().unwrap()
}

/// Rounds rupees to the 0.05 tick.
pub fn tick(p: f64) -> f64 {
    (p * 20.0).round() / 20.0
}

/// Order updates of one user, from the ticker socket.
pub struct Updates {
    rx: mpsc::Receiver<TickerEvent>,
    _h: kite::TickerHandle,
}

impl Updates {
    pub async fn connect(sb: &Sandbox, token: String) -> Self {
        let mut cfg = TickerConfig::new(
            sb.ws_url(),
            Credentials {
                api_key: sb.api_key().to_string(),
                access_token: token,
            },
        );
        cfg.read_timeout = Duration::from_secs(5);
        let (h, mut rx) = TickerClient::spawn(cfg);
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(TickerEvent::State(model::TickerState::Connected)) = rx.recv().await {
                    return;
                }
            }
        })
        .await
        .expect("ticker connects");
        Self { rx, _h: h }
    }

    /// Every update of `id` until one with status `last` arrives.
    pub async fn until(&mut self, id: &OrderId, last: &str) -> Vec<OrderPostback> {
        let mut seen = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(TickerEvent::Order(v)) = self.rx.recv().await {
                    let pb: OrderPostback = serde_json::from_value(v).unwrap();
                    if &pb.order.order_id == id {
                        let done = pb.order.status.as_str() == last;
                        seen.push(pb);
                        if done {
                            return;
                        }
                    }
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {last} update for {id}; saw {seen:?}"));
        seen
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let unique = format!(
            "kite-sim-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let p = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `POST` to the sandbox without the client (admin routes, forms the client would refuse).
pub async fn post_form(
    sb: &Sandbox,
    path: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", sb.http_url()))
        .header("X-Kite-Version", "3")
        .form(form);
    if let Some(t) = token {
        req = req.header("Authorization", format!("token {}:{t}", sb.api_key()));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}
