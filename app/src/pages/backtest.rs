//! Backtest: run an equity strategy over an instrument's daily candles on the server, watch its
//! progress, then read the statistics, the equity and drawdown curves, and every trade.

use crate::api_trading::{get_backtest_progress, get_strategy_kinds, start_backtest};
use crate::charts::Curve;
use crate::format;
use crate::pages::journal::LineChart;
use crate::trading_feed::{error_text, now_ms};
use leptos::prelude::*;
use model::trading::{
    BacktestProgress, BacktestReportView, BacktestRequest, StrategyFamily, StrategyKindInfo,
};
use std::collections::BTreeMap;

/// How often progress is read while a backtest runs.
const POLL_MS: u64 = 300;
/// Starting cash the form suggests (₹10 lakh).
const DEFAULT_CASH: &str = "1000000";

/// The form's default window: the two years up to today (IST), as `YYYY-MM-DD`.
pub fn default_dates(now_ms: u64) -> (String, String) {
    let ist = chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST offset is in range");
    let today = chrono::DateTime::from_timestamp_millis(now_ms as i64)
        .map(|t| t.with_timezone(&ist).date_naive())
        .unwrap_or_default();
    let from = today
        .checked_sub_months(chrono::Months::new(24))
        .unwrap_or(today);
    (
        from.format("%Y-%m-%d").to_string(),
        today.format("%Y-%m-%d").to_string(),
    )
}

/// The text fields of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestForm {
    pub kind: String,
    pub instrument: String,
    pub params: BTreeMap<String, String>,
    pub from: String,
    pub to: String,
    pub cash: String,
    pub zerodha: bool,
    pub commission: String,
    pub slippage: String,
}

/// Reads the form into a request, naming the first field that cannot be sent.
pub fn build_request(f: &BacktestForm) -> Result<BacktestRequest, String> {
    if f.kind.is_empty() {
        return Err("Choose a strategy kind.".into());
    }
    let instrument = f.instrument.trim().to_uppercase();
    if !instrument.contains(':') {
        return Err("Instrument must be EXCHANGE:SYMBOL, e.g. NSE:INFY.".into());
    }
    let date = |name: &str, s: &str| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| format!("{name} must be a date (YYYY-MM-DD)."))
    };
    let (from, to) = (date("From", &f.from)?, date("To", &f.to)?);
    if from >= to {
        return Err("From must be before To.".into());
    }
    let fraction = |name: &str, s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (0.0..1.0).contains(v))
            .ok_or_else(|| format!("{name} must be a fraction between 0 and 1 (0.001 = 0.1 %)."))
    };
    let cash = f
        .cash
        .trim()
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or("Cash must be a positive amount.")?;
    let commission = if f.zerodha {
        0.0
    } else {
        fraction("Commission", &f.commission)?
    };
    let slippage = fraction("Slippage", &f.slippage)?;
    if let Some((k, _)) = f.params.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(format!("Parameter {k} is empty."));
    }
    Ok(BacktestRequest {
        kind: f.kind.clone(),
        instrument,
        params: f
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        cash,
        zerodha: f.zerodha,
        commission,
        slippage,
    })
}

/// Stable keyword of the progress for styling and tests.
pub fn progress_state(p: &BacktestProgress) -> &'static str {
    match p {
        BacktestProgress::Idle => "idle",
        BacktestProgress::Running { .. } => "running",
        BacktestProgress::Done { .. } => "done",
        BacktestProgress::Failed { .. } => "failed",
    }
}

/// 0..=1 of the work done.
pub fn progress_fraction(p: &BacktestProgress) -> f64 {
    match p {
        BacktestProgress::Running { done, total } if *total > 0 => {
            (*done as f64 / *total as f64).clamp(0.0, 1.0)
        }
        BacktestProgress::Done { .. } => 1.0,
        _ => 0.0,
    }
}

/// A statistic as read: whole numbers (trade counts) without decimals, the rest with two.
pub fn stat_value(v: f64) -> String {
    if !v.is_finite() {
        "—".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format::signed_quantity(v as i64)
    } else {
        format::price(v)
    }
}

#[component]
pub fn BacktestPage() -> impl IntoView {
    let kinds = Resource::new(|| (), |_| get_strategy_kinds());
    view! {
        <section class="trading-page backtest-page">
            <div class="toolbar"><h1>"Backtest"</h1></div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading strategy kinds…"</div> }>
                {move || Suspend::new(async move {
                    match kinds.await {
                        Ok(k) => {
                            let equity: Vec<StrategyKindInfo> = k.into_iter().filter(|i| i.family == StrategyFamily::Equity).collect();
                            if equity.is_empty() {
                                view! { <p class="empty">"The engine offers no equity strategies to backtest."</p> }.into_any()
                            } else {
                                view! { <Backtester kinds=equity/> }.into_any()
                            }
                        }
                        Err(e) => view! { <div class="error" data-testid="kinds-error">"Could not load strategy kinds: " {error_text(&e)}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Backtester(kinds: Vec<StrategyKindInfo>) -> impl IntoView {
    let kinds = StoredValue::new(kinds);
    let first = kinds.with_value(|k| k[0].clone());
    let (from, to) = default_dates(now_ms());
    let form = RwSignal::new(BacktestForm {
        kind: first.kind.clone(),
        instrument: "NSE:INFY".into(),
        params: first.params.clone(),
        from,
        to,
        cash: DEFAULT_CASH.into(),
        zerodha: true,
        commission: "0.001".into(),
        slippage: "0".into(),
    });
    let progress = RwSignal::new(BacktestProgress::Idle);
    let polling = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    let kind = Memo::new(move |_| form.with(|f| f.kind.clone()));

    // Polls while a run is under way (and once on arrival, to show a run left from before).
    Effect::new(move |_| {
        let poll = move || {
            if !polling.get_untracked() {
                return;
            }
            leptos::task::spawn_local(async move {
                match get_backtest_progress().await {
                    Ok(p) => {
                        if !matches!(p, BacktestProgress::Running { .. }) {
                            polling.set(false);
                        }
                        progress.set(p);
                    }
                    Err(e) => {
                        error.set(Some(error_text(&e)));
                        polling.set(false);
                    }
                }
            })
        };
        poll();
        if let Ok(handle) =
            set_interval_with_handle(poll, std::time::Duration::from_millis(POLL_MS))
        {
            on_cleanup(move || handle.clear());
        }
    });

    let running = move || progress.with(|p| matches!(p, BacktestProgress::Running { .. }));
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let req = match build_request(&form.get_untracked()) {
            Ok(r) => r,
            Err(e) => return error.set(Some(e)),
        };
        progress.set(BacktestProgress::Running { done: 0, total: 0 });
        leptos::task::spawn_local(async move {
            match start_backtest(req).await {
                Ok(()) => polling.set(true),
                Err(e) => {
                    progress.set(BacktestProgress::Idle);
                    error.set(Some(error_text(&e)));
                }
            }
        });
    };
    let text_field = move |label: &'static str,
                           testid: &'static str,
                           get: fn(&BacktestForm) -> String,
                           set: fn(&mut BacktestForm, String)| {
        view! {
            <label>{label}
                <input type="text" data-testid=testid prop:value=move || form.with(get)
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)); }/>
            </label>
        }
    };

    view! {
        <form class="card backtest-form" data-testid="backtest-form" on:submit=run>
            <div class="form-row">
                <label>"Kind"
                    <select data-testid="bt-kind" on:change=move |ev| {
                        let k = event_target_value(&ev);
                        if let Some(i) = kinds.with_value(|all| all.iter().find(|i| i.kind == k).cloned()) {
                            form.update(|f| { f.params = i.params; f.kind = k; });
                        }
                    }>
                        {kinds.with_value(|all| all.iter().map(|i| {
                            let k = i.kind.clone();
                            view! { <option value=i.kind.clone() selected=move || kind.get() == k>{format!("{} ({})", i.label, i.kind)}</option> }
                        }).collect_view())}
                    </select>
                </label>
                {text_field("Instrument", "bt-instrument", |f| f.instrument.clone(), |f, v| f.instrument = v)}
                <label>"From"
                    <input type="date" data-testid="bt-from" prop:value=move || form.with(|f| f.from.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.from = v); }/>
                </label>
                <label>"To"
                    <input type="date" data-testid="bt-to" prop:value=move || form.with(|f| f.to.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.to = v); }/>
                </label>
                {text_field("Cash (₹)", "bt-cash", |f| f.cash.clone(), |f, v| f.cash = v)}
            </div>
            <div class="form-row">
                <label class="check">
                    <input type="checkbox" data-testid="bt-zerodha" prop:checked=move || form.with(|f| f.zerodha)
                        on:change=move |ev| { let v = event_target_checked(&ev); form.update(|f| f.zerodha = v); }/>
                    " Zerodha charges"
                </label>
                {move || (!form.with(|f| f.zerodha)).then(|| text_field("Commission (fraction)", "bt-commission", |f| f.commission.clone(), |f, v| f.commission = v))}
                {text_field("Slippage (fraction)", "bt-slippage", |f| f.slippage.clone(), |f, v| f.slippage = v)}
            </div>
            <div class="form-row params">
                {move || {
                    kind.track();
                    form.with_untracked(|f| f.params.clone())
                        .into_iter()
                        .map(|(name, value)| {
                            let key = name.clone();
                            view! {
                                <label>{name.clone()}
                                    <input type="text" data-testid=format!("bt-param-{name}") value=value
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            form.update(|f| { f.params.insert(key.clone(), v); });
                                        }/>
                                </label>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <div class="form-row">
                <button type="submit" class="button primary" data-testid="bt-run" disabled=running>
                    {move || if running() { "Running…" } else { "Run backtest" }}
                </button>
                <div class="scan-progress" data-testid="bt-progress" data-state=move || progress.with(progress_state)>
                    <div class="track"><div class="fill" style=move || format!("width: {:.1}%", progress.with(progress_fraction) * 100.0)></div></div>
                    <span data-testid="bt-progress-text">{move || progress.with(|p| match p {
                        BacktestProgress::Idle => "Not run yet".to_string(),
                        BacktestProgress::Running { done, total } if *total > 0 => format!("Running… {:.0}% ({done} of {total})", *done as f64 * 100.0 / *total as f64),
                        BacktestProgress::Running { .. } => "Starting…".to_string(),
                        BacktestProgress::Done { .. } => "Done".to_string(),
                        BacktestProgress::Failed { .. } => "Failed".to_string(),
                    })}</span>
                </div>
            </div>
            {move || error.get().map(|e| view! { <div class="error" data-testid="bt-error">{e}</div> })}
        </form>
        {move || match progress.get() {
            BacktestProgress::Done { report } => view! { <Report report=*report/> }.into_any(),
            BacktestProgress::Failed { message } => view! { <div class="error" data-testid="bt-failed">"The backtest failed: " {message}</div> }.into_any(),
            _ => ().into_any(),
        }}
    }
}

#[component]
fn Report(report: BacktestReportView) -> impl IntoView {
    let equity = Curve::new(report.dates.clone(), report.equity.clone());
    let drawdown = Curve::new(report.dates.clone(), report.drawdown_pct.clone());
    view! {
        <div class="backtest-report" data-testid="bt-report">
            <h2 class="section">{format!("{} on {}", report.kind, report.instrument)}</h2>
            <div class="report-grid">
                <div class="card stats">
                    <table class="kv" data-testid="bt-stats">
                        {report.stats.iter().map(|(k, v)| view! {
                            <tr data-testid="bt-stat"><th>{k.clone()}</th><td class="num">{stat_value(*v)}</td></tr>
                        }).collect_view()}
                    </table>
                </div>
                <div class="charts">
                    <LineChart curve=equity title="Equity (₹)" color=(76, 141, 255) fill=false include_zero=false testid="equity-chart"/>
                    <LineChart curve=drawdown title="Drawdown (%)" color=(239, 83, 80) fill=true include_zero=true testid="drawdown-chart"/>
                </div>
            </div>
            <h2 class="section">{format!("Trades ({})", report.trades.len())}</h2>
            {if report.trades.is_empty() {
                view! { <p class="empty" data-testid="bt-no-trades">"The strategy made no trades in this window."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="grid" data-testid="bt-trades">
                            <thead><tr>
                                <th class="num">"Size"</th><th>"Entry"</th><th>"Exit"</th><th class="num">"Entry price"</th>
                                <th class="num">"Exit price"</th><th class="num">"P&L"</th><th class="num">"Return"</th>
                            </tr></thead>
                            <tbody>
                                {report.trades.into_iter().map(|t| view! {
                                    <tr data-testid="bt-trade-row">
                                        <td class="num">{format::signed_quantity(t.size)}</td>
                                        <td class="tag">{t.entry_time}</td>
                                        <td class="tag">{t.exit_time}</td>
                                        <td class="num">{format::price(t.entry_price)}</td>
                                        <td class="num">{format::price(t.exit_price)}</td>
                                        <td class=format!("num {}", format::tone(t.pnl))>{format::rupees(t.pnl)}</td>
                                        <td class=format!("num {}", format::tone(t.return_pct))>{format::percent(t.return_pct)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> BacktestForm {
        BacktestForm {
            kind: "sma_crossover".into(),
            instrument: "nse:infy".into(),
            params: BTreeMap::from([("fast".into(), "10".into()), ("slow".into(), " 20 ".into())]),
            from: "2024-11-28".into(),
            to: "2026-11-28".into(),
            cash: "10,00,000".into(),
            zerodha: true,
            commission: "junk".into(),
            slippage: "0.0005".into(),
        }
    }

    #[test]
    fn default_window_is_two_years_to_today_in_ist() {
        // 2026-11-28 20:00 UTC is already 29 Nov in India.
        assert_eq!(
            default_dates(1_795_896_000_000),
            ("2024-11-29".to_string(), "2026-11-29".to_string())
        );
    }

    #[test]
    fn the_form_becomes_a_request() {
        let r = build_request(&form()).unwrap();
        assert_eq!(r.instrument, "NSE:INFY");
        assert_eq!(r.cash, 1_000_000.0);
        assert_eq!(r.params["slow"], "20");
        // With Zerodha charges the commission field is not read.
        assert!(r.zerodha && r.commission == 0.0);
        assert_eq!(r.slippage, 0.0005);
        let mut f = form();
        f.zerodha = false;
        assert!(build_request(&f).unwrap_err().contains("Commission"));
        f.commission = "0.002".into();
        assert_eq!(build_request(&f).unwrap().commission, 0.002);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = form();
        f.instrument = "INFY".into();
        assert!(build_request(&f).unwrap_err().contains("EXCHANGE:SYMBOL"));
        let mut f = form();
        f.to = "2024-01-01".into();
        assert!(build_request(&f).unwrap_err().contains("before"));
        let mut f = form();
        f.from = "28/11/2024".into();
        assert!(build_request(&f).unwrap_err().contains("From"));
        let mut f = form();
        f.cash = "0".into();
        assert!(build_request(&f).unwrap_err().contains("Cash"));
        let mut f = form();
        f.slippage = "1.5".into();
        assert!(build_request(&f).unwrap_err().contains("Slippage"));
        let mut f = form();
        f.params.insert("fast".into(), "".into());
        assert!(build_request(&f).unwrap_err().contains("fast"));
    }

    #[test]
    fn progress_and_stats_read_plainly() {
        let p = BacktestProgress::Running {
            done: 250,
            total: 500,
        };
        assert_eq!(progress_fraction(&p), 0.5);
        assert_eq!(progress_state(&p), "running");
        assert_eq!(
            progress_fraction(&BacktestProgress::Running { done: 0, total: 0 }),
            0.0
        );
        assert_eq!(progress_fraction(&BacktestProgress::Idle), 0.0);
        assert_eq!(stat_value(12.0), "12");
        assert_eq!(stat_value(-3.456), "-3.46");
        assert_eq!(stat_value(1_234_567.5), "12,34,567.50");
        assert_eq!(stat_value(f64::NAN), "—");
    }
}
