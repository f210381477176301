//! One option structure at run time: a task that reads the underlying's chain every few seconds,
//! asks the structure whether to enter or exit, and places the whole basket through the risk
//! manager and the execution engine (bought legs first, unwound if a leg fails).

use super::service::{key, TradingService};
use crate::error::EngineError;
use crate::execution::OrderRequest;
use crate::journal::now_ms;
use crate::options::ChainSource;
use crate::risk::OrderIntent;
use crate::strategy::options::{
    Basket, BasketLeg, OptionAction, OptionSpec, OptionStrategy, SavedPhase,
};
use model::broker::Product;
use model::options::Underlying;
use model::trading::{RiskVerdict, SignalEvent, SignalSide, StrategyConfig, StrategyId};
use model::LiveMessage;
use std::str::FromStr;
use std::sync::Weak;
use std::time::Duration;
use tracing::{info, info_span, warn, Instrument};

/// Checks an option structure's parameters and underlying without starting it.
pub fn validate(kind: &str, pairs: &[String], underlying: &str) -> Result<(), EngineError> {
    Underlying::from_str(underlying).map_err(|_| {
        EngineError::Invalid(format!(
            "option structures trade NIFTY, BANKNIFTY or SENSEX, got {underlying:?}"
        ))
    })?;
    OptionSpec::parse(kind, pairs)
        .and_then(|s| s.build().map(|_| ()))
        .map_err(|e| EngineError::Invalid(e.to_string()))
}

/// Handle on a running structure; [`OptionsRunner::stop`] ends its task.
pub struct OptionsRunner {
    task: tokio::task::JoinHandle<()>,
}

impl OptionsRunner {
    pub fn stop(self) {
        self.task.abort();
    }
}

pub fn spawn(
    id: StrategyId,
    config: &StrategyConfig,
    pairs: &[String],
    chains: ChainSource,
    every: Duration,
    svc: Weak<TradingService>,
) -> Result<OptionsRunner, EngineError> {
    let underlying = Underlying::from_str(&config.instrument)
        .map_err(|_| EngineError::Invalid(format!("unknown underlying {}", config.instrument)))?;
    let strategy = OptionSpec::parse(&config.kind, pairs)
        .and_then(|s| s.build())
        .map_err(|e| EngineError::Invalid(e.to_string()))?;
    let config = config.clone();
    let task = tokio::spawn(
        run(id, config, underlying, strategy, chains, every, svc)
            .instrument(info_span!("option_structure", strategy = id)),
    );
    Ok(OptionsRunner { task })
}

async fn run(
    id: StrategyId,
    config: StrategyConfig,
    underlying: Underlying,
    mut strategy: OptionStrategy,
    chains: ChainSource,
    every: Duration,
    svc: Weak<TradingService>,
) {
    // After a restart: the basket it holds (or that it is done for the day) comes back.
    if let Some(s) = svc.upgrade() {
        match s.journal_db().strategy_state::<SavedPhase>(id).await {
            Ok(Some(saved)) => {
                let phase = match &saved {
                    SavedPhase::Open { .. } => "open",
                    SavedPhase::Done { .. } => "done",
                };
                info!(phase, "option structure resumed");
                strategy.restore(saved);
            }
            Ok(None) => {}
            Err(e) => warn!(error = %e, "option structure state unreadable; starting flat"),
        }
    }
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(s) = svc.upgrade() else { break };
        if !s.is_active(id) {
            continue;
        }
        let chain = match chains.chain(underlying, None).await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "no chain for the structure this round");
                continue;
            }
        };
        let now = crate::scanner::history::ist_now().time();
        match strategy.on_chain(&chain, now) {
            Some(OptionAction::Enter(basket)) => {
                let reason = format!(
                    "enter {} {} premium {:.2}",
                    basket.structure, basket.expiry, basket.net_premium
                );
                let r = match place(&s, &config, &basket, &basket.legs, SignalSide::Buy, reason)
                    .await
                {
                    Some(prices) => strategy.on_entered(&prices),
                    None => strategy.on_entry_failed(),
                };
                if let Err(e) = r {
                    warn!(error = %e, "option structure out of step");
                }
                save(&s, id, &strategy).await;
            }
            Some(OptionAction::Exit { reason, pnl }) => {
                let Some(basket) = strategy.position().map(|p| p.basket.clone()) else {
                    continue;
                };
                let legs = basket.closing_legs();
                let reason = format!(
                    "exit {} ({reason:?}, P&L per unit {})",
                    basket.structure,
                    pnl.map_or("n/a".to_string(), |p| format!("{p:.2}"))
                );
                let r = if place(&s, &config, &basket, &legs, SignalSide::Exit, reason)
                    .await
                    .is_some()
                {
                    strategy.on_exited()
                } else {
                    strategy.on_exit_failed()
                };
                if let Err(e) = r {
                    warn!(error = %e, "option structure out of step");
                }
                save(&s, id, &strategy).await;
            }
            None => {}
        }
    }
}

/// Keeps the phase for a restart (see [`SavedPhase`]).
async fn save(s: &TradingService, id: StrategyId, strategy: &OptionStrategy) {
    if let Some(saved) = strategy.saved() {
        if let Err(e) = s.journal_db().set_strategy_state(id, &saved).await {
            warn!(error = %e, "option structure state not saved: a restart would start it flat");
        }
    }
}

/// Journals the signal, checks every leg with the risk manager (all or nothing), and places the
/// basket. Returns the legs' average fill prices in leg order, or `None` when nothing is held.
async fn place(
    s: &TradingService,
    config: &StrategyConfig,
    basket: &Basket,
    legs: &[BasketLeg],
    side: SignalSide,
    reason: String,
) -> Option<Vec<f64>> {
    let now = now_ms();
    let basket_id = format!("b{}x{}", config.id, now);
    let product = if config.product == Product::Mis {
        Product::Mis
    } else {
        Product::Nrml
    };
    let intents: Vec<OrderIntent> = legs
        .iter()
        .map(|l| OrderIntent {
            strategy_id: Some(config.id),
            instrument: key(l.exchange, &l.tradingsymbol),
            side: l.side,
            quantity: l.quantity().min(u64::from(u32::MAX)) as u32,
            price: l.ltp,
            lot_size: l.lot_size.max(1),
        })
        .collect();
    let verdict = {
        let mut risk = s.risk_lock();
        let mut verdict = RiskVerdict::Approved {
            quantity: legs.first().map_or(0, |l| l.lots),
        };
        let mut approved = Vec::new();
        for intent in &intents {
            match risk.check(intent, now) {
                RiskVerdict::Approved { .. } => approved.push(intent),
                RiskVerdict::Reduced { reason, .. } | RiskVerdict::Rejected { reason } => {
                    // A basket is all or nothing: give back what the other legs reserved.
                    for a in &approved {
                        risk.release(&a.instrument, a.strategy_id, a.side, a.quantity);
                    }
                    verdict = RiskVerdict::Rejected {
                        reason: format!("{}: {reason}", intent.instrument),
                    };
                    break;
                }
            }
        }
        verdict
    };
    let mut event = SignalEvent {
        id: 0,
        ts_ms: now,
        strategy_id: config.id,
        kind: config.kind.clone(),
        instrument: config.instrument.clone(),
        side,
        strength: 1.0,
        reason,
        verdict: verdict.clone(),
    };
    if let Ok(id) = s.journal_db().insert_signal(&event).await {
        event.id = id;
    }
    s.send_live(LiveMessage::Signal { signal: event });
    if matches!(verdict, RiskVerdict::Rejected { .. }) {
        return None;
    }
    let requests: Vec<OrderRequest> = legs
        .iter()
        .map(|l| OrderRequest {
            strategy_id: Some(config.id),
            basket: Some(basket_id.clone()),
            exchange: l.exchange,
            tradingsymbol: l.tradingsymbol.clone(),
            side: l.side,
            quantity: l.quantity().min(u64::from(u32::MAX)) as u32,
            product,
            limit: None,
            tick_size: 0.05,
        })
        .collect();
    match s.executor().submit_basket(requests).await {
        Ok(records) => {
            info!(basket = %basket_id, structure = %basket.structure, "basket done");
            Some(records.iter().map(|r| r.average_price).collect())
        }
        Err(e) => {
            warn!(basket = %basket_id, error = %e, "basket failed");
            let _ = s
                .journal_db()
                .insert_risk_event("basket_failed", &format!("{basket_id}: {e}"))
                .await;
            None
        }
    }
}
