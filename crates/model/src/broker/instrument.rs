//! Rows of the instrument dumps (SPEC §7.2). The model parses one already-split record so it needs no
//! CSV dependency: the client splits with the `csv` crate (which handles quotes and CRLF) and hands the
//! fields here.

use super::error::ModelError;
use super::time::{format_date, opt_date, parse_date};
use crate::{Exchange, InstrumentToken};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// `instrument_type` column: `EQ`, `FUT`, `CE`, `PE`, or anything newer kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InstrumentType {
    /// Equity (also index rows).
    Eq,
    Fut,
    /// Call option.
    Ce,
    /// Put option.
    Pe,
    Other(String),
}

impl InstrumentType {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Eq => "EQ",
            Self::Fut => "FUT",
            Self::Ce => "CE",
            Self::Pe => "PE",
            Self::Other(s) => s,
        }
    }

    pub fn is_option(&self) -> bool {
        matches!(self, Self::Ce | Self::Pe)
    }
}

impl FromStr for InstrumentType {
    /// Never fails: unknown types become `Other`.
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "EQ" => Self::Eq,
            "FUT" => Self::Fut,
            "CE" => Self::Ce,
            "PE" => Self::Pe,
            other => Self::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for InstrumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InstrumentType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InstrumentType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(s.parse().unwrap_or_else(|never| match never {}))
    }
}

/// One row of `GET /instruments[/{exchange}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    /// `exchange_token × 256 + segment id`.
    pub instrument_token: InstrumentToken,
    pub exchange_token: u32,
    pub tradingsymbol: String,
    /// Empty for derivatives.
    pub name: String,
    /// Stale by design: the dump is generated once a day.
    pub last_price: f64,
    #[serde(default, with = "opt_date")]
    pub expiry: Option<NaiveDate>,
    /// `0` when not an option.
    pub strike: f64,
    pub tick_size: f64,
    pub lot_size: u32,
    pub instrument_type: InstrumentType,
    /// `NSE`, `NFO-OPT`, `INDICES`, ...
    pub segment: String,
    pub exchange: Exchange,
}

impl Instrument {
    /// The header row, column order of the dump.
    pub const CSV_HEADER: [&'static str; 12] = [
        "instrument_token",
        "exchange_token",
        "tradingsymbol",
        "name",
        "last_price",
        "expiry",
        "strike",
        "tick_size",
        "lot_size",
        "instrument_type",
        "segment",
        "exchange",
    ];

    /// Builds an instrument from the 12 fields of one data row, already unquoted. A trailing `\r` on
    /// the last field (CRLF split by hand) is ignored. Rows of exchanges this model does not know are
    /// an error: callers skip them.
    pub fn from_csv_record(fields: &[&str]) -> Result<Self, ModelError> {
        let f = Fields::new(fields, &Self::CSV_HEADER)?;
        Ok(Self {
            instrument_token: InstrumentToken(f.parse(0)?),
            exchange_token: f.parse(1)?,
            tradingsymbol: f.text(2),
            name: f.text(3),
            last_price: f.parse(4)?,
            expiry: f.opt_date(5)?,
            strike: f.parse(6)?,
            tick_size: f.parse(7)?,
            lot_size: f.parse(8)?,
            instrument_type: InstrumentType::from_str(f.get(9)).unwrap_or_else(|n| match n {}),
            segment: f.text(10),
            exchange: f.get(11).parse().map_err(|_| f.err(11))?,
        })
    }

    /// The 12 cells of this instrument's dump row (unquoted; the writer quotes names with commas).
    /// Numeric cells are never empty and `lot_size` is an integer, as the Python client requires.
    pub fn to_csv_record(&self) -> [String; 12] {
        [
            self.instrument_token.0.to_string(),
            self.exchange_token.to_string(),
            self.tradingsymbol.clone(),
            self.name.clone(),
            csv_float(self.last_price),
            self.expiry.as_ref().map(format_date).unwrap_or_default(),
            csv_float(self.strike),
            csv_float(self.tick_size),
            self.lot_size.to_string(),
            self.instrument_type.as_str().to_owned(),
            self.segment.clone(),
            self.exchange.as_str().to_owned(),
        ]
    }
}

/// Floats as the dump writes them: always with a decimal point (`0.0`, `2528.4`).
fn csv_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

/// One row of `GET /mf/instruments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfInstrument {
    /// The ISIN.
    pub tradingsymbol: String,
    pub amc: String,
    pub name: String,
    pub purchase_allowed: bool,
    pub redemption_allowed: bool,
    pub minimum_purchase_amount: f64,
    pub purchase_amount_multiplier: f64,
    pub minimum_additional_purchase_amount: f64,
    pub minimum_redemption_quantity: f64,
    pub redemption_quantity_multiplier: f64,
    /// `growth`, `payout`, ...
    pub dividend_type: String,
    /// `equity`, `debt`, `liquid`, ...
    pub scheme_type: String,
    /// `regular` or `direct`.
    pub plan: String,
    /// e.g. `T3`.
    pub settlement_type: String,
    pub last_price: f64,
    #[serde(default, with = "opt_date")]
    pub last_price_date: Option<NaiveDate>,
}

impl MfInstrument {
    pub const CSV_HEADER: [&'static str; 16] = [
        "tradingsymbol",
        "amc",
        "name",
        "purchase_allowed",
        "redemption_allowed",
        "minimum_purchase_amount",
        "purchase_amount_multiplier",
        "minimum_additional_purchase_amount",
        "minimum_redemption_quantity",
        "redemption_quantity_multiplier",
        "dividend_type",
        "scheme_type",
        "plan",
        "settlement_type",
        "last_price",
        "last_price_date",
    ];

    /// Builds a fund from the 16 fields of one data row, already unquoted.
    pub fn from_csv_record(fields: &[&str]) -> Result<Self, ModelError> {
        let f = Fields::new(fields, &Self::CSV_HEADER)?;
        Ok(Self {
            tradingsymbol: f.text(0),
            amc: f.text(1),
            name: f.text(2),
            purchase_allowed: f.flag(3)?,
            redemption_allowed: f.flag(4)?,
            minimum_purchase_amount: f.parse(5)?,
            purchase_amount_multiplier: f.parse(6)?,
            minimum_additional_purchase_amount: f.parse(7)?,
            minimum_redemption_quantity: f.parse(8)?,
            redemption_quantity_multiplier: f.parse(9)?,
            dividend_type: f.text(10),
            scheme_type: f.text(11),
            plan: f.text(12),
            settlement_type: f.text(13),
            last_price: f.parse(14)?,
            last_price_date: f.opt_date(15)?,
        })
    }
}

/// A record's fields with their column names, for typed parsing with useful errors.
struct Fields<'a> {
    fields: &'a [&'a str],
    header: &'static [&'static str],
}

impl<'a> Fields<'a> {
    fn new(fields: &'a [&'a str], header: &'static [&'static str]) -> Result<Self, ModelError> {
        if fields.len() != header.len() {
            return Err(ModelError::CsvFieldCount {
                expected: header.len(),
                found: fields.len(),
            });
        }
        Ok(Self { fields, header })
    }

    fn get(&self, i: usize) -> &'a str {
        let s = self.fields.get(i).copied().unwrap_or("");
        s.strip_suffix('\r').unwrap_or(s).trim()
    }

    fn text(&self, i: usize) -> String {
        self.get(i).to_owned()
    }

    fn err(&self, i: usize) -> ModelError {
        ModelError::CsvField {
            column: self.header.get(i).copied().unwrap_or("?"),
            value: self.get(i).to_owned(),
        }
    }

    fn parse<T: FromStr>(&self, i: usize) -> Result<T, ModelError> {
        self.get(i).parse().map_err(|_| self.err(i))
    }

    fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>, ModelError> {
        match self.get(i) {
            "" => Ok(None),
            s => parse_date(s).map(Some).map_err(|_| self.err(i)),
        }
    }

    fn flag(&self, i: usize) -> Result<bool, ModelError> {
        match self.get(i) {
            "1" | "true" | "True" => Ok(true),
            "0" | "false" | "False" => Ok(false),
            _ => Err(self.err(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_option_row_and_writes_it_back() {
        let row = [
            "12073986",
            "47164",
            "BANKNIFTY18JAN23500CE",
            "",
            "0.0",
            "2018-01-25",
            "23500.0",
            "0.05",
            "40",
            "CE",
            "NFO-OPT",
            "NFO\r",
        ];
        let i = Instrument::from_csv_record(&row).unwrap();
        assert_eq!(i.instrument_token, InstrumentToken(12073986));
        assert_eq!(i.expiry, Some(parse_date("2018-01-25").unwrap()));
        assert_eq!(i.instrument_type, InstrumentType::Ce);
        assert_eq!(i.exchange, Exchange::Nfo);
        let mut back = i.to_csv_record();
        back[11].push('\r');
        assert_eq!(back, row.map(String::from));
    }

    #[test]
    fn bad_rows_are_typed_errors() {
        assert_eq!(
            Instrument::from_csv_record(&["1", "2"]),
            Err(ModelError::CsvFieldCount {
                expected: 12,
                found: 2
            })
        );
        let mut row = [
            "1", "2", "X", "", "0.0", "", "0.0", "0.05", "1", "EQ", "NSE", "NSE",
        ];
        row[8] = "1.0";
        assert_eq!(
            Instrument::from_csv_record(&row),
            Err(ModelError::CsvField {
                column: "lot_size",
                value: "1.0".into()
            })
        );
        row[8] = "1";
        row[11] = "XYZ";
        assert!(matches!(
            Instrument::from_csv_record(&row),
            Err(ModelError::CsvField {
                column: "exchange",
                ..
            })
        ));
    }
}
