//! Counting again from the events table's items (what the counters should say), comparing that
//! with the counters, and replacing a day's counters with the recount.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::NaiveDate;

use super::count::{counted, split_attribute, CounterKey, Family};
use super::tally::Tally;
use crate::store::counters::{self, CounterError, CounterUpdate};

/// The attributes a recount reads of each item.
const PROJECTION: &[&str] = &[
    "pk",
    "provider",
    "event",
    "occurred_at",
    "received_at",
    "bounce_class",
    "machine",
    "simulator",
    "provider_suppressed",
    "mailbox",
    "recipient",
    "sending_domain",
    "config_set",
    "tenant",
    "tags",
    "smtp_status",
    "reason",
];
/// Parallel scan segments.
const SEGMENTS: i32 = 4;

/// Which days a recount covers; hours only from `hours_since` (older ones are gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first day, included.
    pub since: NaiveDate,
    /// The last day, included.
    pub until: NaiveDate,
    /// The first day whose hours are still kept.
    pub hours_since: NaiveDate,
}

impl Period {
    /// Whether a counter key falls in the period.
    pub fn holds(&self, key: &CounterKey) -> bool {
        let Ok(day) = NaiveDate::parse_from_str(key.day(), "%Y-%m-%d") else {
            return false;
        };
        let first = if key.family() == Some(Family::Hour) {
            self.since.max(self.hours_since)
        } else {
            self.since
        };
        day >= first && day <= self.until
    }
}

/// Counts every event item of the table again (a parallel scan), calling `progress` with the
/// items read so far after each page.
pub async fn recount(
    client: &Client,
    events_table: &str,
    period: Period,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Tally, CounterError> {
    let read = std::sync::atomic::AtomicU64::new(0);
    let segments = (0..SEGMENTS).map(|segment| {
        let read = &read;
        async move {
            let mut tally = Tally::default();
            let mut names = HashMap::new();
            let projection: Vec<String> = PROJECTION
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    names.insert(format!("#a{i}"), (*name).to_owned());
                    format!("#a{i}")
                })
                .collect();
            let mut pages = client
                .scan()
                .table_name(events_table)
                .segment(segment)
                .total_segments(SEGMENTS)
                .projection_expression(projection.join(","))
                .set_expression_attribute_names(Some(names))
                .into_paginator()
                .send();
            while let Some(page) = pages
                .try_next()
                .await
                .map_err(|e| CounterError::Read(aws_sdk_dynamodb::Error::from(e).to_string()))?
            {
                for item in page.items() {
                    add_item(&mut tally, item, &period);
                }
                let so_far = read.fetch_add(page.items().len() as u64, std::sync::atomic::Ordering::Relaxed)
                    + page.items().len() as u64;
                progress(so_far);
            }
            Ok::<Tally, CounterError>(tally)
        }
    });
    let mut total = Tally::default();
    for tally in futures_util::future::try_join_all(segments).await? {
        total.merge(tally);
    }
    Ok(total)
}

/// Adds what one item counts, within the period.
pub fn add_item(tally: &mut Tally, item: &HashMap<String, AttributeValue>, period: &Period) {
    if let Some(mut c) = counted(item) {
        c.keys.retain(|k| period.holds(k));
        tally.add(&c);
    }
}

/// The counters kept for a period, as a tally (every family).
pub async fn stored(client: &Client, stats_table: &str, period: Period) -> Result<Tally, CounterError> {
    let mut tally = Tally::default();
    for family in Family::ALL {
        let since = if family == Family::Hour {
            period.since.max(period.hours_since)
        } else {
            period.since
        };
        if since > period.until {
            continue;
        }
        for (pk, from, to) in family.ranges(since, period.until) {
            for (sk, counts) in counters::read_range(client, stats_table, &pk, &from, &to).await? {
                let key = CounterKey { pk: pk.clone(), sk };
                for (name, n) in counts {
                    if split_attribute(&name).is_some() {
                        tally.add_n(key.clone(), &name, n);
                    }
                }
            }
        }
    }
    Ok(tally)
}

/// One count that differs between the counters and a recount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// The counter item's partition key.
    pub pk: String,
    /// Its sort key.
    pub sk: String,
    /// The attribute (`<provider>.<column>`).
    pub column: String,
    /// What the counter says.
    pub counted: i64,
    /// What the items say.
    pub recounted: i64,
}

/// Every difference between the counters and a recount, in key order.
pub fn differences(stored: &Tally, recount: &Tally) -> Vec<Difference> {
    let keys: std::collections::BTreeSet<&CounterKey> = stored.keys().chain(recount.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let names: std::collections::BTreeSet<&str> =
            stored.attributes(key).chain(recount.attributes(key)).collect();
        for name in names {
            let (a, b) = (stored.get(key, name), recount.get(key, name));
            if a != b {
                out.push(Difference {
                    pk: key.pk.clone(),
                    sk: key.sk.clone(),
                    column: name.to_owned(),
                    counted: a,
                    recounted: b,
                });
            }
        }
    }
    out
}

/// Replaces one day's counters (every family) with the recount's: the day's items are deleted,
/// then the recount's are written. Returns how many counter items the day now has.
pub async fn replace_day(
    client: &Client,
    stats_table: &str,
    day: NaiveDate,
    recount: &Tally,
) -> Result<usize, CounterError> {
    let text = day.format("%Y-%m-%d").to_string();
    let mut old = Vec::new();
    for family in Family::ALL {
        for (pk, from, to) in family.ranges(day, day) {
            for (sk, _) in counters::read_range(client, stats_table, &pk, &from, &to).await? {
                old.push((pk.clone(), sk));
            }
        }
    }
    counters::delete(client, stats_table, old).await?;
    let flush = super::window::Flush {
        mark_name: REBUILT.to_owned(),
        mark_below: "1".to_owned(),
        mark: "1".to_owned(),
    };
    let mut day_tally = Tally::default();
    for (key, counts) in recount.rows().filter(|(k, _)| k.day() == text) {
        for (name, n) in counts {
            day_tally.add_n(key.clone(), name, n);
        }
    }
    let updates: Vec<CounterUpdate> = super::updates(&day_tally, &flush);
    let written = updates.len();
    counters::add(client, stats_table, updates).await?;
    Ok(written)
}

/// The mark a rebuilt item carries.
const REBUILT: &str = "w_rebuilt";

/// The days a tally counts, in order.
pub fn days(tally: &Tally) -> Vec<String> {
    let days: BTreeMap<&str, ()> = tally.keys().map(|k| (k.day(), ())).collect();
    days.into_keys().map(str::to_owned).collect()
}
