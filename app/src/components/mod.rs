//! Pieces of the dashboard used across pages.

pub mod account;
pub mod connection_badge;
pub mod header;
pub mod kite_banner;
pub mod status_bar;
pub mod toasts;
pub mod user_menu;
