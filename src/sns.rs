//! The SNS pipeline: each record's message (an SES event) → decode → store.

use aws_lambda_events::sns::SnsEvent;
use serde::Serialize;

use crate::handler::App;
use crate::providers::{ses, DecodeError};
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
}

/// Why an SNS invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// A record's message is not an SES event.
    #[error("SNS record {record} (message {message_id}): {source}")]
    Decode {
        /// The record's position, from 0.
        record: usize,
        /// SNS's message id.
        message_id: String,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Decodes every record and stores the events; any failure fails the whole invocation, so
/// Lambda retries it and finally hands it to the dead-letter queue.
pub async fn handle(app: &App, event: &SnsEvent, received_at: Timestamp) -> Result<SnsSummary, SnsError> {
    let mut summary = SnsSummary {
        records: event.records.len(),
        ..SnsSummary::default()
    };
    let mut events = Vec::new();
    for (index, record) in event.records.iter().enumerate() {
        let decoded = ses::decode(&record.sns.message, received_at).map_err(|source| SnsError::Decode {
            record: index,
            message_id: record.sns.message_id.clone(),
            source,
        })?;
        if decoded.ignored > 0 {
            tracing::info!(message_id = %record.sns.message_id, "SNS message carries no email event; ignored");
        }
        summary.ignored += decoded.ignored;
        events.extend(decoded.events);
    }
    summary.events = events.len();
    let report = crate::ingest::store_events(&app.store, &events, app.config.retention_days).await?;
    summary.stored = report.items;
    summary.duplicates = report.duplicates;
    tracing::info!(
        events = summary.events,
        stored = summary.stored,
        ignored = summary.ignored,
        "sns stored"
    );
    Ok(summary)
}
