//! Account-wide actions for the kill switch: cancel every open order, square off every position.

use super::{ExecError, Executor, OrderRequest};
use model::broker::{OrderId, Position, TransactionType};
use model::trading::OrderRecord;

/// Rounds of squaring off: a round's order may time out with a remainder, which the next round takes.
const FLATTEN_ROUNDS: usize = 3;

/// The order that closes position `p`: the opposite side for its whole net quantity, marketable,
/// under no strategy. `Err` names a quantity Kite cannot take.
fn square_off(p: &Position, tick_size: f64) -> Result<OrderRequest, String> {
    let quantity = u32::try_from(p.quantity.unsigned_abs())
        .map_err(|_| format!("{}: quantity {} too large", p.tradingsymbol, p.quantity))?;
    Ok(OrderRequest {
        strategy_id: None,
        basket: None,
        exchange: p.exchange,
        tradingsymbol: p.tradingsymbol.clone(),
        side: if p.quantity > 0 {
            TransactionType::Sell
        } else {
            TransactionType::Buy
        },
        quantity,
        product: p.product,
        limit: None,
        tick_size,
    })
}

impl Executor {
    /// Asks the broker to cancel every open order of the account; returns how many cancels it
    /// accepted and the refused ones with its reasons.
    async fn cancel_open(&self) -> Result<(usize, Vec<(OrderId, String)>), ExecError> {
        let orders = self.kite().orders().await?;
        let mut cancelled = 0;
        let mut failures = Vec::new();
        for o in orders.iter().filter(|o| o.status.is_pending()) {
            match self
                .kite()
                .cancel_order(o.variety, &o.order_id, o.parent_order_id.as_ref())
                .await
            {
                Ok(_) => cancelled += 1,
                Err(e) => failures.push((o.order_id.clone(), e.to_string())),
            }
        }
        Ok((cancelled, failures))
    }

    /// The account's non-zero net positions.
    async fn open_positions(&self) -> Result<Vec<Position>, ExecError> {
        Ok(self
            .kite()
            .positions()
            .await?
            .net
            .into_iter()
            .filter(|p| p.quantity != 0)
            .collect())
    }

    /// Cancels every open order of the account, the engine's and any other (a person's, another
    /// app's), then journals what happened to the engine's. Returns how many cancels the broker
    /// accepted; an order that stays open despite a cancel is an error.
    pub async fn cancel_all(&self) -> Result<usize, ExecError> {
        let (cancelled, failures) = self.cancel_open().await?;
        self.reconcile().await?;
        if !failures.is_empty() {
            // A refused cancel is fine if the order finished meanwhile.
            let now = self.kite().orders().await?;
            let stuck: Vec<String> = failures
                .into_iter()
                .filter(|(id, _)| {
                    now.iter()
                        .any(|o| &o.order_id == id && o.status.is_pending())
                })
                .map(|(id, e)| format!("{id}: {e}"))
                .collect();
            if !stuck.is_empty() {
                return Err(ExecError::Incomplete {
                    what: "cancel all",
                    failures: stuck,
                });
            }
        }
        Ok(cancelled)
    }

    /// Squares off every non-zero net position of the account with marketable orders, all at once,
    /// and checks again until the account is flat (at most a few rounds). Returns the orders sent.
    pub async fn flatten(&self) -> Result<Vec<OrderRecord>, ExecError> {
        let mut sent = Vec::new();
        let mut failures = Vec::new();
        for _ in 0..FLATTEN_ROUNDS {
            let open = self.open_positions().await?;
            if open.is_empty() {
                return Ok(sent);
            }
            failures.clear();
            // One quote request for every position instead of one per order.
            let keys: Vec<String> = open
                .iter()
                .map(|p| format!("{}:{}", p.exchange.as_str(), p.tradingsymbol))
                .collect();
            if let Err(e) = self.prime_quotes(&keys).await {
                tracing::warn!(error = %e, "square-off: batch quote failed; quoting per order");
            }
            let mut set = tokio::task::JoinSet::new();
            for p in open {
                let req = match square_off(&p, self.inner.config.flatten_tick) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(e);
                        continue;
                    }
                };
                let me = self.clone();
                set.spawn(async move {
                    let symbol = req.tradingsymbol.clone();
                    (symbol, me.submit(req).await)
                });
            }
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((_, Ok(rec))) => sent.push(rec),
                    Ok((symbol, Err(e))) => {
                        tracing::warn!(%symbol, error = %e, "square-off order failed");
                        failures.push(format!("{symbol}: {e}"))
                    }
                    Err(e) => failures.push(format!("square-off task failed: {e}")),
                }
            }
        }
        let left: Vec<String> = self
            .open_positions()
            .await?
            .into_iter()
            .map(|p| format!("{} still {}", p.tradingsymbol, p.quantity))
            .collect();
        if left.is_empty() {
            return Ok(sent);
        }
        failures.extend(left);
        Err(ExecError::Incomplete {
            what: "flatten",
            failures,
        })
    }

    /// The kill switch's first move, in as few broker requests as Kite's rate limits allow: every
    /// open order cancelled and every open position met by a marketable square-off order, the two
    /// running side by side (cancels and reads count against one limit, placements and quotes
    /// against others). Returns once everything is *sent*; the square-off orders keep working
    /// (chased, then cancelled at their deadline) in background tasks whose results come back
    /// as events, and the caller watches the account to see it flat. [`Executor::flatten`] is the
    /// thorough version that waits for each order and takes several rounds.
    pub async fn kill_now(&self) -> Result<KillReport, ExecError> {
        let cancels = async {
            let (cancelled, failures) = self.cancel_open().await?;
            let failures: Vec<String> = failures
                .into_iter()
                .map(|(id, e)| format!("cancel {id}: {e}"))
                .collect();
            Ok::<_, ExecError>((cancelled, failures))
        };
        let squares = async {
            let open = self.open_positions().await?;
            // No quote request (one a second at Kite): a ticked touch where the engine has one,
            // else the position's own last price; chasing corrects an order that does not fill.
            for p in &open {
                let k = format!("{}:{}", p.exchange.as_str(), p.tradingsymbol);
                if !self.has_touch(&k) {
                    self.inner.touches.seed_last(&k, p.last_price);
                }
            }
            let mut placed = Vec::new();
            let mut failures = Vec::new();
            let mut set = tokio::task::JoinSet::new();
            for p in open {
                let req = match square_off(&p, self.inner.config.flatten_tick) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(e);
                        continue;
                    }
                };
                let me = self.clone();
                let (tx, rx) = tokio::sync::oneshot::channel();
                // The order's whole life runs in this task; the kill switch only waits for it to
                // be placed (the oneshot), not filled. A task does not inherit its spawner's
                // urgency: it is passed on.
                let urgent = kite::rest::limits::is_urgent();
                set.spawn(async move {
                    let symbol = req.tradingsymbol.clone();
                    let order = me.submit_notify(req, Some(tx));
                    let r = if urgent {
                        kite::urgent(order).await
                    } else {
                        order.await
                    };
                    if let Err(e) = &r {
                        tracing::warn!(%symbol, error = %e, "square-off order failed");
                    }
                });
                placed.push(rx);
            }
            set.detach_all();
            let mut sent = 0usize;
            for rx in placed {
                match rx.await {
                    Ok(Ok(())) => sent += 1,
                    Ok(Err(e)) => failures.push(e),
                    Err(_) => failures.push("square-off task ended before placing".into()),
                }
            }
            Ok::<_, ExecError>((sent, failures))
        };
        let (c, q) = tokio::join!(cancels, squares);
        let (cancelled, mut failures) = c?;
        let (squared, more) = q?;
        failures.extend(more);
        Ok(KillReport {
            cancelled,
            squared,
            failures,
        })
    }
}

/// What [`Executor::kill_now`] sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KillReport {
    pub cancelled: usize,
    pub squared: usize,
    /// Cancels refused and square-offs not placed, with the broker's reasons.
    pub failures: Vec<String>,
}
