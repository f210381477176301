//! Positions: net or day, with P&L that moves with live ticks.

use crate::api::get_positions;
use crate::components::account::{fetched_view, sorted, Empty, Sort, SortKey, SortTh};
use crate::format;
use crate::live::LiveFeed;
use leptos::prelude::*;
use model::broker::{Position, Positions};

fn key(p: &Position, col: usize) -> SortKey {
    match col {
        0 => SortKey::Text(p.tradingsymbol.clone()),
        1 => SortKey::Text(p.product.as_str().into()),
        2 => SortKey::Num(p.quantity as f64),
        3 => SortKey::Num(p.average_price),
        4 => SortKey::Num(p.last_price),
        _ => SortKey::Num(p.pnl),
    }
}

/// P&L at a new last price: the reported P&L plus the move since the report, on the open quantity.
pub fn live_pnl(p: &Position, ltp: f64) -> f64 {
    p.pnl + p.quantity as f64 * (ltp - p.last_price) * p.multiplier
}

fn pnl_class(v: f64) -> &'static str {
    if v > 0.0 {
        "up"
    } else if v < 0.0 {
        "down"
    } else {
        "flat"
    }
}

#[component]
pub fn PositionsPage() -> impl IntoView {
    let positions = Resource::new(|| (), |_| get_positions());
    let day = RwSignal::new(false);
    let sort = RwSignal::new(Sort {
        column: 0,
        ascending: true,
    });
    view! {
        <section class="account positions">
            <div class="toolbar">
                <h1>"Positions"</h1>
                <div class="toggle" data-testid="net-day-toggle">
                    <button class:active=move || !day.get() on:click=move |_| day.set(false) data-testid="show-net">"Net"</button>
                    <button class:active=move || day.get() on:click=move |_| day.set(true) data-testid="show-day">"Day"</button>
                </div>
            </div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading positions…"</div> }>
                {move || Suspend::new(async move {
                    fetched_view(positions.await, move |all: Positions| {
                        view! { <PositionsTable all day sort/> }
                    })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PositionsTable(all: Positions, day: RwSignal<bool>, sort: RwSignal<Sort>) -> impl IntoView {
    let feed = expect_context::<LiveFeed>();
    move || {
        let rows = if day.get() {
            all.day.clone()
        } else {
            all.net.clone()
        };
        if rows.is_empty() {
            return view! { <Empty text="No positions today."/> }.into_any();
        }
        // Total P&L follows every row's live price.
        let lives: Vec<(Position, ArcRwSignal<Option<model::Tick>>)> = rows
            .iter()
            .map(|p| (p.clone(), feed.signal_for(p.instrument_token)))
            .collect();
        let total = {
            let lives = lives.clone();
            move || {
                lives
                    .iter()
                    .map(|(p, s)| {
                        live_pnl(p, s.get().map(|t| t.last_price).unwrap_or(p.last_price))
                    })
                    .sum::<f64>()
            }
        };
        view! {
            <table class="grid" data-testid="positions-table">
                <thead><tr>
                    <SortTh label="Symbol" column=0 sort/>
                    <SortTh label="Product" column=1 sort/>
                    <SortTh label="Qty" column=2 sort numeric=true/>
                    <SortTh label="Avg" column=3 sort numeric=true/>
                    <SortTh label="LTP" column=4 sort numeric=true/>
                    <SortTh label="P&L" column=5 sort numeric=true/>
                </tr></thead>
                <tbody>
                    {sorted(&rows, sort.get(), key).into_iter().map(|p| {
                        let live = feed.signal_for(p.instrument_token);
                        let ltp = {
                            let live = live.clone();
                            let fallback = p.last_price;
                            move || live.get().map(|t| t.last_price).unwrap_or(fallback)
                        };
                        let pnl = {
                            let p = p.clone();
                            let ltp = ltp.clone();
                            move || live_pnl(&p, ltp())
                        };
                        let pnl2 = pnl.clone();
                        view! {
                            <tr data-testid="position-row" data-symbol=p.tradingsymbol.clone()>
                                <td class="sym">{p.tradingsymbol.clone()}<span class="exch">{p.exchange.as_str()}</span></td>
                                <td>{p.product.as_str()}</td>
                                <td class="num">{format::signed_quantity(p.quantity)}</td>
                                <td class="num">{format::price(p.average_price)}</td>
                                <td class="num" data-testid="position-ltp">{move || format::price(ltp())}</td>
                                <td class=move || format!("num {}", pnl_class(pnl2())) data-testid="position-pnl">{move || format::rupees(pnl())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
                <tfoot><tr>
                    <td colspan="5">"Total P&L"</td>
                    <td class="num" data-testid="positions-total">{move || format::rupees(total())}</td>
                </tr></tfoot>
            </table>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_pnl_moves_with_price_on_open_quantity() {
        let p: Position = serde_json::from_value(serde_json::json!({
            "tradingsymbol": "X", "exchange": "NSE", "instrument_token": 1, "product": "MIS",
            "quantity": 10, "overnight_quantity": 0, "multiplier": 1, "average_price": 100.0,
            "close_price": 0, "last_price": 101.0, "value": -1000.0, "pnl": 10.0, "m2m": 10.0,
            "unrealised": 10.0, "realised": 0, "buy_quantity": 10, "buy_price": 100.0, "buy_value": 1000.0,
            "buy_m2m": 1000.0, "sell_quantity": 0, "sell_price": 0, "sell_value": 0, "sell_m2m": 0,
            "day_buy_quantity": 10, "day_buy_price": 100.0, "day_buy_value": 1000.0,
            "day_sell_quantity": 0, "day_sell_price": 0, "day_sell_value": 0
        }))
        .unwrap();
        assert!((live_pnl(&p, 101.0) - 10.0).abs() < 1e-9);
        assert!((live_pnl(&p, 103.5) - 35.0).abs() < 1e-9);
    }
}
