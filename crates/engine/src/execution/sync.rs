//! Bringing the journal in line with the broker: order state from postbacks and polls (forward only,
//! the journal enforces it), fills from the broker's trades (once per trade id).

use super::broker_state::update_of;
use super::{ExecError, ExecEvent, Executor};
use crate::backtest::{TxSide, ZerodhaCharges, ZerodhaProduct};
use crate::db::DbError;
use crate::journal::{now_ms, OrderUpdate};
use model::broker::{Order, OrderId, Product, Trade, TransactionType};
use model::trading::{FillRecord, OrderRecord};

/// Attempts at an order update that SQLite refused as busy.
const BUSY_RETRIES: u32 = 20;

/// SQLITE_BUSY or SQLITE_LOCKED, primary or extended code.
fn is_busy(e: &DbError) -> bool {
    match e {
        DbError::Sql(sqlx::Error::Database(d)) => d
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6)),
        _ => false,
    }
}

/// Same record apart from its last-touched time: a poll that changed nothing is not an event.
fn same(a: &OrderRecord, b: &OrderRecord) -> bool {
    OrderRecord {
        updated_ms: 0,
        ..a.clone()
    } == OrderRecord {
        updated_ms: 0,
        ..b.clone()
    }
}

/// IST wall time of a trade as Unix milliseconds.
fn ist_ms(t: chrono::NaiveDateTime) -> u64 {
    let utc = t - chrono::Duration::minutes(330);
    utc.and_utc().timestamp_millis().max(0) as u64
}

/// Zerodha's charges on one fill. Its equity schedule (the backtester's) for every product; a
/// contract note caps brokerage per order, so per-fill brokerage slightly overstates a many-fill
/// order's, never understates it.
fn charges(product: Product, side: TransactionType, quantity: u32, price: f64) -> f64 {
    let z = ZerodhaCharges {
        product: if product == Product::Cnc {
            ZerodhaProduct::Delivery
        } else {
            ZerodhaProduct::Intraday
        },
    };
    let side = match side {
        TransactionType::Buy => TxSide::Buy,
        TransactionType::Sell => TxSide::Sell,
    };
    z.order(side, quantity as f64, price)
}

impl Executor {
    /// Applies an update to `tag` and announces it if anything changed.
    pub(super) async fn apply(&self, tag: &str, u: &OrderUpdate) -> Result<OrderRecord, ExecError> {
        let j = &self.inner.journal;
        let _one = self.inner.order_writes.lock().await;
        let before = j.order(tag).await?;
        let mut attempt = 0;
        let after = loop {
            match j.update_order(tag, u).await {
                // Another writer (not this executor) got in between the read and the write.
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(10 * attempt as u64)).await;
                }
                r => break r?,
            }
        }
        .ok_or_else(|| ExecError::Invalid(format!("tag {tag} is not journalled")))?;
        if !before.as_ref().is_some_and(|b| same(b, &after)) {
            self.emit(ExecEvent::Order(after.clone()));
        }
        Ok(after)
    }

    /// Applies the broker's state of the order journalled as `tag`, then journals any fills it has
    /// that the journal lacks. `engine_cancel`: the engine cancelled it at its fill timeout, which
    /// the journal's message says (with how much filled) when the broker gives no reason.
    /// Returns the stored record and how many fills were new.
    pub(super) async fn apply_broker(
        &self,
        tag: &str,
        o: &Order,
        engine_cancel: bool,
    ) -> Result<(OrderRecord, usize), ExecError> {
        let mut u = update_of(o, now_ms());
        if engine_cancel && u.status == model::trading::ExecStatus::Cancelled {
            u.message = Some(format!(
                "fill timeout: {} of {} filled, remainder cancelled by the engine",
                o.filled_quantity, o.quantity
            ));
        }
        let mut added = 0;
        if o.filled_quantity > 0 {
            let cur = self
                .inner
                .journal
                .order(tag)
                .await?
                .ok_or_else(|| ExecError::Invalid(format!("tag {tag} is not journalled")))?;
            added = self
                .sync_fills(&cur, &o.order_id, o.filled_quantity)
                .await?;
            // The broker rounds its average to the paisa; the fills give the exact VWAP.
            let fills = self.inner.journal.order_fills(o.order_id.as_str()).await?;
            let qty: u64 = fills.iter().map(|f| f.quantity as u64).sum();
            if qty == o.filled_quantity as u64 {
                let notional: f64 = fills.iter().map(|f| f.quantity as f64 * f.price).sum();
                u.average_price = notional / qty as f64;
            }
        }
        let rec = self.apply(tag, &u).await?;
        Ok((rec, added))
    }

    /// Reads the order's latest state at the broker and applies it.
    pub(super) async fn sync_order(
        &self,
        tag: &str,
        order_id: &str,
        engine_cancel: bool,
    ) -> Result<(OrderRecord, usize), ExecError> {
        // Bookkeeping: never in the kill switch's share of the rate limit (see `kite::urgent`).
        let id = OrderId::from(order_id);
        let history = kite::rest::limits::ordinary(self.kite().order_history(&id)).await?;
        match history.last() {
            Some(o) => self.apply_broker(tag, o, engine_cancel).await,
            None => {
                let rec =
                    self.inner.journal.order(tag).await?.ok_or_else(|| {
                        ExecError::Invalid(format!("tag {tag} is not journalled"))
                    })?;
                Ok((rec, 0))
            }
        }
    }

    /// Journals the order's trades the journal does not have yet (asking the broker only when the
    /// journalled quantity falls short of what the order says is filled).
    async fn sync_fills(
        &self,
        rec: &OrderRecord,
        order_id: &OrderId,
        filled: u32,
    ) -> Result<usize, ExecError> {
        let j = &self.inner.journal;
        let have: u32 = j
            .order_fills(order_id.as_str())
            .await?
            .iter()
            .map(|f| f.quantity)
            .sum();
        if have >= filled {
            return Ok(0);
        }
        let trades = kite::rest::limits::ordinary(self.kite().order_trades(order_id)).await?;
        self.journal_trades(rec, &trades).await
    }

    async fn journal_trades(
        &self,
        rec: &OrderRecord,
        trades: &[Trade],
    ) -> Result<usize, ExecError> {
        let mut added = 0;
        for t in trades {
            let f = FillRecord {
                trade_id: t.trade_id.clone(),
                order_id: t.order_id.0.clone(),
                tag: rec.tag.clone(),
                strategy_id: rec.strategy_id,
                exchange: t.exchange,
                tradingsymbol: t.tradingsymbol.clone(),
                side: t.transaction_type,
                quantity: t.quantity,
                price: t.average_price,
                charges: charges(t.product, t.transaction_type, t.quantity, t.average_price),
                ts_ms: t
                    .fill_timestamp
                    .or(t.exchange_timestamp)
                    .map(ist_ms)
                    .unwrap_or_else(now_ms),
            };
            if self.inner.journal.insert_fill(&f).await? {
                added += 1;
                self.emit(ExecEvent::Fill(f));
            }
        }
        Ok(added)
    }

    /// An order update from the ticker (or a postback). Orders that are not this engine's are
    /// ignored; an update older than what is journalled changes nothing. Failures are logged: the
    /// poller catches up.
    pub async fn on_order_update(&self, o: &Order) {
        let j = &self.inner.journal;
        let rec = match j.order_by_id(o.order_id.as_str()).await {
            Ok(Some(r)) => Some(r),
            Ok(None) => {
                let mut tags = o.tag.iter().chain(o.tags.iter());
                let mut found = None;
                for t in &mut tags {
                    match j.order(t).await {
                        Ok(Some(r)) => {
                            found = Some(r);
                            break;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "journal lookup failed for an order update");
                            return;
                        }
                    }
                }
                found
            }
            Err(e) => {
                tracing::warn!(error = %e, "journal lookup failed for an order update");
                return;
            }
        };
        let Some(rec) = rec else { return };
        if let Err(e) = self.apply_broker(&rec.tag, o, false).await {
            tracing::warn!(tag = %rec.tag, error = %e, "order update not applied; the poller will retry");
        }
    }
}
