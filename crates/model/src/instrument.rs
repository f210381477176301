//! Instruments as Kite identifies them: a 32-bit token whose low byte is the market segment.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Kite's instrument token. The low byte encodes the segment (SPEC §12.4), which decides the price divisor
/// of every binary tick, so the token is a type of its own rather than a bare `u32`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct InstrumentToken(pub u32);

impl InstrumentToken {
    /// Builds a token the way Kite does: exchange token shifted left one byte, segment id in the low byte.
    pub const fn from_parts(exchange_token: u32, segment: Segment) -> Self {
        Self((exchange_token << 8) | segment.id() as u32)
    }

    pub const fn segment(self) -> Segment {
        Segment::from_id((self.0 & 0xFF) as u8)
    }

    pub const fn exchange_token(self) -> u32 {
        self.0 >> 8
    }
}

impl fmt::Display for InstrumentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Market segment from the token's low byte. Unknown ids are kept, since the divisor of an unknown
/// segment is still defined (100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Segment {
    Nse,
    Nfo,
    Cds,
    Bse,
    Bfo,
    Bcd,
    Mcx,
    McxSx,
    Indices,
    Other(u8),
}

impl Segment {
    pub const fn from_id(id: u8) -> Self {
        match id {
            1 => Self::Nse,
            2 => Self::Nfo,
            3 => Self::Cds,
            4 => Self::Bse,
            5 => Self::Bfo,
            6 => Self::Bcd,
            7 => Self::Mcx,
            8 => Self::McxSx,
            9 => Self::Indices,
            other => Self::Other(other),
        }
    }

    pub const fn id(self) -> u8 {
        match self {
            Self::Nse => 1,
            Self::Nfo => 2,
            Self::Cds => 3,
            Self::Bse => 4,
            Self::Bfo => 5,
            Self::Bcd => 6,
            Self::Mcx => 7,
            Self::McxSx => 8,
            Self::Indices => 9,
            Self::Other(id) => id,
        }
    }

    /// Divisor that turns a raw integer price of this segment into rupees (SPEC §12.4): currency
    /// derivatives carry more decimals than anything else.
    pub const fn price_divisor(self) -> f64 {
        match self {
            Self::Cds => 10_000_000.0,
            Self::Bcd => 10_000.0,
            _ => 100.0,
        }
    }

    /// Indices stream but cannot be traded.
    pub const fn is_tradable(self) -> bool {
        !matches!(self, Self::Indices)
    }
}

/// Exchanges the product trades on (plus the index pseudo-exchange names Kite uses in symbols).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Exchange {
    Nse,
    Bse,
    Nfo,
    Bfo,
    Cds,
    Bcd,
    Mcx,
}

impl Exchange {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nse => "NSE",
            Self::Bse => "BSE",
            Self::Nfo => "NFO",
            Self::Bfo => "BFO",
            Self::Cds => "CDS",
            Self::Bcd => "BCD",
            Self::Mcx => "MCX",
        }
    }
}

impl Exchange {
    /// Every exchange, in declaration order.
    pub const ALL: [Exchange; 7] = [
        Self::Nse,
        Self::Bse,
        Self::Nfo,
        Self::Bfo,
        Self::Cds,
        Self::Bcd,
        Self::Mcx,
    ];
}

/// Parses Kite's exchange names (`NSE`, `NFO`, ...), e.g. from the instrument dump or a form.
impl std::str::FromStr for Exchange {
    type Err = crate::broker::ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| crate::broker::ModelError::UnknownValue {
                kind: "exchange",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the market watch: what the dashboard needs to label a row before any tick arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchInstrument {
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub name: String,
    pub lot_size: u32,
    /// Minimum price step in rupees.
    pub tick_size: f64,
    pub is_index: bool,
}

/// A market-watch row as first served: the instrument and its latest tick, if one has arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchRow {
    pub instrument: WatchInstrument,
    pub tick: Option<crate::Tick>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_encodes_segment_in_low_byte() {
        // INFY on NSE, NIFTY 50 index and SENSEX as Kite numbers them.
        assert_eq!(InstrumentToken(408065).segment(), Segment::Nse);
        assert_eq!(InstrumentToken(256265).segment(), Segment::Indices);
        assert_eq!(InstrumentToken(265).segment(), Segment::Indices);
        assert_eq!(InstrumentToken(408065).exchange_token(), 1594);
        assert_eq!(
            InstrumentToken::from_parts(1594, Segment::Nse),
            InstrumentToken(408065)
        );
    }

    #[test]
    fn exchanges_parse_their_names() {
        for e in Exchange::ALL {
            assert_eq!(e.as_str().parse::<Exchange>(), Ok(e));
        }
        assert!("MF".parse::<Exchange>().is_err());
    }

    #[test]
    fn divisors_follow_spec() {
        assert_eq!(Segment::from_id(3).price_divisor(), 10_000_000.0);
        assert_eq!(Segment::from_id(6).price_divisor(), 10_000.0);
        assert_eq!(Segment::from_id(1).price_divisor(), 100.0);
        assert_eq!(Segment::from_id(42).price_divisor(), 100.0);
        assert_eq!(Segment::from_id(42), Segment::Other(42));
        for id in 0..=255u8 {
            assert_eq!(Segment::from_id(id).id(), id);
        }
    }
}
