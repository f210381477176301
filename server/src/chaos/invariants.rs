//! What must hold after a chaos run, checked against the sandbox's accounts (the broker's truth) and
//! the server's journal (its SQLite file, read after the server stopped).

use super::Check;
use engine::journal::Journal;
use engine::{Db, UserId};
use model::broker::{Order, Positions, Trade, TransactionType};
use model::trading::{ExecStatus, RiskLimits, RiskVerdict, SignalSide};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One account at the broker at the end of the run.
pub(crate) struct Broker {
    pub id: &'static str,
    pub orders: Vec<Order>,
    pub trades: Vec<Trade>,
    pub positions: Positions,
}

impl Broker {
    pub fn of(id: &'static str, v: kite_sim::AccountView) -> Self {
        Self {
            id,
            orders: v.orders,
            trades: v.trades,
            positions: v.positions,
        }
    }
}

fn journal(db: &Db, id: &str) -> Journal {
    Journal::new(db.clone(), UserId::new(id))
}

/// Strategy orders journalled while the kill switch was active and sent to the broker anyway (its
/// own square-offs carry no strategy).
pub(crate) async fn kill_switch_quiet(
    db: &Db,
    id: &str,
    since_ms: u64,
    until_ms: u64,
) -> anyhow::Result<Vec<String>> {
    Ok(journal(db, id)
        .orders(100_000)
        .await?
        .into_iter()
        .filter(|o| {
            o.strategy_id.is_some()
                && (since_ms..until_ms).contains(&o.created_ms)
                && o.order_id.is_some()
        })
        .map(|o| o.tag)
        .collect())
}

/// The invariants, in the order the table prints them. `seen[i]` is what trader `i`'s dashboard
/// API returned (orders, journal, signals) at the end.
pub(crate) async fn invariants(
    db: &Db,
    brokers: &[Broker],
    limits: &[RiskLimits],
    max_open: &HashMap<&str, usize>,
    seen: &[String],
) -> anyhow::Result<Vec<Check>> {
    let mut dup = Vec::new();
    let mut fills_bad = Vec::new();
    let mut pos_bad = Vec::new();
    let mut risk_bad = Vec::new();
    let mut cross = Vec::new();
    let mut baskets = Vec::new();
    let mut basket_entries = 0u32;
    let mut tags_of: Vec<BTreeSet<String>> = Vec::new();
    let mut broker_tags_of: Vec<BTreeSet<String>> = Vec::new();
    for (b, lim) in brokers.iter().zip(limits) {
        let j = journal(db, b.id);
        let journal_orders = j.orders(100_000).await?;
        let tags: BTreeSet<String> = journal_orders.iter().map(|o| o.tag.clone()).collect();
        // 1. No tag placed twice at the broker.
        let mut count: HashMap<&str, u32> = HashMap::new();
        for o in &b.orders {
            if let Some(tag) = o.tag.as_deref().filter(|t| !t.is_empty()) {
                *count.entry(tag).or_default() += 1;
            }
        }
        dup.extend(
            count
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(t, n)| format!("{t}×{n}")),
        );
        let broker_tags: BTreeSet<String> = count.keys().map(|s| s.to_string()).collect();
        // 2. Every broker fill of the engine's orders is journalled exactly once.
        let engine_ids: BTreeSet<&str> = b
            .orders
            .iter()
            .filter(|o| o.tag.as_deref().is_some_and(|tag| tags.contains(tag)))
            .map(|o| o.order_id.0.as_str())
            .collect();
        let broker_fills: BTreeSet<String> = b
            .trades
            .iter()
            .filter(|f| engine_ids.contains(f.order_id.0.as_str()))
            .map(|f| f.trade_id.clone())
            .collect();
        let journal_fills = j.all_fills().await?;
        let journalled: BTreeSet<String> =
            journal_fills.iter().map(|f| f.trade_id.clone()).collect();
        if journalled.len() != journal_fills.len() {
            fills_bad.push(format!("{}: a fill journalled twice", b.id));
        }
        for missing in broker_fills.difference(&journalled) {
            fills_bad.push(format!("{}: broker fill {missing} not journalled", b.id));
        }
        for extra in journalled.difference(&broker_fills) {
            fills_bad.push(format!(
                "{}: journal fill {extra} unknown to the broker",
                b.id
            ));
        }
        // 3. Positions from the journal's fills equal the broker's.
        let mut mine: BTreeMap<String, i64> = BTreeMap::new();
        for f in &journal_fills {
            let q = f.quantity as i64;
            *mine.entry(f.tradingsymbol.clone()).or_default() += if f.side == TransactionType::Buy {
                q
            } else {
                -q
            };
        }
        let mut theirs: BTreeMap<String, i64> = BTreeMap::new();
        for p in &b.positions.net {
            *theirs.entry(p.tradingsymbol.clone()).or_default() += p.quantity;
        }
        mine.retain(|_, q| *q != 0);
        theirs.retain(|_, q| *q != 0);
        if mine != theirs {
            pos_bad.push(format!("{}: journal {mine:?} vs broker {theirs:?}", b.id));
        }
        // 4. Risk caps: open positions (sampled every 250 ms) and orders per minute (journal).
        let open = max_open.get(b.id).copied().unwrap_or(0);
        if open > lim.max_open_positions as usize {
            risk_bad.push(format!(
                "{}: {open} open positions > {}",
                b.id, lim.max_open_positions
            ));
        }
        // The cap counts intents the risk manager let through (one intent may take two orders,
        // e.g. a reversal; a basket's legs are one intent each), in any sliding 60 s window —
        // across the server's restarts too.
        let signals = j.signals(100_000).await?;
        let mut approved: Vec<u64> = signals
            .iter()
            .filter(|s| !matches!(s.verdict, RiskVerdict::Rejected { .. }))
            .map(|s| s.ts_ms)
            .collect();
        approved.sort_unstable();
        let per_minute = approved
            .iter()
            .enumerate()
            .map(|(i, &t0)| {
                approved[i..]
                    .iter()
                    .take_while(|&&t| t < t0 + 60_000)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if per_minute > lim.max_orders_per_minute as usize {
            risk_bad.push(format!(
                "{}: {per_minute} approved in a minute > {}",
                b.id, lim.max_orders_per_minute
            ));
        }
        // 5. An option structure enters one basket a day, restarts included. An entry is an
        // approved entry signal whose first basket (orders of the structure until its next entry
        // signal) filled on every leg.
        let mut entries: BTreeMap<(i64, chrono::NaiveDate), u32> = BTreeMap::new();
        let mut entry_signals: Vec<_> = signals
            .iter()
            .filter(|s| {
                !s.instrument.contains(':')
                    && s.side == SignalSide::Buy
                    && !matches!(s.verdict, RiskVerdict::Rejected { .. })
            })
            .collect();
        entry_signals.sort_by_key(|s| s.ts_ms);
        for (k, sig) in entry_signals.iter().enumerate() {
            let until = entry_signals[k + 1..]
                .iter()
                .find(|n| n.strategy_id == sig.strategy_id)
                .map_or(u64::MAX, |n| n.ts_ms);
            let mut orders: Vec<_> = journal_orders
                .iter()
                .filter(|o| {
                    o.strategy_id == Some(sig.strategy_id)
                        && (sig.ts_ms..until).contains(&o.created_ms)
                })
                .collect();
            orders.sort_by_key(|o| o.created_ms);
            let Some(first) = orders.first().and_then(|o| o.basket.clone()) else {
                continue;
            };
            let legs: Vec<_> = orders
                .iter()
                .filter(|o| o.basket.as_deref() == Some(first.as_str()))
                .collect();
            if legs.iter().all(|o| o.status == ExecStatus::Filled) {
                let day = chrono::DateTime::from_timestamp_millis(sig.ts_ms as i64)
                    .map(|t| (t + chrono::Duration::minutes(330)).date_naive())
                    .unwrap_or_default();
                *entries.entry((sig.strategy_id, day)).or_default() += 1;
            }
        }
        baskets.extend(
            entries
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|((sid, day), n)| {
                    format!("{}: structure {sid} entered {n} baskets on {day}", b.id)
                }),
        );
        basket_entries += entries.values().sum::<u32>();
        tags_of.push(tags);
        broker_tags_of.push(broker_tags);
    }
    // 6. No user's orders in another's account, nor in what another's dashboard showed.
    for i in 0..brokers.len() {
        for k in 0..brokers.len() {
            if i == k {
                continue;
            }
            let leaked: Vec<_> = tags_of[i].intersection(&broker_tags_of[k]).collect();
            if !leaked.is_empty() {
                cross.push(format!(
                    "{} orders at {}: {leaked:?}",
                    brokers[i].id, brokers[k].id
                ));
            }
            if let Some(text) = seen.get(k) {
                let shown: Vec<_> = tags_of[i]
                    .iter()
                    .filter(|t| text.contains(t.as_str()))
                    .collect();
                if !shown.is_empty() {
                    cross.push(format!(
                        "{}'s dashboard showed {}'s orders {shown:?}",
                        brokers[k].id, brokers[i].id
                    ));
                }
            }
        }
    }
    let check = |name, bad: Vec<String>, ok: String| Check {
        name,
        held: bad.is_empty(),
        detail: if bad.is_empty() { ok } else { bad.join("; ") },
    };
    Ok(vec![
        check(
            "no order placed twice (by tag)",
            dup,
            "every tag once".into(),
        ),
        check(
            "every broker fill journalled exactly once",
            fills_bad,
            "fills match".into(),
        ),
        check(
            "engine positions equal the broker's",
            pos_bad,
            "positions match".into(),
        ),
        check("no risk limit breached", risk_bad, "within caps".into()),
        check(
            "option structure: one basket a day",
            baskets,
            format!("{basket_entries} basket(s) entered, none twice"),
        ),
        check(
            "no user saw another's data",
            cross,
            "accounts and dashboards disjoint".into(),
        ),
    ])
}
