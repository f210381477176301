//! Signals: every strategy signal with the risk manager's verdict, newest first, and the orders the
//! engine placed for them, both following `/ws/live`.

use crate::api_trading::{get_journal, get_signals};
use crate::format;
use crate::live::LiveFeed;
use crate::trading_feed::{error_text, ist_time, verdict_class, verdict_text};
use leptos::prelude::*;
use model::broker::TransactionType;
use model::trading::{ExecStatus, OrderRecord, SignalEvent, SignalSide};

/// Signals read on load (the feed adds pushed ones on top).
const SIGNALS_ON_LOAD: u32 = 200;
/// Orders read from the journal on load.
const ORDERS_ON_LOAD: u32 = 100;

pub fn side_class(side: SignalSide) -> &'static str {
    match side {
        SignalSide::Buy => "buy",
        SignalSide::Sell => "sell",
        SignalSide::Exit => "exit",
    }
}

pub fn order_side_class(side: TransactionType) -> &'static str {
    match side {
        TransactionType::Buy => "buy",
        TransactionType::Sell => "sell",
    }
}

/// Stable keyword of an order's status for styling and tests.
pub fn status_text(s: ExecStatus) -> &'static str {
    match s {
        ExecStatus::Pending => "pending",
        ExecStatus::Open => "open",
        ExecStatus::PartiallyFilled => "partially_filled",
        ExecStatus::Filled => "filled",
        ExecStatus::Cancelled => "cancelled",
        ExecStatus::Rejected => "rejected",
    }
}

/// The status badge's colour class, shared with the account pages' order list.
pub fn status_class(s: ExecStatus) -> &'static str {
    match s {
        ExecStatus::Filled => "st-complete",
        ExecStatus::Rejected => "st-rejected",
        ExecStatus::Cancelled => "st-cancelled",
        ExecStatus::Pending | ExecStatus::Open | ExecStatus::PartiallyFilled => "st-open",
    }
}

#[component]
pub fn SignalsPage() -> impl IntoView {
    let feed = expect_context::<LiveFeed>().trading;
    let signals_loaded = Resource::new(|| (), |_| get_signals(SIGNALS_ON_LOAD));
    let journal_loaded = Resource::new(|| (), |_| get_journal(ORDERS_ON_LOAD));
    view! {
        <section class="trading-page signals-page">
            <div class="toolbar">
                <h1>"Signals"</h1>
                <span class="hint" data-testid="trading-events" data-count=move || feed.events.get().to_string()>
                    {move || format!("{} live updates", feed.events.get())}
                </span>
            </div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading signals…"</div> }>
                {move || Suspend::new(async move {
                    match signals_loaded.await {
                        Ok(s) => {
                            feed.seed_signals(s);
                            view! { <SignalTable signals=feed.signals/> }.into_any()
                        }
                        Err(e) => view! { <div class="error" data-testid="signals-error">"Could not load signals: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Suspense>
            <h2 class="section">"Orders placed by the engine"</h2>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading orders…"</div> }>
                {move || Suspend::new(async move {
                    match journal_loaded.await {
                        Ok(j) => {
                            feed.seed_orders(j.orders);
                            view! { <EngineOrders orders=feed.orders/> }.into_any()
                        }
                        Err(e) => view! { <div class="error" data-testid="orders-error">"Could not load the engine's orders: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SignalTable(signals: RwSignal<Vec<SignalEvent>>) -> impl IntoView {
    // Only a change between empty and not rebuilds the table; rows come and go through `For`.
    let empty = Memo::new(move |_| signals.with(Vec::is_empty));
    move || {
        if empty.get() {
            return view! { <p class="empty" data-testid="no-signals">"No signals yet. Enabled strategies signal here once live trading runs."</p> }.into_any();
        }
        view! {
            <div class="table-wrap feed">
                <table class="grid signals" data-testid="signal-table">
                    <thead>
                        <tr>
                            <th>"Time (IST)"</th><th>"Strategy"</th><th>"Instrument"</th><th>"Side"</th>
                            <th class="num">"Strength"</th><th>"Reason"</th><th>"Verdict"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || signals.get() key=|s| s.id let:s>
                            <tr data-testid="signal-row" data-strategy=s.strategy_id.to_string() data-side=side_class(s.side) data-verdict=verdict_class(&s.verdict)>
                                <td class="tag">{ist_time(s.ts_ms)}</td>
                                <td>{format!("{} #{}", s.kind, s.strategy_id)}</td>
                                <td class="sym">{s.instrument.clone()}</td>
                                <td><span class=format!("side {}", side_class(s.side))>{side_class(s.side).to_uppercase()}</span></td>
                                <td class="num">{format!("{:.2}", s.strength)}</td>
                                <td class="reason">{s.reason.clone()}</td>
                                <td><span class=format!("verdict {}", verdict_class(&s.verdict)) data-testid="signal-verdict">{verdict_text(&s.verdict)}</span></td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

#[component]
fn EngineOrders(orders: RwSignal<Vec<OrderRecord>>) -> impl IntoView {
    let empty = Memo::new(move |_| orders.with(Vec::is_empty));
    move || {
        if empty.get() {
            return view! { <p class="empty" data-testid="no-engine-orders">"The engine has placed no orders."</p> }.into_any();
        }
        view! {
            <div class="table-wrap feed">
                <table class="grid engine-orders" data-testid="engine-order-table">
                    <thead>
                        <tr>
                            <th>"Placed (IST)"</th><th>"Tag"</th><th>"Instrument"</th><th>"Side"</th><th>"Product"</th>
                            <th>"Status"</th><th class="num">"Filled / Qty"</th><th class="num">"Limit"</th>
                            <th class="num">"Avg price"</th><th>"Message"</th>
                        </tr>
                    </thead>
                    <tbody>
                        // Keyed by tag and state so a row redraws when its order moves on.
                        <For each=move || orders.get() key=|o| (o.tag.clone(), o.status, o.filled_quantity, o.updated_ms) let:o>
                            <tr data-testid="order-row" data-status=status_text(o.status) data-tag=o.tag.clone() data-strategy=o.strategy_id.map(|id| id.to_string()).unwrap_or_default()>
                                <td class="tag">{ist_time(o.created_ms)}</td>
                                <td class="tag">{o.tag.clone()}{o.strategy_id.map(|id| format!(" · #{id}"))}</td>
                                <td class="sym">{o.tradingsymbol.clone()}<span class="exch">{o.exchange.as_str()}</span></td>
                                <td><span class=format!("side {}", order_side_class(o.side))>{o.side.as_str()}</span></td>
                                <td>{o.product.as_str()}</td>
                                <td><span class=format!("status {}", status_class(o.status)) data-testid="order-status">{status_text(o.status).replace('_', " ")}</span></td>
                                <td class="num">{format!("{} / {}", format::quantity(o.filled_quantity), format::quantity(o.quantity))}</td>
                                <td class="num">{o.price.map_or_else(|| "—".to_string(), format::price)}</td>
                                <td class="num">{if o.filled_quantity > 0 { format::price(o.average_price) } else { "—".to_string() }}</td>
                                <td class="reason">{o.message.clone().unwrap_or_default()}{(o.modifications > 0).then(|| format!(" ({} modifications)", o.modifications))}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_distinct_keywords_and_colours() {
        use ExecStatus::*;
        let all = [Pending, Open, PartiallyFilled, Filled, Cancelled, Rejected];
        let words: std::collections::HashSet<_> = all.iter().map(|s| status_text(*s)).collect();
        assert_eq!(words.len(), all.len());
        assert_eq!(status_class(Filled), "st-complete");
        assert_eq!(status_class(PartiallyFilled), "st-open");
        assert_eq!(side_class(SignalSide::Exit), "exit");
        assert_eq!(order_side_class(TransactionType::Sell), "sell");
    }
}
