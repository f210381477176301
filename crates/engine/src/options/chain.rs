//! Option chains: the contracts of one underlying and expiry from the day's instrument dump, one
//! batched quote for all of them and the spot, and per leg the implied volatility from its LTP and
//! the greeks at that volatility; then ATM, max pain and the put-call ratios over the strikes.
//!
//! Time to expiry runs to 15:30 IST on the expiry date in calendar years; the risk-free rate is
//! configurable and defaults to [`DEFAULT_RATE`] (6.5 %, about the 91-day T-bill yield).

use super::OiBase;
use crate::error::EngineError;
use crate::instruments::InstrumentStore;
use crate::scanner::history::ist_now;
use chrono::{Datelike, NaiveDate};
use kite::KiteClient;
use model::broker::{Instrument, InstrumentType, Quote};
use model::options::{ChainLeg, ChainRow, LegGreeks, OptionChain, Underlying};
use model::InstrumentToken;
use quant::options::chain::{atm_strike, max_pain, pcr_oi, pcr_volume, StrikeRow};
use quant::options::{expiry_unix, time_to_expiry, Contract, OptionKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Continuously compounded risk-free rate used when none is configured.
pub const DEFAULT_RATE: f64 = 0.065;

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The options of one underlying listed today, by expiry.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Expiries whose 15:30 IST has not passed, nearest first.
    pub expiries: Vec<NaiveDate>,
    contracts: Vec<Instrument>,
}

impl Listing {
    /// Picks the underlying's options out of its exchange's dump, dropping expired ones.
    pub fn from_dump(dump: &[Instrument], underlying: Underlying, now_unix: i64) -> Listing {
        let live =
            |e: &NaiveDate| expiry_unix(e.year(), e.month(), e.day()).is_ok_and(|at| at > now_unix);
        let contracts: Vec<Instrument> = dump
            .iter()
            .filter(|i| {
                i.name == underlying.as_str()
                    && i.instrument_type.is_option()
                    && i.exchange == underlying.derivatives_exchange()
                    && i.expiry.as_ref().is_some_and(live)
            })
            .cloned()
            .collect();
        let mut expiries: Vec<NaiveDate> = contracts.iter().filter_map(|i| i.expiry).collect();
        expiries.sort_unstable();
        expiries.dedup();
        Listing {
            expiries,
            contracts,
        }
    }

    /// The asked expiry (`YYYY-MM-DD`), or the nearest when `None`.
    pub fn pick(
        &self,
        underlying: Underlying,
        expiry: Option<&str>,
    ) -> Result<NaiveDate, EngineError> {
        let nearest = *self
            .expiries
            .first()
            .ok_or(EngineError::NoOptions(underlying))?;
        let Some(asked) = expiry.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(nearest);
        };
        NaiveDate::parse_from_str(asked, "%Y-%m-%d")
            .ok()
            .filter(|d| self.expiries.contains(d))
            .ok_or_else(|| EngineError::UnknownExpiry {
                underlying,
                expiry: asked.to_string(),
                listed: self.expiries.iter().map(|d| d.to_string()).collect(),
            })
    }

    /// The contracts of one expiry.
    pub fn contracts(&self, expiry: NaiveDate) -> Vec<&Instrument> {
        self.contracts
            .iter()
            .filter(|i| i.expiry == Some(expiry))
            .collect()
    }
}

/// What a quote says about one leg.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LegQuote {
    pub ltp: f64,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub oi: u64,
    pub volume: u64,
}

impl LegQuote {
    pub fn from_quote(q: &Quote) -> Self {
        let best = |side: &[model::broker::DepthEntry]| {
            side.first()
                .filter(|l| l.quantity > 0 && l.price > 0.0)
                .map(|l| l.price)
        };
        Self {
            ltp: q.last_price,
            bid: best(&q.depth.buy),
            ask: best(&q.depth.sell),
            oi: if q.oi.is_finite() && q.oi > 0.0 {
                q.oi as u64
            } else {
                0
            },
            volume: q.volume,
        }
    }
}

/// The market a chain is priced in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    pub spot: f64,
    /// Years to expiry.
    pub t: f64,
    pub rate: f64,
}

/// IV from the LTP and greeks at that IV; `None` without a price, outside the no-arbitrage
/// bounds, or at zero time value (where no volatility is implied).
pub fn iv_and_greeks(
    kind: OptionKind,
    strike: f64,
    ltp: f64,
    p: Pricing,
) -> (Option<f64>, Option<LegGreeks>) {
    // Also catches NaN.
    if ltp.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return (None, None);
    }
    let contract = Contract::new(kind, p.spot, strike, p.t, p.rate);
    let Some(iv) = contract
        .implied_vol(ltp)
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
    else {
        return (None, None);
    };
    let greeks = contract.greeks(iv).ok().map(|g| LegGreeks {
        delta: g.delta,
        gamma: g.gamma,
        theta: g.theta,
        vega: g.vega,
        rho: g.rho,
    });
    (Some(iv), greeks)
}

/// Chain statistics over rows of (strike, call OI, put OI, call volume, put volume).
pub struct ChainStats {
    pub atm_strike: Option<f64>,
    pub max_pain: Option<f64>,
    pub pcr_oi: Option<f64>,
    pub pcr_volume: Option<f64>,
}

pub fn stats(rows: &[StrikeRow], spot: f64) -> ChainStats {
    ChainStats {
        atm_strike: atm_strike(rows, spot).ok(),
        max_pain: max_pain(rows).ok(),
        pcr_oi: pcr_oi(rows).ok(),
        pcr_volume: pcr_volume(rows).ok(),
    }
}

/// Builds the chain from contracts and their quotes (pure; `oi_change` supplies each leg's change
/// against its day's base).
#[allow(clippy::too_many_arguments)]
pub fn build(
    underlying: Underlying,
    expiry: NaiveDate,
    expiries: &[NaiveDate],
    contracts: &[&Instrument],
    quotes: &HashMap<InstrumentToken, LegQuote>,
    pricing: Pricing,
    mut oi_change: impl FnMut(InstrumentToken, u64) -> i64,
    as_of_ms: u64,
) -> OptionChain {
    let mut by_strike: BTreeMap<i64, ChainRow> = BTreeMap::new();
    for c in contracts {
        let kind = match c.instrument_type {
            InstrumentType::Ce => OptionKind::Call,
            InstrumentType::Pe => OptionKind::Put,
            _ => continue,
        };
        let q = quotes.get(&c.instrument_token).copied().unwrap_or_default();
        let (iv, greeks) = iv_and_greeks(kind, c.strike, q.ltp, pricing);
        let leg = ChainLeg {
            token: c.instrument_token,
            tradingsymbol: c.tradingsymbol.clone(),
            lot_size: c.lot_size,
            ltp: q.ltp,
            bid: q.bid,
            ask: q.ask,
            oi: q.oi,
            oi_change: oi_change(c.instrument_token, q.oi),
            volume: q.volume,
            iv,
            greeks,
        };
        // Strikes are exchange prices (multiples of 0.05): paise are an exact key.
        let row = by_strike
            .entry((c.strike * 100.0).round() as i64)
            .or_insert(ChainRow {
                strike: c.strike,
                call: None,
                put: None,
            });
        match kind {
            OptionKind::Call => row.call = Some(leg),
            OptionKind::Put => row.put = Some(leg),
        }
    }
    let rows: Vec<ChainRow> = by_strike.into_values().collect();
    let strike_rows: Vec<StrikeRow> = rows
        .iter()
        .map(|r| StrikeRow {
            strike: r.strike,
            call_oi: r.call.as_ref().map_or(0.0, |l| l.oi as f64),
            put_oi: r.put.as_ref().map_or(0.0, |l| l.oi as f64),
            call_volume: r.call.as_ref().map_or(0.0, |l| l.volume as f64),
            put_volume: r.put.as_ref().map_or(0.0, |l| l.volume as f64),
        })
        .collect();
    let s = stats(&strike_rows, pricing.spot);
    OptionChain {
        underlying,
        exchange: underlying.derivatives_exchange(),
        expiry: expiry.to_string(),
        expiries: expiries.iter().map(|d| d.to_string()).collect(),
        spot: pricing.spot,
        time_to_expiry: pricing.t,
        rate: pricing.rate,
        atm_strike: s.atm_strike,
        max_pain: s.max_pain,
        pcr_oi: s.pcr_oi,
        pcr_volume: s.pcr_volume,
        rows,
        as_of_ms,
    }
}

/// Years from now to 15:30 IST on `expiry`.
pub fn years_to(expiry: NaiveDate, now_unix: i64) -> Result<f64, EngineError> {
    time_to_expiry(now_unix, expiry.year(), expiry.month(), expiry.day())
        .map_err(|e| EngineError::Invalid(format!("expiry {expiry}: {e}")))
}

/// Everything a chain needs from outside: the broker, the day's dumps, the OI base, the rate.
#[derive(Clone)]
pub struct ChainSource {
    pub(crate) kite: KiteClient,
    pub(crate) instruments: Arc<InstrumentStore>,
    pub(crate) base: Arc<OiBase>,
    pub(crate) rate: f64,
}

/// A chain's contracts and their first quotes, as the OI tracker seeds from.
pub struct Snapshot {
    pub expiry: NaiveDate,
    pub expiries: Vec<NaiveDate>,
    pub contracts: Vec<Instrument>,
    pub quotes: HashMap<InstrumentToken, LegQuote>,
    pub spot: f64,
    pub spot_token: InstrumentToken,
}

impl ChainSource {
    pub fn new(
        kite: KiteClient,
        instruments: Arc<InstrumentStore>,
        base: Arc<OiBase>,
        rate: f64,
    ) -> Self {
        Self {
            kite,
            instruments,
            base,
            rate,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    pub fn base(&self) -> &OiBase {
        &self.base
    }

    /// Contracts of the expiry and one batched quote of them and of the spot index (Kite allows
    /// 500 instruments per call; the client splits longer lists).
    pub async fn snapshot(
        &self,
        underlying: Underlying,
        expiry: Option<&str>,
    ) -> Result<Snapshot, EngineError> {
        let dump = self
            .instruments
            .get(&self.kite, underlying.derivatives_exchange())
            .await?;
        let listing = Listing::from_dump(&dump, underlying, now_unix());
        let expiry = listing.pick(underlying, expiry)?;
        let contracts: Vec<Instrument> = listing.contracts(expiry).into_iter().cloned().collect();
        let ex = underlying.derivatives_exchange().as_str();
        let mut keys: Vec<String> = contracts
            .iter()
            .map(|c| format!("{ex}:{}", c.tradingsymbol))
            .collect();
        keys.push(underlying.spot_symbol().to_string());
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let quotes = self.kite.quote(&refs).await?;
        let spot_q = quotes
            .get(underlying.spot_symbol())
            .filter(|q| q.last_price > 0.0)
            .ok_or(EngineError::NoSpot(underlying))?;
        let legs = contracts
            .iter()
            .zip(&keys)
            .filter_map(|(c, k)| {
                quotes
                    .get(k)
                    .map(|q| (c.instrument_token, LegQuote::from_quote(q)))
            })
            .collect();
        Ok(Snapshot {
            expiry,
            expiries: listing.expiries.clone(),
            contracts,
            quotes: legs,
            spot: spot_q.last_price,
            spot_token: spot_q.instrument_token,
        })
    }

    /// The chain of `underlying` for `expiry` (`YYYY-MM-DD`, nearest when `None`).
    pub async fn chain(
        &self,
        underlying: Underlying,
        expiry: Option<String>,
    ) -> Result<OptionChain, EngineError> {
        let snap = self.snapshot(underlying, expiry.as_deref()).await?;
        let pricing = Pricing {
            spot: snap.spot,
            t: years_to(snap.expiry, now_unix())?,
            rate: self.rate,
        };
        let today = ist_now().date();
        let contracts: Vec<&Instrument> = snap.contracts.iter().collect();
        Ok(build(
            underlying,
            snap.expiry,
            &snap.expiries,
            &contracts,
            &snap.quotes,
            pricing,
            |t, oi| self.base.change(today, t, oi),
            now_ms(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Exchange;

    fn option(token: u32, strike: f64, kind: InstrumentType, expiry: NaiveDate) -> Instrument {
        Instrument {
            instrument_token: InstrumentToken(token),
            exchange_token: token / 256,
            tradingsymbol: format!("NIFTYX{strike}{}", kind.as_str()),
            name: "NIFTY".into(),
            last_price: 0.0,
            expiry: Some(expiry),
            strike,
            tick_size: 0.05,
            lot_size: 75,
            instrument_type: kind,
            segment: "NFO-OPT".into(),
            exchange: Exchange::Nfo,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn listing_drops_expired_and_other_underlyings_and_picks_expiries() {
        let near = date(2026, 12, 1);
        let far = date(2026, 12, 29);
        let old = date(2026, 11, 24);
        let mut dump = vec![
            option(1, 100.0, InstrumentType::Ce, near),
            option(2, 100.0, InstrumentType::Pe, far),
            option(3, 100.0, InstrumentType::Ce, old),
        ];
        let mut bank = option(4, 100.0, InstrumentType::Ce, near);
        bank.name = "BANKNIFTY".into();
        dump.push(bank);
        // 2026-11-28 12:00 UTC.
        let now = expiry_unix(2026, 11, 28).unwrap() + 2 * 3600;
        let l = Listing::from_dump(&dump, Underlying::Nifty, now);
        assert_eq!(l.expiries, vec![near, far]);
        assert_eq!(l.pick(Underlying::Nifty, None).unwrap(), near);
        assert_eq!(l.pick(Underlying::Nifty, Some("2026-12-29")).unwrap(), far);
        for bad in ["2026-11-24", "2026-13-01", "tomorrow"] {
            assert!(matches!(
                l.pick(Underlying::Nifty, Some(bad)),
                Err(EngineError::UnknownExpiry { .. })
            ));
        }
        assert_eq!(l.contracts(near).len(), 1);
        // On expiry day after 15:30 IST the expiry is gone.
        let after = expiry_unix(2026, 12, 1).unwrap() + 1;
        assert_eq!(
            Listing::from_dump(&dump, Underlying::Nifty, after).expiries,
            vec![far]
        );
        assert!(matches!(
            Listing::from_dump(&dump, Underlying::Sensex, now).pick(Underlying::Sensex, None),
            Err(EngineError::NoOptions(Underlying::Sensex))
        ));
    }

    #[test]
    fn chain_recovers_the_volatility_it_was_priced_at() {
        let expiry = date(2026, 12, 1);
        let p = Pricing {
            spot: 24_010.0,
            t: 5.0 / 365.0,
            rate: DEFAULT_RATE,
        };
        let strikes = [23_900.0, 24_000.0, 24_100.0];
        let mut contracts = Vec::new();
        let mut quotes = HashMap::new();
        for (i, k) in strikes.iter().enumerate() {
            for (j, kind) in [InstrumentType::Ce, InstrumentType::Pe]
                .into_iter()
                .enumerate()
            {
                let tok = (i * 2 + j + 1) as u32;
                let ok = if j == 0 {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                };
                let vol = 0.12 + 0.01 * i as f64;
                let price = Contract::new(ok, p.spot, *k, p.t, p.rate)
                    .price(vol)
                    .unwrap();
                contracts.push(option(tok, *k, kind, expiry));
                quotes.insert(
                    InstrumentToken(tok),
                    LegQuote {
                        ltp: price,
                        bid: Some(price - 0.05),
                        ask: Some(price + 0.05),
                        oi: 1000 * (tok as u64),
                        volume: 10 * (tok as u64),
                    },
                );
            }
        }
        // A put with no trade: no IV, no greeks, not a made-up zero.
        quotes.get_mut(&InstrumentToken(6)).unwrap().ltp = 0.0;
        let refs: Vec<&Instrument> = contracts.iter().collect();
        let c = build(
            Underlying::Nifty,
            expiry,
            &[expiry],
            &refs,
            &quotes,
            p,
            |_, _| 7,
            1,
        );
        assert_eq!(c.rows.len(), 3);
        assert!(c.rows.windows(2).all(|w| w[0].strike < w[1].strike));
        for (i, row) in c.rows.iter().enumerate() {
            let call = row.call.as_ref().unwrap();
            let iv = call.iv.unwrap();
            assert!((iv - (0.12 + 0.01 * i as f64)).abs() < 1e-6, "{iv}");
            let g = call.greeks.unwrap();
            assert!(
                g.delta > 0.0 && g.delta < 1.0 && g.gamma > 0.0 && g.vega > 0.0 && g.theta < 0.0
            );
            assert_eq!(call.oi_change, 7);
        }
        let put = c.rows[1].put.as_ref().unwrap();
        assert!(put.greeks.unwrap().delta < 0.0);
        assert_eq!(
            (
                c.rows[2].put.as_ref().unwrap().iv,
                c.rows[2].put.as_ref().unwrap().greeks
            ),
            (None, None)
        );
        assert_eq!(c.atm_strike, Some(24_000.0));
        // OI: calls 1000+3000+5000, puts 2000+4000+6000.
        assert!((c.pcr_oi.unwrap() - 12.0 / 9.0).abs() < 1e-12);
        assert!((c.pcr_volume.unwrap() - 120.0 / 90.0).abs() < 1e-12);
        assert!(c.max_pain.is_some());
        // Below intrinsic: no IV.
        assert_eq!(
            iv_and_greeks(OptionKind::Call, 23_000.0, 500.0, p),
            (None, None)
        );
    }
}
