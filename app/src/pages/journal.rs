//! Journal: the engine's realised and unrealised P&L after charges, by strategy, instrument and day,
//! the cumulative curve, and every fill, with a CSV export.

use crate::api_trading::get_journal;
#[cfg(feature = "hydrate")]
use crate::charts;
use crate::charts::Curve;
use crate::format;
use crate::trading_feed::{error_text, ist_time};
use leptos::prelude::*;
use model::trading::{FillRecord, JournalReport, PnlRow};

/// Fills (and orders) read for the page.
const JOURNAL_LIMIT: u32 = 500;
/// The lead's REST export of every fill.
pub const FILLS_CSV: &str = "/api/journal/export.csv?what=fills";
pub const ORDERS_CSV: &str = "/api/journal/export.csv?what=orders";

#[component]
pub fn JournalPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let report = Resource::new(move || version.get(), |_| get_journal(JOURNAL_LIMIT));
    view! {
        <section class="trading-page journal-page">
            <div class="toolbar">
                <h1>"Journal"</h1>
                <div class="actions">
                    <button class="button" data-testid="journal-refresh" on:click=move |_| version.update(|v| *v += 1)>"Refresh"</button>
                    <a class="button" rel="external" href=FILLS_CSV download="fills.csv" data-testid="csv-fills">"Fills CSV"</a>
                    <a class="button" rel="external" href=ORDERS_CSV download="orders.csv" data-testid="csv-orders">"Orders CSV"</a>
                </div>
            </div>
            <Transition fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading the journal…"</div> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) => view! { <Report report=r/> }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="journal-error">"Could not load the journal: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Report(report: JournalReport) -> impl IntoView {
    let t = report.total.clone();
    let curve = Curve::from_cumulative(&report.cumulative);
    view! {
        <div class="summary journal-totals" data-testid="journal-totals">
            <div><span>"Net P&L"</span><b class=format::tone(t.net) data-testid="total-net">{format::rupees(t.net)}</b></div>
            <div><span>"Realised"</span><b class=format::tone(t.realised)>{format::rupees(t.realised)}</b></div>
            <div><span>"Unrealised"</span><b class=format::tone(t.unrealised)>{format::rupees(t.unrealised)}</b></div>
            <div><span>"Charges"</span><b>{format::rupees(t.charges)}</b></div>
            <div><span>"Fills"</span><b data-testid="total-fills">{t.fills}</b></div>
            <div><span>"Bought / sold"</span><b>{format!("{} / {}", format::group_indian(t.buy_quantity), format::group_indian(t.sell_quantity))}</b></div>
        </div>
        <LineChart curve title="Cumulative net P&L (₹)" color=(76, 141, 255) fill=false include_zero=true testid="cumulative-chart"/>
        <div class="pnl-tables">
            <PnlTable title="By strategy" rows=report.by_strategy.clone() testid="pnl-by-strategy"/>
            <PnlTable title="By instrument" rows=report.by_instrument.clone() testid="pnl-by-instrument"/>
            <PnlTable title="By day" rows=report.by_day.clone() testid="pnl-by-day"/>
        </div>
        <h2 class="section">"Fills"</h2>
        <FillsTable fills=report.fills/>
    }
}

/// A strategy key is its id; show it as `#3` so it reads as one.
fn key_label(title: &str, key: &str) -> String {
    if title == "By strategy" && key.parse::<i64>().is_ok() {
        format!("#{key}")
    } else {
        key.to_string()
    }
}

#[component]
fn PnlTable(title: &'static str, rows: Vec<PnlRow>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="card pnl" data-testid=testid>
            <h2>{title}</h2>
            {if rows.is_empty() {
                view! { <p class="empty">"Nothing journalled yet."</p> }.into_any()
            } else {
                view! {
                    <table class="grid compact">
                        <thead><tr>
                            <th></th><th class="num">"Realised"</th><th class="num">"Unrealised"</th>
                            <th class="num">"Charges"</th><th class="num">"Net"</th><th class="num">"Fills"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr data-testid="pnl-row" data-key=r.key.clone()>
                                    <td class="sym">{key_label(title, &r.key)}</td>
                                    <td class=format!("num {}", format::tone(r.realised))>{format::rupees(r.realised)}</td>
                                    <td class=format!("num {}", format::tone(r.unrealised))>{format::rupees(r.unrealised)}</td>
                                    <td class="num">{format::rupees(r.charges)}</td>
                                    <td class=format!("num {}", format::tone(r.net))><b>{format::rupees(r.net)}</b></td>
                                    <td class="num">{r.fills}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn FillsTable(fills: Vec<FillRecord>) -> impl IntoView {
    if fills.is_empty() {
        return view! { <p class="empty" data-testid="no-fills">"No fills yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="grid fills" data-testid="fills-table">
                <thead><tr>
                    <th>"Time (IST)"</th><th>"Instrument"</th><th>"Side"</th><th class="num">"Qty"</th>
                    <th class="num">"Price"</th><th class="num">"Charges"</th><th>"Strategy"</th><th>"Trade"</th><th>"Order"</th>
                </tr></thead>
                <tbody>
                    {fills.into_iter().map(|f| {
                        let side = f.side.as_str();
                        view! {
                            <tr data-testid="fill-row">
                                <td class="tag">{ist_time(f.ts_ms)}</td>
                                <td class="sym">{f.tradingsymbol}<span class="exch">{f.exchange.as_str()}</span></td>
                                <td><span class=format!("side {}", side.to_lowercase())>{side}</span></td>
                                <td class="num">{format::quantity(f.quantity)}</td>
                                <td class="num">{format::price(f.price)}</td>
                                <td class="num">{format::rupees(f.charges)}</td>
                                <td>{f.strategy_id.map_or_else(|| "manual".to_string(), |id| format!("#{id}"))}</td>
                                <td class="tag">{f.trade_id}</td>
                                <td class="tag">{f.order_id}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A plotters line chart on a canvas, drawn once the canvas exists. Shared with the Backtest page.
#[component]
pub fn LineChart(
    curve: Curve,
    title: &'static str,
    color: (u8, u8, u8),
    fill: bool,
    include_zero: bool,
    testid: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let empty = curve.is_empty();
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        #[cfg(feature = "hydrate")]
        match charts::draw_line(&c, &curve, title, color, fill, include_zero) {
            Ok(()) => drawn.update(|n| *n += 1),
            Err(e) => error.set(Some(e)),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (c, &curve, title, color, fill, include_zero);
    });
    view! {
        <figure class="chart line-chart">
            <canvas node_ref=canvas width="1000" height="280" data-testid=testid data-drawn=move || drawn.get().to_string()></canvas>
            {empty.then(|| view! { <figcaption class="hint">"No points yet."</figcaption> })}
            {move || error.get().map(|e| view! { <figcaption class="error">"Chart failed: " {e}</figcaption> })}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_keys_read_as_ids() {
        assert_eq!(key_label("By strategy", "3"), "#3");
        assert_eq!(key_label("By strategy", "manual"), "manual");
        assert_eq!(key_label("By instrument", "NSE:INFY"), "NSE:INFY");
    }
}
