//! The UI's overview as data: a period's volume per day and sending provider, rates per day,
//! the matrix of mailbox provider × sending provider, the top bounce reasons and the recipient
//! domains that bounce most, all from the counters (one read per family).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::stats::{
    family_for, group_by, read_counters, sort_by_volume, By, StatsFilters, StatsQuery, StatsQueryError,
    StatsRow,
};
use crate::stats::count::{Column, Family};

/// How many reasons and domains the overview lists.
pub const TOP: usize = 10;

/// Everything the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The first day.
    pub since: NaiveDate,
    /// The last day.
    pub until: NaiveDate,
    /// Every day of the period, in order.
    pub days: Vec<String>,
    /// Sending providers, largest volume first.
    pub providers: Vec<String>,
    /// Mailbox providers, largest volume first.
    pub mailboxes: Vec<String>,
    /// Counts per (day, sending provider).
    pub by_day_provider: BTreeMap<(String, String), StatsRow>,
    /// Counts per day (all providers), one row per day of the period.
    pub by_day: Vec<StatsRow>,
    /// Counts per (mailbox provider, sending provider).
    pub matrix: BTreeMap<(String, String), StatsRow>,
    /// Counts per mailbox provider (all sending providers).
    pub by_mailbox: BTreeMap<String, StatsRow>,
    /// Counts per sending provider (all mailbox providers).
    pub by_provider: BTreeMap<String, StatsRow>,
    /// The whole period.
    pub total: StatsRow,
    /// The most frequent bounce reasons (`<status> <reason>`), with their counts.
    pub reasons: Vec<StatsRow>,
    /// The recipient domains with the most bounces.
    pub bouncing_domains: Vec<StatsRow>,
    /// Whether the reasons and domains ignore the filters (their counters do not keep them).
    pub reasons_unfiltered: bool,
}

fn row(group: String, counts: [i64; Column::ALL.len()]) -> StatsRow {
    StatsRow { group, counts }
}

fn bounces(r: &StatsRow) -> i64 {
    r.count(Column::HardBounce) + r.count(Column::SoftBounce) + r.count(Column::Rejected)
}

/// Reads and shapes the overview of a period.
pub async fn overview(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    since: NaiveDate,
    until: NaiveDate,
    filters: &StatsFilters,
) -> Result<Overview, StatsQueryError> {
    if until < since {
        return Err(StatsQueryError::Period("ends before it starts".to_owned()));
    }
    if (until - since).num_days() > super::stats::MAX_PERIOD_DAYS {
        return Err(StatsQueryError::Period(format!(
            "is longer than {} days",
            super::stats::MAX_PERIOD_DAYS
        )));
    }
    let query = StatsQuery {
        since,
        until,
        by: None,
        filters: filters.clone(),
    };
    let family = family_for(&query)?;
    let reasons_unfiltered = filters.tenant.is_some()
        || filters.config_set.is_some()
        || filters.sending_domain.is_some()
        || filters.tag.is_some();
    // The reasons and domains keep the mailbox provider (and the sending provider), not the rest.
    let side_filters = StatsFilters {
        provider: filters.provider.clone(),
        mailbox: filters.mailbox.clone(),
        ..StatsFilters::default()
    };
    let (cells, reasons, domains) = tokio::try_join!(
        read_counters(client, table, family, since, until),
        read_counters(client, table, Family::Reason, since, until),
        read_counters(client, table, Family::Domain, since, until),
    )?;
    let pairs = |by: [By; 2]| -> BTreeMap<(String, String), StatsRow> {
        group_by(family, filters, &cells, &by)
            .into_iter()
            .map(|(g, counts)| ((g[0].clone(), g[1].clone()), row(g[1].clone(), counts)))
            .collect()
    };
    let singles = |by: By| -> BTreeMap<String, StatsRow> {
        group_by(family, filters, &cells, &[by])
            .into_iter()
            .map(|(mut g, counts)| {
                let name = g.pop().unwrap_or_default();
                (name.clone(), row(name, counts))
            })
            .collect()
    };
    let by_day_provider = pairs([By::Day, By::Provider]);
    let matrix = pairs([By::Mailbox, By::Provider]);
    let by_mailbox = singles(By::Mailbox);
    let by_provider = singles(By::Provider);
    let days_counted = singles(By::Day);
    let mut days = Vec::new();
    let mut d = since;
    while d <= until {
        days.push(d.format("%Y-%m-%d").to_string());
        d += Duration::days(1);
    }
    let by_day = days
        .iter()
        .map(|day| {
            days_counted
                .get(day)
                .cloned()
                .unwrap_or_else(|| row(day.clone(), [0; Column::ALL.len()]))
        })
        .collect();
    let ordered = |map: &BTreeMap<String, StatsRow>| {
        let mut rows: Vec<StatsRow> = map.values().cloned().collect();
        sort_by_volume(&mut rows);
        rows.into_iter().map(|r| r.group).collect::<Vec<_>>()
    };
    let total = super::stats::total(&by_provider.values().cloned().collect::<Vec<_>>());
    let top = |family: Family, counters: &[super::stats::Counters], by: By| {
        let mut rows: Vec<StatsRow> = group_by(family, &side_filters, counters, &[by])
            .into_iter()
            .map(|(mut g, counts)| row(g.pop().unwrap_or_default(), counts))
            .filter(|r| bounces(r) > 0)
            .collect();
        rows.sort_by(|a, b| bounces(b).cmp(&bounces(a)).then(a.group.cmp(&b.group)));
        rows.truncate(TOP);
        rows
    };
    Ok(Overview {
        since,
        until,
        providers: ordered(&by_provider),
        mailboxes: ordered(&by_mailbox),
        days,
        by_day_provider,
        by_day,
        matrix,
        by_mailbox,
        by_provider,
        total,
        reasons: top(Family::Reason, &reasons, By::Reason),
        bouncing_domains: top(Family::Domain, &domains, By::Domain),
        reasons_unfiltered,
    })
}
