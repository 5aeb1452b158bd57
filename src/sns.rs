//! The SNS trigger pipeline: each record's topic is checked, its message (an SES event)
//! decoded, and the events stored.

use aws_lambda_events::sns::SnsEvent;
use serde::Serialize;

use crate::app::App;
use crate::providers::ses;
use crate::store::StoreError;
use crate::timestamp::Timestamp;

/// What an SNS invocation did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct SnsSummary {
    /// SNS records in the invocation.
    pub records: usize,
    /// Normalized events decoded from them.
    pub events: usize,
    /// Distinct items written.
    pub stored: usize,
    /// Events that named an item already in the same invocation.
    pub duplicates: usize,
    /// Messages that carry no email event (topic validation texts and the like).
    pub ignored: usize,
    /// Messages that were not SES events, kept in quarantine.
    pub quarantined: usize,
}

/// Why an SNS invocation failed (Lambda retries it, then sends it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// A record came from a topic not in `SNS_TOPIC_ARNS`.
    #[error("SNS record {record} comes from topic {topic}, which is not in SNS_TOPIC_ARNS")]
    TopicNotAllowed {
        /// The record's position, from 0.
        record: usize,
        /// The topic.
        topic: String,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks every record's topic first (nothing is stored from an invocation carrying a refused
/// topic), then decodes and stores. A message that is not an SES event is quarantined.
pub async fn handle(app: &App, event: &SnsEvent, received_at: Timestamp) -> Result<SnsSummary, SnsError> {
    for (record, r) in event.records.iter().enumerate() {
        if app.verifiers.sns.topics().check(&r.sns.topic_arn).is_err() {
            return Err(SnsError::TopicNotAllowed {
                record,
                topic: r.sns.topic_arn.clone(),
            });
        }
    }
    let mut summary = SnsSummary {
        records: event.records.len(),
        ..SnsSummary::default()
    };
    let mut events = Vec::new();
    for record in &event.records {
        let message = &record.sns.message;
        match ses::decode(message, received_at) {
            Ok(decoded) => {
                if decoded.ignored > 0 {
                    tracing::info!(message_id = %record.sns.message_id, "SNS message carries no email event; ignored");
                }
                summary.ignored += decoded.ignored;
                events.extend(decoded.events);
            }
            Err(error) => {
                let text = crate::logging::chain(&error);
                crate::quarantine::keep(
                    &app.store,
                    "ses",
                    message.as_bytes(),
                    &text,
                    received_at,
                    app.config.retention_days,
                )
                .await?;
                summary.quarantined += 1;
            }
        }
    }
    summary.events = events.len();
    let report = crate::ingest::store_events(&app.store, events, app.config.retention_days).await?;
    summary.stored = report.items;
    summary.duplicates = report.duplicates;
    tracing::info!(
        events = summary.events,
        stored = summary.stored,
        ignored = summary.ignored,
        quarantined = summary.quarantined,
        "sns stored"
    );
    Ok(summary)
}
