//! One order from request to its last state: validate, price, journal, send, chase, time out.

use super::pricing::{
    marketable_limit, round_to_tick, tick_paise, to_paise, to_rupees, touch, Rounding,
};
use super::{ExecError, ExecEvent, Executor, InFlight, OrderRequest, TimeoutAction};
use crate::journal::{now_ms, OrderUpdate};
use kite::rest::orders::{new_order_tag, MAX_TAG_LEN};
use kite::KiteError;
use model::broker::{MarginOrder, ModifyParams, OrderId, OrderParams, OrderType, Variety};
use model::trading::{ExecStatus, OrderRecord};
use model::Exchange;
use std::time::{Duration, Instant};
use tracing::{info, info_span, warn, Instrument};

/// How long to wait for the broker to confirm a cancel before leaving it to reconciliation.
const CANCEL_CONFIRM: Duration = Duration::from_secs(5);

/// The broker's own words for a refusal, without our prefix.
pub(super) fn broker_message(e: &KiteError) -> String {
    match e {
        KiteError::Token { message, .. }
        | KiteError::Permission { message, .. }
        | KiteError::User { message, .. }
        | KiteError::Input { message, .. }
        | KiteError::Margin { message, .. }
        | KiteError::Holding { message, .. }
        | KiteError::Order { message, .. }
        | KiteError::Network { message, .. }
        | KiteError::Data { message, .. }
        | KiteError::General { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Refuses what must not reach the broker.
pub(super) fn validate(req: &OrderRequest) -> Result<i64, ExecError> {
    if req.quantity == 0 {
        return Err(ExecError::Invalid("quantity must be positive".into()));
    }
    if req.tradingsymbol.trim().is_empty() {
        return Err(ExecError::Invalid("no trading symbol".into()));
    }
    if let Some(l) = req.limit {
        if !l.is_finite() || l <= 0.0 {
            return Err(ExecError::Invalid(format!("limit price {l}")));
        }
    }
    tick_paise(req.tick_size)
}

fn quote_key(exchange: Exchange, symbol: &str) -> String {
    format!("{}:{symbol}", exchange.as_str())
}

impl Executor {
    /// A journalled order that never reached the broker: rejected with `message`, which is the error
    /// returned (or the journal's, if recording it failed).
    async fn refuse_unsent(&self, tag: String, message: String) -> ExecError {
        let update = OrderUpdate {
            order_id: None,
            status: ExecStatus::Rejected,
            filled_quantity: 0,
            average_price: 0.0,
            message: Some(message.clone()),
            price: None,
            updated_ms: now_ms(),
        };
        match self.apply(&tag, &update).await {
            Ok(_) => ExecError::Rejected { tag, message },
            Err(e) => e,
        }
    }

    /// Executes one order and returns its final record: `Filled`, or `Cancelled` with what filled
    /// kept in `filled_quantity`. A rejection is an `Err` carrying the broker's reason.
    pub async fn submit(&self, req: OrderRequest) -> Result<OrderRecord, ExecError> {
        let tag = new_order_tag();
        debug_assert!(tag.len() <= MAX_TAG_LEN);
        let span = info_span!("exec_order", tag = %tag, symbol = %req.tradingsymbol);
        self.submit_tagged(req, tag, None).instrument(span).await
    }

    /// [`Executor::submit`], telling `placed` as soon as the broker accepted the order (or why it
    /// was not placed), before the order is worked to its end.
    pub(super) async fn submit_notify(
        &self,
        req: OrderRequest,
        placed: Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
    ) -> Result<OrderRecord, ExecError> {
        let tag = new_order_tag();
        let span = info_span!("exec_order", tag = %tag, symbol = %req.tradingsymbol);
        self.submit_tagged(req, tag, placed).instrument(span).await
    }

    /// The marketable limit for `side` now, in paise.
    async fn marketable_price(
        &self,
        req: &OrderRequest,
        tick: i64,
        allow_quoted: bool,
    ) -> Result<i64, ExecError> {
        let key = quote_key(req.exchange, &req.tradingsymbol);
        if let Some((t, lo, hi)) = self.inner.touches.get(&key, req.side, allow_quoted) {
            return marketable_limit(
                t,
                req.side,
                self.inner.config.slippage_band_pct,
                tick,
                lo,
                hi,
            );
        }
        let mut quotes = self
            .kite()
            .quote(&[key.as_str()])
            .await
            .map_err(|e| ExecError::NoPrice(format!("{key} (quote failed: {e})")))?;
        let q = quotes
            .remove(&key)
            .ok_or_else(|| ExecError::NoPrice(key.clone()))?;
        self.inner.touches.on_quote(&key, &q);
        let t = touch(&q, req.side).ok_or_else(|| ExecError::NoPrice(key.clone()))?;
        marketable_limit(
            t,
            req.side,
            self.inner.config.slippage_band_pct,
            tick,
            q.lower_circuit_limit,
            q.upper_circuit_limit,
        )
    }

    /// The margin calculator's requirement against the segment's available funds.
    pub async fn check_margin(&self, req: &OrderRequest, price: f64) -> Result<(), ExecError> {
        let mo = MarginOrder {
            exchange: req.exchange,
            tradingsymbol: req.tradingsymbol.clone(),
            transaction_type: req.side,
            variety: Variety::Regular,
            product: req.product,
            order_type: OrderType::Limit,
            quantity: req.quantity,
            price: Some(price),
            trigger_price: None,
        };
        let required: f64 = self
            .kite()
            .order_margins(&[mo], false)
            .await?
            .iter()
            .map(|m| m.total)
            .sum();
        let funds = self.kite().margins().await?;
        let segment = match req.exchange {
            Exchange::Mcx => funds.commodity,
            _ => funds.equity,
        };
        let available = segment.map(|s| s.net).unwrap_or(0.0);
        if required > available {
            return Err(ExecError::InsufficientMargin {
                required,
                available,
            });
        }
        Ok(())
    }

    async fn submit_tagged(
        &self,
        req: OrderRequest,
        tag: String,
        mut placed: Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
    ) -> Result<OrderRecord, ExecError> {
        let r = self.place_tagged(req, tag, &mut placed).await;
        if let (Some(tx), Err(e)) = (placed.take(), &r) {
            let _ = tx.send(Err(e.to_string()));
        }
        r
    }

    async fn place_tagged(
        &self,
        req: OrderRequest,
        tag: String,
        placed: &mut Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
    ) -> Result<OrderRecord, ExecError> {
        let tick = validate(&req)?;
        let price = match req.limit {
            Some(l) => round_to_tick(to_paise(l)? as f64, tick, Rounding::Nearest).max(tick),
            None => self.marketable_price(&req, tick, true).await?,
        };
        if self.inner.config.check_margin {
            self.check_margin(&req, to_rupees(price)).await?;
        }
        let now = now_ms();
        let rec = OrderRecord {
            tag: tag.clone(),
            order_id: None,
            strategy_id: req.strategy_id,
            basket: req.basket.clone(),
            exchange: req.exchange,
            tradingsymbol: req.tradingsymbol.clone(),
            side: req.side,
            product: req.product,
            quantity: req.quantity,
            filled_quantity: 0,
            price: Some(to_rupees(price)),
            average_price: 0.0,
            status: ExecStatus::Pending,
            message: None,
            modifications: 0,
            created_ms: now,
            updated_ms: now,
        };
        let in_flight = InFlight::new(&self.inner, &tag);
        // Journalled before it is sent: after a crash the tag is known and looked for, never resent.
        if !self.inner.journal.insert_order(&rec).await? {
            return Err(ExecError::DuplicateTag(tag));
        }
        self.emit(ExecEvent::Order(rec.clone()));
        let params = OrderParams {
            price: Some(to_rupees(price)),
            tag: Some(tag.clone()),
            ..OrderParams::new(
                req.exchange,
                req.tradingsymbol.clone(),
                req.side,
                OrderType::Limit,
                req.quantity,
                req.product,
            )
        };
        // The last moment before sending: an order journalled just as the kill switch fired stays
        // here, refused, rather than reaching the broker after the switch's cancel pass.
        if req.strategy_id.is_some() && self.halted() {
            let message = "blocked: the kill switch is active".to_string();
            return Err(self.refuse_unsent(tag, message).await);
        }
        let mut refused = 0u32;
        let placed_id = loop {
            match self.kite().place_order(&params).await {
                // Kite's rate limit refused it, so it certainly was not placed: the kill switch's
                // square-offs go again, same tag, rather than wait for its thorough pass.
                Err(KiteError::Network { status: 429, .. })
                    if kite::rest::limits::is_urgent() && refused < 3 =>
                {
                    refused += 1;
                    warn!(
                        attempt = refused,
                        "placement refused by the rate limit; again"
                    );
                    tokio::time::sleep(Duration::from_millis(100 << (refused - 1))).await;
                }
                other => break other,
            }
        };
        let order_id = match placed_id {
            Ok(id) => id,
            Err(e) if e.is_ambiguous() || matches!(e, KiteError::OrderOutcomeUnknown { .. }) => {
                warn!(error = %e, "placement outcome unknown; left Pending for reconciliation");
                return Err(ExecError::OutcomeUnknown {
                    tag,
                    cause: e.to_string(),
                });
            }
            Err(e) => {
                let message = broker_message(&e);
                return Err(self.refuse_unsent(tag, message).await);
            }
        };
        info!(order_id = %order_id, price = to_rupees(price), "placed");
        self.apply(
            &tag,
            &OrderUpdate {
                order_id: Some(order_id.0.clone()),
                status: ExecStatus::Open,
                filled_quantity: 0,
                average_price: 0.0,
                message: None,
                price: None,
                updated_ms: now_ms(),
            },
        )
        .await?;
        drop(in_flight);
        if let Some(tx) = placed.take() {
            let _ = tx.send(Ok(()));
        }
        let rec = self.work(&req, &tag, &order_id, tick, price).await?;
        match rec.status {
            ExecStatus::Rejected => Err(ExecError::Rejected {
                tag,
                message: rec.message.unwrap_or_else(|| "rejected".into()),
            }),
            _ => Ok(rec),
        }
    }

    /// Works a placed order until it is terminal: polls it, chases a marketable one to the new touch
    /// every `chase_every` (at most `max_modifications` times), and at `fill_timeout` cancels the
    /// remainder or re-prices it once more. An explicit limit is never moved, only cancelled.
    async fn work(
        &self,
        req: &OrderRequest,
        tag: &str,
        order_id: &OrderId,
        tick: i64,
        mut price: i64,
    ) -> Result<OrderRecord, ExecError> {
        let cfg = &self.inner.config;
        let poll =
            (cfg.chase_every / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
        let mut last_chase = Instant::now();
        let mut deadline = Instant::now() + cfg.fill_timeout;
        let mut chases = 0u32;
        let mut repriced = false;
        loop {
            let (rec, _) = self.sync_order(tag, order_id.as_str(), false).await?;
            if rec.status.is_terminal() {
                return Ok(rec);
            }
            let now = Instant::now();
            if now >= deadline {
                if cfg.on_timeout == TimeoutAction::Reprice && !repriced && req.limit.is_none() {
                    repriced = true;
                    price = self.chase(req, tag, order_id, tick, price).await?;
                    deadline = now + cfg.fill_timeout;
                    continue;
                }
                return self.cancel_remainder(tag, order_id).await;
            }
            if req.limit.is_none()
                && chases < cfg.max_modifications
                && now.duration_since(last_chase) >= cfg.chase_every
            {
                chases += 1;
                last_chase = now;
                price = self.chase(req, tag, order_id, tick, price).await?;
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Moves the order to the new touch ± band if that differs from its price; returns the price it
    /// now has. A refused modification (the order filled meanwhile) is logged, not fatal.
    async fn chase(
        &self,
        req: &OrderRequest,
        tag: &str,
        order_id: &OrderId,
        tick: i64,
        price: i64,
    ) -> Result<i64, ExecError> {
        let new = self.marketable_price(req, tick, false).await?;
        if new == price {
            return Ok(price);
        }
        let m = ModifyParams {
            price: Some(to_rupees(new)),
            ..ModifyParams::default()
        };
        match self
            .kite()
            .modify_order(Variety::Regular, order_id, &m)
            .await
        {
            Ok(_) => {
                let cur = self.inner.journal.order(tag).await?;
                if let Some(cur) = cur {
                    self.apply(
                        tag,
                        &OrderUpdate {
                            order_id: None,
                            status: cur.status,
                            filled_quantity: cur.filled_quantity,
                            average_price: cur.average_price,
                            message: None,
                            price: Some(to_rupees(new)),
                            updated_ms: now_ms(),
                        },
                    )
                    .await?;
                }
                info!(from = to_rupees(price), to = to_rupees(new), "chased");
                Ok(new)
            }
            Err(e) => {
                warn!(error = %e, "modification refused");
                Ok(price)
            }
        }
    }

    /// Cancels what is left and waits for the broker to confirm; the filled part stays journalled.
    async fn cancel_remainder(
        &self,
        tag: &str,
        order_id: &OrderId,
    ) -> Result<OrderRecord, ExecError> {
        if let Err(e) = self
            .kite()
            .cancel_order(Variety::Regular, order_id, None)
            .await
        {
            // Most often it filled or was cancelled meanwhile; the next read says which.
            warn!(error = %e, "cancel refused");
        }
        let until = Instant::now() + CANCEL_CONFIRM;
        loop {
            let (rec, _) = self.sync_order(tag, order_id.as_str(), true).await?;
            if rec.status.is_terminal() || Instant::now() >= until {
                return Ok(rec);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
