//! Strategies: what the engine trades, how each is doing, adding and removing them, and starting or
//! stopping live trading.

use crate::api_trading::{
    create_strategy, get_live_status, get_strategies, get_strategy_kinds, remove_strategy,
    start_live, stop_live, toggle_strategy,
};
use crate::format;
use crate::trading_feed::{error_text, ist_time};
use leptos::prelude::*;
use model::broker::Product;
use model::trading::{
    AddStrategy, LiveStatus, SignalSide, StrategyFamily, StrategyId, StrategyKindInfo, StrategyRow,
};
use std::collections::BTreeMap;

/// How often the list (P&L, signal counts) and the live status are read again.
const REFRESH_MS: u64 = 5_000;
/// Products a strategy may use: intraday, delivery, overnight F&O.
const PRODUCTS: [Product; 3] = [Product::Mis, Product::Cnc, Product::Nrml];

/// The instrument the form suggests for a family.
pub fn default_instrument(family: StrategyFamily) -> &'static str {
    match family {
        StrategyFamily::Equity => "NSE:INFY",
        StrategyFamily::Options => "NIFTY",
    }
}

/// The product the form suggests: intraday for equity, overnight for option structures.
pub fn default_product(family: StrategyFamily) -> Product {
    match family {
        StrategyFamily::Equity => Product::Mis,
        StrategyFamily::Options => Product::Nrml,
    }
}

/// `fast=2, slow=3`.
pub fn params_text(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the form into a request, or says which field is wrong.
pub fn build_request(
    kind: &str,
    instrument: &str,
    params: &BTreeMap<String, String>,
    bar_seconds: &str,
    product: &str,
    quantity: &str,
) -> Result<AddStrategy, String> {
    if kind.is_empty() {
        return Err("Choose a strategy kind.".into());
    }
    let instrument = instrument.trim().to_uppercase();
    if instrument.is_empty() {
        return Err("Enter an instrument (NSE:INFY, or NIFTY for option strategies).".into());
    }
    let bar_seconds: u32 = bar_seconds
        .trim()
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or("Bar seconds must be a whole number above 0.")?;
    let product: Product = product
        .parse()
        .map_err(|_| format!("Unknown product {product}."))?;
    let quantity: u32 = quantity
        .trim()
        .parse()
        .map_err(|_| "Quantity must be a whole number (0 = sized by the risk manager).")?;
    if let Some((k, _)) = params.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(format!("Parameter {k} is empty."));
    }
    Ok(AddStrategy {
        kind: kind.to_string(),
        instrument,
        params: params
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect(),
        bar_seconds: Some(bar_seconds),
        product: Some(product),
        quantity: Some(quantity),
    })
}

/// "Running since 28 Nov 15:30:00 · 2 strategies enabled" or "Stopped · …".
pub fn live_text(s: &LiveStatus) -> String {
    let n = s.strategies_enabled;
    let enabled = format!(
        "{n} {} enabled",
        if n == 1 { "strategy" } else { "strategies" }
    );
    match (s.running, s.since_ms) {
        (true, Some(ms)) => format!("Running since {} IST · {enabled}", ist_time(ms)),
        (true, None) => format!("Running · {enabled}"),
        (false, _) => format!("Stopped · {enabled}"),
    }
}

#[component]
pub fn StrategiesPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let kinds = Resource::new(|| (), |_| get_strategy_kinds());
    let rows = Resource::new(move || version.get(), |_| get_strategies());
    // Kept here, not in the table, so a periodic refresh does not close an open "Remove?" question.
    let confirming = RwSignal::new(None::<StrategyId>);

    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || version.update(|v| *v += 1),
            std::time::Duration::from_millis(REFRESH_MS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    view! {
        <section class="trading-page strategies-page">
            <div class="toolbar">
                <h1>"Strategies"</h1>
                <LivePanel version/>
            </div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading strategy kinds…"</div> }>
                {move || Suspend::new(async move {
                    match kinds.await {
                        Ok(k) if k.is_empty() => view! { <p class="empty">"The engine offers no strategy kinds."</p> }.into_any(),
                        Ok(k) => view! { <AddForm kinds=k version/> }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="kinds-error">"Could not load strategy kinds: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Suspense>
            <Transition fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading strategies…"</div> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(r) if r.is_empty() => view! {
                            <p class="empty" data-testid="no-strategies">"No strategies yet. Add one above; it trades once live trading is started."</p>
                        }.into_any(),
                        Ok(r) => view! { <StrategyTable rows=r version confirming/> }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="strategies-error">"Could not load strategies: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Live trading's state with its Start/Stop button.
#[component]
fn LivePanel(version: RwSignal<u32>) -> impl IntoView {
    let status = RwSignal::new(None::<LiveStatus>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Read again whenever the list is (a toggle changes the enabled count).
    Effect::new(move |_| {
        version.track();
        leptos::task::spawn_local(async move {
            match get_live_status().await {
                Ok(s) => status.set(Some(s)),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    });
    let running = move || status.with(|s| s.as_ref().is_some_and(|s| s.running));
    let toggle = move |_| {
        busy.set(true);
        error.set(None);
        let start = !running();
        leptos::task::spawn_local(async move {
            let r = if start {
                start_live().await
            } else {
                stop_live().await
            };
            match r {
                Ok(s) => status.set(Some(s)),
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="live-panel">
            <span class="live-status" class:running=running data-testid="live-status" data-running=move || running().to_string()>
                {move || status.get().map_or_else(|| "Live status unknown".to_string(), |s| live_text(&s))}
            </span>
            <button
                class=move || if running() { "button danger" } else { "button primary" }
                data-testid="live-toggle"
                disabled=move || busy.get() || status.with(|s| s.is_none())
                on:click=toggle
            >
                {move || if running() { "Stop live" } else { "Start live" }}
            </button>
            {move || error.get().map(|e| view! { <span class="error inline" data-testid="live-error">{e}</span> })}
        </div>
    }
}

#[component]
fn AddForm(kinds: Vec<StrategyKindInfo>, version: RwSignal<u32>) -> impl IntoView {
    let kinds = StoredValue::new(kinds);
    let first = kinds.with_value(|k| k[0].clone());
    let kind = RwSignal::new(first.kind.clone());
    let params = RwSignal::new(first.params.clone());
    let instrument = RwSignal::new(default_instrument(first.family).to_string());
    let bar_seconds = RwSignal::new("60".to_string());
    let product = RwSignal::new(default_product(first.family).as_str().to_string());
    let quantity = RwSignal::new("0".to_string());
    let error = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let info = move |k: &str| kinds.with_value(|all| all.iter().find(|i| i.kind == k).cloned());
    let choose = move |k: String| {
        if let Some(i) = info(&k) {
            let old_family = info(&kind.get_untracked()).map(|o| o.family);
            if old_family != Some(i.family) {
                instrument.set(default_instrument(i.family).to_string());
                product.set(default_product(i.family).as_str().to_string());
            }
            // Parameters first: the fields are rebuilt when the kind changes and read them then.
            params.set(i.params.clone());
            kind.set(k);
        }
    };
    let group = move |family: StrategyFamily| {
        kinds.with_value(|all| {
            all.iter()
                .filter(|i| i.family == family)
                .map(|i| {
                    let k = i.kind.clone();
                    let selected = move || kind.get() == k;
                    view! { <option value=i.kind.clone() selected=selected>{format!("{} ({})", i.label, i.kind)}</option> }
                })
                .collect_view()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        added.set(None);
        let req = match build_request(
            &kind.get_untracked(),
            &instrument.get_untracked(),
            &params.get_untracked(),
            &bar_seconds.get_untracked(),
            &product.get_untracked(),
            &quantity.get_untracked(),
        ) {
            Ok(r) => r,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match create_strategy(req).await {
                Ok(c) => {
                    added.set(Some(format!(
                        "Added {} on {} (#{})",
                        c.kind, c.instrument, c.id
                    )));
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="card add-strategy" data-testid="add-strategy-form" on:submit=submit>
            <h2>"Add strategy"</h2>
            <div class="form-row">
                <label>"Kind"
                    <select data-testid="kind-select" on:change=move |ev| choose(event_target_value(&ev))>
                        <optgroup label="Equity">{group(StrategyFamily::Equity)}</optgroup>
                        <optgroup label="Options">{group(StrategyFamily::Options)}</optgroup>
                    </select>
                </label>
                <label>"Instrument"
                    <input type="text" data-testid="instrument-input" list="instrument-hints"
                        prop:value=move || instrument.get()
                        on:input=move |ev| instrument.set(event_target_value(&ev))/>
                    <datalist id="instrument-hints">
                        <option value="NSE:INFY"/><option value="NSE:RELIANCE"/><option value="NSE:TCS"/>
                        <option value="NIFTY"/><option value="BANKNIFTY"/><option value="SENSEX"/>
                    </datalist>
                </label>
                <label>"Bar seconds"
                    <input type="number" min="1" data-testid="bar-seconds-input"
                        prop:value=move || bar_seconds.get()
                        on:input=move |ev| bar_seconds.set(event_target_value(&ev))/>
                </label>
                <label>"Product"
                    <select data-testid="product-select" on:change=move |ev| product.set(event_target_value(&ev))>
                        {PRODUCTS.into_iter().map(|p| {
                            let selected = move || product.get() == p.as_str();
                            view! { <option value=p.as_str() selected=selected>{p.as_str()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label title="0 = sized by the risk manager from risk per trade">"Quantity"
                    <input type="number" min="0" data-testid="quantity-input"
                        prop:value=move || quantity.get()
                        on:input=move |ev| quantity.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="form-row params" data-testid="param-fields">
                {move || {
                    kind.track();
                    params
                        .get_untracked()
                        .into_iter()
                        .map(|(name, value)| {
                            let key = name.clone();
                            view! {
                                <label>{name.clone()}
                                    <input type="text" data-testid=format!("param-{name}") value=value
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            params.update(|m| { m.insert(key.clone(), v); });
                                        }/>
                                </label>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <div class="form-row">
                <button type="submit" class="button primary" data-testid="add-strategy-submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add strategy" }}
                </button>
                {move || error.get().map(|e| view! { <span class="error inline" data-testid="add-error">{e}</span> })}
                {move || added.get().map(|m| view! { <span class="ok" data-testid="add-ok">{m}</span> })}
            </div>
        </form>
    }
}

#[component]
fn StrategyTable(
    rows: Vec<StrategyRow>,
    version: RwSignal<u32>,
    confirming: RwSignal<Option<StrategyId>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let act = move |fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), ServerFnError>>>,
    >| {
        error.set(None);
        leptos::task::spawn_local(async move {
            if let Err(e) = fut.await {
                error.set(Some(error_text(&e)));
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        {move || error.get().map(|e| view! { <div class="error" data-testid="strategy-action-error">{e}</div> })}
        <div class="table-wrap">
            <table class="grid strategies" data-testid="strategy-table">
                <thead>
                    <tr>
                        <th>"#"</th><th>"Kind"</th><th>"Instrument"</th><th>"Params"</th><th>"Product"</th>
                        <th class="num">"Qty"</th><th>"Enabled"</th><th class="num">"Net P&L"</th>
                        <th class="num">"Signals"</th><th>"Last signal"</th><th></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let c = r.config.clone();
                            let id = c.id;
                            let net = r.pnl.net;
                            let last = r.last_signal.as_ref().map(|s| {
                                let side = match s.side {
                                    SignalSide::Buy => "buy",
                                    SignalSide::Sell => "sell",
                                    SignalSide::Exit => "exit",
                                };
                                (side, ist_time(s.ts_ms))
                            });
                            view! {
                                <tr data-testid="strategy-row" data-id=id.to_string() data-kind=c.kind.clone()
                                    data-instrument=c.instrument.clone() data-enabled=c.enabled.to_string()>
                                    <td class="tag">{id}</td>
                                    <td class="sym">{c.kind.clone()}</td>
                                    <td>{c.instrument.clone()}</td>
                                    <td class="params">{params_text(&c.params)} <span class="hint">{format!(" · {}s bars", c.bar_seconds)}</span></td>
                                    <td>{c.product.as_str()}</td>
                                    <td class="num">{if c.quantity == 0 { "risk".to_string() } else { format::quantity(c.quantity) }}</td>
                                    <td>
                                        <label class="switch">
                                            <input type="checkbox" data-testid="strategy-toggle" prop:checked=c.enabled
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    act(Box::pin(async move { toggle_strategy(id, Some(on)).await.map(|_| ()) }));
                                                }/>
                                            <span>{if c.enabled { "on" } else { "off" }}</span>
                                        </label>
                                    </td>
                                    <td class=format!("num {}", format::tone(net)) data-testid="strategy-pnl">{format::rupees(net)}</td>
                                    <td class="num" data-testid="strategy-signals">{r.signals}</td>
                                    <td>{last.map(|(side, t)| view! { <span class=format!("side {side}")>{side.to_uppercase()}</span> " " <span class="hint">{t}</span> })}</td>
                                    <td class="actions">
                                        {move || if confirming.get() == Some(id) {
                                            view! {
                                                <span class="confirm-inline">"Remove?"
                                                    <button class="button danger small" data-testid="confirm-remove"
                                                        on:click=move |_| { confirming.set(None); act(Box::pin(remove_strategy(id))); }>"Yes, remove"</button>
                                                    <button class="button small" data-testid="cancel-remove" on:click=move |_| confirming.set(None)>"Keep"</button>
                                                </span>
                                            }.into_any()
                                        } else {
                                            view! { <button class="button small" data-testid="strategy-remove" on:click=move |_| confirming.set(Some(id))>"Remove"</button> }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("fast".to_string(), " 2".to_string()),
            ("slow".to_string(), "3".to_string()),
        ])
    }

    #[test]
    fn the_form_becomes_a_request() {
        let r = build_request("ema_crossover", " nse:infy ", &params(), "5", "MIS", "1").unwrap();
        assert_eq!(r.instrument, "NSE:INFY");
        assert_eq!(r.params["fast"], "2");
        assert_eq!(r.bar_seconds, Some(5));
        assert_eq!(r.product, Some(Product::Mis));
        assert_eq!(r.quantity, Some(1));
        assert_eq!(params_text(&r.params), "fast=2, slow=3");
    }

    #[test]
    fn bad_fields_are_named() {
        let p = params();
        assert!(build_request("", "NSE:INFY", &p, "5", "MIS", "1")
            .unwrap_err()
            .contains("kind"));
        assert!(build_request("k", " ", &p, "5", "MIS", "1")
            .unwrap_err()
            .contains("instrument"));
        assert!(build_request("k", "X", &p, "0", "MIS", "1")
            .unwrap_err()
            .contains("Bar seconds"));
        assert!(build_request("k", "X", &p, "5", "XYZ", "1")
            .unwrap_err()
            .contains("XYZ"));
        assert!(build_request("k", "X", &p, "5", "MIS", "-1")
            .unwrap_err()
            .contains("Quantity"));
        let mut empty = p.clone();
        empty.insert("slow".into(), " ".into());
        assert!(build_request("k", "X", &empty, "5", "MIS", "1")
            .unwrap_err()
            .contains("slow"));
    }

    #[test]
    fn live_status_reads_plainly() {
        let s = LiveStatus {
            running: true,
            since_ms: Some(1_795_860_000_000),
            strategies_enabled: 1,
        };
        assert_eq!(
            live_text(&s),
            "Running since 28 Nov 15:30:00 IST · 1 strategy enabled"
        );
        let s = LiveStatus {
            running: false,
            since_ms: None,
            strategies_enabled: 3,
        };
        assert_eq!(live_text(&s), "Stopped · 3 strategies enabled");
        assert_eq!(default_instrument(StrategyFamily::Options), "NIFTY");
        assert_eq!(default_product(StrategyFamily::Options), Product::Nrml);
    }
}
