//! The last step of every pipeline: normalized events into the store, then their suppression
//! evidence into the suppression list, counting both. Anything unstored is an error, so the
//! provider retries; the retry rewrites the same items and moves no slot backwards.

use super::Invocation;
use crate::app::App;
use crate::model::{NormalizedEvent, Provider};
use crate::store::{StoreError, SuppressionReport, WriteReport};
use crate::suppression::evidence::{coalesce, evidence};

/// Stores `events` (all from `provider`) and records what they say about suppression.
pub async fn persist(
    app: &App,
    provider: Provider,
    events: Vec<NormalizedEvent>,
    invocation: &Invocation<'_>,
) -> Result<(WriteReport, SuppressionReport), StoreError> {
    let Invocation { deadline, tally, .. } = *invocation;
    tally.events(&events);
    let marks = coalesce(
        events
            .iter()
            .flat_map(|event| evidence(event, app.config.soft_bounce)),
    );
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
