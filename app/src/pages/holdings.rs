//! Holdings: quantity, average, LTP, P&L and day change, with totals.

use crate::api::get_holdings;
use crate::components::account::{fetched_view, sorted, Empty, Sort, SortKey, SortTh};
use crate::format;
use leptos::prelude::*;
use model::broker::Holding;

fn key(h: &Holding, col: usize) -> SortKey {
    match col {
        0 => SortKey::Text(h.tradingsymbol.clone()),
        1 => SortKey::Num(h.quantity as f64),
        2 => SortKey::Num(h.average_price),
        3 => SortKey::Num(h.last_price),
        4 => SortKey::Num(h.last_price * h.quantity as f64),
        5 => SortKey::Num(h.pnl),
        _ => SortKey::Num(h.day_change_percentage),
    }
}

fn class(v: f64) -> &'static str {
    if v > 0.0 {
        "num up"
    } else if v < 0.0 {
        "num down"
    } else {
        "num"
    }
}

#[component]
pub fn HoldingsPage() -> impl IntoView {
    let holdings = Resource::new(|| (), |_| get_holdings());
    let sort = RwSignal::new(Sort {
        column: 0,
        ascending: true,
    });
    view! {
        <section class="account holdings">
            <div class="toolbar"><h1>"Holdings"</h1></div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading holdings…"</div> }>
                {move || Suspend::new(async move {
                    fetched_view(holdings.await, move |list: Vec<Holding>| {
                        if list.is_empty() {
                            return view! { <Empty text="No holdings."/> }.into_any();
                        }
                        let invested: f64 = list.iter().map(|h| h.average_price * h.quantity as f64).sum();
                        let current: f64 = list.iter().map(|h| h.last_price * h.quantity as f64).sum();
                        let pnl = current - invested;
                        view! {
                            <div class="summary" data-testid="holdings-summary">
                                <div><span>"Invested"</span><b>{format::rupees(invested)}</b></div>
                                <div><span>"Current"</span><b>{format::rupees(current)}</b></div>
                                <div><span>"P&L"</span><b class=class(pnl)>{format::rupees(pnl)}</b></div>
                            </div>
                            <table class="grid" data-testid="holdings-table">
                                <thead><tr>
                                    <SortTh label="Symbol" column=0 sort/>
                                    <SortTh label="Qty" column=1 sort numeric=true/>
                                    <SortTh label="Avg" column=2 sort numeric=true/>
                                    <SortTh label="LTP" column=3 sort numeric=true/>
                                    <SortTh label="Value" column=4 sort numeric=true/>
                                    <SortTh label="P&L" column=5 sort numeric=true/>
                                    <SortTh label="Day" column=6 sort numeric=true/>
                                </tr></thead>
                                <tbody>
                                    {move || sorted(&list, sort.get(), key).into_iter().map(|h| view! {
                                        <tr data-testid="holding-row" data-symbol=h.tradingsymbol.clone()>
                                            <td class="sym">{h.tradingsymbol.clone()}</td>
                                            <td class="num">{format::signed_quantity(h.quantity)}</td>
                                            <td class="num">{format::price(h.average_price)}</td>
                                            <td class="num">{format::price(h.last_price)}</td>
                                            <td class="num">{format::rupees(h.last_price * h.quantity as f64)}</td>
                                            <td class=class(h.pnl)>{format::rupees(h.pnl)}</td>
                                            <td class=class(h.day_change_percentage)>{format::percent(h.day_change_percentage)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                })}
            </Suspense>
        </section>
    }
}
