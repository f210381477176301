//! Funds: margins per segment.

use crate::api::get_margins;
use crate::components::account::fetched_view;
use crate::format;
use leptos::prelude::*;
use model::broker::{Margins, SegmentMargins};

fn segment(name: &'static str, m: Option<SegmentMargins>) -> impl IntoView {
    let m = m.unwrap_or_default();
    let rows = [
        ("Available margin", m.net),
        ("Opening balance", m.available.opening_balance),
        ("Live balance", m.available.live_balance),
        ("Cash", m.available.cash),
        ("Collateral", m.available.collateral),
        ("Used (debits)", m.utilised.debits),
        ("Exposure", m.utilised.exposure),
        ("SPAN", m.utilised.span),
        ("Option premium", m.utilised.option_premium),
        ("Realised M2M", m.utilised.m2m_realised),
        ("Unrealised M2M", m.utilised.m2m_unrealised),
    ];
    view! {
        <div class="card" data-testid=format!("funds-{}", name.to_lowercase())>
            <h2>{name} {(!m.enabled).then_some(" (not enabled)")}</h2>
            <table class="kv"><tbody>
                {rows.into_iter().map(|(k, v)| view! {
                    <tr><th>{k}</th><td class="num">{format::rupees(v)}</td></tr>
                }).collect_view()}
            </tbody></table>
        </div>
    }
}

#[component]
pub fn FundsPage() -> impl IntoView {
    let margins = Resource::new(|| (), |_| get_margins());
    view! {
        <section class="account funds">
            <div class="toolbar"><h1>"Funds"</h1></div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading funds…"</div> }>
                {move || Suspend::new(async move {
                    fetched_view(margins.await, |m: Margins| view! {
                        <div class="cards">
                            {segment("Equity", m.equity)}
                            {segment("Commodity", m.commodity)}
                        </div>
                    })
                })}
            </Suspense>
        </section>
    }
}
