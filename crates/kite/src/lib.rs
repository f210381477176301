//! Kite Connect v3 client.
//!
//! `ticker` holds the binary WebSocket market-data feed: a zero-copy frame parser and a client that
//! keeps the socket alive (heartbeats, reconnect with backoff, resubscribe).
#![forbid(unsafe_code)]

pub mod ticker;

pub use ticker::{
    parse::{parse_packet, Frame, ParseError},
    Credentials, TickerClient, TickerConfig, TickerError, TickerEvent, TickerHandle,
};
