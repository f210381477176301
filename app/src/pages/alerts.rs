//! Alerts: the server's recent alerts for this user, joined by the ones pushed live since the page
//! loaded, newest first, filterable by what they are about; and the switch that also mails them.

use crate::api::{get_alert_email, get_alerts, set_alert_email};
use crate::components::toasts::{kind_key, level_key};
use crate::live::LiveFeed;
use crate::trading_feed::{error_text, ist_time};
use leptos::prelude::*;
use model::{Alert, AlertEmailSetting, AlertKind};
use std::collections::HashSet;

/// What the filter buttons group alerts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertGroup {
    All,
    /// Fills and rejections.
    Orders,
    /// Risk halts and the kill switch.
    Risk,
    /// The market feed and the Kite session it runs on.
    Feed,
}

impl AlertGroup {
    pub const ALL: [AlertGroup; 4] = [Self::All, Self::Orders, Self::Risk, Self::Feed];

    pub fn contains(self, kind: AlertKind) -> bool {
        match self {
            Self::All => true,
            Self::Orders => matches!(kind, AlertKind::Fill | AlertKind::Rejection),
            Self::Risk => matches!(kind, AlertKind::RiskHalt | AlertKind::KillSwitch),
            Self::Feed => matches!(
                kind,
                AlertKind::FeedLost | AlertKind::FeedRestored | AlertKind::SessionExpired
            ),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Orders => "Orders",
            Self::Risk => "Risk",
            Self::Feed => "Feed",
        }
    }

    /// Lower-case key for test ids.
    pub fn key(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Orders => "orders",
            Self::Risk => "risk",
            Self::Feed => "feed",
        }
    }
}

/// The loaded list and the live arrivals as one list: each id once (the loaded copy wins, it is what
/// the server kept), newest first by time, then by id (ids grow within one engine run).
pub fn merge(loaded: &[Alert], live: &[Alert]) -> Vec<Alert> {
    let mut ids = HashSet::new();
    let mut all: Vec<Alert> = loaded
        .iter()
        .chain(live)
        .filter(|a| ids.insert(a.id))
        .cloned()
        .collect();
    all.sort_by(|a, b| b.at_ms.cmp(&a.at_ms).then(b.id.cmp(&a.id)));
    all
}

/// The alerts of `group`, order kept.
pub fn filter(all: &[Alert], group: AlertGroup) -> Vec<Alert> {
    all.iter()
        .filter(|a| group.contains(a.kind))
        .cloned()
        .collect()
}

/// Epoch milliseconds as an IST wall clock, `HH:MM:SS` (the full date is in the cell's title).
pub fn ist_clock(ms: u64) -> String {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST offset is in range");
    // `as i64` would wrap a huge value into a negative instant; refuse it instead.
    match i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
    {
        Some(t) => t.with_timezone(&ist).format("%H:%M:%S").to_string(),
        None => "—".into(),
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_alerts());
    let group = RwSignal::new(AlertGroup::All);
    view! {
        <section class="trading-page alerts-page">
            <div class="toolbar">
                <h1>"Alerts"</h1>
                <div class="toggle" data-testid="alert-filters" role="group" aria-label="Filter alerts">
                    {AlertGroup::ALL.into_iter().map(|g| view! {
                        <button
                            class:active=move || group.get() == g
                            aria-pressed=move || (group.get() == g).to_string()
                            data-testid=format!("alert-filter-{}", g.key())
                            on:click=move |_| group.set(g)
                        >
                            {g.label()}
                        </button>
                    }).collect_view()}
                </div>
            </div>
            <AlertEmail/>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading alerts…"</div> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(list) => view! { <AlertsTable loaded=list group/> }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="alerts-error">"Could not load alerts: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// "Email me my alerts": the user's own switch, and the registered address the mails go to.
#[component]
fn AlertEmail() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_alert_email());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(s) => view! { <AlertEmailSwitch initial=s/> }.into_any(),
                    Err(e) => view! { <div class="error" data-testid="alert-email-error">"Alert emails: " {error_text(&e)}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AlertEmailSwitch(initial: AlertEmailSetting) -> impl IntoView {
    let setting = RwSignal::new(initial);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let change = move |on: bool| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match set_alert_email(on).await {
                Ok(s) => setting.set(s),
                Err(e) => {
                    error.set(Some(error_text(&e)));
                    // Put the box back to what is stored.
                    setting.update(|_| {});
                }
            }
            busy.set(false);
        });
    };
    let enabled = move || setting.with(|s| s.enabled);
    view! {
        <div class="alert-email" data-testid="alert-email" data-enabled=move || enabled().to_string()>
            <label class="switch">
                <input type="checkbox" data-testid="alert-email-toggle" prop:checked=enabled
                    disabled=move || busy.get()
                    on:change=move |ev| change(event_target_checked(&ev))/>
                <span>"Email me my alerts"</span>
            </label>
            <span class="hint" data-testid="alert-email-address">
                {move || setting.with(|s| if s.enabled {
                    format!("On: sent to {}; alerts raised within a few seconds share one mail.", s.email)
                } else {
                    format!("Off: when on, they go to {}.", s.email)
                })}
            </span>
            {move || error.get().map(|e| view! { <span class="error inline" data-testid="alert-email-failed">{e}</span> })}
        </div>
    }
}

#[component]
fn AlertsTable(loaded: Vec<Alert>, group: RwSignal<AlertGroup>) -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let all = Memo::new(move |_| feed.alerts.with(|live| merge(&loaded, live)));
    move || {
        let rows = all.with(|a| filter(a, group.get()));
        if rows.is_empty() {
            let text = if all.with(Vec::is_empty) {
                "No alerts yet."
            } else {
                "No alerts of this kind."
            };
            return view! { <p class="empty" data-testid="alerts-empty">{text}</p> }.into_any();
        }
        view! {
            <div class="table-wrap">
                <table class="grid alerts" data-testid="alerts-table">
                    <thead><tr>
                        <th>"Time (IST)"</th><th>"Level"</th><th>"Title"</th><th>"Message"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|a| {
                            let level = level_key(a.level);
                            view! {
                                <tr data-testid="alert-row" data-kind=kind_key(a.kind) data-level=level>
                                    <td class="when" title=ist_time(a.at_ms)>{ist_clock(a.at_ms)}</td>
                                    <td><span class=format!("level level-{level}") data-testid="alert-level">{level}</span></td>
                                    <td class="title">{a.title}</td>
                                    <td class="message">{a.message}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: u64, at_ms: u64, kind: AlertKind) -> Alert {
        Alert {
            id,
            at_ms,
            kind,
            level: kind.level(),
            title: format!("t{id}"),
            message: format!("m{id}"),
        }
    }

    #[test]
    fn merge_dedupes_by_id_newest_first() {
        let loaded = vec![
            alert(3, 3_000, AlertKind::Fill),
            alert(1, 1_000, AlertKind::Rejection),
        ];
        let mut live_copy = alert(3, 3_000, AlertKind::Fill);
        live_copy.title = "live copy".into();
        let live = vec![
            alert(5, 5_000, AlertKind::KillSwitch),
            live_copy,
            alert(4, 3_000, AlertKind::FeedLost),
        ];
        let all = merge(&loaded, &live);
        let ids: Vec<u64> = all.iter().map(|a| a.id).collect();
        assert_eq!(ids, vec![5, 4, 3, 1], "same time: the larger id is newer");
        assert_eq!(all[2].title, "t3", "the server's copy is kept");
        assert!(merge(&[], &[]).is_empty());
    }

    #[test]
    fn groups_cover_every_kind_once() {
        let kinds = [
            (AlertKind::Fill, AlertGroup::Orders),
            (AlertKind::Rejection, AlertGroup::Orders),
            (AlertKind::RiskHalt, AlertGroup::Risk),
            (AlertKind::KillSwitch, AlertGroup::Risk),
            (AlertKind::FeedLost, AlertGroup::Feed),
            (AlertKind::FeedRestored, AlertGroup::Feed),
            (AlertKind::SessionExpired, AlertGroup::Feed),
        ];
        let all: Vec<Alert> = kinds
            .iter()
            .enumerate()
            .map(|(i, (k, _))| alert(i as u64, i as u64, *k))
            .collect();
        assert_eq!(filter(&all, AlertGroup::All).len(), kinds.len());
        for (k, g) in kinds {
            let others = AlertGroup::ALL
                .into_iter()
                .filter(|o| *o != AlertGroup::All && *o != g);
            assert!(g.contains(k));
            for o in others {
                assert!(!o.contains(k), "{k:?} is not in {o:?}");
            }
        }
        let risk: Vec<AlertKind> = filter(&all, AlertGroup::Risk)
            .iter()
            .map(|a| a.kind)
            .collect();
        assert_eq!(risk, vec![AlertKind::RiskHalt, AlertKind::KillSwitch]);
        assert_eq!(filter(&all, AlertGroup::Feed).len(), 3);
    }

    #[test]
    fn times_are_ist_wall_clock() {
        // 2026-11-28 10:00:05 UTC is 15:30:05 IST.
        assert_eq!(ist_clock(1_795_860_005_000), "15:30:05");
        // 18:45 UTC rolls past midnight in IST.
        assert_eq!(ist_clock(1_795_891_500_000), "00:15:00");
        assert_eq!(ist_clock(u64::MAX), "—");
    }
}
