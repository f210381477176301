//! Orders: today's order book, sortable, with a drawer showing an order's history and trades.

use crate::api::{get_order_detail, get_orders};
use crate::components::account::{fetched_view, sorted, Empty, Sort, SortKey, SortTh};
use crate::format;
use leptos::prelude::*;
use model::broker::{Order, OrderStatus, TransactionType};

fn status_class(s: &OrderStatus) -> &'static str {
    match s {
        OrderStatus::Complete => "st-complete",
        OrderStatus::Rejected => "st-rejected",
        OrderStatus::Cancelled => "st-cancelled",
        _ => "st-open",
    }
}

fn key(o: &Order, col: usize) -> SortKey {
    match col {
        0 => SortKey::Text(o.order_timestamp.to_string()),
        1 => SortKey::Text(o.tradingsymbol.clone()),
        2 => SortKey::Text(o.transaction_type.as_str().into()),
        3 => SortKey::Num(o.quantity as f64),
        4 => SortKey::Num(o.price),
        5 => SortKey::Num(o.average_price),
        _ => SortKey::Text(o.status.as_str().into()),
    }
}

#[component]
pub fn Orders() -> impl IntoView {
    let orders = Resource::new(|| (), |_| get_orders());
    let sort = RwSignal::new(Sort {
        column: 0,
        ascending: false,
    });
    let selected = RwSignal::new(None::<String>);
    view! {
        <section class="account orders">
            <div class="toolbar"><h1>"Orders"</h1></div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading orders…"</div> }>
                {move || Suspend::new(async move {
                    fetched_view(orders.await, move |list: Vec<Order>| {
                        if list.is_empty() {
                            return view! { <Empty text="No orders today."/> }.into_any();
                        }
                        view! {
                            <table class="grid" data-testid="orders-table">
                                <thead><tr>
                                    <SortTh label="Time" column=0 sort/>
                                    <SortTh label="Symbol" column=1 sort/>
                                    <SortTh label="Side" column=2 sort/>
                                    <SortTh label="Qty" column=3 sort numeric=true/>
                                    <SortTh label="Price" column=4 sort numeric=true/>
                                    <SortTh label="Avg" column=5 sort numeric=true/>
                                    <SortTh label="Status" column=6 sort/>
                                    <th>"Tag"</th>
                                </tr></thead>
                                <tbody>
                                    {move || sorted(&list, sort.get(), key).into_iter().map(|o| {
                                        let id = o.order_id.0.clone();
                                        let side = if o.transaction_type == TransactionType::Buy { "buy" } else { "sell" };
                                        view! {
                                            <tr data-testid="order-row" data-order-id=id.clone() class="clickable"
                                                on:click=move |_| selected.set(Some(id.clone()))>
                                                <td>{o.order_timestamp.format("%H:%M:%S").to_string()}</td>
                                                <td class="sym">{o.tradingsymbol.clone()}<span class="exch">{o.exchange.as_str()}</span></td>
                                                <td><span class=format!("side {side}")>{o.transaction_type.as_str()}</span></td>
                                                <td class="num">{format!("{}/{}", o.filled_quantity, o.quantity)}</td>
                                                <td class="num">{if o.price > 0.0 { format::price(o.price) } else { o.order_type.as_str().to_string() }}</td>
                                                <td class="num">{format::price(o.average_price)}</td>
                                                <td><span class=format!("status {}", status_class(&o.status)) title=o.status_message.clone().unwrap_or_default()>{o.status.as_str().to_string()}</span></td>
                                                <td class="tag">{o.tag.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                })}
            </Suspense>
            <OrderDrawer selected/>
        </section>
    }
}

/// The side panel with one order's every state and its fills.
#[component]
fn OrderDrawer(selected: RwSignal<Option<String>>) -> impl IntoView {
    let detail = Resource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => Some(get_order_detail(id).await),
                None => None,
            }
        },
    );
    view! {
        <Show when=move || selected.get().is_some()>
            <aside class="drawer" data-testid="order-drawer">
                <button class="close" on:click=move |_| selected.set(None) data-testid="drawer-close">"×"</button>
                <h2>"Order " {move || selected.get().unwrap_or_default()}</h2>
                <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading…"</div> }>
                    {move || Suspend::new(async move {
                        match detail.await {
                            None => ().into_any(),
                            Some(r) => fetched_view(r, |(history, trades)| view! {
                                <h3>"History"</h3>
                                <ol class="history" data-testid="order-history">
                                    {history.into_iter().map(|h| view! {
                                        <li>
                                            <span class="when">{h.order_timestamp.format("%H:%M:%S").to_string()}</span>
                                            <span class=format!("status {}", status_class(&h.status))>{h.status.as_str().to_string()}</span>
                                            {h.status_message.map(|m| view! { <span class="msg">{m}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ol>
                                <h3>"Trades"</h3>
                                {if trades.is_empty() {
                                    view! { <p class="empty">"No fills."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="grid" data-testid="order-trades">
                                            <thead><tr><th>"Trade"</th><th class="num">"Qty"</th><th class="num">"Price"</th><th>"Time"</th></tr></thead>
                                            <tbody>{trades.into_iter().map(|t| view! {
                                                <tr>
                                                    <td>{t.trade_id}</td>
                                                    <td class="num">{t.quantity}</td>
                                                    <td class="num">{format::price(t.average_price)}</td>
                                                    <td>{t.fill_timestamp.map(|f| f.format("%H:%M:%S").to_string()).unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}</tbody>
                                        </table>
                                    }.into_any()
                                }}
                            }),
                        }
                    })}
                </Suspense>
            </aside>
        </Show>
    }
}
