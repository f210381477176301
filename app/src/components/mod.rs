//! Pieces of the dashboard used across pages.

pub mod connection_badge;
pub mod header;
pub mod status_bar;
