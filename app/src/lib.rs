//! The dashboard: a Leptos app rendered on the server and hydrated in the browser.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod api;
pub mod api_trading;
pub mod auth_client;
pub mod charts;
pub mod components;
pub mod format;
pub mod live;
pub mod oi_feed;
pub mod pages;
pub mod trading_feed;
pub mod ws;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::StaticSegment;

/// The HTML document around the app (server side only renders this).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(live::LiveFeed::new());
    provide_context(oi_feed::OiFeed::new());
    view! {
        <Stylesheet id="leptos" href="/pkg/kite-agent.css"/>
        <Title text="Kite Trading Agent"/>
        <Router>
            <Layout/>
        </Router>
    }
}

/// Everything inside the router. The header, the Kite banner, the status bar and the live socket
/// belong to the dashboard; the login page shows only its card and opens no socket (it has no session
/// to open one with).
#[component]
fn Layout() -> impl IntoView {
    let feed = expect_context::<live::LiveFeed>();
    let location = use_location();
    let dashboard = Memo::new(move |_| !auth_client::is_login_path(&location.pathname.get()));
    // Effects run only in the browser: the live socket opens once a dashboard page has hydrated, and
    // only once (after it opens nothing is tracked, so the effect never runs again).
    Effect::new(move |opened: Option<bool>| {
        if opened == Some(true) {
            return true;
        }
        if dashboard.get() {
            feed.connect();
            true
        } else {
            false
        }
    });
    view! {
        <Show when=move || dashboard.get()>
            <components::header::Header/>
            <components::kite_banner::KiteBanner/>
        </Show>
        <main>
            <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                <Route path=StaticSegment("") view=pages::market_watch::MarketWatch/>
                <Route path=StaticSegment("login") view=pages::login::LoginPage/>
                <Route path=StaticSegment("orders") view=pages::orders::Orders/>
                <Route path=StaticSegment("positions") view=pages::positions::PositionsPage/>
                <Route path=StaticSegment("holdings") view=pages::holdings::HoldingsPage/>
                <Route path=StaticSegment("funds") view=pages::funds::FundsPage/>
                <Route path=StaticSegment("profile") view=pages::profile::ProfilePage/>
                <Route path=StaticSegment("analysis") view=pages::analysis::AnalysisPage/>
                <Route path=StaticSegment("options") view=pages::options::OptionsPage/>
                <Route path=StaticSegment("strategies") view=pages::strategies::StrategiesPage/>
                <Route path=StaticSegment("signals") view=pages::signals::SignalsPage/>
                <Route path=StaticSegment("risk") view=pages::risk::RiskPage/>
                <Route path=StaticSegment("journal") view=pages::journal::JournalPage/>
                <Route path=StaticSegment("backtest") view=pages::backtest::BacktestPage/>
                <Route path=StaticSegment("alerts") view=pages::alerts::AlertsPage/>
                <Route path=StaticSegment("health") view=pages::health::HealthPage/>
            </Routes>
        </main>
        <Show when=move || dashboard.get()>
            <components::status_bar::StatusBar/>
            <components::toasts::Toasts/>
        </Show>
    }
}
