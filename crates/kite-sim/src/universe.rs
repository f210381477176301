//! The instruments the sandbox trades: NIFTY 50 constituents on NSE and three indices.
//!
//! Tokens are Kite's where known (they follow Kite's rule: exchange token << 8 | segment). Prices are
//! plausible late-2025 levels, only a starting point for the random walk.

use model::{Exchange, InstrumentToken, WatchInstrument};

/// One stock of the universe: (token, symbol, name, starting price in rupees).
type Stock = (u32, &'static str, &'static str, f64);

/// NIFTY 50 constituents.
pub const NIFTY_50: &[Stock] = &[
    (6401, "ADANIENT", "ADANI ENTERPRISES", 2410.0),
    (3861249, "ADANIPORTS", "ADANI PORTS AND SEZ", 1445.0),
    (40193, "APOLLOHOSP", "APOLLO HOSPITALS", 7520.0),
    (60417, "ASIANPAINT", "ASIAN PAINTS", 2480.0),
    (1510401, "AXISBANK", "AXIS BANK", 1210.0),
    (4267265, "BAJAJ-AUTO", "BAJAJ AUTO", 8950.0),
    (81153, "BAJFINANCE", "BAJAJ FINANCE", 1020.0),
    (4268801, "BAJAJFINSV", "BAJAJ FINSERV", 2040.0),
    (98049, "BEL", "BHARAT ELECTRONICS", 412.0),
    (2714625, "BHARTIARTL", "BHARTI AIRTEL", 2080.0),
    (177665, "CIPLA", "CIPLA", 1530.0),
    (5215745, "COALINDIA", "COAL INDIA", 385.0),
    (225537, "DRREDDY", "DR. REDDY'S LABORATORIES", 1245.0),
    (232961, "EICHERMOT", "EICHER MOTORS", 6980.0),
    (1304833, "ETERNAL", "ETERNAL", 305.0),
    (315393, "GRASIM", "GRASIM INDUSTRIES", 2760.0),
    (1850625, "HCLTECH", "HCL TECHNOLOGIES", 1620.0),
    (341249, "HDFCBANK", "HDFC BANK", 995.0),
    (119553, "HDFCLIFE", "HDFC LIFE INSURANCE", 765.0),
    (345089, "HEROMOTOCO", "HERO MOTOCORP", 5620.0),
    (348929, "HINDALCO", "HINDALCO INDUSTRIES", 805.0),
    (356865, "HINDUNILVR", "HINDUSTAN UNILEVER", 2450.0),
    (1270529, "ICICIBANK", "ICICI BANK", 1385.0),
    (1346049, "INDUSINDBK", "INDUSIND BANK", 860.0),
    (408065, "INFY", "INFOSYS", 1560.0),
    (424961, "ITC", "ITC", 405.0),
    (4644609, "JIOFIN", "JIO FINANCIAL SERVICES", 305.0),
    (3001089, "JSWSTEEL", "JSW STEEL", 1160.0),
    (492033, "KOTAKBANK", "KOTAK MAHINDRA BANK", 2110.0),
    (2939649, "LT", "LARSEN & TOUBRO", 4010.0),
    (519937, "M&M", "MAHINDRA & MAHINDRA", 3690.0),
    (2815745, "MARUTI", "MARUTI SUZUKI INDIA", 15900.0),
    (2977281, "NTPC", "NTPC", 325.0),
    (4598529, "NESTLEIND", "NESTLE INDIA", 1270.0),
    (633601, "ONGC", "OIL AND NATURAL GAS CORPORATION", 245.0),
    (
        3834113,
        "POWERGRID",
        "POWER GRID CORPORATION OF INDIA",
        272.0,
    ),
    (738561, "RELIANCE", "RELIANCE INDUSTRIES", 1545.0),
    (5582849, "SBILIFE", "SBI LIFE INSURANCE", 2010.0),
    (779521, "SBIN", "STATE BANK OF INDIA", 975.0),
    (1102337, "SHRIRAMFIN", "SHRIRAM FINANCE", 820.0),
    (857857, "SUNPHARMA", "SUN PHARMACEUTICAL", 1780.0),
    (2953217, "TCS", "TATA CONSULTANCY SERVICES", 3150.0),
    (878593, "TATACONSUM", "TATA CONSUMER PRODUCTS", 1165.0),
    (884737, "TATAMOTORS", "TATA MOTORS", 410.0),
    (895745, "TATASTEEL", "TATA STEEL", 172.0),
    (3465729, "TECHM", "TECH MAHINDRA", 1520.0),
    (897537, "TITAN", "TITAN COMPANY", 3850.0),
    (502785, "TRENT", "TRENT", 4300.0),
    (2952193, "ULTRACEMCO", "ULTRATECH CEMENT", 11800.0),
    (969473, "WIPRO", "WIPRO", 245.0),
];

/// Banks that make up the sandbox's NIFTY BANK.
pub const BANK_CONSTITUENTS: &[&str] = &[
    "HDFCBANK",
    "ICICIBANK",
    "SBIN",
    "KOTAKBANK",
    "AXISBANK",
    "INDUSINDBK",
];

/// SENSEX is BSE's 30-stock index; these NSE listings stand in for its constituents.
pub const SENSEX_CONSTITUENTS: &[&str] = &[
    "ADANIPORTS",
    "ASIANPAINT",
    "AXISBANK",
    "BAJAJFINSV",
    "BAJFINANCE",
    "BHARTIARTL",
    "ETERNAL",
    "HCLTECH",
    "HDFCBANK",
    "HINDUNILVR",
    "ICICIBANK",
    "INDUSINDBK",
    "INFY",
    "ITC",
    "KOTAKBANK",
    "LT",
    "M&M",
    "MARUTI",
    "NESTLEIND",
    "NTPC",
    "POWERGRID",
    "RELIANCE",
    "SBIN",
    "SUNPHARMA",
    "TATAMOTORS",
    "TATASTEEL",
    "TCS",
    "TECHM",
    "TITAN",
    "ULTRACEMCO",
];

/// An index of the universe: (token, symbol, exchange, base level, constituents).
pub struct IndexDef {
    pub token: u32,
    pub symbol: &'static str,
    pub name: &'static str,
    pub exchange: Exchange,
    pub base: f64,
    /// `None` means every stock of the universe.
    pub constituents: Option<&'static [&'static str]>,
}

pub const INDICES: &[IndexDef] = &[
    IndexDef {
        token: 256265,
        symbol: "NIFTY 50",
        name: "NIFTY 50",
        exchange: Exchange::Nse,
        base: 26050.0,
        constituents: None,
    },
    IndexDef {
        token: 260105,
        symbol: "NIFTY BANK",
        name: "NIFTY BANK",
        exchange: Exchange::Nse,
        base: 59250.0,
        constituents: Some(BANK_CONSTITUENTS),
    },
    IndexDef {
        token: 265,
        symbol: "SENSEX",
        name: "SENSEX",
        exchange: Exchange::Bse,
        base: 85200.0,
        constituents: Some(SENSEX_CONSTITUENTS),
    },
];

/// NSE cash tick size: 5 paise.
pub const EQUITY_TICK_PAISE: u32 = 5;

/// Everything the sandbox streams, as the dashboard lists it: indices first, then stocks by symbol.
pub fn watch_instruments() -> Vec<WatchInstrument> {
    let mut out: Vec<WatchInstrument> = INDICES
        .iter()
        .map(|i| WatchInstrument {
            token: InstrumentToken(i.token),
            exchange: i.exchange,
            tradingsymbol: i.symbol.to_string(),
            name: i.name.to_string(),
            lot_size: 0,
            tick_size: 0.05,
            is_index: true,
        })
        .collect();
    out.extend(
        NIFTY_50
            .iter()
            .map(|&(token, sym, name, _)| WatchInstrument {
                token: InstrumentToken(token),
                exchange: Exchange::Nse,
                tradingsymbol: sym.to_string(),
                name: name.to_string(),
                lot_size: 1,
                tick_size: EQUITY_TICK_PAISE as f64 / 100.0,
                is_index: false,
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Segment;
    use std::collections::HashSet;

    #[test]
    fn tokens_follow_kite_segment_rule() {
        for &(token, sym, _, price) in NIFTY_50 {
            assert_eq!(InstrumentToken(token).segment(), Segment::Nse, "{sym}");
            assert!(price > 0.0);
        }
        for i in INDICES {
            assert_eq!(
                InstrumentToken(i.token).segment(),
                Segment::Indices,
                "{}",
                i.symbol
            );
        }
    }

    #[test]
    fn universe_is_fifty_unique_stocks() {
        assert_eq!(NIFTY_50.len(), 50);
        let tokens: HashSet<u32> = NIFTY_50.iter().map(|s| s.0).collect();
        let symbols: HashSet<&str> = NIFTY_50.iter().map(|s| s.1).collect();
        assert_eq!(tokens.len(), 50);
        assert_eq!(symbols.len(), 50);
        for i in INDICES {
            for c in i.constituents.unwrap_or(&[]) {
                assert!(
                    symbols.contains(c),
                    "{c} of {} is not in the universe",
                    i.symbol
                );
            }
        }
        assert_eq!(SENSEX_CONSTITUENTS.len(), 30);
    }
}
