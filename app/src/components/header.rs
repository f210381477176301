use crate::components::connection_badge::ConnectionBadge;
use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <div class="brand">
                <span class="logo">"◆"</span>
                <span class="name">"Kite Trading Agent"</span>
            </div>
            <nav>
                <a href="/" class="active">"Market Watch"</a>
            </nav>
            <ConnectionBadge/>
        </header>
    }
}
