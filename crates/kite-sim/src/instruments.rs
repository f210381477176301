//! The sandbox's whole instrument universe, as `GET /instruments` serves it: NIFTY 50 and NIFTY NEXT 50
//! stocks on NSE, four indices, NIFTY and BANKNIFTY futures and options on NFO, SENSEX options on BFO.
//!
//! Everything is a pure function of the "today" date and the seed, so two sandboxes started with the same
//! pair serve byte-identical dumps. What the mock dump (`mocks/instruments_all.csv`, a 2017 snapshot)
//! shows and this module follows:
//!
//! * header of 12 columns, CRLF line ends, `0.0` for a zero price or strike, shortest decimal otherwise
//!   (`2528.4`, `0.05`, `23500.0`), integer `lot_size`, empty `expiry` for cash rows;
//! * monthly option symbols `BANKNIFTY18JAN23500CE` (underlying, `YY`, `MON`, strike, `CE`/`PE`) with
//!   segment `NFO-OPT` and exchange `NFO`.
//!
//! The mock has no weekly option, future, BFO or index row. For those this module follows SPEC §7.2 and
//! Kite's published examples: weekly `NIFTY2561224000CE` (`YY`, month `1`–`9`/`O`/`N`/`D`, `DD`),
//! futures `NIFTY25JUNFUT` with segment `NFO-FUT`, `BFO-OPT` for SENSEX options, and index rows as `EQ`
//! in segment `INDICES` with tick size `0.0` and lot size `0` (they are not tradable). The mock leaves
//! `name` empty on derivative rows; current dumps carry the underlying (`NIFTY`), which clients filter
//! on, so this module writes the underlying.

use crate::history::unit_hash;
use crate::universe::{EQUITY_TICK_PAISE, INDICES, NIFTY_50};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use model::{Exchange, InstrumentToken, Segment};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The dump's header, columns in Kite's order.
pub const CSV_HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange";
/// Line end of every dump row: the mock dumps use CRLF (RFC 4180); every client reads both.
pub const CSV_LINE_END: &str = "\r\n";

/// Lot sizes used for the sandbox's contracts (NSE/BSE circulars of 2025). They change over time (NIFTY
/// has been 50, 25, 75 and 65; the 2017 mock shows BANKNIFTY at 40), so clients must read them from the
/// dump, never from constants like these.
pub const NIFTY_LOT_SIZE: u32 = 75;
pub const BANKNIFTY_LOT_SIZE: u32 = 35;
pub const SENSEX_LOT_SIZE: u32 = 20;

/// Largest quantity one order may carry before the exchange rejects it (orders above must be sliced).
/// Exchange values of 2025; they change with lot sizes.
pub const NIFTY_FREEZE_QUANTITY: u32 = 1800;
pub const BANKNIFTY_FREEZE_QUANTITY: u32 = 900;
pub const SENSEX_FREEZE_QUANTITY: u32 = 1000;

/// Strikes listed on each side of the at-the-money strike by default (`SandboxConfig::strikes_each_side`
/// changes it, to size the universe for load tests).
pub const STRIKES_EACH_SIDE: u32 = 30;
/// Most strikes per side a universe can list: a contract token holds the strike in 11 bits (strike /
/// step below 2048, see `contract_exchange_token`), and the lowest strike stays above zero.
pub const MAX_STRIKES_EACH_SIDE: u32 = 1023;
/// Weekly option expiries listed ahead (NIFTY, SENSEX).
pub const WEEKLY_EXPIRIES: usize = 4;
/// Monthly expiries listed ahead (options and futures: near, next, far month).
pub const MONTHLY_EXPIRIES: usize = 3;
/// F&O tick size: 5 paise.
pub const DERIVATIVE_TICK_PAISE: u32 = 5;

/// NIFTY FIN SERVICE is not streamed by the live market (`universe::INDICES`); its level for the dump.
const FINNIFTY_LEVEL_PAISE: u32 = 2_730_000;
/// Risk-free rate used to price futures (cost of carry) and options in the dump.
const RATE: f64 = 0.065;
/// Exchange tokens of NIFTY NEXT 50 rows: a synthetic block above every NSE token of `universe::NIFTY_50`.
const NEXT_50_FIRST_EXCHANGE_TOKEN: u32 = 60_001;

/// NIFTY NEXT 50 constituents (best effort, as of mid-2025, consistent with `universe::NIFTY_50`;
/// membership changes each March and September): (symbol, name, plausible price in rupees).
/// Their tokens are synthetic, not Kite's.
pub const NIFTY_NEXT_50: &[(&str, &str, f64)] = &[
    ("ABB", "ABB INDIA", 5400.0),
    ("ADANIENSOL", "ADANI ENERGY SOLUTIONS", 880.0),
    ("ADANIGREEN", "ADANI GREEN ENERGY", 1010.0),
    ("ADANIPOWER", "ADANI POWER", 145.0),
    ("AMBUJACEM", "AMBUJA CEMENTS", 565.0),
    ("BAJAJHFL", "BAJAJ HOUSING FINANCE", 108.0),
    ("BAJAJHLDNG", "BAJAJ HOLDINGS & INVESTMENT", 12000.0),
    ("BANKBARODA", "BANK OF BARODA", 265.0),
    ("BOSCHLTD", "BOSCH", 37500.0),
    ("BPCL", "BHARAT PETROLEUM CORPORATION", 355.0),
    ("BRITANNIA", "BRITANNIA INDUSTRIES", 5900.0),
    ("CANBK", "CANARA BANK", 140.0),
    ("CGPOWER", "CG POWER AND INDUSTRIAL SOLUTIONS", 750.0),
    ("CHOLAFIN", "CHOLAMANDALAM INVESTMENT AND FINANCE", 1650.0),
    ("DABUR", "DABUR INDIA", 510.0),
    ("DIVISLAB", "DIVI'S LABORATORIES", 6500.0),
    ("DLF", "DLF", 760.0),
    ("DMART", "AVENUE SUPERMARTS", 4200.0),
    ("GAIL", "GAIL (INDIA)", 180.0),
    ("GODREJCP", "GODREJ CONSUMER PRODUCTS", 1180.0),
    ("HAL", "HINDUSTAN AERONAUTICS", 4700.0),
    ("HAVELLS", "HAVELLS INDIA", 1500.0),
    ("HINDZINC", "HINDUSTAN ZINC", 490.0),
    ("HYUNDAI", "HYUNDAI MOTOR INDIA", 2450.0),
    ("ICICIGI", "ICICI LOMBARD GENERAL INSURANCE", 1980.0),
    ("ICICIPRULI", "ICICI PRUDENTIAL LIFE INSURANCE", 620.0),
    ("INDHOTEL", "THE INDIAN HOTELS COMPANY", 740.0),
    ("INDIGO", "INTERGLOBE AVIATION", 5800.0),
    ("IOC", "INDIAN OIL CORPORATION", 165.0),
    ("IRFC", "INDIAN RAILWAY FINANCE CORPORATION", 125.0),
    ("JINDALSTEL", "JINDAL STEEL", 1050.0),
    ("JSWENERGY", "JSW ENERGY", 520.0),
    ("LICI", "LIFE INSURANCE CORPORATION OF INDIA", 900.0),
    ("LODHA", "LODHA DEVELOPERS", 1200.0),
    ("LTIM", "LTIMINDTREE", 5700.0),
    ("MOTHERSON", "SAMVARDHANA MOTHERSON INTERNATIONAL", 100.0),
    ("NAUKRI", "INFO EDGE (INDIA)", 1400.0),
    ("PFC", "POWER FINANCE CORPORATION", 410.0),
    ("PIDILITIND", "PIDILITE INDUSTRIES", 1480.0),
    ("PNB", "PUNJAB NATIONAL BANK", 120.0),
    ("RECLTD", "REC", 380.0),
    ("SHREECEM", "SHREE CEMENT", 29500.0),
    ("SIEMENS", "SIEMENS", 3100.0),
    ("TATAPOWER", "TATA POWER COMPANY", 395.0),
    ("TORNTPHARM", "TORRENT PHARMACEUTICALS", 3700.0),
    ("TVSMOTOR", "TVS MOTOR COMPANY", 3500.0),
    ("UNITDSPR", "UNITED SPIRITS", 1400.0),
    ("VBL", "VARUN BEVERAGES", 480.0),
    ("VEDL", "VEDANTA", 500.0),
    ("ZYDUSLIFE", "ZYDUS LIFESCIENCES", 1000.0),
];

/// The four index rows: (token, symbol, exchange). Levels come from `universe::INDICES` where the live
/// market streams the index.
const INDEX_ROWS: &[(u32, &str, Exchange)] = &[
    (256265, "NIFTY 50", Exchange::Nse),
    (260105, "NIFTY BANK", Exchange::Nse),
    (257801, "NIFTY FIN SERVICE", Exchange::Nse),
    (265, "SENSEX", Exchange::Bse),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstrumentType {
    Eq,
    Fut,
    Ce,
    Pe,
}

impl InstrumentType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "EQ",
            Self::Fut => "FUT",
            Self::Ce => "CE",
            Self::Pe => "PE",
        }
    }
}

/// Index derivatives the sandbox lists, with their contract rules.
///
/// Expiry assumptions (exchange rules since September 2025; exchange holidays are not modelled, so an
/// expiry is never moved to the previous trading day):
/// * NIFTY: weekly options every Tuesday, monthly options and futures on the last Tuesday of the month;
/// * BANKNIFTY: monthly only (no weeklies since November 2024), last Tuesday of the month;
/// * SENSEX (BSE): weekly options every Thursday, monthly on the last Thursday; options only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Underlying {
    Nifty,
    BankNifty,
    Sensex,
}

impl Underlying {
    pub const ALL: [Self; 3] = [Self::Nifty, Self::BankNifty, Self::Sensex];

    /// The symbol prefix of its contracts, and the `name` column of their rows.
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Nifty => "NIFTY",
            Self::BankNifty => "BANKNIFTY",
            Self::Sensex => "SENSEX",
        }
    }

    pub const fn exchange(self) -> Exchange {
        match self {
            Self::Nifty | Self::BankNifty => Exchange::Nfo,
            Self::Sensex => Exchange::Bfo,
        }
    }

    /// Token of the index the contracts settle on.
    pub const fn index_token(self) -> u32 {
        match self {
            Self::Nifty => 256265,
            Self::BankNifty => 260105,
            Self::Sensex => 265,
        }
    }

    /// Strike interval in rupees.
    pub const fn strike_step(self) -> u32 {
        match self {
            Self::Nifty => 50,
            Self::BankNifty | Self::Sensex => 100,
        }
    }

    pub const fn lot_size(self) -> u32 {
        match self {
            Self::Nifty => NIFTY_LOT_SIZE,
            Self::BankNifty => BANKNIFTY_LOT_SIZE,
            Self::Sensex => SENSEX_LOT_SIZE,
        }
    }

    pub const fn freeze_quantity(self) -> u32 {
        match self {
            Self::Nifty => NIFTY_FREEZE_QUANTITY,
            Self::BankNifty => BANKNIFTY_FREEZE_QUANTITY,
            Self::Sensex => SENSEX_FREEZE_QUANTITY,
        }
    }

    pub const fn weekly_expiry(self) -> Option<Weekday> {
        match self {
            Self::Nifty => Some(Weekday::Tue),
            Self::BankNifty => None,
            Self::Sensex => Some(Weekday::Thu),
        }
    }

    pub const fn monthly_expiry(self) -> Weekday {
        match self {
            Self::Nifty | Self::BankNifty => Weekday::Tue,
            Self::Sensex => Weekday::Thu,
        }
    }

    pub const fn has_futures(self) -> bool {
        !matches!(self, Self::Sensex)
    }

    /// Rough implied volatility the dump prices options with (before the seed's jitter).
    const fn base_volatility(self) -> f64 {
        match self {
            Self::Nifty | Self::Sensex => 0.12,
            Self::BankNifty => 0.14,
        }
    }

    /// One bit telling the underlyings of one exchange apart in a contract's exchange token.
    const fn token_code(self) -> u32 {
        match self {
            Self::Nifty | Self::Sensex => 0,
            Self::BankNifty => 1,
        }
    }

    pub fn from_symbol(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.symbol() == s)
    }
}

/// One row of the dump, typed for the sandbox's own use. Prices are integer paise so the CSV, the ticker
/// and the order book agree to the paisa.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub token: InstrumentToken,
    pub exchange_token: u32,
    pub tradingsymbol: String,
    pub name: String,
    /// Previous close in paise (the dump is generated once a day, before the open).
    pub last_price: u32,
    pub expiry: Option<NaiveDate>,
    /// Strike in paise; 0 unless an option.
    pub strike: u32,
    /// Price step in paise; 0 for indices, which are not tradable.
    pub tick_size: u32,
    pub lot_size: u32,
    pub instrument_type: InstrumentType,
    /// `NSE`, `BSE`, `INDICES`, `NFO-FUT`, `NFO-OPT`, `BFO-OPT`.
    pub segment: &'static str,
    pub exchange: Exchange,
    /// The index a derivative is written on.
    pub underlying: Option<Underlying>,
    /// First trading day of a derivative contract (the sandbox's assumption: three months before a
    /// monthly expiry, five weeks before a weekly one). Candles start there unless `continuous`.
    pub listed: Option<NaiveDate>,
}

impl Instrument {
    pub fn is_index(&self) -> bool {
        self.segment == "INDICES"
    }

    pub fn is_derivative(&self) -> bool {
        self.underlying.is_some()
    }

    /// Exchange-side freeze quantity of a derivative.
    pub fn freeze_quantity(&self) -> Option<u32> {
        self.underlying.map(Underlying::freeze_quantity)
    }

    /// Appends this instrument's dump row, line end included.
    pub fn write_csv_row(&self, out: &mut String) {
        let _ = write!(
            out,
            "{},{},{},{},{},",
            self.token.0,
            self.exchange_token,
            csv_field(&self.tradingsymbol),
            csv_field(&self.name),
            format_price(self.last_price),
        );
        if let Some(e) = self.expiry {
            let _ = write!(out, "{}", e.format("%Y-%m-%d"));
        }
        let _ = write!(
            out,
            ",{},{},{},{},{},{}{CSV_LINE_END}",
            format_price(self.strike),
            format_price(self.tick_size),
            self.lot_size,
            self.instrument_type.as_str(),
            self.segment,
            self.exchange.as_str(),
        );
    }
}

/// Quotes a field per RFC 4180 only when it needs it (comma, quote or line break), as Kite does.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Paise as the dump writes rupees: Python's float repr, so `0.0`, `8.0`, `2528.4`, `0.05`.
pub fn format_price(paise: u32) -> String {
    let (rupees, frac) = (paise / 100, paise % 100);
    if frac == 0 {
        format!("{rupees}.0")
    } else if frac % 10 == 0 {
        format!("{rupees}.{}", frac / 10)
    } else {
        format!("{rupees}.{frac:02}")
    }
}

/// Exchange name as it appears in `/instruments/{exchange}`; exact upper case, as Kite spells it.
pub fn parse_exchange(s: &str) -> Option<Exchange> {
    Some(match s {
        "NSE" => Exchange::Nse,
        "BSE" => Exchange::Bse,
        "NFO" => Exchange::Nfo,
        "BFO" => Exchange::Bfo,
        "CDS" => Exchange::Cds,
        "BCD" => Exchange::Bcd,
        "MCX" => Exchange::Mcx,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UniverseError {
    /// Contract tokens encode the expiry week since 2020-01-06 in ten bits (see `contract_exchange_token`).
    #[error(
        "date {0} is outside the years the sandbox's contract tokens can encode (2020 to 2039)"
    )]
    DateOutOfRange(NaiveDate),
    /// Strikes are counted in strike steps in eleven bits of a contract token.
    #[error(
        "{0} strikes each side is more than the sandbox's contract tokens can encode (at most {MAX_STRIKES_EACH_SIDE})"
    )]
    TooManyStrikes(u32),
}

/// The instrument dump for one "today", with lookups by token and by exchange and symbol.
#[derive(Debug, Clone)]
pub struct Universe {
    today: NaiveDate,
    instruments: Vec<Instrument>,
    by_token: HashMap<InstrumentToken, usize>,
    by_symbol: HashMap<(Exchange, String), usize>,
}

impl Universe {
    /// Every instrument listed on `today`, with the default [`STRIKES_EACH_SIDE`]. The seed only nudges
    /// the implied volatility behind option prices; symbols, tokens and expiries depend on the date alone.
    pub fn build(today: NaiveDate, seed: u64) -> Result<Self, UniverseError> {
        Self::build_sized(today, seed, STRIKES_EACH_SIDE)
    }

    /// As [`Universe::build`], listing `strikes_each_side` strikes on each side of every option chain's
    /// at-the-money strike: the knob that sizes the universe (each strike adds a call and a put per
    /// expiry). Rows common to two sizes are identical, tokens included, since a contract's token depends
    /// on its strike, not on how many strikes are listed.
    pub fn build_sized(
        today: NaiveDate,
        seed: u64,
        strikes_each_side: u32,
    ) -> Result<Self, UniverseError> {
        if strikes_each_side > MAX_STRIKES_EACH_SIDE {
            return Err(UniverseError::TooManyStrikes(strikes_each_side));
        }
        let chains: usize = Underlying::ALL
            .iter()
            .map(|&u| option_expiries(u, today).len())
            .sum();
        let mut instruments = Vec::with_capacity(
            INDEX_ROWS.len()
                + NIFTY_50.len()
                + NIFTY_NEXT_50.len()
                + 2 * MONTHLY_EXPIRIES
                + chains * 2 * (2 * strikes_each_side as usize + 1),
        );
        let level = |token: u32| -> u32 {
            INDICES
                .iter()
                .find(|i| i.token == token)
                .map(|i| (i.base * 100.0).round() as u32)
                .unwrap_or(FINNIFTY_LEVEL_PAISE)
        };
        for &(token, symbol, exchange) in INDEX_ROWS {
            instruments.push(Instrument {
                token: InstrumentToken(token),
                exchange_token: token >> 8,
                tradingsymbol: symbol.into(),
                name: symbol.into(),
                last_price: level(token),
                expiry: None,
                strike: 0,
                tick_size: 0,
                lot_size: 0,
                instrument_type: InstrumentType::Eq,
                segment: "INDICES",
                exchange,
                underlying: None,
                listed: None,
            });
        }
        let stocks = NIFTY_50
            .iter()
            .map(|&(token, sym, name, price)| (token, sym, name, price))
            .chain(
                NIFTY_NEXT_50
                    .iter()
                    .enumerate()
                    .map(|(i, &(sym, name, price))| {
                        let exchange_token = NEXT_50_FIRST_EXCHANGE_TOKEN + i as u32;
                        let token = InstrumentToken::from_parts(exchange_token, Segment::Nse).0;
                        (token, sym, name, price)
                    }),
            );
        for (token, symbol, name, price) in stocks {
            instruments.push(Instrument {
                token: InstrumentToken(token),
                exchange_token: token >> 8,
                tradingsymbol: symbol.into(),
                name: name.into(),
                last_price: round_to_tick(price * 100.0, EQUITY_TICK_PAISE),
                expiry: None,
                strike: 0,
                tick_size: EQUITY_TICK_PAISE,
                lot_size: 1,
                instrument_type: InstrumentType::Eq,
                segment: "NSE",
                exchange: Exchange::Nse,
                underlying: None,
                listed: None,
            });
        }
        for u in Underlying::ALL {
            push_derivatives(
                &mut instruments,
                u,
                level(u.index_token()),
                today,
                seed,
                strikes_each_side,
            )?;
        }
        let by_token = instruments
            .iter()
            .enumerate()
            .map(|(i, x)| (x.token, i))
            .collect();
        let by_symbol = instruments
            .iter()
            .enumerate()
            .map(|(i, x)| ((x.exchange, x.tradingsymbol.clone()), i))
            .collect();
        Ok(Self {
            today,
            instruments,
            by_token,
            by_symbol,
        })
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    pub fn get(&self, token: InstrumentToken) -> Option<&Instrument> {
        self.by_token.get(&token).map(|&i| &self.instruments[i])
    }

    /// Looks up `EXCHANGE:TRADINGSYMBOL` as the quote routes receive it.
    pub fn find(&self, exchange: Exchange, tradingsymbol: &str) -> Option<&Instrument> {
        self.by_symbol
            .get(&(exchange, tradingsymbol.to_string()))
            .map(|&i| &self.instruments[i])
    }

    pub fn on_exchange(&self, exchange: Exchange) -> impl Iterator<Item = &Instrument> {
        self.instruments
            .iter()
            .filter(move |i| i.exchange == exchange)
    }

    /// The dump as `GET /instruments` (`None`) or `GET /instruments/{exchange}` serves it: header, then
    /// one CRLF-terminated row per instrument. An exchange with nothing listed gets the header alone.
    pub fn to_csv(&self, exchange: Option<Exchange>) -> String {
        let mut out = String::with_capacity(64 + self.instruments.len() * 80);
        out.push_str(CSV_HEADER);
        out.push_str(CSV_LINE_END);
        for i in &self.instruments {
            if exchange.is_none_or(|e| e == i.exchange) {
                i.write_csv_row(&mut out);
            }
        }
        out
    }
}

fn round_to_tick(paise: f64, tick: u32) -> u32 {
    let t = tick.max(1) as f64;
    ((paise / t).round() * t).clamp(t, u32::MAX as f64 / 2.0) as u32
}

fn push_derivatives(
    out: &mut Vec<Instrument>,
    u: Underlying,
    spot_paise: u32,
    today: NaiveDate,
    seed: u64,
    strikes_each_side: u32,
) -> Result<(), UniverseError> {
    let spot = spot_paise as f64 / 100.0;
    let step = u.strike_step();
    let atm = ((spot / step as f64).round() as u32).max(strikes_each_side + 1);
    if atm + strikes_each_side >= 2048 {
        return Err(UniverseError::TooManyStrikes(strikes_each_side));
    }
    let vol = u.base_volatility() + (unit_hash(seed, u.index_token(), 1) - 0.5) * 0.03;
    let years_to = |expiry: NaiveDate| {
        // Contracts expire at 15:30: a quarter of a day still to run on expiry day itself.
        ((expiry - today).num_days() as f64 + 0.25) / 365.0
    };
    let derivative = |symbol: String, expiry: NaiveDate, monthly: bool| Instrument {
        token: InstrumentToken(0),
        exchange_token: 0,
        tradingsymbol: symbol,
        name: u.symbol().into(),
        last_price: 0,
        expiry: Some(expiry),
        strike: 0,
        tick_size: DERIVATIVE_TICK_PAISE,
        lot_size: u.lot_size(),
        instrument_type: InstrumentType::Fut,
        segment: "",
        exchange: u.exchange(),
        underlying: Some(u),
        listed: expiry.checked_sub_days(Days::new(if monthly { 91 } else { 35 })),
    };
    let segment_id = match u.exchange() {
        Exchange::Bfo => Segment::Bfo,
        _ => Segment::Nfo,
    };
    if u.has_futures() {
        for expiry in monthly_expiries(today, u.monthly_expiry(), MONTHLY_EXPIRIES) {
            let et = contract_exchange_token(u, expiry, 0, false)
                .ok_or(UniverseError::DateOutOfRange(expiry))?;
            let mut f = derivative(future_symbol(u.symbol(), expiry), expiry, true);
            f.token = InstrumentToken::from_parts(et, segment_id);
            f.exchange_token = et;
            f.last_price = round_to_tick(
                spot_paise as f64 * (RATE * years_to(expiry)).exp(),
                DERIVATIVE_TICK_PAISE,
            );
            f.segment = if segment_id == Segment::Bfo {
                "BFO-FUT"
            } else {
                "NFO-FUT"
            };
            out.push(f);
        }
    }
    for (expiry, monthly) in option_expiries(u, today) {
        let t = years_to(expiry);
        for units in atm - strikes_each_side..=atm + strikes_each_side {
            let strike = units * step;
            for put in [false, true] {
                let et = contract_exchange_token(u, expiry, units, put)
                    .ok_or(UniverseError::DateOutOfRange(expiry))?;
                let kind = if put {
                    InstrumentType::Pe
                } else {
                    InstrumentType::Ce
                };
                let mut o = derivative(
                    option_symbol(u.symbol(), expiry, monthly, strike * 100, kind),
                    expiry,
                    monthly,
                );
                o.token = InstrumentToken::from_parts(et, segment_id);
                o.exchange_token = et;
                o.strike = strike * 100;
                o.instrument_type = kind;
                let m = (strike as f64 / spot).ln();
                let smile = (vol * (1.0 + 4.0 * m * m) - 0.3 * m).max(0.05);
                let price = black_scholes(spot, strike as f64, t, smile, !put);
                o.last_price = round_to_tick(price * 100.0, DERIVATIVE_TICK_PAISE);
                o.segment = if segment_id == Segment::Bfo {
                    "BFO-OPT"
                } else {
                    "NFO-OPT"
                };
                out.push(o);
            }
        }
    }
    Ok(())
}

/// First week that contract tokens encode: expiries are counted in weeks from this Monday.
const TOKEN_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 6) {
    Some(d) => d,
    None => panic!("valid epoch"),
};

/// A contract's exchange token, stable for the contract's whole life (so a dump cached yesterday still
/// names the same contracts), unique within its exchange, and below 2^23 so the instrument token stays
/// below 2^31 for clients that hold it in a signed 32-bit integer. Bits, high to low: put (1),
/// underlying (1), expiry week since 2020-01-06 (10), strike / strike step (11; 0 for a future).
/// Each underlying expires on one weekday, so the week names the date.
pub fn contract_exchange_token(
    u: Underlying,
    expiry: NaiveDate,
    strike_units: u32,
    put: bool,
) -> Option<u32> {
    let week = (expiry - TOKEN_EPOCH).num_days().div_euclid(7);
    if !(1..1024).contains(&week) || strike_units >= 2048 {
        return None;
    }
    Some(((put as u32) << 22) | (u.token_code() << 21) | ((week as u32) << 11) | strike_units)
}

/// The last `weekday` of a month.
pub fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(Days::new(back as u64))
}

/// The next `count` dates falling on `weekday`, today included (a contract trades on its expiry day).
pub fn weekly_expiries(today: NaiveDate, weekday: Weekday, count: usize) -> Vec<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    (0..count as u64)
        .filter_map(|k| today.checked_add_days(Days::new(ahead as u64 + 7 * k)))
        .collect()
}

/// The next `count` monthly expiries (last `weekday` of the month), today included.
pub fn monthly_expiries(today: NaiveDate, weekday: Weekday, count: usize) -> Vec<NaiveDate> {
    let (mut year, mut month) = (today.year(), today.month());
    let mut out = Vec::with_capacity(count);
    // Twelve months is far more than any `count` used here needs; it bounds the loop.
    for _ in 0..count + 12 {
        if out.len() == count {
            break;
        }
        if let Some(d) = last_weekday_of_month(year, month, weekday).filter(|d| *d >= today) {
            out.push(d);
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    out
}

/// Whether `expiry` is its month's expiry for `u` (its symbol then uses the monthly form).
pub fn is_monthly_expiry(u: Underlying, expiry: NaiveDate) -> bool {
    last_weekday_of_month(expiry.year(), expiry.month(), u.monthly_expiry()) == Some(expiry)
}

/// Option expiries listed on `today`, oldest first, each with whether it is a monthly one.
pub fn option_expiries(u: Underlying, today: NaiveDate) -> Vec<(NaiveDate, bool)> {
    let mut dates = monthly_expiries(today, u.monthly_expiry(), MONTHLY_EXPIRIES);
    if let Some(day) = u.weekly_expiry() {
        dates.extend(weekly_expiries(today, day, WEEKLY_EXPIRIES));
    }
    dates.sort_unstable();
    dates.dedup();
    dates
        .into_iter()
        .map(|d| (d, is_monthly_expiry(u, d)))
        .collect()
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
/// Weekly symbols write the month as one character: 1–9, then O, N, D.
const WEEKLY_MONTHS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'O', 'N', 'D'];

fn strike_text(strike_paise: u32) -> String {
    let (r, p) = (strike_paise / 100, strike_paise % 100);
    match p {
        0 => r.to_string(),
        p if p % 10 == 0 => format!("{r}.{}", p / 10),
        p => format!("{r}.{p:02}"),
    }
}

/// `NIFTY25JUN24000CE` (monthly) or `NIFTY2561024000CE` (weekly: YY, month character, DD).
pub fn option_symbol(
    underlying: &str,
    expiry: NaiveDate,
    monthly: bool,
    strike_paise: u32,
    kind: InstrumentType,
) -> String {
    let yy = expiry.year().rem_euclid(100);
    let m = expiry.month0() as usize;
    let strike = strike_text(strike_paise);
    let kind = kind.as_str();
    if monthly {
        format!("{underlying}{yy:02}{}{strike}{kind}", MONTHS[m])
    } else {
        let day = expiry.day();
        format!(
            "{underlying}{yy:02}{}{day:02}{strike}{kind}",
            WEEKLY_MONTHS[m]
        )
    }
}

/// `NIFTY25JUNFUT`.
pub fn future_symbol(underlying: &str, expiry: NaiveDate) -> String {
    let yy = expiry.year().rem_euclid(100);
    format!("{underlying}{yy:02}{}FUT", MONTHS[expiry.month0() as usize])
}

/// What a derivative symbol says. `day` is set for weekly options only; a monthly symbol names the month,
/// and the date follows from the underlying's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSymbol {
    pub underlying: String,
    pub year: i32,
    pub month: u32,
    pub day: Option<u32>,
    /// Strike in paise; `None` for a future.
    pub strike: Option<u32>,
    pub instrument_type: InstrumentType,
}

/// Reads a derivative tradingsymbol back (`NIFTY2561024000CE`, `BANKNIFTY25JUN56000PE`,
/// `NIFTY25JUNFUT`). `None` for anything else, cash symbols included.
pub fn parse_derivative_symbol(s: &str) -> Option<ParsedSymbol> {
    // The underlying may itself end in digits (`NIFTYNXT50`), so a known underlying decides the split;
    // otherwise the first place where an expiry code starts does.
    let known = Underlying::ALL
        .iter()
        .map(|u| u.symbol())
        .filter(|u| s.len() > u.len() && s.starts_with(u) && s.as_bytes()[u.len()].is_ascii_digit())
        .max_by_key(|u| u.len());
    let split = match known {
        Some(u) => u.len(),
        None => (1..s.len())
            .filter(|&i| s.is_char_boundary(i))
            .find(|&i| starts_expiry_code(&s[i..]))?,
    };
    parse_after_underlying(&s[..split], &s[split..])
}

/// `YY` then `MON`, or `YY`, a weekly month character and two digits.
fn starts_expiry_code(rest: &str) -> bool {
    let b = rest.as_bytes();
    if b.len() < 5 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() {
        return false;
    }
    MONTHS.iter().any(|m| rest[2..].starts_with(m))
        || (WEEKLY_MONTHS.contains(&(b[2] as char))
            && b[3].is_ascii_digit()
            && b[4].is_ascii_digit())
}

fn parse_after_underlying(underlying: &str, rest: &str) -> Option<ParsedSymbol> {
    let b = rest.as_bytes();
    if b.len() < 5 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() {
        return None;
    }
    let year = 2000 + rest[..2].parse::<i32>().ok()?;
    let rest = &rest[2..];
    let (month, day, tail) = if let Some(m) = MONTHS.iter().position(|m| rest.starts_with(m)) {
        (m as u32 + 1, None, &rest[3..])
    } else {
        let c = rest.chars().next()?;
        let m = WEEKLY_MONTHS.iter().position(|&w| w == c)? as u32 + 1;
        let dd = rest.get(1..3)?;
        if !dd.bytes().all(|x| x.is_ascii_digit()) {
            return None;
        }
        let day: u32 = dd.parse().ok()?;
        NaiveDate::from_ymd_opt(year, m, day)?;
        (m, Some(day), &rest[3..])
    };
    let (strike, instrument_type) = if tail == "FUT" && day.is_none() {
        (None, InstrumentType::Fut)
    } else {
        let (num, kind) = if let Some(n) = tail.strip_suffix("CE") {
            (n, InstrumentType::Ce)
        } else {
            (tail.strip_suffix("PE")?, InstrumentType::Pe)
        };
        (Some(parse_strike(num)?), kind)
    };
    Some(ParsedSymbol {
        underlying: underlying.to_string(),
        year,
        month,
        day,
        strike,
        instrument_type,
    })
}

fn parse_strike(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let rupees: u32 = whole.parse().ok()?;
    let paise: u32 = format!("{frac:0<2}").parse().ok()?;
    rupees.checked_mul(100)?.checked_add(paise)
}

/// Black–Scholes price of a European option (no dividends), floored at the intrinsic value.
fn black_scholes(spot: f64, strike: f64, t: f64, vol: f64, call: bool) -> f64 {
    let t = t.max(1e-6);
    let sd = vol * t.sqrt();
    let d1 = ((spot / strike).ln() + (RATE + 0.5 * vol * vol) * t) / sd;
    let d2 = d1 - sd;
    let df = (-RATE * t).exp();
    let price = if call {
        spot * norm_cdf(d1) - strike * df * norm_cdf(d2)
    } else {
        strike * df * norm_cdf(-d2) - spot * norm_cdf(-d1)
    };
    let intrinsic = if call {
        spot - strike * df
    } else {
        strike * df - spot
    };
    price.max(intrinsic).max(0.0)
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26, error below 1e-7: plenty for a dump price).
fn norm_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn price_format_matches_python_float_repr() {
        assert_eq!(format_price(0), "0.0");
        assert_eq!(format_price(5), "0.05");
        assert_eq!(format_price(800), "8.0");
        assert_eq!(format_price(252_840), "2528.4");
        assert_eq!(format_price(2_350_000), "23500.0");
        assert_eq!(format_price(8065), "80.65");
    }

    #[test]
    fn symbols_follow_kite_examples() {
        // SPEC §7.2 and the mock dump.
        assert_eq!(
            option_symbol(
                "NIFTY",
                date(2023, 7, 13),
                false,
                1_790_000,
                InstrumentType::Pe
            ),
            "NIFTY2371317900PE"
        );
        assert_eq!(
            option_symbol(
                "BANKNIFTY",
                date(2018, 1, 25),
                true,
                2_350_000,
                InstrumentType::Ce
            ),
            "BANKNIFTY18JAN23500CE"
        );
        assert_eq!(
            option_symbol(
                "NIFTY",
                date(2025, 10, 7),
                false,
                2_400_000,
                InstrumentType::Ce
            ),
            "NIFTY25O0724000CE"
        );
        assert_eq!(future_symbol("NIFTY", date(2025, 6, 24)), "NIFTY25JUNFUT");
    }

    #[test]
    fn symbols_parse_back() {
        let p = parse_derivative_symbol("NIFTY2371317900PE").unwrap();
        assert_eq!(
            p,
            ParsedSymbol {
                underlying: "NIFTY".into(),
                year: 2023,
                month: 7,
                day: Some(13),
                strike: Some(1_790_000),
                instrument_type: InstrumentType::Pe,
            }
        );
        let p = parse_derivative_symbol("ADANIPORTS17DEC490PE").unwrap();
        assert_eq!(
            (p.underlying.as_str(), p.month, p.day),
            ("ADANIPORTS", 12, None)
        );
        let p = parse_derivative_symbol("NIFTY25JUNFUT").unwrap();
        assert_eq!(p.instrument_type, InstrumentType::Fut);
        assert_eq!(p.strike, None);
        let p = parse_derivative_symbol("NIFTYNXT5025JANFUT").unwrap();
        assert_eq!(
            (p.underlying.as_str(), p.year, p.month),
            ("NIFTYNXT50", 2025, 1)
        );
        // Any text is safe to parse.
        for odd in ["ÑIFTY25JUN1CE", "NIFTY25ÉUN100CE", "25", "NIFTY25D"] {
            let _ = parse_derivative_symbol(odd);
        }
        for bad in [
            "NIFTY25JUN-100CE",
            "INFY",
            "NIFTY 50",
            "NIFTY25XYZ100CE",
            "NIFTY2513224000CE",
            "",
        ] {
            assert_eq!(parse_derivative_symbol(bad), None, "{bad}");
        }
    }

    #[test]
    fn last_weekday_of_month_examples() {
        assert_eq!(
            last_weekday_of_month(2025, 6, Weekday::Tue),
            Some(date(2025, 6, 24))
        );
        assert_eq!(
            last_weekday_of_month(2025, 12, Weekday::Thu),
            Some(date(2025, 12, 25))
        );
        assert_eq!(
            last_weekday_of_month(2018, 1, Weekday::Thu),
            Some(date(2018, 1, 25))
        );
    }

    #[test]
    fn expiries_include_today_and_skip_the_past() {
        // 2025-06-24 is a Tuesday and the last one of June.
        let w = weekly_expiries(date(2025, 6, 24), Weekday::Tue, 2);
        assert_eq!(w, vec![date(2025, 6, 24), date(2025, 7, 1)]);
        let m = monthly_expiries(date(2025, 6, 25), Weekday::Tue, 2);
        assert_eq!(m, vec![date(2025, 7, 29), date(2025, 8, 26)]);
    }

    #[test]
    fn norm_cdf_is_accurate() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-9);
        assert!((norm_cdf(1.96) - 0.975_002_1).abs() < 1e-6);
        assert!((norm_cdf(-1.0) - 0.158_655_3).abs() < 1e-6);
    }

    #[test]
    fn contract_tokens_are_unique_and_bounded() {
        let u = Universe::build(date(2025, 11, 20), 42).unwrap();
        let mut seen = HashSet::new();
        for i in u.instruments() {
            assert!(seen.insert(i.token), "{} repeats a token", i.tradingsymbol);
            assert!(i.token.0 < 1 << 31);
        }
        assert_eq!(
            Universe::build(date(2019, 6, 1), 42).unwrap_err(),
            UniverseError::DateOutOfRange(date(2019, 6, 25))
        );
    }

    /// Option chains (underlying × expiry) listed on `today`.
    fn chains(today: NaiveDate) -> usize {
        Underlying::ALL
            .iter()
            .map(|&u| option_expiries(u, today).len())
            .sum()
    }

    #[test]
    fn default_universe_is_unchanged() {
        let today = date(2025, 11, 20);
        let default = Universe::build(today, 42).unwrap();
        assert_eq!(STRIKES_EACH_SIDE, 30);
        assert_eq!(
            default.to_csv(None),
            Universe::build_sized(today, 42, STRIKES_EACH_SIDE)
                .unwrap()
                .to_csv(None)
        );
        // 2025-11-20, a Thursday: NIFTY lists 6 expiries (weeklies Nov 25, Dec 2, 9, 16; monthlies Nov 25,
        // Dec 30, Jan 27), BANKNIFTY 3, SENSEX 6 (weeklies from today, Nov 20, 27, Dec 4, 11; monthlies
        // Nov 27, Dec 25, Jan 29). 15 chains × 61 strikes × 2 + 6 futures + 4 indices + 100 stocks.
        assert_eq!(chains(today), 15);
        assert_eq!(default.instruments().len(), 15 * 61 * 2 + 6 + 4 + 100);
    }

    #[test]
    fn universe_size_grows_with_strikes_each_side() {
        let today = date(2025, 11, 20);
        let base = Universe::build(today, 42).unwrap();
        let mut previous = 0;
        for k in [0, 1, 30, 75, 200] {
            let u = Universe::build_sized(today, 42, k).unwrap();
            let options = u
                .instruments()
                .iter()
                .filter(|i| matches!(i.instrument_type, InstrumentType::Ce | InstrumentType::Pe))
                .count();
            assert_eq!(options, chains(today) * 2 * (2 * k as usize + 1), "k = {k}");
            assert!(u.instruments().len() > previous, "k = {k}");
            previous = u.instruments().len();
            // Every chain lists 2k + 1 consecutive strikes, one step apart.
            let mut strikes: HashMap<(Underlying, NaiveDate), Vec<u32>> = HashMap::new();
            for i in u.instruments() {
                if let (Some(under), InstrumentType::Ce) = (i.underlying, i.instrument_type) {
                    strikes
                        .entry((under, i.expiry.unwrap()))
                        .or_default()
                        .push(i.strike);
                }
            }
            for ((under, expiry), mut s) in strikes {
                s.sort_unstable();
                assert_eq!(s.len(), 2 * k as usize + 1, "{under:?} {expiry}");
                let step = under.strike_step() * 100;
                assert!(s.windows(2).all(|w| w[1] - w[0] == step));
            }
            // Rows of the default universe keep their token, symbol and price in a bigger or smaller one.
            let (small, big) = if k >= STRIKES_EACH_SIDE {
                (&base, &u)
            } else {
                (&u, &base)
            };
            for i in small.instruments() {
                assert_eq!(big.get(i.token), Some(i), "{} (k = {k})", i.tradingsymbol);
            }
        }
    }

    #[test]
    fn strikes_beyond_the_token_range_are_refused() {
        let today = date(2025, 11, 20);
        assert_eq!(
            Universe::build_sized(today, 42, MAX_STRIKES_EACH_SIDE + 1).unwrap_err(),
            UniverseError::TooManyStrikes(MAX_STRIKES_EACH_SIDE + 1)
        );
        let widest = Universe::build_sized(today, 42, MAX_STRIKES_EACH_SIDE).unwrap();
        let mut seen = HashSet::new();
        for i in widest.instruments() {
            assert!(seen.insert(i.token), "{} repeats a token", i.tradingsymbol);
            assert!(i.token.0 < 1 << 31);
            assert!(
                i.instrument_type == InstrumentType::Eq
                    || i.strike > 0
                    || i.instrument_type == InstrumentType::Fut
            );
        }
    }
}
