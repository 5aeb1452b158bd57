//! `mailtrail-notify`: the suppression table's stream → one EventBridge event per verdict
//! change, so the sending app learns of a new suppression without polling.
//!
//! Each stream record's images before and after are read into records, judged with the same
//! verdict code the command uses ([`crate::suppression::change`]), and a change becomes an
//! `Address Suppressed` / `Address Unsuppressed` event with a stable `event_id`. A record whose
//! verdict did not change sends nothing. Any failure fails the invocation: the stream retries,
//! splits the batch, and finally hands it to the on-failure queue. Delivery is at least once;
//! consumers deduplicate by `event_id`.
//!
//! Opt-in (`PUSH_SUPPRESSIONS_TO_SES=true`): each hard bounce or complaint a change adds is
//! also put on SES's account-level suppression list.

pub mod publish;
pub mod stream;

use aws_sdk_sesv2::types::SuppressionListReason;
use serde::Serialize;
use serde_json::Value;

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
    /// SES refused or failed a `PutSuppressedDestination`.
    #[error("pushing to SES's suppression list failed: {0}")]
    SesPush(String),
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
    /// Verdict changes found (= events put).
    pub events: usize,
    /// Addresses put on SES's list (opt-in).
    pub pushed_to_ses: usize,
}

/// The notifier: where events go, and SES's list when the push is on.
pub struct Notifier {
    sink: Box<dyn EventSink>,
    ses: Option<aws_sdk_sesv2::Client>,
}

impl Notifier {
    /// A notifier putting events on `sink`, pushing to SES's list when `ses` is given.
    pub fn new(sink: Box<dyn EventSink>, ses: Option<aws_sdk_sesv2::Client>) -> Notifier {
        Notifier { sink, ses }
    }

    /// Handles one stream batch.
    pub async fn handle(&self, event: &Value) -> Result<NotifySummary, NotifyError> {
        let changes = stream::changes(event)?;
        let verdicts: Vec<VerdictChange> = changes
            .iter()
            .filter_map(|c| verdict_change(c.before.as_ref(), c.after.as_ref()))
            .collect();
        let entries = verdicts
            .iter()
            .map(|change| {
                Ok(Entry {
                    detail_type: change.detail_type(),
                    detail: serde_json::to_string(change)?,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        let events = put_all(self.sink.as_ref(), entries).await?;
        let mut pushed_to_ses = 0;
        if let Some(ses) = &self.ses {
            for change in &verdicts {
                let Some(reason) = ses_reason(&change.added_bounce_or_complaint()) else {
                    continue;
                };
                ses.put_suppressed_destination()
                    .email_address(&change.address)
                    .reason(reason)
                    .send()
                    .await
                    .map_err(|e| {
                        NotifyError::SesPush(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string())
                    })?;
                pushed_to_ses += 1;
            }
        }
        tracing::info!(
            records = changes.len(),
            events,
            pushed_to_ses,
            "suppression changes published"
        );
        Ok(NotifySummary {
            records: changes.len(),
            events,
            pushed_to_ses,
        })
    }
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
        let notifier = Notifier {
            sink: Box::new(sink),
            ses: None,
        };
        let event = batch(&[(None, Some(&first)), (Some(&first), Some(&second))]);
        let summary = notifier.handle(&event).await.unwrap();
        assert_eq!(
            summary,
            NotifySummary {
                records: 2,
                events: 1,
                pushed_to_ses: 0
            }
        );
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
}
