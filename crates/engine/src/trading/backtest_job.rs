//! Backtests asked for from the dashboard: daily candles of one symbol from the candle cache
//! (fetching only what it lacks), the same strategy code the live engine runs, progress as it goes.

use crate::backtest::{self, BacktestConfig, CostModel, Report, ZerodhaCharges, ZerodhaProduct};
use crate::db::CandleCache;
use crate::error::EngineError;
use crate::strategy::StrategySpec;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use kite::KiteClient;
use model::broker::{Candle, Interval};
use model::trading::{BacktestProgress, BacktestReportView, BacktestRequest, BacktestTrade};
use model::InstrumentToken;
use std::sync::{Arc, Mutex};

/// Days per historical request (Kite allows 2,000 for daily candles).
const CHUNK_DAYS: u64 = 1_000;

/// Shared progress of the user's latest dashboard backtest.
pub type Progress = Arc<Mutex<BacktestProgress>>;

pub fn set(p: &Progress, v: BacktestProgress) {
    *p.lock().unwrap_or_else(|e| e.into_inner()) = v;
}

pub fn get(p: &Progress) -> BacktestProgress {
    p.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A validated request: dates parsed, strategy built once to check its parameters.
pub struct Job {
    pub req: BacktestRequest,
    pub spec: StrategySpec,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub config: BacktestConfig,
}

impl Job {
    pub fn validate(req: BacktestRequest) -> Result<Self, EngineError> {
        let pairs: Vec<String> = req.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let spec = StrategySpec::parse(&req.kind, &pairs)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        spec.build()
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let date = |s: &str, what: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| EngineError::Invalid(format!("{what} must be YYYY-MM-DD, got {s:?}")))
        };
        let from = date(&req.from, "from")?;
        let to = date(&req.to, "to")?;
        if from >= to {
            return Err(EngineError::Invalid(format!(
                "from ({from}) must be before to ({to})"
            )));
        }
        let costs = if req.zerodha {
            CostModel::Zerodha(ZerodhaCharges {
                product: ZerodhaProduct::Delivery,
            })
        } else {
            CostModel::Fraction {
                rate: req.commission,
            }
        };
        let config = BacktestConfig {
            cash: req.cash,
            costs,
            slippage: req.slippage,
            finalize_trades: true,
        };
        config
            .validate()
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        Ok(Self {
            req,
            spec,
            from,
            to,
            config,
        })
    }

    /// Fetches what the cache lacks, runs, and leaves the outcome in `progress`.
    pub async fn run(
        self,
        kite: KiteClient,
        cache: CandleCache,
        token: InstrumentToken,
        progress: Progress,
    ) {
        let outcome = self.execute(&kite, &cache, token, &progress).await;
        set(
            &progress,
            match outcome {
                Ok(report) => BacktestProgress::Done {
                    report: Box::new(report),
                },
                Err(e) => BacktestProgress::Failed {
                    message: e.to_string(),
                },
            },
        );
    }

    async fn execute(
        &self,
        kite: &KiteClient,
        cache: &CandleCache,
        token: InstrumentToken,
        progress: &Progress,
    ) -> Result<BacktestReportView, EngineError> {
        let from = NaiveDateTime::new(self.from, NaiveTime::MIN);
        let to = NaiveDateTime::new(
            self.to,
            NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default(),
        );
        let gaps = cache.missing(token, Interval::Day, from, to).await?;
        let chunks: Vec<(NaiveDateTime, NaiveDateTime)> =
            gaps.iter().flat_map(|&(a, b)| split(a, b)).collect();
        let total = chunks.len() as u64 + 1;
        set(progress, BacktestProgress::Running { done: 0, total });
        for (i, (a, b)) in chunks.iter().enumerate() {
            let got = kite
                .historical(token, Interval::Day, *a, *b, false, false)
                .await?;
            let got: Vec<Candle> = got
                .into_iter()
                .filter(|c| c.timestamp >= *a && c.timestamp <= *b)
                .collect();
            cache.store(token, Interval::Day, *a, *b, &got).await?;
            set(
                progress,
                BacktestProgress::Running {
                    done: i as u64 + 1,
                    total,
                },
            );
        }
        let candles = cache.load(token, Interval::Day, from, to).await?;
        let bars = backtest::bars_from_candles(&candles);
        let report = backtest::run_spec(&self.spec, &bars, &self.config, false)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        Ok(view(&self.req, &candles, &report))
    }
}

/// `[a, b]` in pieces of at most [`CHUNK_DAYS`].
fn split(a: NaiveDateTime, b: NaiveDateTime) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut out = Vec::new();
    let mut start = a;
    while start <= b {
        let end = (start + Days::new(CHUNK_DAYS - 1))
            .date()
            .and_hms_opt(23, 59, 59)
            .map_or(b, |e| e.min(b));
        out.push((start, end));
        match (end.date() + Days::new(1)).and_hms_opt(0, 0, 0) {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

fn view(req: &BacktestRequest, candles: &[Candle], r: &Report) -> BacktestReportView {
    let s = &r.stats;
    let stats = vec![
        ("Total return %", s.total_return_pct),
        ("Buy & hold return %", s.buy_hold_return_pct),
        ("CAGR %", s.cagr_pct),
        ("Sharpe", s.sharpe),
        ("Sortino", s.sortino),
        ("Max drawdown %", s.max_drawdown_pct),
        ("Max drawdown days", s.max_drawdown_duration_days),
        ("Win rate %", s.win_rate_pct),
        ("Profit factor", s.profit_factor),
        ("Trades", s.trades as f64),
        ("Exposure %", s.exposure_time_pct),
        ("Final equity", s.equity_final),
        ("Commissions", s.commissions),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut peak = f64::MIN;
    let drawdown_pct = r
        .equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 {
                (e / peak - 1.0) * 100.0
            } else {
                0.0
            }
        })
        .collect();
    BacktestReportView {
        kind: req.kind.clone(),
        instrument: req.instrument.clone(),
        stats,
        dates: candles
            .iter()
            .map(|c| c.timestamp.date().format("%Y-%m-%d").to_string())
            .collect(),
        equity: r.equity.clone(),
        drawdown_pct,
        trades: r
            .trades
            .iter()
            .map(|t| BacktestTrade {
                size: t.size,
                entry_time: t.entry_time.date().format("%Y-%m-%d").to_string(),
                exit_time: t.exit_time.date().format("%Y-%m-%d").to_string(),
                entry_price: t.entry_price,
                exit_price: t.exit_price,
                pnl: t.pnl,
                return_pct: t.return_pct,
            })
            .collect(),
    }
}
