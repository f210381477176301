//! Black-Scholes-Merton price and greeks for a European option on a spot with continuous yield.

use serde::{Deserialize, Serialize};

use super::implied_vol;
use super::{finite, positive, OptionKind, OptionsError};
use crate::math::{norm_cdf, norm_pdf};

/// A European option and its market, everything but the volatility.
///
/// `t` in years (calendar days / 365), `rate` and `div_yield` continuously compounded per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    pub kind: OptionKind,
    pub spot: f64,
    pub strike: f64,
    pub t: f64,
    pub rate: f64,
    #[serde(default)]
    pub div_yield: f64,
}

/// Price and sensitivities.
///
/// * `delta`: ∂price/∂spot; `gamma`: ∂²price/∂spot².
/// * `theta`: change in price per **calendar day** passing (annual ∂price/∂t ÷ 365, negative for
///   a long option as a rule).
/// * `vega`: change per **1 vol point** (∂price/∂σ ÷ 100).
/// * `rho`: change per **1 percentage point** of the rate (∂price/∂r ÷ 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Greeks {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
    pub rho: f64,
}

/// Validated inputs and the quantities every formula shares.
struct Terms {
    sign: f64,
    spot_df: f64,   // S·e^{-qT}
    strike_df: f64, // K·e^{-rT}
    sqrt_t: f64,
    d1: f64,
    d2: f64,
}

impl Contract {
    /// A contract with no dividend yield.
    pub fn new(kind: OptionKind, spot: f64, strike: f64, t: f64, rate: f64) -> Self {
        Self {
            kind,
            spot,
            strike,
            t,
            rate,
            div_yield: 0.0,
        }
    }

    /// Sets the continuous dividend yield.
    pub fn with_div_yield(mut self, q: f64) -> Self {
        self.div_yield = q;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), OptionsError> {
        positive("spot", self.spot)?;
        positive("strike", self.strike)?;
        positive("time to expiry", self.t)?;
        finite("rate", self.rate)?;
        finite("dividend yield", self.div_yield)?;
        Ok(())
    }

    fn terms(&self, vol: f64) -> Result<Terms, OptionsError> {
        self.validate()?;
        positive("volatility", vol)?;
        let sqrt_t = self.t.sqrt();
        let sd = vol * sqrt_t;
        let d1 = ((self.spot / self.strike).ln() + (self.rate - self.div_yield) * self.t) / sd
            + 0.5 * sd;
        Ok(Terms {
            sign: self.kind.sign(),
            spot_df: self.spot * (-self.div_yield * self.t).exp(),
            strike_df: self.strike * (-self.rate * self.t).exp(),
            sqrt_t,
            d1,
            d2: d1 - sd,
        })
    }

    /// Present value at volatility `vol`.
    pub fn price(&self, vol: f64) -> Result<f64, OptionsError> {
        let m = self.terms(vol)?;
        Ok(price_of(&m))
    }

    /// Price and all greeks at volatility `vol` (see [`Greeks`] for units).
    pub fn greeks(&self, vol: f64) -> Result<Greeks, OptionsError> {
        let m = self.terms(vol)?;
        let w = m.sign;
        // Φ(w·d1), Φ(w·d2): the in-the-money probabilities of the option's own side, each taken
        // directly from the tail so deep out-of-the-money values keep their digits.
        let n1 = norm_cdf(w * m.d1);
        let n2 = norm_cdf(w * m.d2);
        let pdf1 = norm_pdf(m.d1);
        let price = price_of(&m);
        let yield_df = (-self.div_yield * self.t).exp();
        let delta = w * yield_df * n1;
        let gamma = yield_df * pdf1 / (self.spot * vol * m.sqrt_t);
        let vega = m.spot_df * pdf1 * m.sqrt_t;
        let theta_annual = -m.spot_df * pdf1 * vol / (2.0 * m.sqrt_t)
            - w * self.rate * m.strike_df * n2
            + w * self.div_yield * m.spot_df * n1;
        let rho = w * self.strike * self.t * (-self.rate * self.t).exp() * n2;
        Ok(Greeks {
            price,
            delta,
            gamma,
            theta: theta_annual / 365.0,
            vega: vega / 100.0,
            rho: rho / 100.0,
        })
    }

    /// The Black-Scholes volatility that reproduces `price` (see `options/implied_vol.rs` for the
    /// method). Errors if the price is outside the no-arbitrage bounds or inputs are invalid.
    /// A price exactly at the lower bound (no time value) gives 0.
    pub fn implied_vol(&self, price: f64) -> Result<f64, OptionsError> {
        self.validate()?;
        implied_vol::implied_vol(self, price)
    }
}

#[inline]
fn price_of(m: &Terms) -> f64 {
    let w = m.sign;
    w * (m.spot_df * norm_cdf(w * m.d1) - m.strike_df * norm_cdf(w * m.d2))
}
