//! Multi-leg baskets (option structures): all-or-nothing as far as a market allows.

use super::working::validate;
use super::{ExecError, Executor, OrderRequest};
use kite::rest::orders::new_order_tag;
use model::broker::TransactionType;
use model::trading::{ExecStatus, OrderRecord};

impl Executor {
    /// Executes legs that share one basket id. BUY legs go first and must fill before any SELL leg is
    /// sent (bought options reduce the margin the sold ones need). If a leg is rejected, cancelled or
    /// times out, every leg filled so far (in part or whole, the failed one included) is unwound with
    /// an opposite marketable order, and `BasketFailed` names the failure and lists the unwinds.
    pub async fn submit_basket(
        &self,
        legs: Vec<OrderRequest>,
    ) -> Result<Vec<OrderRecord>, ExecError> {
        if legs.is_empty() {
            return Err(ExecError::Invalid("a basket needs at least one leg".into()));
        }
        for l in &legs {
            validate(l)?;
        }
        let basket = format!("bsk{}", &new_order_tag()[3..]);
        let (buys, sells): (Vec<_>, Vec<_>) = legs
            .iter()
            .cloned()
            .partition(|l| l.side == TransactionType::Buy);
        let mut done = Vec::new();
        for mut leg in buys.into_iter().chain(sells) {
            leg.basket = Some(basket.clone());
            let reason = match self.submit(leg.clone()).await {
                Ok(rec) if rec.status == ExecStatus::Filled => {
                    done.push(rec);
                    continue;
                }
                Ok(rec) => format!(
                    "leg {} {} {}: {:?}, {} of {} filled{}",
                    leg.side.as_str(),
                    leg.quantity,
                    leg.tradingsymbol,
                    rec.status,
                    rec.filled_quantity,
                    rec.quantity,
                    rec.message.map(|m| format!(" ({m})")).unwrap_or_default()
                ),
                Err(e) => format!(
                    "leg {} {} {}: {e}",
                    leg.side.as_str(),
                    leg.quantity,
                    leg.tradingsymbol
                ),
            };
            return Err(self.unwind(&basket, &legs, reason).await);
        }
        Ok(done)
    }

    /// Squares off every filled quantity of the basket's legs, as journalled.
    async fn unwind(&self, basket: &str, legs: &[OrderRequest], mut reason: String) -> ExecError {
        tracing::warn!(basket, %reason, "basket failed; unwinding filled legs");
        let filled = match self.inner.journal.basket_orders(basket).await {
            Ok(orders) => orders,
            Err(e) => {
                reason.push_str(&format!("; cannot read the basket to unwind it: {e}"));
                return ExecError::BasketFailed {
                    reason,
                    unwound: Vec::new(),
                };
            }
        };
        let mut unwound = Vec::new();
        for leg in filled.iter().filter(|o| o.filled_quantity > 0) {
            let tick = legs
                .iter()
                .find(|l| l.exchange == leg.exchange && l.tradingsymbol == leg.tradingsymbol)
                .map(|l| l.tick_size)
                .unwrap_or(self.inner.config.flatten_tick);
            let req = OrderRequest {
                strategy_id: leg.strategy_id,
                basket: Some(basket.to_string()),
                exchange: leg.exchange,
                tradingsymbol: leg.tradingsymbol.clone(),
                side: leg.side.opposite(),
                quantity: leg.filled_quantity,
                product: leg.product,
                limit: None,
                tick_size: tick,
            };
            match self.submit(req).await {
                Ok(rec) => {
                    if rec.filled_quantity < rec.quantity {
                        reason.push_str(&format!(
                            "; unwind of {} filled only {} of {}",
                            rec.tradingsymbol, rec.filled_quantity, rec.quantity
                        ));
                    }
                    unwound.push(rec);
                }
                Err(e) => {
                    reason.push_str(&format!("; unwind of {} failed: {e}", leg.tradingsymbol))
                }
            }
        }
        ExecError::BasketFailed { reason, unwound }
    }
}
