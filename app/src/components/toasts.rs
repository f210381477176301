//! Toasts: alerts pushed on `/ws/live` after the page loaded, stacked at the top-right of every
//! dashboard page. Old alerts (already in the feed when the stack mounts) are not replayed as toasts;
//! the Alerts page lists them.

use crate::live::LiveFeed;
use leptos::prelude::*;
use model::{Alert, AlertKind, AlertLevel};
use std::collections::HashSet;

/// Info and warning toasts disappear after this long; critical ones stay until closed, because a
/// halted engine or an expired session needs the trader's action, not a glance.
pub const TOAST_MS: u64 = 8_000;
/// More than this and the oldest toast goes: a burst of fills must not cover the page.
pub const MAX_TOASTS: usize = 5;

/// One visible toast and when it appeared (the browser's clock), for its expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub alert: Alert,
    pub shown_at_ms: u64,
}

/// The kind as the wire spells it (`risk_halt`): for `data-kind` and styling.
pub fn kind_key(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Fill => "fill",
        AlertKind::Rejection => "rejection",
        AlertKind::RiskHalt => "risk_halt",
        AlertKind::KillSwitch => "kill_switch",
        AlertKind::SessionExpired => "session_expired",
        AlertKind::FeedLost => "feed_lost",
        AlertKind::FeedRestored => "feed_restored",
    }
}

/// The level as the wire spells it: for `data-level`, classes and the badge text.
pub fn level_key(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Info => "info",
        AlertLevel::Warning => "warning",
        AlertLevel::Critical => "critical",
    }
}

/// Whether a toast shown at `shown_at_ms` has run its time at `now_ms`. Critical toasts never expire.
pub fn expired(level: AlertLevel, shown_at_ms: u64, now_ms: u64) -> bool {
    level != AlertLevel::Critical && now_ms.saturating_sub(shown_at_ms) >= TOAST_MS
}

/// Drops the toasts whose time is up.
pub fn prune(toasts: &mut Vec<Toast>, now_ms: u64) {
    toasts.retain(|t| !expired(t.alert.level, t.shown_at_ms, now_ms));
}

/// The alerts in `all` (newest first, as the feed keeps them) not in `seen`, returned oldest first;
/// `seen` becomes the ids of `all`, so it stays as small as the feed's own list.
pub fn take_new(seen: &mut HashSet<u64>, all: &[Alert]) -> Vec<Alert> {
    let fresh: Vec<Alert> = all
        .iter()
        .rev()
        .filter(|a| !seen.contains(&a.id))
        .cloned()
        .collect();
    *seen = all.iter().map(|a| a.id).collect();
    fresh
}

/// Puts `fresh` (oldest first) on top of the stack, newest first, keeping at most [`MAX_TOASTS`].
pub fn add(toasts: &mut Vec<Toast>, fresh: Vec<Alert>, now_ms: u64) {
    for alert in fresh {
        toasts.retain(|t| t.alert.id != alert.id);
        toasts.insert(
            0,
            Toast {
                alert,
                shown_at_ms: now_ms,
            },
        );
    }
    toasts.truncate(MAX_TOASTS);
}

#[component]
pub fn Toasts() -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let toasts = RwSignal::new(Vec::<Toast>::new());
    // Whatever the feed already holds when the stack mounts is history, not news.
    let seen = StoredValue::new(
        feed.alerts
            .with_untracked(|all| all.iter().map(|a| a.id).collect::<HashSet<u64>>()),
    );

    Effect::new(move |_| {
        let fresh = feed
            .alerts
            .with(|all| seen.try_update_value(|s| take_new(s, all)))
            .unwrap_or_default();
        if fresh.is_empty() {
            return;
        }
        let now = crate::trading_feed::now_ms();
        let expiring = fresh.iter().any(|a| a.level != AlertLevel::Critical);
        toasts.update(|t| add(t, fresh, now));
        if expiring {
            set_timeout(
                move || {
                    let _ = toasts.try_update(|t| prune(t, crate::trading_feed::now_ms()));
                },
                std::time::Duration::from_millis(TOAST_MS),
            );
        }
    });

    let close = move |id: u64| toasts.update(|t| t.retain(|x| x.alert.id != id));

    view! {
        <div class="toasts" data-testid="toasts" aria-live="polite">
            <For each=move || toasts.get() key=|t| t.alert.id let:toast>
                {
                    let a = toast.alert;
                    let level = level_key(a.level);
                    let role = if a.level == AlertLevel::Critical { "alert" } else { "status" };
                    let id = a.id;
                    view! {
                        <div
                            class=format!("toast toast-{level}")
                            role=role
                            data-testid="toast"
                            data-kind=kind_key(a.kind)
                            data-level=level
                        >
                            <div class="toast-body">
                                <b class="toast-title">{a.title}</b>
                                <p class="toast-message">{a.message}</p>
                            </div>
                            <button
                                class="toast-close"
                                data-testid="toast-close"
                                aria-label="Dismiss"
                                title="Dismiss"
                                on:click=move |_| close(id)
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: u64, kind: AlertKind) -> Alert {
        Alert {
            id,
            at_ms: 1_700_000_000_000 + id * 1000,
            kind,
            level: kind.level(),
            title: format!("t{id}"),
            message: format!("m{id}"),
        }
    }

    #[test]
    fn keys_match_the_wire_names() {
        let kinds = [
            AlertKind::Fill,
            AlertKind::Rejection,
            AlertKind::RiskHalt,
            AlertKind::KillSwitch,
            AlertKind::SessionExpired,
            AlertKind::FeedLost,
            AlertKind::FeedRestored,
        ];
        for k in kinds {
            assert_eq!(serde_json::to_value(k).unwrap(), kind_key(k));
        }
        for l in [AlertLevel::Info, AlertLevel::Warning, AlertLevel::Critical] {
            assert_eq!(serde_json::to_value(l).unwrap(), level_key(l));
        }
    }

    #[test]
    fn only_non_critical_toasts_expire_after_eight_seconds() {
        assert!(!expired(AlertLevel::Info, 1_000, 1_000 + TOAST_MS - 1));
        assert!(expired(AlertLevel::Info, 1_000, 1_000 + TOAST_MS));
        assert!(expired(AlertLevel::Warning, 1_000, 1_000 + TOAST_MS + 5));
        assert!(!expired(AlertLevel::Critical, 1_000, 1_000 + 3_600_000));
        // A clock that went backwards never expires a toast early.
        assert!(!expired(AlertLevel::Info, 5_000, 1_000));

        let mut t = Vec::new();
        add(
            &mut t,
            vec![alert(1, AlertKind::Fill), alert(2, AlertKind::KillSwitch)],
            0,
        );
        add(&mut t, vec![alert(3, AlertKind::FeedLost)], 4_000);
        prune(&mut t, TOAST_MS);
        let ids: Vec<u64> = t.iter().map(|x| x.alert.id).collect();
        assert_eq!(ids, vec![3, 2], "the fill expired, the kill switch stays");
        prune(&mut t, 4_000 + TOAST_MS);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].alert.kind, AlertKind::KillSwitch);
    }

    #[test]
    fn at_most_five_toasts_newest_on_top() {
        let mut t = Vec::new();
        add(
            &mut t,
            (1..=7).map(|i| alert(i, AlertKind::Fill)).collect(),
            0,
        );
        let ids: Vec<u64> = t.iter().map(|x| x.alert.id).collect();
        assert_eq!(ids, vec![7, 6, 5, 4, 3]);
        // The same alert again does not show twice.
        add(&mut t, vec![alert(5, AlertKind::Fill)], 10);
        assert_eq!(t.len(), 5);
        assert_eq!(t[0].alert.id, 5);
        assert_eq!(t.iter().filter(|x| x.alert.id == 5).count(), 1);
    }

    #[test]
    fn only_alerts_after_mount_become_toasts() {
        // The feed keeps alerts newest first; 1 and 2 were there before the stack mounted.
        let mut seen: HashSet<u64> = [1, 2].into_iter().collect();
        let before = vec![alert(2, AlertKind::Fill), alert(1, AlertKind::Fill)];
        assert!(take_new(&mut seen, &before).is_empty());
        let mut now = before.clone();
        now.insert(0, alert(3, AlertKind::Rejection));
        now.insert(0, alert(4, AlertKind::FeedLost));
        let fresh: Vec<u64> = take_new(&mut seen, &now).iter().map(|a| a.id).collect();
        assert_eq!(fresh, vec![3, 4], "oldest first, so the newest ends on top");
        assert!(take_new(&mut seen, &now).is_empty(), "nothing twice");
        // The feed dropped its oldest (cap); the seen set follows it and stays bounded.
        now.pop();
        assert!(take_new(&mut seen, &now).is_empty());
        assert_eq!(seen.len(), 3);
    }
}
