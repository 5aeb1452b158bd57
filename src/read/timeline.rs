//! Timelines: one message's events (every recipient), and one address's events with the
//! suppression list's verdict on it. Oldest first; every event carries its raw event, also
//! when it is kept once for several recipients (`raw_in`).

use std::collections::{HashMap, HashSet};

use super::event::TimelineEvent;
use super::source::{key_of, text, EventReads, Key, ReadError, RecipientRows, StoredItem};
use crate::store::item::raw_holder;
use crate::suppression::Verdict;

/// One address's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientTimeline {
    /// The address, normalized.
    pub address: String,
    /// Its events, oldest first.
    pub events: Vec<TimelineEvent>,
    /// The suppression list's verdict (`None` without a record, or without the table).
    pub verdict: Option<Verdict>,
}

/// Whether a partition of the events table holds a message's events: kept bodies
/// (`quarantine#…`), Mailgun's token bindings (`token#…`) and looked-up domains (`mx#…`)
/// share the table but are no message, and the message reads never show them.
pub fn is_message_partition(pk: &str) -> bool {
    !pk.starts_with(crate::store::quarantine::QUARANTINE_PREFIX)
        && !pk.starts_with(crate::store::dynamodb::TOKEN_PREFIX)
        && !pk.starts_with(crate::store::domains::DOMAIN_PREFIX)
        && !pk.starts_with(crate::store::forget::AUDIT_PREFIX)
}

/// One message's events, every recipient, oldest first.
pub async fn message_timeline(reads: &dyn EventReads, id: &str) -> Result<Vec<TimelineEvent>, ReadError> {
    if !is_message_partition(id) {
        return Ok(Vec::new());
    }
    let items = reads.partition(id).await?;
    Ok(events_of(with_shared_raw(reads, items).await?))
}

/// One address's events from `since` (a sort-key prefix), oldest first; with `full_items`,
/// each row's whole item (the index keeps only some attributes) and raw event. The verdict is
/// read when `with_verdict`.
pub async fn recipient_timeline(
    reads: &dyn EventReads,
    address: &str,
    since: Option<&str>,
    full_items: bool,
    with_verdict: bool,
) -> Result<RecipientTimeline, ReadError> {
    let rows = RecipientRows {
        address: address.to_owned(),
        since: since.map(str::to_owned),
        ..RecipientRows::default()
    };
    let rows = reads.recipient_rows(&rows).await?;
    let items = if full_items {
        with_full_items(reads, rows).await?
    } else {
        rows
    };
    let verdict = if with_verdict {
        reads.record(address).await?.map(|record| record.verdict())
    } else {
        None
    };
    Ok(RecipientTimeline {
        address: address.to_owned(),
        events: events_of(items),
        verdict,
    })
}

/// An address's `by_recipient` rows as events, in the order asked (the index keeps only some
/// attributes: [`full_events`] reads the rest).
pub async fn recipient_events(
    reads: &dyn EventReads,
    rows: &RecipientRows,
) -> Result<Vec<TimelineEvent>, ReadError> {
    Ok(reads
        .recipient_rows(rows)
        .await?
        .iter()
        .map(TimelineEvent::from_item)
        .collect())
}

/// The whole stored events of `events` (read by key, in one batch), each with its raw event,
/// in the same order; an event whose item is gone stays as it was.
pub async fn full_events(
    reads: &dyn EventReads,
    events: &[TimelineEvent],
) -> Result<Vec<TimelineEvent>, ReadError> {
    let keys = events
        .iter()
        .map(|e| e.key.clone())
        .filter(|(pk, sk)| !pk.is_empty() && !sk.is_empty());
    let mut full = reads.items_by_key(keys.collect()).await?;
    let wanted: Vec<(usize, StoredItem)> = events
        .iter()
        .enumerate()
        .filter_map(|(index, event)| full.remove(&event.key).map(|item| (index, item)))
        .collect();
    let (indexes, items): (Vec<usize>, Vec<StoredItem>) = wanted.into_iter().unzip();
    let mut out = events.to_vec();
    for (index, item) in indexes.into_iter().zip(with_shared_raw(reads, items).await?) {
        out[index] = TimelineEvent::from_item(&item);
    }
    Ok(out)
}

/// One event by its key, with its raw event (`None` outside a message partition or absent).
pub async fn event(reads: &dyn EventReads, key: &Key) -> Result<Option<TimelineEvent>, ReadError> {
    if !is_message_partition(&key.0) {
        return Ok(None);
    }
    let Some(item) = reads.items_by_key(vec![key.clone()]).await?.remove(key) else {
        return Ok(None);
    };
    Ok(with_shared_raw(reads, vec![item])
        .await?
        .pop()
        .map(|item| TimelineEvent::from_item(&item)))
}

/// Each index row's full item with its raw event (a row whose item is gone stays as it is).
pub async fn with_full_items(
    reads: &dyn EventReads,
    rows: Vec<StoredItem>,
) -> Result<Vec<StoredItem>, ReadError> {
    let keys: Vec<Key> = rows
        .iter()
        .map(key_of)
        .filter(|(pk, sk)| !pk.is_empty() && !sk.is_empty())
        .collect();
    let mut full = reads.items_by_key(keys).await?;
    let items = rows
        .into_iter()
        .map(|row| full.remove(&key_of(&row)).unwrap_or(row))
        .collect();
    with_shared_raw(reads, items).await
}

/// Events in timeline order (sort key, then partition).
fn events_of(items: Vec<StoredItem>) -> Vec<TimelineEvent> {
    let mut events: Vec<TimelineEvent> = items.iter().map(TimelineEvent::from_item).collect();
    events.sort_by(|a, b| (&a.key.1, &a.key.0).cmp(&(&b.key.1, &b.key.0)));
    events
}

/// Gives each item whose raw event is kept once for several recipients (`raw_in`) a copy of
/// it from the item holding it: from `items` when it is there, else read in one batch.
async fn with_shared_raw(
    reads: &dyn EventReads,
    mut items: Vec<StoredItem>,
) -> Result<Vec<StoredItem>, ReadError> {
    let holder_key = |item: &StoredItem, sk: &str| (text(item, "pk").to_owned(), sk.to_owned());
    let wanted: HashSet<Key> = items
        .iter()
        .filter_map(|item| raw_holder(item).map(|sk| holder_key(item, sk)))
        .collect();
    if wanted.is_empty() {
        return Ok(items);
    }
    let mut holders: HashMap<Key, StoredItem> = items
        .iter()
        .map(|item| (key_of(item), item))
        .filter(|(key, _)| wanted.contains(key))
        .map(|(key, item)| (key, item.clone()))
        .collect();
    let missing: Vec<Key> = wanted
        .into_iter()
        .filter(|key| !holders.contains_key(key))
        .collect();
    if !missing.is_empty() {
        holders.extend(reads.items_by_key(missing).await?);
    }
    for item in &mut items {
        let Some(holder) = raw_holder(item).and_then(|sk| holders.get(&holder_key(item, sk))) else {
            continue;
        };
        for name in RAW_ATTRIBUTES {
            if let Some(value) = holder.get(*name) {
                item.insert((*name).to_owned(), value.clone());
            }
        }
    }
    Ok(items)
}

/// The attributes that carry a raw event.
const RAW_ATTRIBUTES: &[&str] = &["raw", "raw_z", "raw_codec", "raw_bytes"];
