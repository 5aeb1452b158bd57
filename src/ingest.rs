//! The last step of every trigger: normalized events into stored items.

use crate::event::NormalizedEvent;
use crate::item::Item;
use crate::store::{Store, StoreError, WriteReport};

/// Builds each event's item and stores them all, once per key.
pub async fn store_events(
    store: &Store,
    events: Vec<NormalizedEvent>,
    retention_days: u32,
) -> Result<WriteReport, StoreError> {
    if events.is_empty() {
        return Ok(WriteReport::default());
    }
    let items = events
        .into_iter()
        .map(|event| Item::from_event(event, retention_days))
        .collect();
    store.put_items(items).await
}
