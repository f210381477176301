use crate::live::LiveFeed;
use leptos::prelude::*;

/// Connected / reconnecting (with its backoff) / offline, for the browser socket and the feed behind it.
#[component]
pub fn ConnectionBadge() -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let badge = Memo::new(move |_| feed.badge());
    view! {
        <span
            class=move || format!("badge badge-{}", badge.get().state)
            data-testid="connection-badge"
            data-state=move || badge.get().state
            title="Connection to the market feed"
        >
            <span class="dot"></span>
            {move || badge.get().text}
        </span>
    }
}
