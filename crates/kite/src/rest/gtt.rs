//! Good-till-triggered orders (SPEC §8).

use super::client::{Body, KiteClient};
use super::error::Result;
use super::limits::Class;
use model::broker::{Gtt, GttParams, GttResponse};
use reqwest::Method;

impl KiteClient {
    pub async fn place_gtt(&self, params: &GttParams) -> Result<u64> {
        let r: GttResponse = self
            .call(
                Method::POST,
                "/gtt/triggers",
                &[],
                Body::Form(params.to_form()),
                Class::Other,
                false,
            )
            .await?;
        Ok(r.trigger_id)
    }

    pub async fn modify_gtt(&self, id: u64, params: &GttParams) -> Result<u64> {
        let path = format!("/gtt/triggers/{id}");
        let r: GttResponse = self
            .call(
                Method::PUT,
                &path,
                &[],
                Body::Form(params.to_form()),
                Class::Other,
                false,
            )
            .await?;
        Ok(r.trigger_id)
    }

    pub async fn delete_gtt(&self, id: u64) -> Result<u64> {
        let path = format!("/gtt/triggers/{id}");
        let r: GttResponse = self
            .call(Method::DELETE, &path, &[], Body::None, Class::Other, false)
            .await?;
        Ok(r.trigger_id)
    }

    pub async fn gtts(&self) -> Result<Vec<Gtt>> {
        self.call(
            Method::GET,
            "/gtt/triggers",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    pub async fn gtt(&self, id: u64) -> Result<Gtt> {
        let path = format!("/gtt/triggers/{id}");
        self.call(Method::GET, &path, &[], Body::None, Class::Other, true)
            .await
    }
}
