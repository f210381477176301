//! Analysis: run the NIFTY 50 scan with visible progress, read Minervini's eight criteria per stock,
//! movers and triggers, and open any stock's candlestick study.

use crate::api::{get_candles, get_scan_results, get_scan_status, start_scan};
#[cfg(feature = "hydrate")]
use crate::charts;
use crate::components::account::{sorted, Sort, SortKey, SortTh};
use crate::format;
use leptos::prelude::*;
use model::analysis::{Movers, ScanResults, ScanStatus, StockScan, TemplateCriterion};
use model::broker::Candle;

/// How often the page asks for progress.
const STATUS_POLL_MS: u64 = 500;
/// Daily candles shown in the study (about 18 months, enough for SMA 50 and 52-week context).
const CHART_DAYS: u32 = 400;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), format::percent)
}

fn key(s: &StockScan, col: usize) -> SortKey {
    let num = |v: Option<f64>| SortKey::Num(v.unwrap_or(f64::NEG_INFINITY));
    match col {
        0 => SortKey::Text(s.symbol.clone()),
        1 => SortKey::Num(s.close),
        2 => num(s.change_1d_pct),
        3 => num(s.change_1w_pct),
        4 => num(s.change_1m_pct),
        5 => num(s.rs_rating.map(f64::from)),
        6 => SortKey::Num(passed(s) as f64),
        _ => SortKey::Num(s.triggers.len() as f64),
    }
}

/// How many of the eight criteria a stock meets.
pub fn passed(s: &StockScan) -> usize {
    s.template.iter().filter(|c| c.pass).count()
}

/// The progress line under the scan button.
pub fn progress_text(s: &ScanStatus) -> String {
    if s.scanning {
        format!(
            "Scanning {} of {} ({:.0}%)",
            s.done,
            s.total,
            s.progress * 100.0
        )
    } else if let Some(e) = &s.error {
        format!("Last scan failed: {e}")
    } else if let Some(t) = &s.last_scan_time {
        format!("Last scan {} IST", format::short_time(t))
    } else {
        "No scan yet".into()
    }
}

#[component]
pub fn AnalysisPage() -> impl IntoView {
    let status = RwSignal::new(ScanStatus::default());
    // Bumped when a scan finishes, so the results are read again.
    let version = RwSignal::new(0u32);
    let results = Resource::new(move || version.get(), |_| get_scan_results());
    let selected = RwSignal::new(None::<String>);
    let start_error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        let poll = move || {
            leptos::task::spawn_local(async move {
                if let Ok(s) = get_scan_status().await {
                    let finished = status.get_untracked().scanning && !s.scanning;
                    status.set(s);
                    if finished {
                        version.update(|v| *v += 1);
                    }
                }
            })
        };
        poll();
        if let Ok(handle) =
            set_interval_with_handle(poll, std::time::Duration::from_millis(STATUS_POLL_MS))
        {
            on_cleanup(move || handle.clear());
        }
    });

    let scan = move |_| {
        start_error.set(None);
        leptos::task::spawn_local(async move {
            match start_scan().await {
                Ok(r) => status.set(r.status),
                Err(e) => start_error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <section class="analysis-page">
            <div class="toolbar">
                <h1>"Analysis"</h1>
                <button
                    class="button primary"
                    data-testid="scan-button"
                    disabled=move || status.get().scanning
                    on:click=scan
                >
                    {move || if status.get().scanning { "Scanning…" } else { "Scan NIFTY 50" }}
                </button>
                <div class="scan-progress" data-testid="scan-progress" data-scanning=move || status.get().scanning.to_string()>
                    <div class="track">
                        <div class="fill" style=move || format!("width: {:.1}%", status.get().progress * 100.0)></div>
                    </div>
                    <span data-testid="scan-progress-text">{move || progress_text(&status.get())}</span>
                </div>
            </div>
            {move || start_error.get().map(|e| view! { <div class="error" data-testid="scan-error">"Could not start the scan: " {e}</div> })}
            <Transition fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading results…"</div> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(Some(r)) => view! { <Results results=r selected/> }.into_any(),
                        Ok(None) => view! {
                            <p class="empty" data-testid="no-results">"No scan yet. Press “Scan NIFTY 50” to check every stock against the trend template."</p>
                        }.into_any(),
                        Err(e) => view! { <div class="error" data-testid="results-error">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Transition>
            {move || selected.get().map(|symbol| view! { <StudyPanel symbol selected/> })}
        </section>
    }
}

#[component]
fn Results(results: ScanResults, selected: RwSignal<Option<String>>) -> impl IntoView {
    let sort = RwSignal::new(Sort {
        column: 6,
        ascending: false,
    });
    let only_passing = RwSignal::new(false);
    let stocks = results.stocks.clone();
    let passing = stocks.iter().filter(|s| s.template_pass).count();
    let triggers: Vec<(String, model::analysis::Trigger)> = results
        .stocks
        .iter()
        .flat_map(|s| s.triggers.iter().map(|t| (s.symbol.clone(), t.clone())))
        .collect();
    view! {
        <p class="scan-summary" data-testid="scan-summary">
            {format!(
                "{} stocks scanned at {} in {} ms · {} pass all eight criteria",
                results.stocks.len(),
                format::short_time(&results.scanned_at),
                results.elapsed_ms,
                passing
            )}
            <label class="check">
                <input type="checkbox" data-testid="only-passing" on:change=move |ev| only_passing.set(event_target_checked(&ev))/>
                " Only stocks passing the template"
            </label>
        </p>
        <div class="table-wrap">
            <table class="grid scan" data-testid="scan-table">
                <thead>
                    <tr>
                        <SortTh label="Symbol" column=0 sort/>
                        <SortTh label="Close" column=1 sort numeric=true/>
                        <SortTh label="1D" column=2 sort numeric=true/>
                        <SortTh label="1W" column=3 sort numeric=true/>
                        <SortTh label="1M" column=4 sort numeric=true/>
                        <SortTh label="RS" column=5 sort numeric=true/>
                        {TemplateCriterion::ALL
                            .into_iter()
                            .map(|c| view! { <th class="crit" title=format!("{c:?}")>{c.label()}</th> })
                            .collect_view()}
                        <SortTh label="Score" column=6 sort numeric=true/>
                        <SortTh label="Triggers" column=7 sort numeric=true/>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let rows: Vec<StockScan> = stocks
                            .iter()
                            .filter(|s| !only_passing.get() || s.template_pass)
                            .cloned()
                            .collect();
                        sorted(&rows, sort.get(), key)
                            .into_iter()
                            .map(|s| {
                                let symbol = s.symbol.clone();
                                let score = passed(&s);
                                view! {
                                    <tr
                                        class="clickable"
                                        class:pass=s.template_pass
                                        class:selected={
                                            let symbol = symbol.clone();
                                            move || selected.get().as_deref() == Some(symbol.as_str())
                                        }
                                        data-testid="scan-row"
                                        data-symbol=symbol.clone()
                                        on:click={
                                            let symbol = symbol.clone();
                                            move |_| selected.set(Some(symbol.clone()))
                                        }
                                    >
                                        <td class="sym">{symbol.clone()}</td>
                                        <td class="num">{format::price(s.close)}</td>
                                        <td class=format!("num {}", format::tone(s.change_1d_pct.unwrap_or(0.0)))>{pct(s.change_1d_pct)}</td>
                                        <td class=format!("num {}", format::tone(s.change_1w_pct.unwrap_or(0.0)))>{pct(s.change_1w_pct)}</td>
                                        <td class=format!("num {}", format::tone(s.change_1m_pct.unwrap_or(0.0)))>{pct(s.change_1m_pct)}</td>
                                        <td class="num">{s.rs_rating.map_or_else(|| "—".to_string(), |r| r.to_string())}</td>
                                        {s.template
                                            .iter()
                                            .map(|c| {
                                                view! {
                                                    <td class="crit" class:pass=c.pass class:fail=!c.pass title=c.value.clone() data-testid="criterion">
                                                        {if c.pass { "✓" } else { "✗" }}
                                                    </td>
                                                }
                                            })
                                            .collect_view()}
                                        <td class="num" data-testid="score">{format!("{score}/8")}</td>
                                        <td class="triggers">
                                            {s.triggers
                                                .iter()
                                                .map(|t| view! { <span class="chip" title=t.detail.clone()>{trigger_label(t.kind)}</span> })
                                                .collect_view()}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </div>
        <div class="movers" data-testid="movers">
            <MoversCard title="Daily" movers=results.daily.clone()/>
            <MoversCard title="Weekly" movers=results.weekly.clone()/>
            <MoversCard title="Monthly" movers=results.monthly.clone()/>
        </div>
        <div class="card triggers-list" data-testid="triggers">
            <h2>"Triggers"</h2>
            {if triggers.is_empty() {
                view! { <p class="empty">"No triggers on the latest session."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {triggers
                            .into_iter()
                            .map(|(sym, t)| view! {
                                <li><b>{sym}</b> " " <span class="chip">{trigger_label(t.kind)}</span> " " {t.detail}</li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </div>
    }
}

pub fn trigger_label(kind: model::analysis::TriggerKind) -> &'static str {
    use model::analysis::TriggerKind::*;
    match kind {
        High52wBreakout => "52w high breakout",
        VolumeSurge => "Volume surge",
        GoldenCross => "Golden cross",
        DeathCross => "Death cross",
        RsiCrossUp30 => "RSI ↑30",
        RsiCrossDown70 => "RSI ↓70",
        BollingerSqueeze => "BB squeeze",
    }
}

#[component]
fn MoversCard(title: &'static str, movers: Movers) -> impl IntoView {
    let list = |items: Vec<model::analysis::Mover>| {
        items
            .into_iter()
            .map(|m| {
                view! {
                    <li>
                        <span class="sym">{m.symbol}</span>
                        <span class="num">{format::price(m.close)}</span>
                        <span class=format!("num {}", format::tone(m.change_pct))>{format::percent(m.change_pct)}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="card" data-testid=format!("movers-{}", title.to_lowercase())>
            <h2>{title}</h2>
            <h3>"Gainers"</h3>
            <ul class="mover-list">{list(movers.gainers)}</ul>
            <h3>"Losers"</h3>
            <ul class="mover-list">{list(movers.losers)}</ul>
        </div>
    }
}

#[component]
fn StudyPanel(symbol: String, selected: RwSignal<Option<String>>) -> impl IntoView {
    let sym = symbol.clone();
    let candles = Resource::new(move || sym.clone(), |s| get_candles(s, CHART_DAYS));
    view! {
        <div class="card study" data-testid="study-panel">
            <div class="toolbar">
                <h2>{symbol.clone()} " · daily"</h2>
                <button class="button" data-testid="close-study" on:click=move |_| selected.set(None)>"Close"</button>
            </div>
            <Suspense fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading candles…"</div> }>
                {move || Suspend::new(async move {
                    match candles.await {
                        Ok(c) if c.is_empty() => view! { <p class="empty">"No candles for this stock."</p> }.into_any(),
                        Ok(c) => view! { <StudyChart candles=c/> }.into_any(),
                        Err(e) => view! { <div class="error">"Could not load candles: " {e.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn StudyChart(candles: Vec<Candle>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let last = candles.last().cloned();
    let study = crate::charts::Study::new(&candles);
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        #[cfg(feature = "hydrate")]
        match charts::draw_study(&c, &study) {
            Ok(()) => drawn.update(|n| *n += 1),
            Err(e) => error.set(Some(e)),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (c, &study);
    });
    view! {
        <p class="study-legend">
            {last.map(|c| format!(
                "{} · O {} H {} L {} C {}",
                c.timestamp.format("%d %b %Y"),
                format::price(c.open),
                format::price(c.high),
                format::price(c.low),
                format::price(c.close)
            ))}
        </p>
        <canvas node_ref=canvas width="1000" height="600" data-testid="study-chart" data-drawn=move || drawn.get().to_string()></canvas>
        {move || error.get().map(|e| view! { <p class="error">"Chart failed: " {e}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_text_covers_every_state() {
        let mut s = ScanStatus {
            scanning: true,
            done: 10,
            total: 50,
            progress: 0.2,
            ..Default::default()
        };
        assert_eq!(progress_text(&s), "Scanning 10 of 50 (20%)");
        s.scanning = false;
        assert_eq!(progress_text(&s), "No scan yet");
        s.last_scan_time = Some("2026-11-28T15:30:00+05:30".into());
        assert_eq!(progress_text(&s), "Last scan 28 Nov 15:30:00 IST");
        s.error = Some("TokenException".into());
        assert_eq!(progress_text(&s), "Last scan failed: TokenException");
    }
}
