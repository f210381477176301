//! Orders and trades (SPEC §5). Placement is never retried blindly: every order carries a tag, and after
//! an ambiguous failure the order book is searched for that tag before anything is sent again.

use super::client::{Body, KiteClient};
use super::error::{KiteError, Result};
use super::limits::Class;
use model::broker::{ModifyParams, Order, OrderId, OrderParams, OrderResponse, Trade, Variety};
use rand::Rng;
use reqwest::Method;
use tracing::{info_span, warn, Instrument};

/// Longest tag Kite accepts.
pub const MAX_TAG_LEN: usize = 20;

/// A fresh tag unique enough to find one order again: `kta` + 12 random base-36 characters.
pub fn new_order_tag() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    let mut s = String::from("kta");
    for _ in 0..12 {
        s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    s
}

impl KiteClient {
    /// Places an order and returns its id. Without a tag, one is generated so the placement can be
    /// reconciled; if the reply is lost, the order book is checked for the tag before one retry.
    pub async fn place_order(&self, params: &OrderParams) -> Result<OrderId> {
        let mut params = params.clone();
        let tag = match &params.tag {
            Some(t) if !t.is_empty() => t.clone(),
            _ => {
                let t = new_order_tag();
                params.tag = Some(t.clone());
                t
            }
        };
        params
            .validate()
            .map_err(|e| KiteError::Invalid(e.to_string()))?;
        let span = info_span!("order", tag = %tag, symbol = %params.tradingsymbol);
        async move {
            let path = format!("/orders/{}", params.variety.as_str());
            let form = params.to_form();
            match self.send_place(&path, form.clone()).await {
                Ok(id) => Ok(id),
                Err(e) if e.is_ambiguous() => {
                    warn!(error = %e, "placement outcome unknown; checking the order book by tag");
                    match self.find_by_tag(&tag).await {
                        Ok(Some(order)) => return Ok(order.order_id),
                        Ok(None) => {}
                        Err(lookup) => {
                            return Err(KiteError::OrderOutcomeUnknown {
                                tag,
                                cause: format!("{e}; lookup failed: {lookup}"),
                            })
                        }
                    }
                    // Not in the book: Kite never got it, so sending it again cannot duplicate it.
                    match self.send_place(&path, form).await {
                        Ok(id) => Ok(id),
                        Err(e2) if e2.is_ambiguous() => match self.find_by_tag(&tag).await {
                            Ok(Some(order)) => Ok(order.order_id),
                            _ => Err(KiteError::OrderOutcomeUnknown {
                                tag,
                                cause: e2.to_string(),
                            }),
                        },
                        Err(e2) => Err(e2),
                    }
                }
                Err(e) => Err(e),
            }
        }
        .instrument(span)
        .await
    }

    async fn send_place(&self, path: &str, form: Vec<(&'static str, String)>) -> Result<OrderId> {
        let r: OrderResponse = self
            .call(
                Method::POST,
                path,
                &[],
                Body::Form(form),
                Class::OrderPlace,
                false,
            )
            .await?;
        Ok(r.order_id)
    }

    /// The latest order carrying `tag` in today's book, if any. The read itself is retried like every
    /// read; a lookup that still fails is an error, never "not there".
    pub async fn find_by_tag(&self, tag: &str) -> Result<Option<Order>> {
        let orders = self.orders().await?;
        Ok(orders
            .into_iter()
            .filter(|o| o.tag.as_deref() == Some(tag) || o.tags.iter().any(|x| x == tag))
            .max_by(|a, b| a.order_timestamp.cmp(&b.order_timestamp)))
    }

    pub async fn modify_order(
        &self,
        variety: Variety,
        order_id: &OrderId,
        params: &ModifyParams,
    ) -> Result<OrderId> {
        let path = format!("/orders/{}/{}", variety.as_str(), order_id.0);
        let r: OrderResponse = self
            .call(
                Method::PUT,
                &path,
                &[],
                Body::Form(params.to_form()),
                Class::Other,
                false,
            )
            .await?;
        Ok(r.order_id)
    }

    /// Cancels an order; `parent_order_id` is needed for the stop leg of a cover order.
    pub async fn cancel_order(
        &self,
        variety: Variety,
        order_id: &OrderId,
        parent_order_id: Option<&OrderId>,
    ) -> Result<OrderId> {
        let path = format!("/orders/{}/{}", variety.as_str(), order_id.0);
        let q: Vec<(&str, String)> = parent_order_id
            .map(|p| vec![("parent_order_id", p.0.clone())])
            .unwrap_or_default();
        let r: OrderResponse = self
            .call(Method::DELETE, &path, &q, Body::None, Class::Other, false)
            .await?;
        Ok(r.order_id)
    }

    /// Every order of the day, latest state of each.
    pub async fn orders(&self) -> Result<Vec<Order>> {
        self.call(Method::GET, "/orders", &[], Body::None, Class::Other, true)
            .await
    }

    /// Every state an order went through, oldest first.
    pub async fn order_history(&self, order_id: &OrderId) -> Result<Vec<Order>> {
        let path = format!("/orders/{}", order_id.0);
        self.call(Method::GET, &path, &[], Body::None, Class::Other, true)
            .await
    }

    pub async fn order_trades(&self, order_id: &OrderId) -> Result<Vec<Trade>> {
        let path = format!("/orders/{}/trades", order_id.0);
        self.call(Method::GET, &path, &[], Body::None, Class::Other, true)
            .await
    }

    pub async fn trades(&self) -> Result<Vec<Trade>> {
        self.call(Method::GET, "/trades", &[], Body::None, Class::Other, true)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_short_alphanumeric_and_distinct() {
        let a = new_order_tag();
        let b = new_order_tag();
        assert_ne!(a, b);
        assert!(a.len() <= MAX_TAG_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
