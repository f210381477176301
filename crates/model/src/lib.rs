//! Types shared by every part of Kite Trading Agent, compiled for the server and for the browser (WASM).
//!
//! Nothing here does I/O: these are the nouns the rest of the product talks in.
#![forbid(unsafe_code)]

pub mod account;
pub mod alert;
pub mod analysis;
pub mod broker;
pub mod instrument;
pub mod live;
pub mod options;
pub mod status;
pub mod tick;
pub mod trading;

pub use alert::{Alert, AlertEmailSetting, AlertKind, AlertLevel};
pub use instrument::{Exchange, InstrumentToken, Segment, WatchInstrument, WatchRow};
pub use live::{ClientMessage, LiveMessage};
pub use status::{ComponentHealth, Health, ServerStatus, TickerState, TradingMode, UserHealth};
pub use tick::{DepthLevel, Mode, Ohlc, Tick, DEPTH_LEVELS};
