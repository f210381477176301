//! Options: the chain of NIFTY, BANKNIFTY or SENSEX centred on the ATM strike, with OI bars, max
//! pain and PCR, and OI-by-strike charts that follow `/ws/oi` pushes.

use crate::api::{get_option_chain, start_oi_tracker};
#[cfg(feature = "hydrate")]
use crate::charts;
use crate::format;
use crate::oi_feed::OiFeed;
use leptos::prelude::*;
use model::options::{ChainLeg, ChainRow, OiStrike, OiSummary, OptionChain, Underlying};

/// Strikes shown either side of the ATM strike.
pub const ROWS_EACH_SIDE: usize = 15;
/// How often the chain's prices, IVs and greeks are re-read (OI comes faster, from the socket).
const CHAIN_REFRESH_MS: u64 = 10_000;

/// The OI picture of a chain, for the charts before the tracker's first push.
pub fn summary_from_chain(chain: &OptionChain) -> OiSummary {
    let leg_oi = |l: &Option<ChainLeg>| {
        l.as_ref()
            .map_or((0, 0, 0), |l| (l.oi, l.oi_change, l.volume))
    };
    let strikes: Vec<OiStrike> = chain
        .rows
        .iter()
        .map(|r| {
            let (call_oi, call_oi_change, call_volume) = leg_oi(&r.call);
            let (put_oi, put_oi_change, put_volume) = leg_oi(&r.put);
            OiStrike {
                strike: r.strike,
                call_oi,
                put_oi,
                call_oi_change,
                put_oi_change,
                call_volume,
                put_volume,
            }
        })
        .collect();
    OiSummary {
        underlying: chain.underlying,
        expiry: chain.expiry.clone(),
        spot: chain.spot,
        atm_strike: chain.atm_strike,
        max_pain: chain.max_pain,
        pcr_oi: chain.pcr_oi,
        pcr_volume: chain.pcr_volume,
        total_call_oi: strikes.iter().map(|s| s.call_oi).sum(),
        total_put_oi: strikes.iter().map(|s| s.put_oi).sum(),
        total_call_oi_change: strikes.iter().map(|s| s.call_oi_change).sum(),
        total_put_oi_change: strikes.iter().map(|s| s.put_oi_change).sum(),
        strikes,
        updated_ms: chain.as_of_ms,
    }
}

/// Rows within `ROWS_EACH_SIDE` of the ATM strike (all of them when ATM is unknown).
pub fn rows_around_atm(chain: &OptionChain) -> &[ChainRow] {
    let Some(atm) = chain.atm_strike else {
        return &chain.rows;
    };
    let centre = chain
        .rows
        .iter()
        .position(|r| r.strike >= atm)
        .unwrap_or(chain.rows.len().saturating_sub(1));
    let from = centre.saturating_sub(ROWS_EACH_SIDE);
    let to = (centre + ROWS_EACH_SIDE + 1).min(chain.rows.len());
    &chain.rows[from..to]
}

fn opt_num(v: Option<f64>, digits: usize) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn iv_text(l: &ChainLeg) -> String {
    l.iv.map_or_else(|| "—".into(), |v| format!("{:.1}", v * 100.0))
}

fn delta_text(l: &ChainLeg) -> String {
    l.greeks
        .map_or_else(|| "—".into(), |g| format!("{:.2}", g.delta))
}

#[component]
pub fn OptionsPage() -> impl IntoView {
    let feed = expect_context::<OiFeed>();
    let underlying = RwSignal::new(Underlying::Nifty);
    let expiry = RwSignal::new(None::<String>);
    let chain = Resource::new(
        move || (underlying.get(), expiry.get()),
        |(u, e)| get_option_chain(u, e),
    );
    let tracker_error = RwSignal::new(None::<String>);

    // In the browser: open /ws/oi, make sure the tracker runs, and re-read the chain periodically.
    Effect::new(move |_| {
        feed.connect();
        leptos::task::spawn_local(async move {
            if let Err(e) = start_oi_tracker().await {
                tracker_error.set(Some(e.to_string()));
            }
        });
        if let Ok(handle) = set_interval_with_handle(
            move || chain.refetch(),
            std::time::Duration::from_millis(CHAIN_REFRESH_MS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    let pick = move |u: Underlying| {
        if underlying.get_untracked() != u {
            expiry.set(None);
            underlying.set(u);
        }
    };

    view! {
        <section class="options-page">
            <div class="toolbar">
                <h1>"Options"</h1>
                <div class="toggle" data-testid="underlying-picker">
                    {Underlying::ALL
                        .into_iter()
                        .map(|u| {
                            view! {
                                <button
                                    class:active=move || underlying.get() == u
                                    data-testid=format!("underlying-{}", u.as_str())
                                    on:click=move |_| pick(u)
                                >
                                    {u.as_str()}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <span class="oi-live" data-testid="oi-updates" data-count=move || feed.updates.get().to_string()>
                    {move || {
                        let n = feed.updates.get();
                        if n == 0 { "OI: waiting for the tracker…".to_string() } else { format!("OI live · {n} updates") }
                    }}
                </span>
            </div>
            {move || tracker_error.get().map(|e| view! { <div class="error" data-testid="oi-error">"OI tracker: " {e}</div> })}
            <Transition fallback=|| view! { <div class="loading"><span class="spinner"></span>"Loading the option chain…"</div> }>
                {move || Suspend::new(async move {
                    match chain.await {
                        Ok(c) => view! { <ChainView chain=c expiry/> }.into_any(),
                        Err(e) => view! {
                            <div class="error" data-testid="chain-error">"Could not load the chain: " {e.to_string()}</div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChainView(chain: OptionChain, expiry: RwSignal<Option<String>>) -> impl IntoView {
    let feed = expect_context::<OiFeed>();
    let underlying = chain.underlying;
    let chain_expiry = chain.expiry.clone();
    let fallback = summary_from_chain(&chain);
    // Live OI when the tracker follows this expiry; the chain's own OI otherwise.
    let summary = Memo::new(move |_| {
        feed.summary(underlying)
            .filter(|s| s.expiry == chain_expiry)
            .unwrap_or_else(|| fallback.clone())
    });
    let rows: Vec<ChainRow> = rows_around_atm(&chain).to_vec();
    let spot = chain.spot;
    let atm = chain.atm_strike;
    let expiries = chain.expiries.clone();
    let selected = chain.expiry.clone();

    let oi_of = move |strike: f64| {
        summary.with(|s| {
            s.strikes
                .iter()
                .find(|k| (k.strike - strike).abs() < 1e-6)
                .copied()
        })
    };
    let max_oi = Memo::new(move |_| {
        summary.with(|s| {
            s.strikes
                .iter()
                .map(|k| k.call_oi.max(k.put_oi))
                .max()
                .unwrap_or(0)
                .max(1)
        })
    });

    view! {
        <div class="chain-head">
            <label>
                "Expiry "
                <select
                    data-testid="expiry-select"
                    on:change=move |ev| expiry.set(Some(event_target_value(&ev)))
                >
                    {expiries
                        .into_iter()
                        .map(|e| {
                            let is = e == selected;
                            view! { <option value=e.clone() selected=is>{e.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <div class="stat"><span>"Spot"</span><b data-testid="spot">{format::price(spot)}</b></div>
            <div class="stat"><span>"ATM"</span><b data-testid="atm">{opt_num(atm, 0)}</b></div>
            <div class="stat"><span>"Max pain"</span><b data-testid="max-pain">{move || opt_num(summary.with(|s| s.max_pain), 0)}</b></div>
            <div class="stat"><span>"PCR (OI)"</span><b data-testid="pcr-oi">{move || opt_num(summary.with(|s| s.pcr_oi), 2)}</b></div>
            <div class="stat"><span>"PCR (vol)"</span><b data-testid="pcr-volume">{move || opt_num(summary.with(|s| s.pcr_volume), 2)}</b></div>
            <div class="stat"><span>"Call OI"</span><b>{move || format::compact(summary.with(|s| s.total_call_oi) as f64)}</b></div>
            <div class="stat"><span>"Put OI"</span><b>{move || format::compact(summary.with(|s| s.total_put_oi) as f64)}</b></div>
            <div class="stat"><span>"T"</span><b title="Years to expiry at 15:30 IST">{format!("{:.1} d", chain.time_to_expiry * 365.0)}</b></div>
        </div>
        <div class="oi-charts">
            <OiChart summary change=false testid="oi-chart"/>
            <OiChart summary change=true testid="oi-change-chart"/>
        </div>
        <div class="table-wrap">
            <table class="grid chain" data-testid="chain-table">
                <thead>
                    <tr class="sides"><th colspan="6">"CALLS"</th><th></th><th colspan="6">"PUTS"</th></tr>
                    <tr>
                        <th class="num">"OI"</th><th class="num">"Chg OI"</th><th class="num">"Volume"</th>
                        <th class="num">"IV %"</th><th class="num">"Delta"</th><th class="num">"LTP"</th>
                        <th class="strike">"Strike"</th>
                        <th class="num">"LTP"</th><th class="num">"Delta"</th><th class="num">"IV %"</th>
                        <th class="num">"Volume"</th><th class="num">"Chg OI"</th><th class="num">"OI"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let strike = r.strike;
                            let is_atm = atm.is_some_and(|a| (a - strike).abs() < 1e-6);
                            let call_itm = strike < spot;
                            let put_itm = strike > spot;
                            let call_oi = move || oi_of(strike).map_or(0, |k| k.call_oi);
                            let put_oi = move || oi_of(strike).map_or(0, |k| k.put_oi);
                            let call_chg = move || oi_of(strike).map_or(0, |k| k.call_oi_change);
                            let put_chg = move || oi_of(strike).map_or(0, |k| k.put_oi_change);
                            let width = move |oi: u64| format!("width: {:.1}%", oi as f64 * 100.0 / max_oi.get() as f64);
                            let leg = |l: &Option<ChainLeg>, f: fn(&ChainLeg) -> String| l.as_ref().map_or_else(|| "—".to_string(), f);
                            let c = r.call.clone();
                            let p = r.put.clone();
                            view! {
                                <tr class:atm=is_atm data-strike=format!("{strike:.0}") data-testid=if is_atm { "atm-row" } else { "chain-row" }>
                                    <td class="num oi call" class:itm=call_itm data-testid="call-oi">
                                        <span class="bar" style=move || width(call_oi())></span>
                                        <span class="v">{move || format::compact(call_oi() as f64)}</span>
                                    </td>
                                    <td class=move || format!("num {}", format::tone(call_chg() as f64)) class:itm=call_itm>{move || format::compact_signed(call_chg() as f64)}</td>
                                    <td class="num" class:itm=call_itm>{leg(&c, |l| format::compact(l.volume as f64))}</td>
                                    <td class="num" class:itm=call_itm>{leg(&c, iv_text)}</td>
                                    <td class="num" class:itm=call_itm>{leg(&c, delta_text)}</td>
                                    <td class="num ltp" class:itm=call_itm>{leg(&c, |l| format::price(l.ltp))}</td>
                                    <td class="strike">{format!("{strike:.0}")}</td>
                                    <td class="num ltp" class:itm=put_itm>{leg(&p, |l| format::price(l.ltp))}</td>
                                    <td class="num" class:itm=put_itm>{leg(&p, delta_text)}</td>
                                    <td class="num" class:itm=put_itm>{leg(&p, iv_text)}</td>
                                    <td class="num" class:itm=put_itm>{leg(&p, |l| format::compact(l.volume as f64))}</td>
                                    <td class=move || format!("num {}", format::tone(put_chg() as f64)) class:itm=put_itm>{move || format::compact_signed(put_chg() as f64)}</td>
                                    <td class="num oi put" class:itm=put_itm data-testid="put-oi">
                                        <span class="bar" style=move || width(put_oi())></span>
                                        <span class="v">{move || format::compact(put_oi() as f64)}</span>
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

/// A canvas redrawn whenever the summary changes.
#[component]
fn OiChart(summary: Memo<OiSummary>, change: bool, testid: &'static str) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let s = summary.get();
        let Some(c) = canvas.get() else { return };
        #[cfg(feature = "hydrate")]
        match charts::draw_oi(&c, &s, change) {
            Ok(()) => drawn.update(|n| *n += 1),
            Err(e) => error.set(Some(e)),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (c, s, change);
    });
    view! {
        <figure class="chart">
            <canvas node_ref=canvas width="620" height="300" data-testid=testid data-drawn=move || drawn.get().to_string()></canvas>
            {move || error.get().map(|e| view! { <figcaption class="error">"Chart failed: " {e}</figcaption> })}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::options::LegGreeks;
    use model::{Exchange, InstrumentToken};

    fn leg(oi: u64, chg: i64) -> ChainLeg {
        ChainLeg {
            token: InstrumentToken(1),
            tradingsymbol: "X".into(),
            lot_size: 75,
            ltp: 10.0,
            bid: None,
            ask: None,
            oi,
            oi_change: chg,
            volume: 5,
            iv: Some(0.15),
            greeks: Some(LegGreeks::default()),
        }
    }

    fn chain(n: usize, atm: Option<f64>) -> OptionChain {
        OptionChain {
            underlying: Underlying::Nifty,
            exchange: Exchange::Nfo,
            expiry: "2026-12-03".into(),
            expiries: vec!["2026-12-03".into()],
            spot: 24_010.0,
            time_to_expiry: 5.0 / 365.0,
            rate: 0.065,
            atm_strike: atm,
            max_pain: Some(24_000.0),
            pcr_oi: Some(1.1),
            pcr_volume: Some(0.9),
            rows: (0..n)
                .map(|i| ChainRow {
                    strike: 23_000.0 + 50.0 * i as f64,
                    call: Some(leg(100 * i as u64, 3)),
                    put: if i % 2 == 0 { Some(leg(50, -2)) } else { None },
                })
                .collect(),
            as_of_ms: 7,
        }
    }

    #[test]
    fn summary_from_chain_adds_up_legs_and_treats_missing_as_zero() {
        let c = chain(4, Some(23_050.0));
        let s = summary_from_chain(&c);
        assert_eq!(s.strikes.len(), 4);
        assert_eq!(s.total_call_oi, 600);
        assert_eq!(s.total_put_oi, 100);
        assert_eq!(s.total_call_oi_change, 12);
        assert_eq!(s.total_put_oi_change, -4);
        assert_eq!(s.strikes[1].put_oi, 0);
        assert_eq!(s.max_pain, Some(24_000.0));
    }

    #[test]
    fn rows_window_is_centred_on_atm() {
        let c = chain(60, Some(24_000.0));
        let rows = rows_around_atm(&c);
        assert_eq!(rows.len(), 2 * ROWS_EACH_SIDE + 1);
        assert_eq!(rows[ROWS_EACH_SIDE].strike, 24_000.0);
        let c = chain(40, Some(23_000.0));
        assert_eq!(rows_around_atm(&c).len(), ROWS_EACH_SIDE + 1);
        let c = chain(10, None);
        assert_eq!(rows_around_atm(&c).len(), 10);
    }
}
