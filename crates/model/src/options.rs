//! Option-chain and open-interest shapes served by `/api/options/chain`, `/api/oi/*` and `/ws/oi`.
//!
//! Greeks follow the quant crate's conventions: theta per calendar day, vega and rho per 1 % (one
//! volatility / rate point), IV as a fraction (0.15 = 15 %). Anything that cannot be computed (no
//! trade yet, a price outside no-arbitrage bounds) is `None` rather than a made-up zero.

use crate::instrument::{Exchange, InstrumentToken};
use serde::{Deserialize, Serialize};

/// Underlyings whose chains the product knows: NSE's two index derivatives and BSE's SENSEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Underlying {
    Nifty,
    Banknifty,
    Sensex,
}

impl Underlying {
    pub const ALL: [Underlying; 3] = [Self::Nifty, Self::Banknifty, Self::Sensex];

    /// The `name` column of the instruments dump for this underlying's derivatives.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nifty => "NIFTY",
            Self::Banknifty => "BANKNIFTY",
            Self::Sensex => "SENSEX",
        }
    }

    /// Where its options trade.
    pub const fn derivatives_exchange(self) -> Exchange {
        match self {
            Self::Sensex => Exchange::Bfo,
            _ => Exchange::Nfo,
        }
    }

    /// The index whose value is the spot, as `exchange:tradingsymbol` for the quote endpoint.
    pub const fn spot_symbol(self) -> &'static str {
        match self {
            Self::Nifty => "NSE:NIFTY 50",
            Self::Banknifty => "NSE:NIFTY BANK",
            Self::Sensex => "BSE:SENSEX",
        }
    }
}

impl std::str::FromStr for Underlying {
    type Err = crate::broker::ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == upper)
            .ok_or_else(|| crate::broker::ModelError::UnknownValue {
                kind: "underlying",
                value: s.to_owned(),
            })
    }
}

impl std::fmt::Display for Underlying {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Black-Scholes sensitivities of one option (theta per calendar day, vega and rho per 1 %).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LegGreeks {
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
    pub rho: f64,
}

/// One side (call or put) of one strike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainLeg {
    pub token: InstrumentToken,
    pub tradingsymbol: String,
    pub lot_size: u32,
    pub ltp: f64,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    /// Open interest in units (Kite reports units, not lots).
    pub oi: u64,
    /// OI now minus OI at the start of the day (or of tracking, when the day's base is unknown).
    pub oi_change: i64,
    pub volume: u64,
    /// Implied volatility from the LTP, as a fraction.
    pub iv: Option<f64>,
    pub greeks: Option<LegGreeks>,
}

/// A strike with its call and put (either may be missing from the exchange's list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainRow {
    pub strike: f64,
    pub call: Option<ChainLeg>,
    pub put: Option<ChainLeg>,
}

/// A whole chain for one underlying and expiry, strikes ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionChain {
    pub underlying: Underlying,
    pub exchange: Exchange,
    /// `YYYY-MM-DD`.
    pub expiry: String,
    /// Every expiry listed for the underlying, nearest first, for the page's selector.
    pub expiries: Vec<String>,
    pub spot: f64,
    /// Years to expiry (expiry at 15:30 IST) used for IV and greeks.
    pub time_to_expiry: f64,
    /// Continuously compounded risk-free rate used for IV and greeks.
    pub rate: f64,
    pub atm_strike: Option<f64>,
    /// The settlement at which option writers pay least; ties go to the lower strike.
    pub max_pain: Option<f64>,
    /// Put OI over call OI.
    pub pcr_oi: Option<f64>,
    /// Put volume over call volume.
    pub pcr_volume: Option<f64>,
    pub rows: Vec<ChainRow>,
    /// When the quotes were read, Unix milliseconds.
    pub as_of_ms: u64,
}

/// Open interest at one strike, as the OI tracker keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct OiStrike {
    pub strike: f64,
    pub call_oi: u64,
    pub put_oi: u64,
    pub call_oi_change: i64,
    pub put_oi_change: i64,
    pub call_volume: u64,
    pub put_volume: u64,
}

/// The OI picture of one underlying's nearest expiry, pushed every 2 s on `/ws/oi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OiSummary {
    pub underlying: Underlying,
    pub expiry: String,
    pub spot: f64,
    pub atm_strike: Option<f64>,
    pub max_pain: Option<f64>,
    pub pcr_oi: Option<f64>,
    pub pcr_volume: Option<f64>,
    pub total_call_oi: u64,
    pub total_put_oi: u64,
    pub total_call_oi_change: i64,
    pub total_put_oi_change: i64,
    /// Strikes ascending.
    pub strikes: Vec<OiStrike>,
    pub updated_ms: u64,
}

/// Messages on `/ws/oi`; every one is a JSON object with a `type` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OiMessage {
    /// A fresh summary of one tracked underlying.
    Summary { summary: OiSummary },
    /// Which underlyings are tracked (sent on connect and when it changes).
    Tracking { underlyings: Vec<Underlying> },
    /// Liveness probe, answered like `/ws/live`'s.
    Ping { nonce: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underlying_parses_case_insensitively_and_names_its_spot() {
        assert_eq!("nifty".parse::<Underlying>().unwrap(), Underlying::Nifty);
        assert_eq!(
            "BANKNIFTY".parse::<Underlying>().unwrap(),
            Underlying::Banknifty
        );
        assert!("FINNIFTYX".parse::<Underlying>().is_err());
        assert_eq!(Underlying::Sensex.derivatives_exchange(), Exchange::Bfo);
        assert_eq!(
            serde_json::to_string(&Underlying::Banknifty).unwrap(),
            "\"BANKNIFTY\""
        );
    }

    #[test]
    fn oi_messages_carry_type_field() {
        let m = OiMessage::Tracking {
            underlyings: vec![Underlying::Nifty],
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"tracking","underlyings":["NIFTY"]}"#
        );
    }
}
