//! The last step of every pipeline: normalized events into the store, the events that could not
//! be stored as they are into quarantine, then their suppression evidence into the suppression
//! list, counting all of it. Anything unstored is an error, so the provider retries; the retry
//! rewrites the same items and moves no slot backwards.

use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::Decoded;
use crate::store::{Kept, QuarantinedBody, StoreError, SuppressionReport};
use crate::suppression::evidence::evidence_of;

/// What storing one decoded body did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Persisted {
    /// Normalized events decoded.
    pub events: usize,
    /// Distinct items written.
    pub stored: usize,
    /// Events that named an item already in the same request.
    pub duplicates: usize,
    /// Events kept in quarantine: those that did not decode, and those DynamoDB refused.
    pub quarantined: usize,
    /// Suppression slots moved.
    pub suppression: SuppressionReport,
}

/// Keeps an authenticated body (or one event of it) that could not be stored as events, for
/// replay; returns the items written.
pub async fn quarantine(
    app: &App,
    provider: Provider,
    body: &[u8],
    error: &str,
    kept: Kept,
    invocation: &Invocation<'_>,
) -> Result<usize, StoreError> {
    let text = crate::mask::mask_emails(crate::store::item::truncate(
        error,
        crate::logging::MAX_ERROR_TEXT_BYTES,
    ));
    let record = QuarantinedBody {
        provider,
        body,
        error: &text,
        received_at: invocation.received_at,
        kept,
    };
    let items = app
        .store
        .quarantine(record, invocation.deadline)
        .await
        .inspect_err(|e| invocation.tally.store_failed(e))?;
    invocation.tally.quarantined(provider);
    tracing::warn!(
        provider = provider.as_str(),
        bytes = body.len(),
        items,
        event = ?match kept {
            Kept::Body => None,
            Kept::Event { index } => Some(index),
        },
        error = %text,
        "kept in quarantine"
    );
    Ok(items)
}

/// Stores what a body decoded to (all from `provider`): its events, the events that did not
/// decode and those DynamoDB refused (each alone, in quarantine), and what they say about
/// suppression. A refused event's evidence still counts: the bounce it reports is honoured.
pub async fn persist(
    app: &App,
    provider: Provider,
    decoded: Decoded,
    invocation: &Invocation<'_>,
) -> Result<Persisted, StoreError> {
    let Invocation { deadline, tally, .. } = *invocation;
    let Decoded { events, bad, .. } = decoded;
    tally.events(&events);
    let marks = evidence_of(&events, app.config.soft_bounce);
    let mut persisted = Persisted {
        events: events.len(),
        ..Persisted::default()
    };
    let written = app
        .store
        .put_events(events, deadline)
        .await
        .inspect_err(|e| tally.store_failed(e))?;
    tally.stored(provider, written.duplicates, written.retries);
    persisted.stored = written.items;
    persisted.duplicates = written.duplicates;
    for event in &bad {
        let error = crate::logging::chain(&event.error);
        let kept = Kept::Event {
            index: Some(event.index),
        };
        quarantine(app, provider, event.raw.as_bytes(), &error, kept, invocation).await?;
        persisted.quarantined += 1;
    }
    for refused in &written.refused {
        tally.refused(provider);
        let error = format!(
            "DynamoDB refused the item {}#{}: {}",
            refused.key.pk, refused.key.sk, refused.reason
        );
        let kept = Kept::Event { index: None };
        quarantine(app, provider, refused.raw.as_bytes(), &error, kept, invocation).await?;
        persisted.quarantined += 1;
    }
    persisted.suppression = app
        .store
        .record_evidence(marks, deadline)
        .await
        .inspect_err(|e| tally.store_failed(e))?;
    tally.suppressions(&persisted.suppression);
    Ok(persisted)
}
