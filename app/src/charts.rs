//! Charts drawn with plotters on a `<canvas>`: a candlestick study (price with SMA/EMA/Bollinger
//! overlays, RSI and MACD panes) and open interest by strike.
//!
//! The numbers are prepared by plain functions that run (and are tested) anywhere; only the drawing
//! is browser-side. Indicators come from `quant`, the same TA-Lib-exact code the scanner and the
//! strategies use, so a line on the chart is the line the engine sees.

use model::broker::Candle;
use model::options::OiSummary;

/// Indicator periods drawn on the study. Stated once so the legend and the maths agree.
pub const SMA_PERIOD: usize = 50;
pub const EMA_PERIOD: usize = 20;
pub const BB_PERIOD: usize = 20;
pub const BB_WIDTH: f64 = 2.0;
pub const RSI_PERIOD: usize = 14;

/// Everything the candlestick study draws, aligned with the candles (NaN during warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    pub dates: Vec<String>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub sma: Vec<f64>,
    pub ema: Vec<f64>,
    pub bb_upper: Vec<f64>,
    pub bb_lower: Vec<f64>,
    pub rsi: Vec<f64>,
    pub macd: Vec<f64>,
    pub macd_signal: Vec<f64>,
    pub macd_hist: Vec<f64>,
}

impl Study {
    /// Computes the overlays for `candles` (oldest first). Series too short for an indicator's
    /// warm-up simply have NaN throughout.
    pub fn new(candles: &[Candle]) -> Self {
        use quant::indicators as ind;
        let n = candles.len();
        let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
        let nan = || vec![f64::NAN; n];
        let sma = ind::sma(&close, SMA_PERIOD).unwrap_or_else(|_| nan());
        let ema = ind::ema(&close, EMA_PERIOD).unwrap_or_else(|_| nan());
        let (bb_upper, bb_lower) = match ind::bollinger(&close, BB_PERIOD, BB_WIDTH) {
            Ok(b) => (b.upper, b.lower),
            Err(_) => (nan(), nan()),
        };
        let rsi = ind::rsi(&close, RSI_PERIOD).unwrap_or_else(|_| nan());
        let (macd, macd_signal, macd_hist) = match ind::macd(&close, 12, 26, 9) {
            Ok(m) => (m.macd, m.signal, m.hist),
            Err(_) => (nan(), nan(), nan()),
        };
        Self {
            dates: candles
                .iter()
                .map(|c| c.timestamp.format("%d %b %y").to_string())
                .collect(),
            open: candles.iter().map(|c| c.open).collect(),
            high: candles.iter().map(|c| c.high).collect(),
            low: candles.iter().map(|c| c.low).collect(),
            close,
            sma,
            ema,
            bb_upper,
            bb_lower,
            rsi,
            macd,
            macd_signal,
            macd_hist,
        }
    }

    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// Price axis range covering candles and bands, with a little air.
    pub fn price_range(&self) -> (f64, f64) {
        let finite = self
            .low
            .iter()
            .chain(&self.high)
            .chain(&self.bb_upper)
            .chain(&self.bb_lower)
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        padded(lo, hi)
    }

    /// MACD pane range (both lines and the histogram).
    pub fn macd_range(&self) -> (f64, f64) {
        let (lo, hi) = self
            .macd
            .iter()
            .chain(&self.macd_signal)
            .chain(&self.macd_hist)
            .copied()
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        padded(lo, hi)
    }
}

/// `lo..hi` widened by 5 % (or by 1 when flat) so nothing sits on the frame.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 1.0 };
    (lo - pad, hi + pad)
}

/// The strikes an OI chart shows: `width` either side of the ATM strike (all when ATM is unknown).
pub fn strikes_around_atm(summary: &OiSummary, width: usize) -> &[model::options::OiStrike] {
    let strikes = &summary.strikes;
    let Some(atm) = summary.atm_strike else {
        return strikes;
    };
    let centre = strikes
        .iter()
        .position(|s| s.strike >= atm)
        .unwrap_or(strikes.len().saturating_sub(1));
    let from = centre.saturating_sub(width);
    let to = (centre + width + 1).min(strikes.len());
    &strikes[from..to]
}

/// One series over time for a line or area chart (cumulative P&L, equity, drawdown): a label per
/// point for the x axis and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
}

impl Curve {
    /// Pairs labels with values; extra entries on either side are dropped.
    pub fn new(labels: Vec<String>, values: Vec<f64>) -> Self {
        let n = labels.len().min(values.len());
        let (mut labels, mut values) = (labels, values);
        labels.truncate(n);
        values.truncate(n);
        Self { labels, values }
    }

    /// The journal's cumulative net P&L, labelled with the fill's IST date and time.
    pub fn from_cumulative(points: &[(u64, f64)]) -> Self {
        Self::new(
            points
                .iter()
                .map(|(ms, _)| crate::trading_feed::ist_time(*ms))
                .collect(),
            points.iter().map(|(_, v)| *v).collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Value axis range: always includes zero (P&L and drawdown read against it), with air.
    pub fn range(&self) -> (f64, f64) {
        let (lo, hi) = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        padded(lo.min(0.0), hi.max(0.0))
    }

    /// Like [`range`](Self::range) but without forcing zero in: an equity curve far above zero
    /// would otherwise be a flat line at the top.
    pub fn tight_range(&self) -> (f64, f64) {
        let (lo, hi) = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        padded(lo, hi)
    }
}

/// A value-axis label precise enough for the axis' span: paise for a few rupees of P&L, whole
/// numbers for thousands, lakh/crore beyond.
pub fn axis_label(v: f64, span: f64) -> String {
    let text = if span < 10.0 {
        format!("{v:.2}")
    } else if span < 100_000.0 {
        format!("{v:.0}")
    } else {
        crate::format::compact(v)
    };
    // A value that rounds to zero reads as zero, not "-0.00".
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| matches!(c, '0' | '.' | ',')) => rest.to_string(),
        _ => text,
    }
}

#[cfg(feature = "hydrate")]
pub use draw::{draw_line, draw_oi, draw_study};

#[cfg(feature = "hydrate")]
mod draw {
    use super::*;
    use plotters::prelude::*;
    use plotters_canvas::CanvasBackend;
    use web_sys::HtmlCanvasElement;

    const UP: RGBColor = RGBColor(22, 163, 74);
    const DOWN: RGBColor = RGBColor(220, 38, 38);
    const SMA_C: RGBColor = RGBColor(37, 99, 235);
    const EMA_C: RGBColor = RGBColor(234, 88, 12);
    const BAND_C: RGBColor = RGBColor(147, 51, 234);
    // The dashboard's dark palette (style/main.css).
    const BG: RGBColor = RGBColor(22, 28, 35);
    const GRID: RGBColor = RGBColor(36, 48, 64);
    const LIGHT_GRID: RGBColor = RGBColor(27, 35, 45);
    const TEXT: RGBColor = RGBColor(131, 145, 162);
    const CALL_C: RGBColor = RGBColor(220, 38, 38);
    const PUT_C: RGBColor = RGBColor(22, 163, 74);

    type DrawResult = Result<(), String>;

    fn err<E: std::fmt::Debug>(e: E) -> String {
        format!("{e:?}")
    }

    fn line(xs: &[f64], color: RGBColor) -> impl Iterator<Item = PathElement<(usize, f64)>> + '_ {
        // NaN warm-up values split the line instead of dragging it to zero.
        let mut segments: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
        for (i, v) in xs.iter().enumerate() {
            if v.is_finite() {
                segments.last_mut().expect("never empty").push((i, *v));
            } else if !segments.last().expect("never empty").is_empty() {
                segments.push(Vec::new());
            }
        }
        segments
            .into_iter()
            .filter(|s| s.len() > 1)
            .map(move |s| PathElement::new(s, color.stroke_width(1)))
    }

    /// Candles with SMA/EMA/Bollinger, then RSI and MACD panes below.
    pub fn draw_study(canvas: &HtmlCanvasElement, s: &Study) -> DrawResult {
        let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
        let root = backend.into_drawing_area();
        root.fill(&BG).map_err(err)?;
        if s.is_empty() {
            return Ok(());
        }
        let (h, _) = (root.dim_in_pixel().1, ());
        let (top, rest) = root.split_vertically((h as f64 * 0.6) as u32);
        let (rsi_area, macd_area) = rest.split_vertically((h as f64 * 0.2) as u32);
        let n = s.len();
        let dates = s.dates.clone();
        let label = move |i: &usize| dates.get(*i).cloned().unwrap_or_default();

        let (lo, hi) = s.price_range();
        let mut price = ChartBuilder::on(&top)
            .margin(6)
            .y_label_area_size(60)
            .x_label_area_size(0)
            .build_cartesian_2d(0..n, lo..hi)
            .map_err(err)?;
        price
            .configure_mesh()
            .light_line_style(LIGHT_GRID)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .label_style(("sans-serif", 11).into_font().color(&TEXT))
            .x_labels(4)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        let width = ((top.dim_in_pixel().0 as f64 - 70.0) / n as f64 * 0.7).clamp(1.0, 12.0) as u32;
        price
            .draw_series((0..n).map(|i| {
                CandleStick::new(
                    i,
                    s.open[i],
                    s.high[i],
                    s.low[i],
                    s.close[i],
                    UP.filled(),
                    DOWN.filled(),
                    width,
                )
            }))
            .map_err(err)?;
        price
            .draw_series(line(&s.sma, SMA_C))
            .map_err(err)?
            .label(format!("SMA {SMA_PERIOD}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], SMA_C));
        price
            .draw_series(line(&s.ema, EMA_C))
            .map_err(err)?
            .label(format!("EMA {EMA_PERIOD}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], EMA_C));
        price
            .draw_series(line(&s.bb_upper, BAND_C))
            .map_err(err)?
            .label(format!("Bollinger {BB_PERIOD}, {BB_WIDTH}σ"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BAND_C));
        price.draw_series(line(&s.bb_lower, BAND_C)).map_err(err)?;
        price
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(BG.mix(0.9))
            .label_font(("sans-serif", 12).into_font().color(&TEXT))
            .border_style(GRID)
            .draw()
            .map_err(err)?;

        let mut rsi = ChartBuilder::on(&rsi_area)
            .margin(6)
            .y_label_area_size(60)
            .x_label_area_size(0)
            .caption(
                format!("RSI {RSI_PERIOD}"),
                ("sans-serif", 12).into_font().color(&TEXT),
            )
            .build_cartesian_2d(0..n, 0.0..100.0)
            .map_err(err)?;
        rsi.configure_mesh()
            .light_line_style(LIGHT_GRID)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .label_style(("sans-serif", 11).into_font().color(&TEXT))
            .x_labels(4)
            .x_label_formatter(&|_| String::new())
            .y_labels(3)
            .draw()
            .map_err(err)?;
        for level in [30.0, 70.0] {
            rsi.draw_series(std::iter::once(PathElement::new(
                vec![(0, level), (n - 1, level)],
                RGBColor(156, 163, 175),
            )))
            .map_err(err)?;
        }
        rsi.draw_series(line(&s.rsi, SMA_C)).map_err(err)?;

        let (mlo, mhi) = s.macd_range();
        let mut macd = ChartBuilder::on(&macd_area)
            .margin(6)
            .y_label_area_size(60)
            .x_label_area_size(24)
            .caption("MACD 12/26/9", ("sans-serif", 12).into_font().color(&TEXT))
            .build_cartesian_2d(0..n, mlo..mhi)
            .map_err(err)?;
        macd.configure_mesh()
            .light_line_style(LIGHT_GRID)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .label_style(("sans-serif", 11).into_font().color(&TEXT))
            .x_labels(6)
            .x_label_formatter(&label)
            .y_labels(3)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .draw()
            .map_err(err)?;
        macd.draw_series(
            s.macd_hist
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| {
                    let c = if *v >= 0.0 { UP } else { DOWN };
                    Rectangle::new([(i, 0.0), (i + 1, *v)], c.mix(0.5).filled())
                }),
        )
        .map_err(err)?;
        macd.draw_series(line(&s.macd, SMA_C)).map_err(err)?;
        macd.draw_series(line(&s.macd_signal, EMA_C)).map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }

    /// Call and put OI per strike (left), or their change since the day's base (right), with the
    /// ATM and max-pain strikes marked.
    pub fn draw_oi(canvas: &HtmlCanvasElement, summary: &OiSummary, change: bool) -> DrawResult {
        let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
        let root = backend.into_drawing_area();
        root.fill(&BG).map_err(err)?;
        let strikes = strikes_around_atm(summary, 12);
        if strikes.is_empty() {
            return Ok(());
        }
        let values: Vec<(f64, f64)> = strikes
            .iter()
            .map(|k| {
                if change {
                    (k.call_oi_change as f64, k.put_oi_change as f64)
                } else {
                    (k.call_oi as f64, k.put_oi as f64)
                }
            })
            .collect();
        let (lo, hi) = values.iter().fold((0.0f64, 0.0f64), |(lo, hi), (c, p)| {
            (lo.min(*c).min(*p), hi.max(*c).max(*p))
        });
        let (lo, hi) = padded(lo, hi);
        let n = strikes.len();
        let labels: Vec<String> = strikes.iter().map(|k| format!("{:.0}", k.strike)).collect();
        let title = if change {
            "OI change by strike"
        } else {
            "Open interest by strike"
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .caption(title, ("sans-serif", 14).into_font().color(&TEXT))
            .y_label_area_size(70)
            .x_label_area_size(30)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(LIGHT_GRID)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .label_style(("sans-serif", 11).into_font().color(&TEXT))
            .x_labels(n.min(13))
            .x_label_formatter(&|x| {
                // Strike i is centred on x = i; plotters asks for labels at its own key points.
                let i = x.round();
                if i >= 0.0 && (i as usize) < labels.len() && (x - i).abs() < 1e-6 {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| crate::format::compact(*v))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, (c, _))| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, 0.0), (x, *c)], CALL_C.mix(0.75).filled())
            }))
            .map_err(err)?
            .label("Calls")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], CALL_C.filled()));
        chart
            .draw_series(values.iter().enumerate().map(|(i, (_, p))| {
                let x = i as f64;
                Rectangle::new([(x, 0.0), (x + 0.4, *p)], PUT_C.mix(0.75).filled())
            }))
            .map_err(err)?
            .label("Puts")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], PUT_C.filled()));
        let mark = |strike: Option<f64>| {
            strike.and_then(|k| strikes.iter().position(|s| (s.strike - k).abs() < 1e-6))
        };
        for (pos, color, name) in [
            (mark(summary.atm_strike), SMA_C, "ATM"),
            (mark(summary.max_pain), BAND_C, "Max pain"),
        ] {
            if let Some(i) = pos {
                let x = i as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, lo), (x, hi)],
                        color.stroke_width(2),
                    )))
                    .map_err(err)?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2))
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(BG.mix(0.9))
            .label_font(("sans-serif", 12).into_font().color(&TEXT))
            .border_style(GRID)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
        Ok(())
    }

    /// One series as a line (`fill` = shaded down to zero, for drawdown), titled, with its first and
    /// last labels and a few between on the x axis.
    pub fn draw_line(
        canvas: &HtmlCanvasElement,
        series: &Curve,
        title: &str,
        color: (u8, u8, u8),
        fill: bool,
        include_zero: bool,
    ) -> DrawResult {
        let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
        let root = backend.into_drawing_area();
        root.fill(&BG).map_err(err)?;
        if series.is_empty() {
            return Ok(());
        }
        let color = RGBColor(color.0, color.1, color.2);
        let (lo, hi) = if include_zero {
            series.range()
        } else {
            series.tight_range()
        };
        // A single point still gets a non-empty x range.
        let n = series.len().max(2);
        let labels = series.labels.clone();
        let span = hi - lo;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            // Room for the last x label, which is centred on the right edge.
            .margin_right(48)
            .caption(title, ("sans-serif", 14).into_font().color(&TEXT))
            .y_label_area_size(80)
            .x_label_area_size(28)
            .build_cartesian_2d(0..n - 1, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(LIGHT_GRID)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .label_style(("sans-serif", 11).into_font().color(&TEXT))
            .x_labels(5)
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_labels(6)
            .y_label_formatter(&|v| axis_label(*v, span))
            .draw()
            .map_err(err)?;
        let points: Vec<(usize, f64)> = series
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| (i, *v))
            .collect();
        if fill {
            chart
                .draw_series(AreaSeries::new(points.clone(), 0.0, color.mix(0.3)))
                .map_err(err)?;
        }
        if points.len() == 1 {
            chart
                .draw_series(std::iter::once(Circle::new(points[0], 3, color.filled())))
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                points,
                color.stroke_width(2),
            )))
            .map_err(err)?;
        if include_zero && lo < 0.0 && hi > 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0, 0.0), (n - 1, 0.0)],
                    TEXT.mix(0.6),
                )))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use model::options::{OiStrike, Underlying};

    fn candles(n: usize) -> Vec<Candle> {
        let day0 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        (0..n)
            .map(|i| {
                let c = 100.0 + (i as f64 * 0.3).sin() * 5.0 + i as f64 * 0.1;
                Candle {
                    timestamp: (day0 + chrono::Days::new(i as u64))
                        .and_hms_opt(0, 0, 0)
                        .unwrap(),
                    open: c - 0.5,
                    high: c + 1.0,
                    low: c - 1.0,
                    close: c,
                    volume: 1000,
                    oi: None,
                }
            })
            .collect()
    }

    #[test]
    fn study_matches_the_indicators_and_their_warm_up() {
        let cs = candles(120);
        let s = Study::new(&cs);
        assert_eq!(s.len(), 120);
        let close: Vec<f64> = cs.iter().map(|c| c.close).collect();
        let sma = quant::indicators::sma(&close, SMA_PERIOD).unwrap();
        assert!(s.sma[SMA_PERIOD - 2].is_nan());
        assert_eq!(s.sma[119], sma[119]);
        assert!(s.rsi[RSI_PERIOD - 1].is_nan() && s.rsi[RSI_PERIOD].is_finite());
        let (lo, hi) = s.price_range();
        assert!(lo < cs.iter().map(|c| c.low).fold(f64::INFINITY, f64::min));
        assert!(hi > cs.iter().map(|c| c.high).fold(f64::NEG_INFINITY, f64::max));
    }

    #[test]
    fn short_series_have_no_overlays_and_sane_ranges() {
        let s = Study::new(&candles(5));
        assert!(s.sma.iter().all(|v| v.is_nan()));
        assert!(s.macd.iter().all(|v| v.is_nan()));
        assert_eq!(s.macd_range(), (-1.0, 1.0));
        let empty = Study::new(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.price_range(), (0.0, 1.0));
    }

    #[test]
    fn oi_window_centres_on_atm() {
        let summary = OiSummary {
            underlying: Underlying::Nifty,
            expiry: "2026-12-03".into(),
            spot: 24_012.0,
            atm_strike: Some(24_000.0),
            max_pain: None,
            pcr_oi: None,
            pcr_volume: None,
            total_call_oi: 0,
            total_put_oi: 0,
            total_call_oi_change: 0,
            total_put_oi_change: 0,
            strikes: (0..60)
                .map(|i| OiStrike {
                    strike: 23_000.0 + 50.0 * i as f64,
                    ..Default::default()
                })
                .collect(),
            updated_ms: 0,
        };
        let w = strikes_around_atm(&summary, 3);
        let ks: Vec<f64> = w.iter().map(|s| s.strike).collect();
        assert_eq!(
            ks,
            vec![23_850.0, 23_900.0, 23_950.0, 24_000.0, 24_050.0, 24_100.0, 24_150.0]
        );
        let edge = OiSummary {
            atm_strike: Some(23_000.0),
            ..summary.clone()
        };
        assert_eq!(strikes_around_atm(&edge, 3).len(), 4);
        let none = OiSummary {
            atm_strike: None,
            ..summary
        };
        assert_eq!(strikes_around_atm(&none, 3).len(), 60);
    }

    #[test]
    fn line_series_ranges_and_labels() {
        let s = Curve::new(vec!["a".into(), "b".into(), "c".into()], vec![5.0, 10.0]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.labels, vec!["a".to_string(), "b".to_string()]);
        // Zero is kept in view for P&L; the tight range hugs the data.
        let (lo, hi) = s.range();
        assert!(lo < 0.0 && hi > 10.0, "{lo} {hi}");
        let (lo, hi) = s.tight_range();
        assert!(lo > 4.0 && lo < 5.0 && hi > 10.0 && hi < 11.0, "{lo} {hi}");
        let dd = Curve::new(vec!["x".into(), "y".into()], vec![0.0, -12.5]);
        let (lo, hi) = dd.range();
        assert!(lo < -12.5 && hi >= 0.0);
        let empty = Curve::new(vec![], vec![]);
        assert!(empty.is_empty());
        assert_eq!(empty.range(), (0.0, 1.0));
        assert_eq!(empty.tight_range(), (0.0, 1.0));
        let nan = Curve::new(vec!["x".into()], vec![f64::NAN]);
        assert_eq!(nan.range(), (0.0, 1.0));
        let cum = Curve::from_cumulative(&[(1_795_860_000_000, -40.0), (1_795_860_060_000, 15.5)]);
        assert_eq!(cum.values, vec![-40.0, 15.5]);
        assert_eq!(cum.labels[1], "28 Nov 15:31:00");
    }

    #[test]
    fn axis_labels_keep_small_spans_readable() {
        assert_eq!(axis_label(-0.27, 1.5), "-0.27");
        assert_eq!(axis_label(1234.4, 5_000.0), "1234");
        assert_eq!(axis_label(1_000_000.0, 600_000.0), "10.00L");
        assert_eq!(axis_label(-0.001, 1.0), "0.00");
        assert_eq!(axis_label(-0.4, 100.0), "0");
        assert_eq!(axis_label(-12.0, 100.0), "-12");
    }
}
