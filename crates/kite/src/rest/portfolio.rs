//! Positions and holdings (SPEC §6).

use super::client::{Body, KiteClient};
use super::error::Result;
use super::limits::Class;
use model::broker::{
    AuctionInstrument, ConvertPositionParams, Holding, HoldingsSummary, Positions,
};
use reqwest::Method;

impl KiteClient {
    /// Net (including carried) and day positions.
    pub async fn positions(&self) -> Result<Positions> {
        self.call(
            Method::GET,
            "/portfolio/positions",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    /// Converts a position's product (e.g. MIS → CNC).
    pub async fn convert_position(&self, params: &ConvertPositionParams) -> Result<bool> {
        self.call(
            Method::PUT,
            "/portfolio/positions",
            &[],
            Body::Form(params.to_form()),
            Class::Other,
            false,
        )
        .await
    }

    pub async fn holdings(&self) -> Result<Vec<Holding>> {
        self.call(
            Method::GET,
            "/portfolio/holdings",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    pub async fn holdings_summary(&self) -> Result<HoldingsSummary> {
        self.call(
            Method::GET,
            "/portfolio/holdings/summary",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }

    /// Holdings that can be sold in today's auctions.
    pub async fn auctions(&self) -> Result<Vec<AuctionInstrument>> {
        self.call(
            Method::GET,
            "/portfolio/holdings/auctions",
            &[],
            Body::None,
            Class::Other,
            true,
        )
        .await
    }
}
