//! `mailtrail-stats`: exact counts of the events table, kept from its stream.
//!
//! Each stream record that first wrote an event item (`INSERT`: a provider's retry rewrites the
//! same item, which writes no record or a `MODIFY`) adds one to a column ([`count::Column`]) of
//! a few counter items ([`count::Family`]: day cells, hours, recipient domains, tags, bounce
//! reasons). Counts add up in a tumbling window's state ([`window`]), then the window's last
//! invocation writes each counter item once ([`crate::store::counters`]):
//! - a batch Lambda delivers again, after a failure, comes with the state before it: counted
//!   once; a batch repeated after it was counted is skipped by its sequence numbers;
//! - a window written again (its last invocation retried after some items were written) is
//!   refused item by item: each item remembers the last window mark of each shard;
//! - one busy cell is written once per window and shard, whatever the traffic, so no hot key
//!   throttles.

pub mod count;
pub mod recount;
pub mod tally;
pub mod window;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::metrics::MetricsSink;
use crate::store::counters::{self, AddReport, CounterError, CounterUpdate};
use count::{Column, Family, HOUR_KEEP_DAYS};
use tally::Tally;
use window::{Flush, WindowError};

/// Why a batch failed (the stream retries it).
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The event is not a stream batch, or its state is not this function's.
    #[error(transparent)]
    Window(#[from] WindowError),
    /// Counters could not be written.
    #[error(transparent)]
    Counters(#[from] CounterError),
}

/// The mailbox providers whose complaint rate is alarmed when none are configured.
pub const DEFAULT_ALARM_MAILBOXES: &[&str] = &["gmail", "microsoft", "yahoo", "apple"];
pub use crate::metrics::{MAILBOX_COMPLAINTS, MAILBOX_DELIVERED};

/// The counter: where counts go, and which mailbox providers get metrics of their own.
pub struct Counter {
    client: aws_sdk_dynamodb::Client,
    table: String,
    alarm_mailboxes: Vec<String>,
    metrics: MetricsSink,
    namespace: String,
}

/// What one batch did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchSummary {
    /// Records in the batch.
    pub records: usize,
    /// Records counted.
    pub counted: usize,
    /// Records counted before (a repeated batch).
    pub repeated: usize,
    /// Records that could not be read.
    pub unreadable: usize,
    /// What the write did, when there was one.
    pub written: Option<AddReport>,
}

impl Counter {
    /// A counter writing to `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Counter {
        Counter {
            client,
            table: table.into(),
            alarm_mailboxes: DEFAULT_ALARM_MAILBOXES.iter().map(|m| (*m).to_owned()).collect(),
            metrics: MetricsSink::Off,
            namespace: crate::metrics::DEFAULT_NAMESPACE.to_owned(),
        }
    }

    /// Writes metrics of deliveries and complaints for these mailbox providers (the others
    /// add up under `other`).
    pub fn with_metrics(mut self, metrics: MetricsSink, namespace: &str, mailboxes: Vec<String>) -> Counter {
        self.metrics = metrics;
        namespace.clone_into(&mut self.namespace);
        self.alarm_mailboxes = mailboxes;
        self
    }

    /// Handles one batch; the answer is Lambda's (the window's state, no item failures).
    pub async fn handle(&self, event: &Value) -> Result<(Value, BatchSummary), StatsError> {
        let plan = window::plan(event)?;
        let mut summary = BatchSummary {
            records: plan.records,
            counted: plan.counted,
            repeated: plan.repeated,
            unreadable: plan.unreadable,
            written: None,
        };
        if let Some(flush) = &plan.flush {
            let report = self.write(&plan.tally, flush).await?;
            self.emit(&plan.tally, &report);
            summary.written = Some(report);
        }
        let answer = match plan.state {
            Some(state) => json!({ "state": state, "batchItemFailures": [] }),
            None => json!({ "batchItemFailures": [] }),
        };
        Ok((answer, summary))
    }

    /// Writes a tally under a flush's mark.
    pub async fn write(&self, tally: &Tally, flush: &Flush) -> Result<AddReport, CounterError> {
        counters::add(&self.client, &self.table, updates(tally, flush)).await
    }

    /// Metrics of what was written: deliveries and complaints per alarmed mailbox provider.
    fn emit(&self, tally: &Tally, report: &AddReport) {
        if matches!(self.metrics, MetricsSink::Off) || report.applied_keys.is_empty() {
            return;
        }
        let applied: std::collections::HashSet<&(String, String)> = report.applied_keys.iter().collect();
        let mut by_mailbox: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (key, columns) in tally.rows() {
            if key.family() != Some(Family::Cell) || !applied.contains(&(key.pk.clone(), key.sk.clone())) {
                continue;
            }
            let mailbox = key.parts().get(1).copied().unwrap_or("unknown");
            let name = if self.alarm_mailboxes.iter().any(|m| m == mailbox) {
                mailbox
            } else {
                "other"
            };
            let entry = by_mailbox.entry(name.to_owned()).or_default();
            for (attribute, n) in columns {
                match count::split_attribute(attribute).map(|(_, c)| c) {
                    Some(Column::Delivered) => entry.0 += n.max(0) as u64,
                    Some(Column::Complaint) => entry.1 += n.max(0) as u64,
                    _ => {}
                }
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        let lines: Vec<String> = by_mailbox
            .into_iter()
            .map(|(mailbox, (delivered, complaints))| {
                json!({
                    "_aws": {
                        "Timestamp": now,
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": [["MailboxProvider"]],
                            "Metrics": [
                                {"Name": MAILBOX_DELIVERED, "Unit": "Count"},
                                {"Name": MAILBOX_COMPLAINTS, "Unit": "Count"}
                            ]
                        }]
                    },
                    "MailboxProvider": mailbox,
                    MAILBOX_DELIVERED: delivered,
                    MAILBOX_COMPLAINTS: complaints,
                })
                .to_string()
            })
            .collect();
        self.metrics.write(&lines);
    }
}

/// The writes of a tally under a flush's mark.
pub fn updates(tally: &Tally, flush: &Flush) -> Vec<CounterUpdate> {
    tally
        .rows()
        .map(|(key, columns)| CounterUpdate {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            counts: columns
                .into_iter()
                .map(|(name, n)| (name.to_owned(), n))
                .collect(),
            mark_name: flush.mark_name.clone(),
            mark_below: flush.mark_below.clone(),
            mark: flush.mark.clone(),
            expires_at: (key.family() == Some(Family::Hour))
                .then(|| hour_expiry(&key.pk))
                .flatten(),
        })
        .collect()
}

/// When an hour counter may go: [`HOUR_KEEP_DAYS`] after its day.
fn hour_expiry(pk: &str) -> Option<i64> {
    let day = pk.strip_prefix(Family::Hour.prefix())?;
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + (HOUR_KEEP_DAYS + 1) * 86_400)
}

#[cfg(test)]
mod tests;
