//! Stock scanner shapes served by `/api/analysis/*`: Minervini's trend template criterion by
//! criterion, relative strength, movers and triggers.

use crate::instrument::InstrumentToken;
use serde::{Deserialize, Serialize};

/// Progress of the background scan (`GET /api/analysis/status`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScanStatus {
    pub scanning: bool,
    /// Stocks whose candles are loaded so far in the running scan.
    pub done: usize,
    pub total: usize,
    /// `done / total`, 0 when idle before any scan.
    pub progress: f64,
    /// When the last scan finished, RFC 3339 in IST.
    pub last_scan_time: Option<String>,
    /// Why the last scan failed, if it did.
    pub error: Option<String>,
}

/// Reply of `POST /api/analysis/scan`: whether this call started a scan or one was already running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanStarted {
    pub started: bool,
    pub status: ScanStatus,
}

/// The eight criteria of Minervini's trend template, in his order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateCriterion {
    /// 1. Price above both the 150-day and the 200-day SMA.
    PriceAboveSma150And200,
    /// 2. The 150-day SMA above the 200-day SMA.
    Sma150AboveSma200,
    /// 3. The 200-day SMA trending up for at least one month (above its value 21 sessions ago).
    Sma200Rising,
    /// 4. The 50-day SMA above both the 150-day and the 200-day SMA.
    Sma50AboveSma150And200,
    /// 5. Price above the 50-day SMA.
    PriceAboveSma50,
    /// 6. Price at least 30 % above its 52-week low.
    AboveLow52wBy30Pct,
    /// 7. Price within 25 % of its 52-week high.
    WithinHigh52wBy25Pct,
    /// 8. Relative strength rating of at least 70.
    RsRatingAtLeast70,
}

impl TemplateCriterion {
    pub const ALL: [TemplateCriterion; 8] = [
        Self::PriceAboveSma150And200,
        Self::Sma150AboveSma200,
        Self::Sma200Rising,
        Self::Sma50AboveSma150And200,
        Self::PriceAboveSma50,
        Self::AboveLow52wBy30Pct,
        Self::WithinHigh52wBy25Pct,
        Self::RsRatingAtLeast70,
    ];

    /// Short column header for the results table.
    pub const fn label(self) -> &'static str {
        match self {
            Self::PriceAboveSma150And200 => "P>150,200",
            Self::Sma150AboveSma200 => "150>200",
            Self::Sma200Rising => "200↑",
            Self::Sma50AboveSma150And200 => "50>150,200",
            Self::PriceAboveSma50 => "P>50",
            Self::AboveLow52wBy30Pct => "≥30% off low",
            Self::WithinHigh52wBy25Pct => "≤25% off high",
            Self::RsRatingAtLeast70 => "RS≥70",
        }
    }
}

/// One criterion's verdict with the value it was judged on (e.g. "close 2,410.5 vs SMA150 2,301.2").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub criterion: TemplateCriterion,
    pub pass: bool,
    pub value: String,
}

/// Triggers the scanner looks for on the latest bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// Close above the prior 52-week high.
    High52wBreakout,
    /// Volume at least twice its 20-day average.
    VolumeSurge,
    /// SMA50 crossed above SMA200.
    GoldenCross,
    /// SMA50 crossed below SMA200.
    DeathCross,
    /// RSI(14) crossed up through 30.
    RsiCrossUp30,
    /// RSI(14) crossed down through 70.
    RsiCrossDown70,
    /// Bollinger bandwidth at its lowest of the last 120 sessions.
    BollingerSqueeze,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub detail: String,
}

/// Everything the scanner found about one stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockScan {
    pub symbol: String,
    pub token: InstrumentToken,
    pub close: f64,
    /// Percent change over 1, 5 and 21 sessions.
    pub change_1d_pct: Option<f64>,
    pub change_1w_pct: Option<f64>,
    pub change_1m_pct: Option<f64>,
    /// Weighted 3/6/9/12-month performance (IBD style), the basis of the rating.
    pub rs_score: Option<f64>,
    /// Percentile of `rs_score` within the scanned universe, 1-99.
    pub rs_rating: Option<u8>,
    pub high_52w: Option<f64>,
    pub low_52w: Option<f64>,
    /// The eight criteria in [`TemplateCriterion::ALL`] order; all false with a reason when history is short.
    pub template: Vec<CriterionResult>,
    pub template_pass: bool,
    pub triggers: Vec<Trigger>,
}

/// One entry of a gainers/losers list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mover {
    pub symbol: String,
    pub close: f64,
    pub change_pct: f64,
}

/// Top gainers and losers over one horizon.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Movers {
    pub gainers: Vec<Mover>,
    pub losers: Vec<Mover>,
}

/// `GET /api/analysis/results`: the last finished scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResults {
    pub scanned_at: String,
    pub universe: Vec<String>,
    pub stocks: Vec<StockScan>,
    pub daily: Movers,
    pub weekly: Movers,
    pub monthly: Movers,
    /// How long the scan took, of which loading candles (cache or network).
    pub elapsed_ms: u64,
}
