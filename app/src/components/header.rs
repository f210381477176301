use crate::components::connection_badge::ConnectionBadge;
use crate::components::user_menu::UserMenu;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <div class="brand">
                <span class="logo">"◆"</span>
                <span class="name">"Kite Trading Agent"</span>
            </div>
            <nav>
                <A href="/" exact=true>"Market Watch"</A>
                <A href="/options">"Options"</A>
                <A href="/analysis">"Analysis"</A>
                <A href="/strategies">"Strategies"</A>
                <A href="/signals">"Signals"</A>
                <A href="/risk">"Risk"</A>
                <A href="/journal">"Journal"</A>
                <A href="/alerts">"Alerts"</A>
                <A href="/backtest">"Backtest"</A>
                <A href="/orders">"Orders"</A>
                <A href="/positions">"Positions"</A>
                <A href="/holdings">"Holdings"</A>
                <A href="/funds">"Funds"</A>
                <A href="/profile">"Profile"</A>
                <A href="/health">"Health"</A>
            </nav>
            <ConnectionBadge/>
            <UserMenu/>
        </header>
    }
}
