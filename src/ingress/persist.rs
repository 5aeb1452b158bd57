//! The last step of every pipeline: normalized events into the store, then their suppression
//! evidence into the suppression list, counting both. Anything unstored is an error, so the
//! provider retries; the retry rewrites the same items and moves no slot backwards.

use super::Invocation;
use crate::app::App;
use crate::model::{NormalizedEvent, Provider};
use crate::providers::DecodeError;
use crate::store::{QuarantinedBody, StoreError, SuppressionReport, WriteReport};
use crate::suppression::evidence::evidence_of;

/// Keeps an authenticated body that did not decode, for replay; returns the items written.
pub async fn quarantine(
    app: &App,
    provider: Provider,
    body: &[u8],
    error: &DecodeError,
    invocation: &Invocation<'_>,
) -> Result<usize, StoreError> {
    let text = crate::logging::chain(error);
    let kept = QuarantinedBody {
        provider,
        body,
        error: &text,
        received_at: invocation.received_at,
    };
    let items = app
        .store
        .quarantine(kept, invocation.deadline)
        .await
        .inspect_err(|_| invocation.tally.store_failed())?;
    invocation.tally.quarantined(provider);
    tracing::warn!(
        provider = provider.as_str(),
        bytes = body.len(),
        items,
        error = %text,
        "undecodable body kept in quarantine"
    );
    Ok(items)
}

/// Stores `events` (all from `provider`) and records what they say about suppression.
pub async fn persist(
    app: &App,
    provider: Provider,
    events: Vec<NormalizedEvent>,
    invocation: &Invocation<'_>,
) -> Result<(WriteReport, SuppressionReport), StoreError> {
    let Invocation { deadline, tally, .. } = *invocation;
    tally.events(&events);
    let marks = evidence_of(&events, app.config.soft_bounce);
    let written = app
        .store
        .put_events(events, deadline)
        .await
        .inspect_err(|_| tally.store_failed())?;
    tally.stored(provider, written.duplicates, written.retries);
    let suppression = app
        .store
        .record_evidence(marks, deadline)
        .await
        .inspect_err(|_| tally.store_failed())?;
    tally.suppressions(&suppression);
    Ok((written, suppression))
}
