//! The typed Kite Connect v3 REST data model (SPEC §2–§10).
//!
//! Three users shape these types: the REST client decodes Kite's JSON into them (leniently: unknown
//! keys ignored, absent optional keys defaulted, `null` accepted where Kite sends it), the sandbox
//! encodes them (every key the official mocks have, integer fields as JSON integers, `meta` as `{}`),
//! and the dashboard shows them. Nothing here does I/O, so it builds for the browser as well.

pub mod alerts;
pub mod enums;
pub mod error;
pub mod gtt;
pub mod instrument;
pub mod json;
pub mod margins_calc;
pub mod market;
pub mod mf;
pub mod order;
pub mod portfolio;
pub mod time;
pub mod user;

pub use alerts::{Alert, AlertBasket, AlertBasketItem, AlertHistory, AlertHistoryMeta};
pub use enums::{
    GttStatus, GttType, MarginSegment, OrderStatus, OrderType, PositionType, Product,
    TransactionType, Validity, Variety,
};
pub use error::{Envelope, ErrorBody, ErrorType, ModelError, ResponseStatus};
pub use gtt::{
    Gtt, GttCondition, GttConditionParams, GttOrder, GttOrderParams, GttOrderResult, GttParams,
    GttResponse, GttResult,
};
pub use instrument::{Instrument, InstrumentType, MfInstrument};
pub use json::Meta;
pub use margins_calc::{
    BasketMargins, Charges, ChargesOrder, ContractNote, Gst, MarginOrder, MarginPnl, OrderMargin,
};
pub use market::{
    Candle, Candles, DepthEntry, Interval, LtpQuote, OhlcQuote, Quote, QuoteDepth, QuoteMap,
    TriggerRange,
};
pub use mf::{MfHolding, MfOrder, MfOrderResponse, MfSip, MfSipResponse};
pub use order::{
    AutosliceChild, AutosliceError, AutosliceResponse, IcebergMeta, ModifyParams, Order, OrderId,
    OrderParams, OrderPostback, OrderResponse, Trade,
};
pub use portfolio::{
    AuctionInstrument, ConvertPositionParams, Holding, HoldingsAuth, HoldingsCompact,
    HoldingsSummary, MtfHolding, Position, Positions,
};
pub use user::{
    AvailableMargins, BankAccount, FullProfile, FullProfileMeta, Margins, Profile, ProfileMeta,
    SegmentMargins, Session, UtilisedMargins,
};
