//! Health: the server, its database, this user's market feed and Kite session, and the browser's own
//! link. Polled every few seconds, and at once whenever the live feed reports a ticker change, so a
//! recovering feed shows as recovered without a reload.

use crate::api::get_health;
use crate::format;
use crate::live::{LinkState, LiveFeed};
use crate::trading_feed::error_text;
use leptos::prelude::*;
use model::{ComponentHealth, Health, TickerState, TradingMode, UserHealth};

/// How often the page asks again (browser only).
pub const POLL_MS: u64 = 3_000;

/// The browser link as one word: connected, connecting, reconnecting, offline.
pub fn link_label(link: &LinkState) -> &'static str {
    match link {
        LinkState::Connecting => "connecting",
        LinkState::Connected => "connected",
        LinkState::Reconnecting { .. } => "reconnecting",
        LinkState::Offline { .. } => "offline",
    }
}

/// The database line: `ok`, or the error the server met.
pub fn database_text(db: &ComponentHealth) -> String {
    match (db.ok, &db.error) {
        (true, _) => "ok".into(),
        (false, Some(e)) => format!("error: {e}"),
        (false, None) => "error".into(),
    }
}

/// The ticker line's detail beyond its label: the next retry, or why Kite refused.
pub fn ticker_detail(t: &TickerState) -> Option<String> {
    match t {
        TickerState::Reconnecting {
            attempt,
            retry_in_ms,
        } => Some(format!(
            "try {attempt}, next in {:.1}s",
            *retry_in_ms as f64 / 1000.0
        )),
        TickerState::AuthFailed { reason } => Some(reason.clone()),
        _ => None,
    }
}

fn mode_text(mode: TradingMode) -> &'static str {
    match mode {
        TradingMode::Sandbox => "sandbox",
        TradingMode::Live => "live",
    }
}

#[component]
pub fn HealthPage() -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let version = RwSignal::new(0u32);
    let health = Resource::new(move || version.get(), |_| get_health());

    // Effects run only in the browser: the poll never runs during server rendering.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || version.update(|v| *v += 1),
            std::time::Duration::from_millis(POLL_MS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    // A ticker change on the live socket means the answer just went stale: ask again now. The first run
    // only subscribes (the page has just asked).
    Effect::new(move |subscribed: Option<()>| {
        feed.ticker.track();
        if subscribed.is_some() {
            version.update(|v| *v += 1);
        }
    });

    let link = move || link_label(&feed.link.get());
    view! {
        <section class="trading-page health-page">
            <div class="toolbar">
                <h1>"Health"</h1>
                <span class="health-link">
                    "Browser link: "
                    <b class=move || format!("link-state link-{}", link()) data-testid="health-link">{link}</b>
                </span>
            </div>
            <Transition fallback=|| view! { <div class="loading" data-testid="health-loading"><span class="spinner"></span>"Checking health…"</div> }>
                {move || Suspend::new(async move {
                    match health.await {
                        Ok(h) => view! { <HealthView health=h/> }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="health-error">"Could not read health: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HealthView(health: Health) -> impl IntoView {
    let status = health.status.clone();
    let db_ok = health.database.ok;
    view! {
        <div class="health-grid">
            <div class="card" data-testid="health-server">
                <h2>"Server"</h2>
                // Rows inside <tbody>: the browser inserts one while parsing, and hydration must find
                // the same tree the server rendered.
                <table class="kv"><tbody>
                    <tr><th>"Status"</th><td><span class=format!("health-badge health-{status}") data-testid="health-status">{status.clone()}</span></td></tr>
                    <tr><th>"Database"</th><td class=if db_ok { "ok" } else { "bad" } data-testid="health-db">{database_text(&health.database)}</td></tr>
                    <tr><th>"Mode"</th><td data-testid="health-mode">{mode_text(health.mode)}</td></tr>
                    <tr><th>"Version"</th><td data-testid="health-version">{health.version}</td></tr>
                    <tr><th>"Uptime"</th><td data-testid="health-uptime">{format::uptime(health.uptime_secs)}</td></tr>
                    <tr><th>"Engines"</th><td data-testid="health-engines">{health.engines}</td></tr>
                </tbody></table>
            </div>
            {match health.user {
                Some(u) => view! { <FeedCard user=u/> }.into_any(),
                None => view! { <div class="card"><h2>"Your feed"</h2><p class="empty" data-testid="health-no-user">"Not signed in."</p></div> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn FeedCard(user: UserHealth) -> impl IntoView {
    let label = user.ticker.label();
    let detail = ticker_detail(&user.ticker);
    let kite = if user.kite_connected {
        "connected"
    } else {
        "not connected"
    };
    view! {
        <div class="card" data-testid="health-feed">
            <h2>"Your feed (" {user.zerodha_id} ")"</h2>
            <table class="kv"><tbody>
                <tr>
                    <th>"Ticker"</th>
                    <td>
                        <span class=format!("ticker ticker-{}", label.replace(' ', "-")) data-testid="health-ticker">{label}</span>
                        {detail.map(|d| view! { <span class="detail">" — " {d}</span> })}
                    </td>
                </tr>
                <tr><th>"Ticks received"</th><td data-testid="health-ticks">{format::group_indian(user.ticks_received)}</td></tr>
                <tr><th>"Subscriptions"</th><td data-testid="health-subscribed">{user.subscribed}</td></tr>
                <tr><th>"Kite session"</th><td class=if user.kite_connected { "ok" } else { "bad" } data-testid="health-kite">{kite}</td></tr>
            </tbody></table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_labels_are_one_word_each() {
        assert_eq!(link_label(&LinkState::Connected), "connected");
        assert_eq!(link_label(&LinkState::Connecting), "connecting");
        assert_eq!(
            link_label(&LinkState::Reconnecting {
                attempt: 2,
                retry_in_ms: 900
            }),
            "reconnecting"
        );
        assert_eq!(
            link_label(&LinkState::Offline { retry_in_ms: 9_000 }),
            "offline"
        );
    }

    #[test]
    fn database_and_ticker_lines() {
        let ok = ComponentHealth {
            ok: true,
            error: None,
        };
        assert_eq!(database_text(&ok), "ok");
        let bad = ComponentHealth {
            ok: false,
            error: Some("database is locked".into()),
        };
        assert_eq!(database_text(&bad), "error: database is locked");
        assert_eq!(
            ticker_detail(&TickerState::Reconnecting {
                attempt: 3,
                retry_in_ms: 1_500
            })
            .as_deref(),
            Some("try 3, next in 1.5s")
        );
        assert_eq!(
            ticker_detail(&TickerState::AuthFailed {
                reason: "403 TokenException".into()
            })
            .as_deref(),
            Some("403 TokenException")
        );
        assert_eq!(ticker_detail(&TickerState::Connected), None);
    }
}
