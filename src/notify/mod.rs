//! `mailtrail-notify`: the suppression table's stream → one EventBridge event per verdict
//! change, so the sending app learns of a new suppression without polling.
//!
//! Each stream record's images before and after are read into records, judged with the same
//! verdict code the command uses ([`crate::suppression::change`]), and a change becomes an
//! `Address Suppressed` / `Address Unsuppressed` event with a stable `event_id` and the
//! record's `version` (EventBridge does not keep order: consumers keep the highest version per
//! address). A record whose verdict did not change sends nothing.
//!
//! The answer is a partial batch response: the first record that could not be read or whose
//! event could not be put is named, the ones before it are done, and the stream retries from
//! it (finally handing it to the on-failure queue; `mailtrail suppressed notify --since` sends
//! the current verdicts again). Delivery is at least once; consumers deduplicate by `event_id`.
//!
//! Opt-in (`PUSH_SUPPRESSIONS_TO_SES=true`): each hard bounce or complaint a change adds is
//! also put on SES's account-level suppression list. A failed push never fails the batch: it
//! is logged and counted (`NotifyPushFailures`, alarmed), and `mailtrail suppressed push --to
//! ses` reconciles it.

pub mod publish;
pub mod stream;

use aws_sdk_sesv2::types::SuppressionListReason;
use serde::Serialize;
use serde_json::Value;

use crate::metrics::MetricsSink;
use crate::suppression::change::{verdict_change, VerdictChange};
use publish::{put_all, Entry, EventSink, PublishError};
use stream::StreamError;

/// Why a batch failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The event is not a stream batch.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// Events could not be put.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// A change could not be serialized (never expected).
    #[error("a change could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The configuration is incomplete.
    #[error("{0}")]
    Config(String),
}

/// What one batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct NotifySummary {
    /// Stream records read.
    pub records: usize,
    /// Verdict changes put as events.
    pub events: usize,
    /// Addresses put on SES's list (opt-in).
    pub pushed_to_ses: usize,
    /// Pushes to SES's list that failed (left for `suppressed push --to ses`).
    pub push_failures: usize,
    /// The sequence number of the first record not done (the stream retries from it), if any.
    pub failed_record: Option<String>,
}

/// The metric names the notifier writes (defined with the function's, in [`crate::metrics`]).
pub mod metric {
    pub use crate::metrics::{
        NOTIFY_EVENTS_PUT as EVENTS_PUT, NOTIFY_FAILED_RECORDS as FAILED_RECORDS,
        NOTIFY_PUSHED_TO_SES as PUSHED_TO_SES, NOTIFY_PUSH_FAILURES as PUSH_FAILURES,
    };
}

/// The notifier: where events go, SES's list when the push is on, where metrics go.
pub struct Notifier {
    sink: Box<dyn EventSink>,
    ses: Option<aws_sdk_sesv2::Client>,
    metrics: MetricsSink,
    namespace: String,
}

impl Notifier {
    /// A notifier putting events on `sink`, pushing to SES's list when `ses` is given, writing
    /// no metrics.
    pub fn new(sink: Box<dyn EventSink>, ses: Option<aws_sdk_sesv2::Client>) -> Notifier {
        Notifier {
            sink,
            ses,
            metrics: MetricsSink::Off,
            namespace: crate::metrics::DEFAULT_NAMESPACE.to_owned(),
        }
    }

    /// The same, writing EMF metrics to `metrics` under `namespace`.
    pub fn with_metrics(mut self, metrics: MetricsSink, namespace: &str) -> Notifier {
        self.metrics = metrics;
        namespace.clone_into(&mut self.namespace);
        self
    }

    /// Handles one stream batch: `Err` only when the event is not a stream batch at all.
    pub async fn handle(&self, event: &Value) -> Result<NotifySummary, NotifyError> {
        let records = stream::changes(event)?;
        let mut summary = NotifySummary {
            records: records.len(),
            ..NotifySummary::default()
        };
        // The records before the first unreadable one; each verdict change with its record.
        let mut verdicts: Vec<(String, VerdictChange)> = Vec::new();
        let mut unreadable = None;
        for record in records {
            match record {
                Ok(change) => {
                    if let Some(verdict) = verdict_change(change.before.as_ref(), change.after.as_ref()) {
                        verdicts.push((change.sequence_number, verdict));
                    }
                }
                Err(error) => {
                    tracing::error!(error = %error, "a stream record could not be read; the stream retries from it");
                    unreadable = Some(error.sequence_number.unwrap_or_default());
                    break;
                }
            }
        }
        let entries = verdicts
            .iter()
            .map(|(_, change)| {
                Ok(Entry {
                    detail_type: change.detail_type(),
                    detail: serde_json::to_string(change)?,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        let put = match put_all(self.sink.as_ref(), entries).await {
            Ok(put) => put,
            Err(unput) => {
                tracing::error!(error = %crate::base::logging::chain(&unput), "events could not be put; the stream retries from the first");
                unreadable = Some(verdicts[unput.first].0.clone());
                unput.first
            }
        };
        summary.events = put;
        summary.failed_record = unreadable;
        if let Some(ses) = &self.ses {
            for (_, change) in &verdicts[..put] {
                let Some(reason) = ses_reason(&change.added_bounce_or_complaint()) else {
                    continue;
                };
                let pushed = ses
                    .put_suppressed_destination()
                    .email_address(&change.address)
                    .reason(reason)
                    .send()
                    .await;
                match pushed {
                    Ok(_) => summary.pushed_to_ses += 1,
                    Err(error) => {
                        summary.push_failures += 1;
                        tracing::error!(
                            address = %crate::base::mask::mask_emails(&change.address),
                            error = %aws_sdk_sesv2::error::DisplayErrorContext(error),
                            "pushing to SES's suppression list failed; `mailtrail suppressed push --to ses` reconciles it"
                        );
                    }
                }
            }
        }
        self.metrics.write(&[crate::metrics::counts_line(
            &self.namespace,
            crate::model::Timestamp::now().millis(),
            &[
                (metric::EVENTS_PUT, summary.events as u64),
                (metric::FAILED_RECORDS, u64::from(summary.failed_record.is_some())),
                (metric::PUSHED_TO_SES, summary.pushed_to_ses as u64),
                (metric::PUSH_FAILURES, summary.push_failures as u64),
            ],
        )]);
        tracing::info!(
            records = summary.records,
            events = summary.events,
            pushed_to_ses = summary.pushed_to_ses,
            push_failures = summary.push_failures,
            failed = summary.failed_record.is_some(),
            "suppression changes published"
        );
        Ok(summary)
    }
}

/// The partial batch response Lambda reads from a stream function: the record to retry from.
pub fn batch_response(summary: &NotifySummary) -> aws_lambda_events::event::streams::DynamoDbEventResponse {
    let mut response = aws_lambda_events::event::streams::DynamoDbEventResponse::default();
    if let Some(sequence_number) = &summary.failed_record {
        let mut failure = aws_lambda_events::event::streams::DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number.clone());
        response.batch_item_failures.push(failure);
    }
    response
}

/// `PUSH_SUPPRESSIONS_TO_SES`: `true` or `false` (default).
pub fn push_to_ses_from(value: Option<&str>) -> Result<bool, NotifyError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        other => Err(NotifyError::Config(format!(
            "PUSH_SUPPRESSIONS_TO_SES must be true or false, not {other:?}"
        ))),
    }
}

/// SES's reason for a set of the list's reasons: COMPLAINT when there is a complaint, BOUNCE
/// for a hard bounce (SES keeps one reason an address); `None` when only reasons SES's list
/// cannot hold are there. The command's `push --to ses` and the notifier's opt-in push both
/// choose with it.
pub fn ses_reason(reasons: &[&str]) -> Option<SuppressionListReason> {
    use crate::suppression::Reason;
    if reasons.contains(&Reason::Complaint.as_str()) {
        Some(SuppressionListReason::Complaint)
    } else if reasons.contains(&Reason::HardBounce.as_str()) {
        Some(SuppressionListReason::Bounce)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::AttributeValue;

    use super::publish::tests::MemorySink;
    use super::*;
    use crate::model::Timestamp;
    use crate::suppression::{Evidence, Mark, Reason, Record};

    fn item(record: &Record) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([(
            crate::store::suppression::ADDRESS.to_owned(),
            AttributeValue::S(record.address.clone()),
        )]);
        for (slot, value) in &record.slots {
            item.insert(slot.clone(), crate::store::suppression::slot_attribute(value));
        }
        if record.version > 0 {
            item.insert(
                crate::store::suppression::VERSION.to_owned(),
                AttributeValue::N(record.version.to_string()),
            );
        }
        if let Some(at) = &record.updated_at {
            item.insert(
                crate::store::suppression::UPDATED_AT.to_owned(),
                AttributeValue::S(at.clone()),
            );
        }
        item
    }

    fn bounce(at: &str) -> Evidence {
        Evidence {
            address: "ann@example.com".to_owned(),
            mark: Mark::Suppress(Reason::HardBounce),
            at: Timestamp::parse_rfc3339(at).unwrap(),
            key: format!("sendgrid#{at}"),
            provider: Some(crate::model::Provider::SendGrid),
            event: "bounce".to_owned(),
            message_id: Some("m1".to_owned()),
            provider_evidence: false,
            ambiguous: false,
            note: None,
            by: None,
        }
    }

    fn records_after(evidence: &[Evidence]) -> Record {
        Record::of("ann@example.com", evidence)
    }

    fn batch(pairs: &[(Option<&Record>, Option<&Record>)]) -> Value {
        let records: Vec<Value> = pairs
            .iter()
            .enumerate()
            .map(|(i, (before, after))| {
                stream::stream_record(
                    i as u64 + 1,
                    before.map(item).as_ref(),
                    after.map(item).as_ref(),
                    "arn:aws:dynamodb:us-east-1:123456789012:table/s",
                )
            })
            .collect();
        serde_json::json!({ "Records": records })
    }

    #[tokio::test(start_paused = true)]
    async fn only_changed_verdicts_become_events_with_their_shape() {
        let first = records_after(&[bounce("2026-01-01T00:00:00Z")]);
        let second = records_after(&[bounce("2026-01-01T00:00:00Z"), bounce("2026-02-01T00:00:00Z")]);
        let sink = MemorySink::default();
        let notifier = Notifier::new(Box::new(sink), None);
        let event = batch(&[(None, Some(&first)), (Some(&first), Some(&second))]);
        let summary = notifier.handle(&event).await.unwrap();
        assert_eq!(
            summary,
            NotifySummary {
                records: 2,
                events: 1,
                ..NotifySummary::default()
            }
        );
        assert!(batch_response(&summary).batch_item_failures.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_batch_puts_nothing_and_fails_nothing() {
        let notifier = Notifier::new(Box::new(MemorySink::default()), None);
        let summary = notifier
            .handle(&serde_json::json!({"Records": []}))
            .await
            .unwrap();
        assert_eq!(summary, NotifySummary::default());
        assert!(batch_response(&summary).batch_item_failures.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_retried_batch_puts_events_with_the_same_ids() {
        let after = records_after(&[bounce("2026-01-01T00:00:00Z")]);
        let event = batch(&[(None, Some(&after))]);
        let mut ids = Vec::new();
        for _ in 0..2 {
            let sink = std::sync::Arc::new(MemorySink::default());
            struct Shared(std::sync::Arc<MemorySink>);
            impl EventSink for Shared {
                fn put<'a>(&'a self, entries: &'a [Entry]) -> publish::PutFuture<'a> {
                    self.0.put(entries)
                }
            }
            let notifier = Notifier::new(Box::new(Shared(sink.clone())), None);
            notifier.handle(&event).await.unwrap();
            let put = sink.put.lock().unwrap();
            let detail: Value = serde_json::from_str(&put[0].detail).unwrap();
            assert_eq!(put[0].detail_type, "Address Suppressed");
            assert_eq!(detail["address"], "ann@example.com");
            assert_eq!(detail["changed"]["added"], serde_json::json!(["hard_bounce"]));
            assert_eq!(detail["evidence"][0]["reason"], "hard_bounce");
            ids.push(detail["event_id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids[0], ids[1]);
    }

    #[test]
    fn the_push_switch_reads_true_or_false_only() {
        assert!(!push_to_ses_from(None).unwrap());
        assert!(push_to_ses_from(Some("true")).unwrap());
        assert!(!push_to_ses_from(Some("false")).unwrap());
        assert!(push_to_ses_from(Some("maybe")).is_err());
    }

    fn versioned(evidence: &[Evidence], version: u64) -> Record {
        let mut record = records_after(evidence);
        record.version = version;
        record
    }

    /// A sink that fails every entry whose detail holds `marker`, every time.
    struct FailingSink {
        marker: &'static str,
        put: std::sync::Arc<std::sync::Mutex<Vec<Entry>>>,
    }

    impl EventSink for FailingSink {
        fn put<'a>(&'a self, entries: &'a [Entry]) -> publish::PutFuture<'a> {
            Box::pin(async move {
                Ok(entries
                    .iter()
                    .map(|e| {
                        if e.detail.contains(self.marker) {
                            Some("InternalFailure".to_owned())
                        } else {
                            self.put.lock().unwrap().push(e.clone());
                            None
                        }
                    })
                    .collect())
            })
        }
    }

    /// A notifier whose sink fails the entries holding `marker`, and what it put.
    fn failing_on(marker: &'static str) -> (Notifier, std::sync::Arc<std::sync::Mutex<Vec<Entry>>>) {
        let put = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = FailingSink {
            marker,
            put: put.clone(),
        };
        (Notifier::new(Box::new(sink), None), put)
    }

    #[tokio::test(start_paused = true)]
    async fn each_event_carries_the_records_version_for_consumers_to_order() {
        let (notifier, sink) = failing_on("never");
        let mut first = versioned(&[bounce("2026-01-01T00:00:00Z")], 7);
        first.updated_at = Some("2026-01-01T00:00:01.000Z".to_owned());
        notifier.handle(&batch(&[(None, Some(&first))])).await.unwrap();
        let detail: Value = serde_json::from_str(&sink.lock().unwrap()[0].detail).unwrap();
        assert_eq!(detail["version"], 7);
        assert_eq!(detail["updated_at"], "2026-01-01T00:00:01.000Z");
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_record_not_done_is_answered_and_those_before_it_are_put() {
        let other = |address: &str, version: u64| {
            let mut record = versioned(&[bounce("2026-01-01T00:00:00Z")], version);
            record.address = address.to_owned();
            record
        };
        let (a, b, c) = (other("a@x.io", 1), other("b@x.io", 1), other("c@x.io", 1));
        let event = batch(&[(None, Some(&a)), (None, Some(&b)), (None, Some(&c))]);
        let (notifier, _put) = failing_on("b@x.io");
        let summary = notifier.handle(&event).await.unwrap();
        assert_eq!(summary.events, 1, "a@x.io was put");
        assert_eq!(summary.failed_record.as_deref(), Some("000000000000000000002"));
        let response = batch_response(&summary);
        assert_eq!(
            response.batch_item_failures[0].item_identifier.as_deref(),
            Some("000000000000000000002")
        );
        // An unreadable record: the ones before it are put, it is answered.
        let mut event = batch(&[(None, Some(&a)), (None, Some(&c))]);
        event["Records"][1]["dynamodb"]["NewImage"]["address"] = serde_json::json!({"X": 1});
        let (notifier, _sink) = failing_on("never");
        let summary = notifier.handle(&event).await.unwrap();
        assert_eq!(
            (summary.events, summary.failed_record.as_deref()),
            (1, Some("000000000000000000002"))
        );
        assert!(notifier.handle(&serde_json::json!({"detail": {}})).await.is_err());
    }

    #[tokio::test]
    async fn a_failed_push_to_ses_never_fails_the_batch() {
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
            .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
                "a", "b", None, None, "test",
            ))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled())
            .build();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let notifier = Notifier::new(
            Box::new(publish::tests::MemorySink::default()),
            Some(aws_sdk_sesv2::Client::from_conf(config)),
        )
        .with_metrics(MetricsSink::Memory(lines.clone()), "test");
        let after = versioned(&[bounce("2026-01-01T00:00:00Z")], 1);
        let summary = notifier.handle(&batch(&[(None, Some(&after))])).await.unwrap();
        assert_eq!(
            (summary.events, summary.pushed_to_ses, summary.push_failures),
            (1, 0, 1)
        );
        assert!(summary.failed_record.is_none());
        let line: Value = serde_json::from_str(&lines.lock().unwrap()[0]).unwrap();
        assert_eq!(line[metric::PUSH_FAILURES], 1);
        assert_eq!(line[metric::EVENTS_PUT], 1);
        crate::metrics::tests::assert_valid_emf(&lines.lock().unwrap()[0]);
    }
}
