//! Kite Connect v3 client.
//!
//! `rest` holds every REST endpoint (typed results, typed errors, rate limits, safe retries). `ticker` holds the binary WebSocket market-data feed: a zero-copy frame parser and a client that
//! keeps the socket alive (heartbeats, reconnect with backoff, resubscribe).
#![forbid(unsafe_code)]

pub mod fuzz;
pub mod rest;
pub mod ticker;

pub use rest::{urgent, KiteClient, KiteConfig, KiteError};

pub use ticker::{
    parse::{parse_packet, Frame, ParseError},
    Credentials, TickerClient, TickerConfig, TickerError, TickerEvent, TickerHandle,
};
