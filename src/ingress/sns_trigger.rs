//! The SNS trigger pipeline: each record's topic is checked, its message (an SES event)
//! decoded, and the events stored; a message that is not an SES event is quarantined.

use aws_lambda_events::sns::SnsEvent;
use serde::Serialize;

use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::ses;
use crate::store::StoreError;

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
    /// Messages that were not SES events, kept in quarantine.
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
/// topic), then decodes and stores.
pub async fn handle(
    app: &App,
    event: &SnsEvent,
    invocation: &Invocation<'_>,
) -> Result<SnsSummary, SnsError> {
    let Invocation {
        received_at, tally, ..
    } = *invocation;
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
                super::persist::quarantine(app, Provider::Ses, message.as_bytes(), &error, invocation)
                    .await?;
                summary.quarantined += 1;
            }
        }
    }
    summary.events = events.len();
    let (report, _suppression) = super::persist::persist(app, Provider::Ses, events, invocation).await?;
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
