//! The counters as answers: counts of a period grouped by one dimension, with their rates and
//! the thresholds they pass. Rates and their denominators are defined here once (and in
//! docs/statistics.md):
//! - *volume*: delivered + hard bounces + soft bounces + rejected (mail that reached an outcome;
//!   mail to SES's simulator and mail the provider refused because the address was on its own
//!   suppression list are counted apart and left out);
//! - delivered, hard-bounce, soft-bounce rates: over volume;
//! - complaint, unsubscribe, open and click rates: over deliveries (opens and clicks by people
//!   only; machine opens and clicks are counted under their own names).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::stats::count::{split_attribute, Column, Family, NONE};

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum By {
    /// The sending provider (ses, sendgrid, …).
    Provider,
    /// The recipient's mailbox provider (gmail, microsoft, …).
    Mailbox,
    /// The recipient's domain.
    Domain,
    /// The From address's domain.
    SendingDomain,
    /// SES's tenant, or the webhook URL's.
    Tenant,
    /// SES's configuration set.
    ConfigSet,
    /// A provider's tag or campaign (an event with two tags counts under both).
    Tag,
    /// The UTC day.
    Day,
    /// The UTC hour (the last 14 days only).
    Hour,
    /// SMTP status and reason, of bounces and rejections.
    Reason,
}

impl By {
    /// Every dimension, as `--by` names them.
    pub const ALL: [By; 10] = [
        By::Provider,
        By::Mailbox,
        By::Domain,
        By::SendingDomain,
        By::Tenant,
        By::ConfigSet,
        By::Tag,
        By::Day,
        By::Hour,
        By::Reason,
    ];

    /// Its name in `--by` and in JSON groups.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Provider => "provider",
            By::Mailbox => "mailbox",
            By::Domain => "domain",
            By::SendingDomain => "sending-domain",
            By::Tenant => "tenant",
            By::ConfigSet => "config-set",
            By::Tag => "tag",
            By::Day => "day",
            By::Hour => "hour",
            By::Reason => "reason",
        }
    }

    /// The dimension of a name.
    pub fn from_name(name: &str) -> Option<By> {
        By::ALL.into_iter().find(|b| b.as_str() == name)
    }
}

/// Which counters count: values a row must have (each `None` lets every value through).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsFilters {
    /// Only this sending provider.
    pub provider: Option<String>,
    /// Only this mailbox provider.
    pub mailbox: Option<String>,
    /// Only this sending domain.
    pub sending_domain: Option<String>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this configuration set.
    pub config_set: Option<String>,
    /// Only this tag.
    pub tag: Option<String>,
    /// Only this recipient domain.
    pub domain: Option<String>,
}

/// A question for the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    /// The first day (UTC), included.
    pub since: NaiveDate,
    /// The last day (UTC), included.
    pub until: NaiveDate,
    /// The dimension rows are grouped by (`None`: one row, the total).
    pub by: Option<By>,
    /// Which counters count.
    pub filters: StatsFilters,
}

/// Why a question cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum StatsQueryError {
    /// A filter the dimension's counters do not keep.
    #[error("{filter} cannot be combined with {with} (its counters do not keep it)")]
    Unsupported {
        /// The filter.
        filter: &'static str,
        /// What it was combined with.
        with: &'static str,
    },
    /// The period ends before it starts, or is longer than the counters are kept.
    #[error("the period {0}")]
    Period(String),
    /// The counters could not be read.
    #[error(transparent)]
    Read(#[from] crate::store::counters::CounterError),
}

/// One row: its group and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRow {
    /// The dimension's value (empty for the total).
    pub group: String,
    /// Counts, by column.
    pub counts: [i64; Column::ALL.len()],
}

/// A rate, its threshold and what passing it means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// The rate's name.
    pub rate: &'static str,
    /// The rate.
    pub value: f64,
    /// The threshold it reached.
    pub threshold: f64,
    /// Whose line it is.
    pub line: &'static str,
}

/// The lines rates are held against, highest first within a rate.
pub const LINES: &[(&str, f64, &str)] = &[
    ("hard_bounce", 0.10, "SES pauses sending at 10 % bounces"),
    ("hard_bounce", 0.05, "SES reviews the account at 5 % bounces"),
    ("complaint", 0.005, "SES pauses sending at 0.5 % complaints"),
    ("complaint", 0.003, "Gmail and Yahoo: never reach 0.3 % spam"),
    ("complaint", 0.001, "SES reviews the account at 0.1 % complaints"),
];

/// The longest period a question may cover (twenty years: a read per month and family).
pub const MAX_PERIOD_DAYS: i64 = 7_305;

/// The smallest denominator a rate is flagged on: below it a rate is noise.
pub const DEFAULT_MIN_VOLUME: i64 = 100;

impl StatsRow {
    /// One count.
    pub fn count(&self, column: Column) -> i64 {
        self.counts[column.index()]
    }

    /// Mail that reached an outcome: the denominator of the delivery and bounce rates.
    pub fn volume(&self) -> i64 {
        self.count(Column::Delivered)
            + self.count(Column::HardBounce)
            + self.count(Column::SoftBounce)
            + self.count(Column::Rejected)
    }

    /// Every rate, by name (absent when its denominator is zero).
    pub fn rates(&self) -> Vec<(&'static str, Option<f64>)> {
        let ratio = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
        let volume = self.volume();
        let delivered = self.count(Column::Delivered);
        vec![
            ("delivered", ratio(delivered, volume)),
            ("hard_bounce", ratio(self.count(Column::HardBounce), volume)),
            ("soft_bounce", ratio(self.count(Column::SoftBounce), volume)),
            ("complaint", ratio(self.count(Column::Complaint), delivered)),
            ("unsubscribe", ratio(self.count(Column::Unsubscribe), delivered)),
            ("open", ratio(self.count(Column::Open), delivered)),
            ("click", ratio(self.count(Column::Click), delivered)),
        ]
    }

    /// The rate of one name.
    pub fn rate(&self, name: &str) -> Option<f64> {
        self.rates()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, r)| r)
    }

    /// Each rate past a line (the highest line it reached), when its denominator is at least
    /// `min_volume`.
    pub fn flags(&self, min_volume: i64) -> Vec<Flag> {
        let mut flags: Vec<Flag> = Vec::new();
        for (rate, threshold, line) in LINES {
            let denominator = if *rate == "complaint" {
                self.count(Column::Delivered)
            } else {
                self.volume()
            };
            if denominator < min_volume || flags.iter().any(|f| f.rate == *rate) {
                continue;
            }
            if let Some(value) = self.rate(rate).filter(|v| *v >= *threshold) {
                flags.push(Flag {
                    rate,
                    value,
                    threshold: *threshold,
                    line,
                });
            }
        }
        flags
    }
}

/// Where in a family's sort key each dimension is (the day or hour first; the mailbox provider
/// second in every family; the sending provider is in the attribute names).
struct Layout {
    sending_domain: Option<usize>,
    config_set: Option<usize>,
    tenant: Option<usize>,
    domain: Option<usize>,
    tag: Option<usize>,
    reason: Option<(usize, usize)>,
}

/// The mailbox provider's place in every family's sort key.
const MAILBOX: usize = 1;

fn layout(family: Family) -> Layout {
    let base = Layout {
        sending_domain: None,
        config_set: None,
        tenant: None,
        domain: None,
        tag: None,
        reason: None,
    };
    match family {
        Family::Cell => Layout {
            sending_domain: Some(2),
            config_set: Some(3),
            tenant: Some(4),
            ..base
        },
        Family::Hour => base,
        Family::Domain => Layout {
            domain: Some(2),
            ..base
        },
        Family::Tag => Layout { tag: Some(2), ..base },
        Family::Reason => Layout {
            reason: Some((2, 3)),
            ..base
        },
    }
}

/// The family that answers a question.
pub fn family_for(query: &StatsQuery) -> Result<Family, StatsQueryError> {
    let f = &query.filters;
    let family = match query.by {
        Some(By::Domain) => Family::Domain,
        Some(By::Tag) => Family::Tag,
        Some(By::Hour) => Family::Hour,
        Some(By::Reason) => Family::Reason,
        _ if f.tag.is_some() => Family::Tag,
        _ if f.domain.is_some() => Family::Domain,
        _ => Family::Cell,
    };
    let layout = layout(family);
    let with = query.by.map_or(
        match family {
            Family::Tag => "--tag",
            Family::Domain => "--domain",
            _ => "",
        },
        |b| match b {
            By::Domain => "--by domain",
            By::Tag => "--by tag",
            By::Hour => "--by hour",
            By::Reason => "--by reason",
            _ => "",
        },
    );
    for (filter, set, kept) in [
        (
            "--sending-domain",
            f.sending_domain.is_some(),
            layout.sending_domain.is_some(),
        ),
        (
            "--config-set",
            f.config_set.is_some(),
            layout.config_set.is_some(),
        ),
        ("--tenant", f.tenant.is_some(), layout.tenant.is_some()),
        ("--tag", f.tag.is_some(), layout.tag.is_some()),
        ("--domain", f.domain.is_some(), layout.domain.is_some()),
    ] {
        if set && !kept {
            return Err(StatsQueryError::Unsupported { filter, with });
        }
    }
    for by in [By::SendingDomain, By::ConfigSet, By::Tenant] {
        if query.by == Some(by) && family != Family::Cell {
            return Err(StatsQueryError::Unsupported {
                filter: "--tag or --domain",
                with: by.as_str(),
            });
        }
    }
    Ok(family)
}

/// Reads the counters a question needs: `(sort key, counts)` of every item of its family in
/// the period, the partitions read at once.
pub async fn read_counters(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    family: Family,
    since: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Counters>, crate::store::counters::CounterError> {
    use futures_util::{StreamExt, TryStreamExt};
    let parts: Vec<Vec<_>> = futures_util::stream::iter(family.ranges(since, until))
        .map(|(pk, from, to)| async move {
            crate::store::counters::read_range(client, table, &pk, &from, &to)
                .await
                .map(|rows| {
                    if family == Family::Hour {
                        // An hour's key starts with the hour: put the day in front.
                        let day = pk.trim_start_matches(Family::Hour.prefix()).to_owned();
                        rows.into_iter()
                            .map(|(sk, c)| (format!("{day}T{sk}"), c))
                            .collect()
                    } else {
                        rows
                    }
                })
        })
        .buffered(16)
        .try_collect()
        .await?;
    Ok(parts.into_iter().flatten().collect())
}

/// Answers a question from the statistics table: one row per group, largest volume first.
pub async fn stats(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    query: &StatsQuery,
) -> Result<Vec<StatsRow>, StatsQueryError> {
    if query.until < query.since {
        return Err(StatsQueryError::Period("ends before it starts".to_owned()));
    }
    if (query.until - query.since).num_days() > MAX_PERIOD_DAYS {
        return Err(StatsQueryError::Period(format!(
            "is longer than {MAX_PERIOD_DAYS} days"
        )));
    }
    let family = family_for(query)?;
    let counters = read_counters(client, table, family, query.since, query.until).await?;
    Ok(group_rows(family, query, &counters))
}

/// Groups counter items into rows, largest volume first (days and hours in order).
pub fn group_rows(family: Family, query: &StatsQuery, counters: &[Counters]) -> Vec<StatsRow> {
    let by: Vec<By> = query.by.into_iter().collect();
    let mut rows: Vec<StatsRow> = group_by(family, &query.filters, counters, &by)
        .into_iter()
        .map(|(mut group, counts)| StatsRow {
            group: group.pop().unwrap_or_default(),
            counts,
        })
        .collect();
    if !matches!(query.by, Some(By::Day | By::Hour)) {
        sort_by_volume(&mut rows);
    }
    rows
}

/// Largest volume first, then most events, then by name.
pub fn sort_by_volume(rows: &mut [StatsRow]) {
    rows.sort_by(|a, b| {
        let total = |r: &StatsRow| r.counts.iter().sum::<i64>();
        b.volume()
            .cmp(&a.volume())
            .then(total(b).cmp(&total(a)))
            .then(a.group.cmp(&b.group))
    });
}

/// A counter item as read: its sort key (the day first) and counts by attribute.
pub type Counters = (String, std::collections::HashMap<String, i64>);

/// Counts of the items that pass `filters`, grouped by the values of `by` (one value per
/// dimension, in order).
pub fn group_by(
    family: Family,
    filters: &StatsFilters,
    counters: &[Counters],
    by: &[By],
) -> BTreeMap<Vec<String>, [i64; Column::ALL.len()]> {
    let layout = layout(family);
    let f = filters;
    let mut groups: BTreeMap<Vec<String>, [i64; Column::ALL.len()]> = BTreeMap::new();
    for (sk, counts) in counters {
        let parts: Vec<&str> = sk.split(crate::stats::count::SEPARATOR).collect();
        let part = |i: Option<usize>| i.and_then(|i| parts.get(i).copied()).unwrap_or(NONE);
        let keep = |want: &Option<String>, i: Option<usize>| want.as_deref().is_none_or(|w| part(i) == w);
        if !(keep(&f.mailbox, Some(MAILBOX))
            && keep(&f.sending_domain, layout.sending_domain)
            && keep(&f.config_set, layout.config_set)
            && keep(&f.tenant, layout.tenant)
            && keep(&f.domain, layout.domain)
            && keep(&f.tag, layout.tag))
        {
            continue;
        }
        for (name, n) in counts {
            let Some((provider, column)) = split_attribute(name) else {
                continue;
            };
            if f.provider.as_deref().is_some_and(|p| p != provider) {
                continue;
            }
            let group: Vec<String> = by
                .iter()
                .map(|b| match b {
                    By::Provider => provider.to_owned(),
                    By::Mailbox => part(Some(MAILBOX)).to_owned(),
                    By::Domain => part(layout.domain).to_owned(),
                    By::SendingDomain => part(layout.sending_domain).to_owned(),
                    By::Tenant => part(layout.tenant).to_owned(),
                    By::ConfigSet => part(layout.config_set).to_owned(),
                    By::Tag => part(layout.tag).to_owned(),
                    By::Day => parts.first().map_or("", |d| &d[..d.len().min(10)]).to_owned(),
                    By::Hour => parts.first().map_or(String::new(), |h| format!("{h}:00Z")),
                    By::Reason => layout
                        .reason
                        .map(|(s, r)| format!("{} {}", part(Some(s)), part(Some(r))))
                        .unwrap_or_default(),
                })
                .collect();
            groups.entry(group).or_insert([0; Column::ALL.len()])[column.index()] += n;
        }
    }
    groups
}

/// The sum of rows.
pub fn total(rows: &[StatsRow]) -> StatsRow {
    let mut counts = [0; Column::ALL.len()];
    for row in rows {
        for (a, b) in counts.iter_mut().zip(row.counts) {
            *a += b;
        }
    }
    StatsRow {
        group: "total".to_owned(),
        counts,
    }
}
