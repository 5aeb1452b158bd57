//! The SNS trigger pipeline: each record's topic is checked, its message (an SES event)
//! decoded, and the events stored; a message that is not an SES event is quarantined.

use aws_lambda_events::sns::SnsEvent;
use serde::Serialize;

use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::ses;
use crate::store::{Kept, StoreError};

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
    /// Messages that carry no email event (SES's topic-validation text, topic notifications).
    pub ignored: usize,
    /// Messages that were not SES events, and events DynamoDB refused, kept in quarantine.
    pub quarantined: usize,
}

/// Why an SNS invocation failed (Lambda retries it, then sends it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// A record came from a topic not in `SNS_TOPIC_ARNS`.
    #[error("SNS record {record} comes from a topic that is not in SNS_TOPIC_ARNS")]
    TopicNotAllowed {
        /// The record's position, from 0.
        record: usize,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks every record's topic first (nothing is stored from an invocation carrying a refused
/// topic), then decodes and stores. A record whose message does not decode is quarantined
/// alone; the others are stored.
pub async fn handle(
    app: &App,
    event: &SnsEvent,
    invocation: &Invocation<'_>,
) -> Result<SnsSummary, SnsError> {
    let tally = invocation.tally;
    for (record, r) in event.records.iter().enumerate() {
        if let Err(error) = app.channels.sns_topics.check(&r.sns.topic_arn) {
            tally.rejected(Provider::Ses.as_str(), "forbidden");
            tracing::error!(record, error = %error, "SNS record from a topic not allowed");
            return Err(SnsError::TopicNotAllowed { record });
        }
    }
    let mut summary = SnsSummary {
        records: event.records.len(),
        ..SnsSummary::default()
    };
    let messages = event
        .records
        .iter()
        .map(|r| (r.sns.message_id.as_str(), r.sns.message.as_str()));
    store_ses_records(app, messages, invocation, &mut summary).await?;
    tracing::info!(
        events = summary.events,
        stored = summary.stored,
        ignored = summary.ignored,
        quarantined = summary.quarantined,
        "sns stored"
    );
    Ok(summary)
}

/// Decodes SES event records (SNS messages, EventBridge details), each with its id for the
/// log; keeps each one that does not decode in quarantine alone, and stores the events of the
/// others in one go. Adds what it did to `summary`.
pub(super) async fn store_ses_records<'a>(
    app: &App,
    records: impl IntoIterator<Item = (&'a str, &'a str)>,
    invocation: &Invocation<'_>,
    summary: &mut SnsSummary,
) -> Result<(), StoreError> {
    let mut decoded = crate::providers::Decoded::default();
    let mut to_keep = Vec::new();
    for (id, record) in records {
        match ses::decode(record, invocation.received_at) {
            Ok(one) => {
                if one.ignored > 0 {
                    tracing::info!(id, "SES record carries no email event; ignored");
                }
                summary.ignored += one.ignored;
                decoded.events.extend(one.events);
            }
            Err(error) => to_keep.push(super::persist::ToKeep {
                body: record.as_bytes(),
                error: crate::base::logging::chain(&error),
                kept: Kept::Body,
            }),
        }
    }
    summary.quarantined += super::persist::quarantine(app, Provider::Ses, to_keep, invocation).await?;
    let persisted = super::persist::persist(app, Provider::Ses, decoded, invocation).await?;
    summary.events += persisted.events;
    summary.stored += persisted.stored;
    summary.duplicates += persisted.duplicates;
    summary.quarantined += persisted.quarantined;
    Ok(())
}
