//! The option structures on the sandbox's real NIFTY chain over loopback: every structure picks
//! listed, priced legs where its rule says, and an iron condor's basket goes through the sandbox's
//! order book in and out, with the strategy's state following the fills.

use chrono::NaiveTime;
use engine::strategy::{Basket, ExitReason, OptionAction, OptionSpec, OptionType};
use engine::{AnalyticsConfig, Db, UserEngine, UserId};
use kite::{Credentials, KiteClient, KiteConfig, TickerConfig};
use kite_sim::{Sandbox, SandboxConfig};
use model::broker::{OrderParams, OrderType, Product, TransactionType};
use model::options::{ChainLeg, OptionChain, Underlying};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    _sb: Sandbox,
    kite: KiteClient,
    engine: Arc<UserEngine>,
    dir: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(name: &str) -> Setup {
    let sb = Sandbox::start(SandboxConfig {
        step_interval: Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let token = sb.mint_access_token();
    let kite = KiteClient::new(KiteConfig::new(sb.api_key()).with_root(sb.http_url())).unwrap();
    kite.set_access_token(Some(token.clone()));
    let ticker = TickerConfig::new(
        sb.ws_url(),
        Credentials {
            api_key: sb.api_key().into(),
            access_token: token,
        },
    );
    let dir = std::env::temp_dir().join(format!("engine-optstrat-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(dir.join("kite-agent.db")).await.unwrap();
    let engine = UserEngine::start_with(
        UserId::default_user(),
        kite.clone(),
        ticker,
        sb.instruments(),
        db,
        AnalyticsConfig::default(),
    );
    Setup {
        _sb: sb,
        kite,
        engine,
        dir,
    }
}

fn chain_leg(chain: &OptionChain, strike: f64, option: OptionType) -> Option<&ChainLeg> {
    let row = chain.rows.iter().find(|r| r.strike == strike)?;
    match option {
        OptionType::Ce => row.call.as_ref(),
        OptionType::Pe => row.put.as_ref(),
    }
}

/// Every leg is the chain's own contract at that strike, priced as the chain prices it, and the
/// net premium is what the sides imply.
fn assert_legs_from(chain: &OptionChain, b: &Basket) {
    let mut net = 0.0;
    for l in &b.legs {
        let c = chain_leg(chain, l.strike, l.option_type).expect("leg listed at its strike");
        assert_eq!(
            (&l.tradingsymbol, l.instrument_token, l.ltp, l.lot_size),
            (&c.tradingsymbol, c.token, c.ltp, c.lot_size)
        );
        assert!(l.tradingsymbol.ends_with(l.option_type.as_str()));
        assert!(l.ltp > 0.0 && l.lot_size > 0 && l.lots == 1);
        net += match l.side {
            TransactionType::Sell => l.ltp,
            TransactionType::Buy => -l.ltp,
        };
    }
    assert!(
        (b.net_premium - net).abs() < 1e-9,
        "{} vs {net}",
        b.net_premium
    );
    assert_eq!(b.expiry, chain.expiry);
}

/// No priced leg of this type has a |delta| strictly nearer the target than the chosen one.
fn assert_nearest_delta(chain: &OptionChain, strike: f64, option: OptionType, target: f64) {
    let dist = |l: &ChainLeg| l.greeks.map(|g| (g.delta.abs() - target).abs());
    let chosen = dist(chain_leg(chain, strike, option).unwrap()).unwrap();
    for r in &chain.rows {
        if let Some(d) = chain_leg(chain, r.strike, option)
            .filter(|l| l.ltp > 0.0)
            .and_then(dist)
        {
            assert!(
                d >= chosen - 1e-9,
                "{option} {} is nearer {target}",
                r.strike
            );
        }
    }
}

fn strikes(b: &Basket, option: OptionType, side: TransactionType) -> Vec<f64> {
    b.legs
        .iter()
        .filter(|l| l.option_type == option && l.side == side)
        .map(|l| l.strike)
        .collect()
}

#[tokio::test]
async fn every_structure_picks_listed_priced_legs_on_the_sandbox_chain() {
    use OptionType::{Ce, Pe};
    use TransactionType::{Buy, Sell};
    let s = setup("select").await;
    let chain = s
        .engine
        .option_chain(Underlying::Nifty, None)
        .await
        .unwrap();
    let atm = chain.atm_strike.unwrap();
    let step = chain.rows[1].strike - chain.rows[0].strike;
    let at = |n: f64| atm + n * step;
    let spec = |name: &str, p: &[&str]| OptionSpec::parse(name, p).unwrap();

    let b = spec("iron_condor", &[]).select_legs(&chain).unwrap();
    assert_legs_from(&chain, &b);
    assert_eq!(strikes(&b, Pe, Buy), [at(-4.0)]);
    assert_eq!(strikes(&b, Pe, Sell), [at(-2.0)]);
    assert_eq!(strikes(&b, Ce, Sell), [at(2.0)]);
    assert_eq!(strikes(&b, Ce, Buy), [at(4.0)]);
    assert!(b.net_premium > 0.0);
    assert!((b.max_loss.unwrap() - (2.0 * step - b.net_premium)).abs() < 1e-9);

    let b = spec(
        "iron_condor",
        &["select=delta", "delta=0.2", "wing_width=1"],
    )
    .select_legs(&chain)
    .unwrap();
    assert_legs_from(&chain, &b);
    let (sp, sc) = (strikes(&b, Pe, Sell)[0], strikes(&b, Ce, Sell)[0]);
    assert_nearest_delta(&chain, sp, Pe, 0.2);
    assert_nearest_delta(&chain, sc, Ce, 0.2);
    assert!(sp < atm && atm < sc, "20-delta shorts are out of the money");
    assert_eq!(strikes(&b, Pe, Buy), [sp - step]);
    assert_eq!(strikes(&b, Ce, Buy), [sc + step]);

    let b = spec("straddle", &[]).select_legs(&chain).unwrap();
    assert_legs_from(&chain, &b);
    assert_eq!(
        (strikes(&b, Ce, Sell), strikes(&b, Pe, Sell)),
        (vec![atm], vec![atm])
    );
    assert_eq!(b.max_loss, None);

    let b = spec("strangle", &["distance=3", "short=false"])
        .select_legs(&chain)
        .unwrap();
    assert_legs_from(&chain, &b);
    assert_eq!(
        (strikes(&b, Pe, Buy), strikes(&b, Ce, Buy)),
        (vec![at(-3.0)], vec![at(3.0)])
    );
    assert_eq!(b.max_loss, Some(-b.net_premium));

    let b = spec("strangle", &["select=delta", "delta=0.25"])
        .select_legs(&chain)
        .unwrap();
    assert_legs_from(&chain, &b);
    assert_nearest_delta(&chain, strikes(&b, Pe, Sell)[0], Pe, 0.25);
    assert_nearest_delta(&chain, strikes(&b, Ce, Sell)[0], Ce, 0.25);

    let b = spec("bull_call_spread", &[]).select_legs(&chain).unwrap();
    assert_legs_from(&chain, &b);
    assert_eq!(
        (strikes(&b, Ce, Buy), strikes(&b, Ce, Sell)),
        (vec![atm], vec![at(2.0)])
    );
    let bounds = b.max_profit.unwrap() + b.max_loss.unwrap();
    assert!((bounds - 2.0 * step).abs() < 1e-9, "profit + loss = width");

    let b = spec(
        "bear_put_spread",
        &["select=delta", "delta=0.35", "width=1"],
    )
    .select_legs(&chain)
    .unwrap();
    assert_legs_from(&chain, &b);
    let short = strikes(&b, Pe, Sell)[0];
    assert_nearest_delta(&chain, short, Pe, 0.35);
    assert_eq!(strikes(&b, Pe, Buy), [short + step]);
    assert!(b.max_loss.unwrap() > 0.0 && b.max_profit.unwrap() > 0.0);
}

/// Places the legs as MARKET NRML orders and returns each one's average fill price.
async fn trade(kite: &KiteClient, legs: &[engine::strategy::BasketLeg]) -> Vec<f64> {
    let mut prices = Vec::new();
    for l in legs {
        let mut p = OrderParams::new(
            l.exchange,
            l.tradingsymbol.clone(),
            l.side,
            OrderType::Market,
            u32::try_from(l.quantity()).unwrap(),
            Product::Nrml,
        );
        p.market_protection = Some(-1.0);
        let id = kite.place_order(&p).await.unwrap();
        let order = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let h = kite.order_history(&id).await.unwrap();
                let last = h.last().unwrap().clone();
                if last.status.is_terminal() {
                    return last;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("order settles");
        assert_eq!(order.status.as_str(), "COMPLETE", "{order:?}");
        assert_eq!(u64::from(order.filled_quantity), l.quantity());
        prices.push(order.average_price);
    }
    prices
}

async fn net_positions(kite: &KiteClient) -> HashMap<String, i64> {
    kite.positions()
        .await
        .unwrap()
        .net
        .into_iter()
        .map(|p| (p.tradingsymbol, p.quantity))
        .collect()
}

#[tokio::test]
async fn iron_condor_goes_in_and_out_of_the_sandbox_as_one_basket() {
    let s = setup("trade").await;
    let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let mut strategy = OptionSpec::parse("iron_condor", &[] as &[&str])
        .unwrap()
        .build()
        .unwrap();
    let chain = s
        .engine
        .option_chain(Underlying::Nifty, None)
        .await
        .unwrap();
    assert_eq!(strategy.on_chain(&chain, time(9, 15)), None, "before 09:20");
    let Some(OptionAction::Enter(basket)) = strategy.on_chain(&chain, time(9, 30)) else {
        panic!("expected an entry: {:?}", strategy.last_error());
    };
    assert_eq!(basket.legs.len(), 4);
    // Hedges first.
    assert!(basket.legs[..2]
        .iter()
        .all(|l| l.side == TransactionType::Buy));

    let fills = trade(&s.kite, &basket.legs).await;
    strategy.on_entered(&fills).unwrap();
    let position = strategy.position().unwrap().clone();
    assert!((position.premium - basket.premium_at(&fills)).abs() < 1e-9);
    let held = net_positions(&s.kite).await;
    for l in &basket.legs {
        let signed = l.quantity() as i64
            * if l.side == TransactionType::Buy {
                1
            } else {
                -1
            };
        assert_eq!(
            held.get(&l.tradingsymbol),
            Some(&signed),
            "{}",
            l.tradingsymbol
        );
    }

    // A later chain at the square-off time: out, whatever the P&L.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = s
        .engine
        .option_chain(Underlying::Nifty, None)
        .await
        .unwrap();
    let Some(OptionAction::Exit { reason, pnl }) = strategy.on_chain(&later, time(15, 15)) else {
        panic!("expected the time exit");
    };
    assert_eq!(
        (reason, reason.to_string().as_str()),
        (ExitReason::Time, "time")
    );
    assert_eq!(pnl, position.pnl(&later));
    let closing = position.basket.closing_legs();
    assert!(closing[..2].iter().all(|l| l.side == TransactionType::Buy));
    trade(&s.kite, &closing).await;
    strategy.on_exited().unwrap();
    let held = net_positions(&s.kite).await;
    for l in &basket.legs {
        assert_eq!(held.get(&l.tradingsymbol).copied().unwrap_or(0), 0);
    }
    // Done for the day.
    assert_eq!(strategy.on_chain(&later, time(10, 0)), None);
    assert_eq!(strategy.phase().name(), "done");
}
