//! HTTP routes: the REST API under `/api`, the live sockets under `/ws`.

pub mod account;
pub mod analysis;
pub mod api;
pub mod live;
pub mod liveness;
pub mod me;
pub mod oi_ws;
pub mod options;
pub mod trading;
