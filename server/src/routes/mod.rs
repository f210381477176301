//! HTTP routes: the REST API under `/api`, the live sockets under `/ws`.

pub mod account;
pub mod api;
pub mod live;
