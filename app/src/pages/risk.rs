//! Risk: the limits the engine enforces (editable), how much of each is used, the kill switch, and
//! the engine's positions.

use crate::api_trading::{get_risk_status, get_trading_positions, kill_switch, set_risk_limits};
use crate::format;
use crate::live::LiveFeed;
use crate::trading_feed::{error_text, ist_time, TradingFeed};
use leptos::prelude::*;
use model::trading::{KillSwitchAction, KillSwitchState, PositionRow, RiskLimits, RiskStatus};
use std::collections::BTreeMap;

/// Usage and positions are read this often (pushes move positions and the kill switch in between).
const POLL_MS: u64 = 2_000;

/// The numeric limits as (key, label), in form order.
pub const LIMIT_FIELDS: [(&str, &str); 9] = [
    ("capital", "Capital (₹)"),
    ("daily_loss_limit", "Daily loss limit (₹)"),
    ("risk_per_trade_pct", "Risk per trade (% of capital)"),
    ("atr_stop_multiple", "ATR stop multiple"),
    ("max_instrument_exposure", "Max exposure per instrument (₹)"),
    ("max_strategy_exposure", "Max exposure per strategy (₹)"),
    ("max_gross_exposure", "Max gross exposure (₹)"),
    ("max_open_positions", "Max open positions"),
    ("max_orders_per_minute", "Max orders per minute"),
];

/// The limits as the form's text fields.
pub fn limits_to_fields(l: &RiskLimits) -> BTreeMap<&'static str, String> {
    let num = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            v.to_string()
        }
    };
    BTreeMap::from([
        ("capital", num(l.capital)),
        ("daily_loss_limit", num(l.daily_loss_limit)),
        ("risk_per_trade_pct", num(l.risk_per_trade_pct)),
        ("atr_stop_multiple", num(l.atr_stop_multiple)),
        ("max_instrument_exposure", num(l.max_instrument_exposure)),
        ("max_strategy_exposure", num(l.max_strategy_exposure)),
        ("max_gross_exposure", num(l.max_gross_exposure)),
        ("max_open_positions", l.max_open_positions.to_string()),
        ("max_orders_per_minute", l.max_orders_per_minute.to_string()),
    ])
}

/// Reads the form back, naming the first field that is not a usable number. The engine checks how
/// the limits fit together; this only catches what cannot be sent at all.
pub fn fields_to_limits(
    f: &BTreeMap<&'static str, String>,
    check_margin: bool,
) -> Result<RiskLimits, String> {
    let label = |k: &str| {
        LIMIT_FIELDS
            .iter()
            .find(|(key, _)| *key == k)
            .map_or(k.to_string(), |(_, l)| l.to_string())
    };
    let text = |k: &str| {
        f.get(k)
            .map(|s| s.trim().replace(',', ""))
            .unwrap_or_default()
    };
    let money = |k: &str| -> Result<f64, String> {
        text(k)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{} must be a number ≥ 0.", label(k)))
    };
    let count = |k: &str| -> Result<u32, String> {
        text(k)
            .parse::<u32>()
            .map_err(|_| format!("{} must be a whole number ≥ 0.", label(k)))
    };
    Ok(RiskLimits {
        capital: money("capital")?,
        daily_loss_limit: money("daily_loss_limit")?,
        risk_per_trade_pct: money("risk_per_trade_pct")?,
        atr_stop_multiple: money("atr_stop_multiple")?,
        max_instrument_exposure: money("max_instrument_exposure")?,
        max_strategy_exposure: money("max_strategy_exposure")?,
        max_gross_exposure: money("max_gross_exposure")?,
        max_open_positions: count("max_open_positions")?,
        max_orders_per_minute: count("max_orders_per_minute")?,
        check_margin,
    })
}

/// One usage bar: how much of a limit is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageBar {
    pub key: &'static str,
    pub label: &'static str,
    /// 0..=1 of the limit (more than 1 is shown full).
    pub fraction: f64,
    pub text: String,
}

fn share(used: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        (used / limit).clamp(0.0, 1.0)
    } else if used > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The bars the page draws, from the limits and their usage.
pub fn usage_bars(s: &RiskStatus) -> Vec<UsageBar> {
    let (l, u) = (&s.limits, &s.usage);
    let loss = (-u.day_pnl).max(0.0);
    vec![
        UsageBar {
            key: "day-loss",
            label: "Day P&L vs loss limit",
            fraction: share(loss, l.daily_loss_limit),
            text: format!(
                "{} (limit -{})",
                format::rupees(u.day_pnl),
                format::rupees(l.daily_loss_limit)
            ),
        },
        UsageBar {
            key: "gross-exposure",
            label: "Gross exposure",
            fraction: share(u.gross_exposure, l.max_gross_exposure),
            text: format!(
                "{} of {}",
                format::rupees(u.gross_exposure),
                format::rupees(l.max_gross_exposure)
            ),
        },
        UsageBar {
            key: "instrument-exposure",
            label: "Largest instrument exposure",
            fraction: share(u.max_instrument_exposure, l.max_instrument_exposure),
            text: format!(
                "{}{} of {}",
                format::rupees(u.max_instrument_exposure),
                u.max_instrument
                    .as_ref()
                    .map_or_else(String::new, |i| format!(" ({i})")),
                format::rupees(l.max_instrument_exposure)
            ),
        },
        UsageBar {
            key: "open-positions",
            label: "Open positions",
            fraction: share(u.open_positions as f64, l.max_open_positions as f64),
            text: format!("{} of {}", u.open_positions, l.max_open_positions),
        },
        UsageBar {
            key: "orders-per-minute",
            label: "Orders in the last minute",
            fraction: share(u.orders_last_minute as f64, l.max_orders_per_minute as f64),
            text: format!("{} of {}", u.orders_last_minute, l.max_orders_per_minute),
        },
    ]
}

/// The bar's colour: calm below 60 %, warning to 85 %, alarm above.
pub fn bar_level(fraction: f64) -> &'static str {
    if fraction >= 0.85 {
        "alarm"
    } else if fraction >= 0.6 {
        "warn"
    } else {
        "calm"
    }
}

/// Which confirmation the page is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confirm {
    Fire,
    Reset,
}

#[component]
pub fn RiskPage() -> impl IntoView {
    let feed = expect_context::<LiveFeed>().trading;
    let status = RwSignal::new(None::<Result<RiskStatus, String>>);
    let positions_error = RwSignal::new(None::<String>);
    let positions_loaded = RwSignal::new(false);
    // The form is built once the limits first arrive, not on every poll (that would undo edits).
    let loaded = Memo::new(move |_| status.with(|s| matches!(s, Some(Ok(_)))));

    let refresh = move || {
        leptos::task::spawn_local(async move {
            match get_risk_status().await {
                Ok(s) => {
                    feed.kill_switch.set(Some(s.kill_switch.clone()));
                    status.set(Some(Ok(s)));
                }
                Err(e) => status.set(Some(Err(error_text(&e)))),
            }
            match get_trading_positions().await {
                Ok(p) => {
                    feed.seed_positions(p);
                    positions_error.set(None);
                }
                Err(e) => positions_error.set(Some(error_text(&e))),
            }
            positions_loaded.set(true);
        })
    };
    Effect::new(move |_| {
        refresh();
        if let Ok(handle) =
            set_interval_with_handle(refresh, std::time::Duration::from_millis(POLL_MS))
        {
            on_cleanup(move || handle.clear());
        }
    });

    view! {
        <section class="trading-page risk-page">
            <div class="toolbar"><h1>"Risk"</h1></div>
            {move || match status.get() {
                None => view! { <div class="loading"><span class="spinner"></span>"Loading risk status…"</div> }.into_any(),
                Some(Err(e)) => view! { <div class="error" data-testid="risk-error">"Could not load the risk status: " {e}</div> }.into_any(),
                Some(Ok(s)) => view! {
                    {s.halted.clone().map(|h| view! { <div class="halted-banner" data-testid="halted-banner">"Trading halted: " {h}</div> })}
                    <UsageCard status=s/>
                }.into_any(),
            }}
            <KillSwitchCard feed/>
            {move || loaded.get().then(|| {
                let limits = status.with_untracked(|s| match s {
                    Some(Ok(s)) => s.limits.clone(),
                    _ => RiskLimits::default(),
                });
                view! { <LimitsForm limits status/> }
            })}
            <h2 class="section">"Engine positions"</h2>
            {move || positions_error.get().map(|e| view! { <div class="error" data-testid="positions-error">"Could not load positions: " {e}</div> })}
            {move || if positions_loaded.get() {
                view! { <PositionsTable positions=feed.positions/> }.into_any()
            } else {
                view! { <div class="loading"><span class="spinner"></span>"Loading positions…"</div> }.into_any()
            }}
        </section>
    }
}

#[component]
fn UsageCard(status: RiskStatus) -> impl IntoView {
    view! {
        <div class="card usage" data-testid="risk-usage">
            <h2>"Usage"</h2>
            <div class="usage-summary">
                <span>"Realised " <b class=format::tone(status.usage.realised_pnl)>{format::rupees(status.usage.realised_pnl)}</b></span>
                <span>"Unrealised " <b class=format::tone(status.usage.unrealised_pnl)>{format::rupees(status.usage.unrealised_pnl)}</b></span>
                <span>"Day net " <b class=format::tone(status.usage.day_pnl) data-testid="day-pnl">{format::rupees(status.usage.day_pnl)}</b></span>
            </div>
            {usage_bars(&status)
                .into_iter()
                .map(|b| view! {
                    <div class="usage-bar" data-testid=format!("usage-{}", b.key) data-fraction=format!("{:.3}", b.fraction)>
                        <span class="label">{b.label}</span>
                        <div class="track"><div class=format!("fill {}", bar_level(b.fraction)) style=format!("width: {:.1}%", b.fraction * 100.0)></div></div>
                        <span class="value">{b.text}</span>
                    </div>
                })
                .collect_view()}
        </div>
    }
}

/// The kill switch: fire (confirmed), its state, and reset (confirmed).
#[component]
fn KillSwitchCard(feed: TradingFeed) -> impl IntoView {
    let confirm = RwSignal::new(None::<Confirm>);
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let state = move || feed.kill_switch.get();
    let active = move || state().is_some_and(|k| k.active);
    // Firing waits until the account is seen flat, which can take seconds: the dialog closes at
    // once and the card says what is under way (pushes show the state as it changes).
    let working = RwSignal::new("");
    let run = move |action: KillSwitchAction| {
        working.set(match action {
            KillSwitchAction::Fire { .. } => "Firing: cancelling orders and squaring off…",
            KillSwitchAction::Reset => "Resetting…",
        });
        busy.set(true);
        error.set(None);
        confirm.set(None);
        leptos::task::spawn_local(async move {
            match kill_switch(action).await {
                Ok(k) => feed.kill_switch.set(Some(k)),
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    let fire = move |_| {
        let r = reason.get_untracked().trim().to_string();
        run(KillSwitchAction::Fire {
            reason: Some(if r.is_empty() { "manual".into() } else { r }),
        });
    };
    view! {
        <div class="card kill-switch" class:active=active data-testid="kill-switch" data-active=move || active().to_string()>
            <h2>"Kill switch"</h2>
            <p class="hint">"Cancels every open order, squares off every position and blocks new orders until reset."</p>
            <div data-testid="kill-state">
                {move || match state() {
                    None => view! { <span class="hint">"State unknown"</span> }.into_any(),
                    Some(k) => kill_state_view(k).into_any(),
                }}
            </div>
            {move || if active() {
                view! { <button class="button" data-testid="kill-reset" disabled=move || busy.get() on:click=move |_| confirm.set(Some(Confirm::Reset))>"Reset kill switch"</button> }.into_any()
            } else {
                view! { <button class="button kill" data-testid="kill-fire" disabled=move || busy.get() || state().is_none() on:click=move |_| confirm.set(Some(Confirm::Fire))>"KILL SWITCH"</button> }.into_any()
            }}
            {move || busy.get().then(|| view! { <p class="hint" data-testid="kill-busy"><span class="spinner"></span>" " {working.get()}</p> })}
            {move || error.get().map(|e| view! { <div class="error" data-testid="kill-error">{e}</div> })}
            {move || confirm.get().map(|c| view! {
                <div class="modal-backdrop">
                    <div class="modal" role="dialog" aria-modal="true" data-testid="kill-confirm">
                        {match c {
                            Confirm::Fire => view! {
                                <h2>"Fire the kill switch?"</h2>
                                <p>"Every open order is cancelled and every position squared off at market. Nothing trades until someone resets it."</p>
                                <label>"Reason"
                                    <input type="text" data-testid="kill-reason" placeholder="manual"
                                        prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                                </label>
                                <div class="modal-actions">
                                    <button class="button" data-testid="kill-cancel" on:click=move |_| confirm.set(None)>"Cancel"</button>
                                    <button class="button kill" data-testid="kill-confirm-fire" disabled=move || busy.get() on:click=fire>"Fire kill switch"</button>
                                </div>
                            }.into_any(),
                            Confirm::Reset => view! {
                                <h2>"Reset the kill switch?"</h2>
                                <p>"Orders may go out again as soon as strategies signal."</p>
                                <div class="modal-actions">
                                    <button class="button" data-testid="kill-cancel" on:click=move |_| confirm.set(None)>"Cancel"</button>
                                    <button class="button primary" data-testid="kill-confirm-reset" disabled=move || busy.get()
                                        on:click=move |_| run(KillSwitchAction::Reset)>"Reset"</button>
                                </div>
                            }.into_any(),
                        }}
                    </div>
                </div>
            })}
        </div>
    }
}

fn kill_state_view(k: KillSwitchState) -> impl IntoView {
    if !k.active {
        return view! { <span class="ks-off" data-testid="kill-state-text">"Not fired: trading allowed"</span> }
            .into_any();
    }
    view! {
        <div class="ks-on" data-testid="kill-state-text">
            <b>"ACTIVE"</b>
            {k.since_ms.map(|ms| format!(" since {} IST", ist_time(ms)))}
            {k.reason.map(|r| view! { <div>"Reason: " {r}</div> })}
            <div data-testid="kill-flattened">
                {match k.flattened_ms {
                    Some(ms) => format!("Account flat since {} IST", ist_time(ms)),
                    None => "Squaring off…".to_string(),
                }}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn LimitsForm(
    limits: RiskLimits,
    status: RwSignal<Option<Result<RiskStatus, String>>>,
) -> impl IntoView {
    let fields = RwSignal::new(limits_to_fields(&limits));
    let check_margin = RwSignal::new(limits.check_margin);
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        saved.set(false);
        let limits = match fields_to_limits(&fields.get_untracked(), check_margin.get_untracked()) {
            Ok(l) => l,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match set_risk_limits(limits).await {
                Ok(s) => {
                    fields.set(limits_to_fields(&s.limits));
                    status.set(Some(Ok(s)));
                    saved.set(true);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card limits" data-testid="limits-form" on:submit=submit>
            <h2>"Limits"</h2>
            <div class="limits-grid">
                {LIMIT_FIELDS
                    .into_iter()
                    .map(|(key, label)| view! {
                        <label>{label}
                            <input type="text" inputmode="decimal" data-testid=format!("limit-{key}")
                                prop:value=move || fields.with(|f| f.get(key).cloned().unwrap_or_default())
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    fields.update(|f| { f.insert(key, v); });
                                }/>
                        </label>
                    })
                    .collect_view()}
                <label class="check">
                    <input type="checkbox" data-testid="limit-check_margin" prop:checked=move || check_margin.get()
                        on:change=move |ev| check_margin.set(event_target_checked(&ev))/>
                    " Check margin with the broker before each order"
                </label>
            </div>
            <div class="form-row">
                <button type="submit" class="button primary" data-testid="limits-save" disabled=move || busy.get()>"Save limits"</button>
                {move || error.get().map(|e| view! { <span class="error inline" data-testid="limits-error">{e}</span> })}
                {move || saved.get().then(|| view! { <span class="ok" data-testid="limits-saved">"Saved"</span> })}
            </div>
        </form>
    }
}

#[component]
fn PositionsTable(positions: RwSignal<Vec<PositionRow>>) -> impl IntoView {
    move || {
        let rows = positions.get();
        if rows.is_empty() {
            return view! { <p class="empty" data-testid="no-engine-positions">"The engine holds no positions."</p> }.into_any();
        }
        let total: f64 = rows.iter().map(|p| p.realised + p.unrealised).sum();
        view! {
            <div class="table-wrap">
                <table class="grid engine-positions" data-testid="engine-position-table">
                    <thead>
                        <tr>
                            <th>"Instrument"</th><th>"Product"</th><th class="num">"Qty"</th><th class="num">"Avg"</th>
                            <th class="num">"LTP"</th><th class="num">"Realised"</th><th class="num">"Unrealised"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|p| view! {
                            <tr data-testid="position-row" data-symbol=p.tradingsymbol.clone()>
                                <td class="sym">{p.tradingsymbol.clone()}<span class="exch">{p.exchange.as_str()}</span></td>
                                <td>{p.product.as_str()}</td>
                                <td class=format!("num {}", format::tone(p.quantity as f64)) data-testid="position-qty" data-qty=p.quantity.to_string()>{format::signed_quantity(p.quantity)}</td>
                                <td class="num">{format::price(p.average_price)}</td>
                                <td class="num">{format::price(p.last_price)}</td>
                                <td class=format!("num {}", format::tone(p.realised))>{format::rupees(p.realised)}</td>
                                <td class=format!("num {}", format::tone(p.unrealised))>{format::rupees(p.unrealised)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                    <tfoot>
                        <tr><td colspan="5">"Total"</td><td colspan="2" class=format!("num {}", format::tone(total))>{format::rupees(total)}</td></tr>
                    </tfoot>
                </table>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::trading::RiskUsage;

    #[test]
    fn limits_survive_the_form_round_trip() {
        let l = RiskLimits {
            risk_per_trade_pct: 0.75,
            check_margin: false,
            ..RiskLimits::default()
        };
        let f = limits_to_fields(&l);
        assert_eq!(f["capital"], "1000000");
        assert_eq!(f["risk_per_trade_pct"], "0.75");
        assert_eq!(fields_to_limits(&f, false).unwrap(), l);
        assert_eq!(f.len(), LIMIT_FIELDS.len());
    }

    #[test]
    fn bad_limit_fields_are_named() {
        let mut f = limits_to_fields(&RiskLimits::default());
        f.insert("daily_loss_limit", "lots".into());
        let e = fields_to_limits(&f, true).unwrap_err();
        assert!(e.contains("Daily loss limit"), "{e}");
        let mut f = limits_to_fields(&RiskLimits::default());
        f.insert("max_open_positions", "2.5".into());
        assert!(fields_to_limits(&f, true)
            .unwrap_err()
            .contains("Max open positions"));
        let mut f = limits_to_fields(&RiskLimits::default());
        f.insert("capital", "-5".into());
        assert!(fields_to_limits(&f, true).is_err());
        let mut f = limits_to_fields(&RiskLimits::default());
        f.insert("capital", "10,00,000".into());
        assert_eq!(fields_to_limits(&f, true).unwrap().capital, 1_000_000.0);
    }

    #[test]
    fn usage_bars_measure_against_their_limits() {
        let s = RiskStatus {
            limits: RiskLimits::default(),
            usage: RiskUsage {
                day_pnl: -15_000.0,
                gross_exposure: 1_000_000.0,
                max_instrument_exposure: 50_000.0,
                max_instrument: Some("NSE:INFY".into()),
                open_positions: 3,
                orders_last_minute: 0,
                ..Default::default()
            },
            kill_switch: KillSwitchState::default(),
            halted: None,
        };
        let bars = usage_bars(&s);
        let get = |k: &str| bars.iter().find(|b| b.key == k).unwrap().clone();
        assert!((get("day-loss").fraction - 0.75).abs() < 1e-12);
        assert_eq!(
            get("gross-exposure").fraction,
            1.0,
            "over the cap shows full"
        );
        assert!((get("instrument-exposure").fraction - 0.25).abs() < 1e-12);
        assert!(get("instrument-exposure").text.contains("NSE:INFY"));
        assert!((get("open-positions").fraction - 0.3).abs() < 1e-12);
        assert_eq!(get("orders-per-minute").fraction, 0.0);
        assert_eq!(bar_level(0.75), "warn");
        assert_eq!(bar_level(0.9), "alarm");
        assert_eq!(bar_level(0.1), "calm");
        // A profit uses none of the loss limit; a zero limit with usage is full.
        let mut up = s.clone();
        up.usage.day_pnl = 5_000.0;
        assert_eq!(usage_bars(&up)[0].fraction, 0.0);
        assert_eq!(share(1.0, 0.0), 1.0);
        assert_eq!(share(0.0, 0.0), 0.0);
    }
}
