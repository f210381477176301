use crate::api::get_status;
use crate::format;
use leptos::prelude::*;
use model::TradingMode;
use std::time::Duration;

/// Footer with the server's own view: mode, ticker, subscriptions, uptime. Refreshed every 5 seconds
/// through a server function.
#[component]
pub fn StatusBar() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(move || refresh.get(), |_| get_status());
    Effect::new(move |_| {
        let _ =
            set_interval_with_handle(move || refresh.update(|n| *n += 1), Duration::from_secs(5));
    });
    view! {
        <footer class="statusbar" data-testid="status-bar">
            <Transition fallback=|| view! { <span>"Loading status…"</span> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => {
                            let mode = match s.mode {
                                TradingMode::Sandbox => "SANDBOX",
                                TradingMode::Live => "LIVE",
                            };
                            view! {
                                <span class=format!("mode mode-{}", mode.to_lowercase()) data-testid="mode">
                                    {mode}
                                </span>
                                <span>"Ticker: " <b data-testid="ticker-state">{s.ticker.label()}</b></span>
                                <span>"Subscribed: " <b data-testid="subscribed">{s.subscribed}</b></span>
                                <span>"Ticks: " <b>{format::group_indian(s.ticks_received)}</b></span>
                                <span>"Uptime: " <b>{format::uptime(s.uptime_secs)}</b></span>
                                <span class="version">"v" {s.version}</span>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! { <span class="error">"Status unavailable: " {e.to_string()}</span> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </footer>
    }
}
