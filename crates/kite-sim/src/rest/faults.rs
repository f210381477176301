//! What sits in front of every REST route: Kite's rate limits per (api_key, class) answered with 429
//! like Kite, a log of requests for tests to count, and injected failures.

use super::error_response;
use crate::state::{lock, Shared};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use model::broker::ErrorType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kite's request classes (SPEC §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Quote,
    Historical,
    OrderPlace,
    Other,
}

impl Class {
    pub fn of(method: &axum::http::Method, path: &str) -> Self {
        if path.starts_with("/quote") {
            Class::Quote
        } else if path.starts_with("/instruments/historical/") {
            Class::Historical
        } else if method == axum::http::Method::POST && path.starts_with("/orders/") {
            Class::OrderPlace
        } else {
            Class::Other
        }
    }

    pub fn per_second(self) -> usize {
        match self {
            Class::Quote => 1,
            Class::Historical => 3,
            Class::OrderPlace | Class::Other => 10,
        }
    }
}

/// One logged request, as `GET /admin/rest/requests` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub class: Class,
    /// Milliseconds since the sandbox started, at the request's arrival.
    pub at_ms: u64,
    pub status: u16,
}

/// A failure the random fault knob can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 `NetworkException`, `Too many requests`.
    RateLimited,
    /// 500 `GeneralException`.
    ServerError,
    /// 503 `NetworkException` (OMS unreachable).
    Network,
    /// The request is served, but only after `delay`.
    Delay,
}

impl std::str::FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "429" | "rate_limited" => Ok(Self::RateLimited),
            "500" | "5xx" | "server_error" => Ok(Self::ServerError),
            "503" | "network" => Ok(Self::Network),
            "delay" => Ok(Self::Delay),
            other => Err(format!("unknown fault kind `{other}`")),
        }
    }
}

/// Random failures at a steady rate. Seeded, so a run that found a bug can be replayed exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaultConfig {
    /// Chance per request, 0..=1.
    pub rate: f64,
    pub seed: u64,
    /// Kinds to draw from, uniformly; all when empty.
    pub kinds: Vec<FaultKind>,
    /// Classes affected; all when empty.
    pub classes: Vec<Class>,
    pub delay: Duration,
}

struct RandomFaults {
    config: RandomFaultConfig,
    rng: StdRng,
}

/// What the fault layer decided for one request.
enum Admission {
    Pass,
    Delay(Duration),
    Refuse(u16),
}

pub struct RestFaults {
    started: Instant,
    random: Option<RandomFaults>,
    /// The next N requests of these classes (all if empty) fail with this status.
    fail_next: u32,
    fail_status: u16,
    fail_classes: Vec<Class>,
    /// The next order placement is carried out, but its reply is held back this long.
    place_delay: Option<Duration>,
    /// Enforce Kite's per-second limits with 429s.
    pub enforce_limits: bool,
    windows: HashMap<(String, Class), VecDeque<Instant>>,
    log: Vec<LoggedRequest>,
}

impl Default for RestFaults {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            random: None,
            fail_next: 0,
            fail_status: 429,
            fail_classes: Vec::new(),
            place_delay: None,
            enforce_limits: true,
            windows: HashMap::new(),
            log: Vec::new(),
        }
    }
}

impl RestFaults {
    pub fn fail_next(&mut self, n: u32, status: u16, classes: Vec<Class>) {
        self.fail_next = n;
        self.fail_status = status;
        self.fail_classes = classes;
    }

    /// Sets (or with `None` clears) random failures.
    pub fn set_random(&mut self, config: Option<RandomFaultConfig>) {
        self.random = config.map(|c| RandomFaults {
            rng: StdRng::seed_from_u64(c.seed),
            config: c,
        });
    }

    pub fn random(&self) -> Option<RandomFaultConfig> {
        self.random.as_ref().map(|r| r.config.clone())
    }

    fn draw(&mut self, class: Class) -> Option<FaultKind> {
        let r = self.random.as_mut()?;
        let c = &r.config;
        if !(c.classes.is_empty() || c.classes.contains(&class)) {
            return None;
        }
        if !r.rng.gen_bool(c.rate.clamp(0.0, 1.0)) {
            return None;
        }
        const ALL: [FaultKind; 4] = [
            FaultKind::RateLimited,
            FaultKind::ServerError,
            FaultKind::Network,
            FaultKind::Delay,
        ];
        let kinds: &[FaultKind] = if c.kinds.is_empty() { &ALL } else { &c.kinds };
        Some(kinds[r.rng.gen_range(0..kinds.len())])
    }

    pub fn delay_next_place(&mut self, d: Duration) {
        self.place_delay = Some(d);
    }

    pub fn take_place_delay(&mut self) -> Option<Duration> {
        self.place_delay.take()
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        self.log.clone()
    }

    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// Whether this request goes through (now or after a delay), or the status to refuse it with.
    fn admit(&mut self, api_key: &str, class: Class) -> Admission {
        match self.admit_limits(api_key, class) {
            Err(code) => Admission::Refuse(code),
            Ok(()) => match self.draw(class) {
                None => Admission::Pass,
                Some(FaultKind::RateLimited) => Admission::Refuse(429),
                Some(FaultKind::ServerError) => Admission::Refuse(500),
                Some(FaultKind::Network) => Admission::Refuse(503),
                Some(FaultKind::Delay) => Admission::Delay(
                    self.random
                        .as_ref()
                        .map(|r| r.config.delay)
                        .unwrap_or_default(),
                ),
            },
        }
    }

    fn admit_limits(&mut self, api_key: &str, class: Class) -> Result<(), u16> {
        if self.fail_next > 0
            && (self.fail_classes.is_empty() || self.fail_classes.contains(&class))
        {
            self.fail_next -= 1;
            return Err(self.fail_status);
        }
        if self.enforce_limits {
            let now = Instant::now();
            let w = self
                .windows
                .entry((api_key.to_string(), class))
                .or_default();
            while w
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                w.pop_front();
            }
            // Refused requests count too, as at Kite.
            w.push_back(now);
            if w.len() > class.per_second() {
                return Err(429);
            }
        }
        Ok(())
    }
}

fn api_key_of(req: &Request) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("token "))
        .and_then(|p| p.split_once(':'))
        .map(|(k, _)| k.to_string())
        .unwrap_or_default()
}

pub async fn middleware(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    // The login page is Kite's website (kite.zerodha.com), not its API: neither the API's rate
    // limits nor the API's injected faults apply to it.
    if req.uri().path().starts_with("/connect/") {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let class = Class::of(&method, &path);
    let key = api_key_of(&req);
    let (admitted, at_ms) = {
        let mut f = lock(&shared.rest_faults);
        // Logged at arrival, the moment Kite's limits count.
        let at_ms = f.started.elapsed().as_millis() as u64;
        (f.admit(&key, class), at_ms)
    };
    let resp = match admitted {
        Admission::Pass => next.run(req).await,
        Admission::Delay(d) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Admission::Refuse(429) => {
            error_response(429, ErrorType::NetworkException, "Too many requests")
        }
        Admission::Refuse(500) => {
            error_response(500, ErrorType::GeneralException, "Injected fault")
        }
        Admission::Refuse(code) => {
            error_response(code, ErrorType::NetworkException, "Injected fault")
        }
    };
    let mut f = lock(&shared.rest_faults);
    f.log.push(LoggedRequest {
        method: method.to_string(),
        path,
        class,
        at_ms,
        status: resp.status().as_u16(),
    });
    resp
}
