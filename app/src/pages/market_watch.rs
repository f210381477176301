//! Market Watch: every instrument with its live price, change, volume and best bid/ask.

use crate::api::get_watchlist;
use crate::format;
use crate::live::LiveFeed;
use leptos::prelude::*;
use model::{Tick, WatchRow};

#[component]
pub fn MarketWatch() -> impl IntoView {
    let rows = Resource::new(|| (), |_| get_watchlist());
    let filter = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <section class="market-watch" data-hydrated=move || hydrated.get().to_string()>
            <div class="toolbar">
                <h1>"Market Watch"</h1>
                <input
                    type="search"
                    placeholder="Filter symbols…"
                    data-testid="filter"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading market…"</div> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) => view! { <WatchTable rows=list filter/> }.into_any(),
                        Err(e) => view! {
                            <div class="error">"Could not load the market watch: " {e.to_string()}</div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn WatchTable(rows: Vec<WatchRow>, filter: RwSignal<String>) -> impl IntoView {
    let count = rows.len();
    view! {
        <table class="watch" data-testid="watch-table">
            <thead>
                <tr>
                    <th class="sym">"Symbol"</th>
                    <th>"LTP"</th>
                    <th>"Chg"</th>
                    <th>"Chg %"</th>
                    <th>"Volume"</th>
                    <th>"Bid"</th>
                    <th>"Ask"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! { <Row row=r filter/> }).collect_view()}
            </tbody>
        </table>
        <p class="hint">{count} " instruments · prices update live"</p>
    }
}

fn direction(t: &Tick) -> &'static str {
    let c = t.net_change();
    if c > 0.0 {
        "up"
    } else if c < 0.0 {
        "down"
    } else {
        "flat"
    }
}

#[component]
fn Row(row: WatchRow, filter: RwSignal<String>) -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    let live = feed.signal_for(row.instrument.token);
    if live.get_untracked().is_none() {
        live.set(row.tick);
    }
    let tick: Signal<Option<Tick>> = live.into();
    let symbol = row.instrument.tradingsymbol.clone();
    let needle = symbol.to_lowercase();
    let symbol_attr = symbol.clone();
    let name = row.instrument.name.clone();
    let is_index = row.instrument.is_index;
    let hidden = move || {
        let f = filter.get().to_lowercase();
        !f.is_empty() && !needle.contains(f.trim())
    };
    let cell = move |f: fn(&Tick) -> String| {
        move || tick.get().map(|t| f(&t)).unwrap_or_else(|| "—".into())
    };
    view! {
        <tr
            data-testid="watch-row"
            data-symbol=symbol_attr
            data-token=row.instrument.token.0
            class=move || {
                let dir = tick.get().map(|t| direction(&t)).unwrap_or("flat");
                format!("{dir}{}", if is_index { " index" } else { "" })
            }
            hidden=hidden
        >
            <td class="sym" title=name>
                {symbol}
                <span class="exch">{row.instrument.exchange.as_str()}</span>
            </td>
            <td class="num ltp" data-testid="ltp">{cell(|t| format::price(t.last_price))}</td>
            <td class="num chg">{cell(|t| format::signed(t.net_change()))}</td>
            <td class="num pct">{cell(|t| format::percent(t.change_percent()))}</td>
            <td class="num">
                {cell(|t| if t.tradable { format::quantity(t.volume_traded) } else { "—".into() })}
            </td>
            <td class="num bid">
                {cell(|t| t.best_bid().map(|l| format::price(l.price)).unwrap_or_else(|| "—".into()))}
            </td>
            <td class="num ask">
                {cell(|t| t.best_ask().map(|l| format::price(l.price)).unwrap_or_else(|| "—".into()))}
            </td>
        </tr>
    }
}
