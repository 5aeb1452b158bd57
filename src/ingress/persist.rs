//! The last step of every pipeline: normalized events into the store, the events that could not
//! be stored as they are into quarantine, then their suppression evidence into the suppression
//! list, counting all of it. Anything unstored is an error, so the provider retries; the retry
//! rewrites the same items and moves no slot backwards.

use serde_json::{json, Value};

use super::response::RequestError;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::{DecodeError, Decoded};
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

/// One body (or one event of a body) to keep.
pub struct ToKeep<'a> {
    /// Its bytes, as received.
    pub body: &'a [u8],
    /// Why it could not be stored as events (masked and bounded before it is kept).
    pub error: String,
    /// A whole body or one event.
    pub kept: Kept,
}

/// Keeps authenticated bodies (or events of one) that could not be stored as events, for
/// replay, in one write: the same bytes twice are kept (and counted, and logged) once. Returns
/// how many distinct bodies were kept.
pub async fn quarantine(
    app: &App,
    provider: Provider,
    to_keep: Vec<ToKeep<'_>>,
    invocation: &Invocation<'_>,
) -> Result<usize, StoreError> {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<(ToKeep<'_>, String)> = to_keep
        .into_iter()
        .filter(|k| seen.insert(k.body))
        .map(|k| {
            let text = crate::base::mask::mask_emails(crate::base::text::truncate(
                &k.error,
                crate::base::logging::MAX_ERROR_TEXT_BYTES,
            ));
            (k, text)
        })
        .collect();
    if distinct.is_empty() {
        return Ok(0);
    }
    let records = distinct
        .iter()
        .map(|(k, text)| QuarantinedBody {
            provider,
            body: k.body,
            error: text,
            received_at: invocation.received_at,
            kept: k.kept,
        })
        .collect();
    let items = app
        .store
        .quarantine(records, invocation.deadline)
        .await
        .inspect_err(|e| invocation.tally.store_failed(e))?;
    for (k, text) in &distinct {
        invocation.tally.quarantined(provider);
        tracing::warn!(
            provider = provider.as_str(),
            bytes = k.body.len(),
            items,
            event = ?match k.kept {
                Kept::Body => None,
                Kept::Event { index } => Some(index),
            },
            error = %text,
            "kept in quarantine"
        );
    }
    Ok(distinct.len())
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
    let Decoded { mut events, bad, .. } = decoded;
    if let Some(lookup) = &app.mailbox {
        lookup
            .attribute(&mut events, invocation.received_at, deadline)
            .await;
    }
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
    let refused_errors: Vec<String> = written
        .refused
        .iter()
        .map(|refused| {
            tally.refused(provider);
            format!(
                "DynamoDB refused the item {}#{}: {}",
                refused.key.pk, refused.key.sk, refused.reason
            )
        })
        .collect();
    let to_keep: Vec<ToKeep<'_>> = bad
        .iter()
        .map(|event| ToKeep {
            body: event.raw.as_bytes(),
            error: crate::base::logging::chain(&event.error),
            kept: Kept::Event {
                index: Some(event.index),
            },
        })
        .chain(
            written
                .refused
                .iter()
                .zip(refused_errors)
                .map(|(refused, error)| ToKeep {
                    body: refused.raw.as_bytes(),
                    error,
                    kept: Kept::Event { index: None },
                }),
        )
        .collect();
    persisted.quarantined = quarantine(app, provider, to_keep, invocation).await?;
    persisted.suppression = app
        .store
        .record_evidence(marks, deadline)
        .await
        .inspect_err(|e| tally.store_failed(e))?;
    tally.suppressions(&persisted.suppression);
    Ok(persisted)
}

/// Stores what an authenticated body decoded to. A body that did not decode at all is kept in
/// quarantine and acknowledged with `200 {"kept": true}`: the provider must not retry it. Events
/// that did not decode while others did are kept alone, and counted in `quarantined`.
pub(super) async fn store_decoded(
    app: &App,
    provider: Provider,
    body: &[u8],
    decoded: Result<Decoded, DecodeError>,
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(error) => {
            let error = crate::base::logging::chain(&error);
            let to_keep = vec![ToKeep {
                body,
                error,
                kept: Kept::Body,
            }];
            quarantine(app, provider, to_keep, invocation)
                .await
                .map_err(RequestError::Store)?;
            return Ok(json!({
                "provider": provider.as_str(),
                "kept": true,
                "reason": "bad_payload",
                "events": 0,
                "stored": 0,
            }));
        }
    };
    let persisted = persist(app, provider, decoded, invocation)
        .await
        .map_err(RequestError::Store)?;
    tracing::info!(
        provider = provider.as_str(),
        events = persisted.events,
        stored = persisted.stored,
        duplicates = persisted.duplicates,
        quarantined = persisted.quarantined,
        suppression_updates = persisted.suppression.applied.values().sum::<usize>(),
        "webhook stored"
    );
    Ok(json!({
        "provider": provider.as_str(),
        "events": persisted.events,
        "stored": persisted.stored,
        "duplicates": persisted.duplicates,
        "quarantined": persisted.quarantined,
    }))
}
