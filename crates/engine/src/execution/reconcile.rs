//! Reconciliation: on start, after a ticker reconnect and periodically, every journalled order that
//! is not terminal is settled against the broker.

use super::{lock, ExecError, Executor};
use crate::journal::{now_ms, OrderUpdate};
use model::broker::Order;
use model::trading::ExecStatus;

/// The message of a journalled order the broker never saw.
pub const NEVER_REACHED: &str = "never reached the broker";

/// What one reconciliation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Non-terminal orders looked at.
    pub checked: usize,
    /// Orders whose status changed.
    pub updated: usize,
    /// Tags without an order id that the broker has: adopted (order id and state journalled).
    pub adopted: Vec<String>,
    /// Tags the broker never got: marked `Rejected`, never sent.
    pub never_sent: Vec<String>,
    /// Fills journalled for the first time.
    pub fills: usize,
    /// Tags whose placement is in flight in this process, left alone.
    pub in_flight: usize,
}

impl Executor {
    /// Settles every non-terminal journalled order: with an order id, its state and trades are read;
    /// without one (the reply was lost, or the process died between journal and send) the day's book
    /// is searched for its tag, and the order adopted if there, else marked `Rejected` — never sent
    /// again, since a stale signal must not trade late. So an executor started over the same
    /// database after a crash never places an order twice.
    pub async fn reconcile(&self) -> Result<ReconcileReport, ExecError> {
        let live = self.inner.journal.live_orders().await?;
        let mut report = ReconcileReport::default();
        let mut book: Option<Vec<Order>> = None;
        for rec in live {
            if lock(&self.inner.in_flight).contains(&rec.tag) {
                report.in_flight += 1;
                continue;
            }
            report.checked += 1;
            let (after, fills) = match &rec.order_id {
                Some(id) => self.sync_order(&rec.tag, id, false).await?,
                None => {
                    if book.is_none() {
                        book = Some(self.kite().orders().await?);
                    }
                    let found = book
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .filter(|o| {
                            o.tag.as_deref() == Some(rec.tag.as_str())
                                || o.tags.iter().any(|t| t == &rec.tag)
                        })
                        .max_by(|a, b| a.order_timestamp.cmp(&b.order_timestamp))
                        .cloned();
                    match found {
                        Some(o) => {
                            tracing::info!(tag = %rec.tag, order_id = %o.order_id, "adopted an order whose reply was lost");
                            report.adopted.push(rec.tag.clone());
                            self.apply_broker(&rec.tag, &o, false).await?
                        }
                        None => {
                            tracing::warn!(tag = %rec.tag, "journalled order never reached the broker; not sending it");
                            report.never_sent.push(rec.tag.clone());
                            let u = OrderUpdate {
                                order_id: None,
                                status: ExecStatus::Rejected,
                                filled_quantity: 0,
                                average_price: 0.0,
                                message: Some(NEVER_REACHED.into()),
                                price: None,
                                updated_ms: now_ms(),
                            };
                            (self.apply(&rec.tag, &u).await?, 0)
                        }
                    }
                }
            };
            if after.status != rec.status {
                report.updated += 1;
            }
            report.fills += fills;
        }
        Ok(report)
    }
}
