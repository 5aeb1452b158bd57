//! The suppression table: one item per address (`address`, S), one map attribute per slot.
//!
//! Each piece of evidence is one conditional UpdateItem that sets its slot only when it is
//! later than what the slot holds (time, then the event's key), so a retry or an older event
//! changes nothing (`ConditionalCheckFailedException` is success) and any arrival order ends in
//! the same record. Events that carry no evidence cost no write.
//!
//! A transient bounce under the escalation is read, counted and written back (`soft_bounces`,
//! bounded, and `soft_bounce_limit` when the limit is reached), guarded by a version number so
//! concurrent writers retry rather than lose a bounce.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use super::StoreError;
use crate::deadline::Deadline;
use crate::suppression::record::SoftBounce;
use crate::suppression::{Evidence, Mark, Record, SlotValue};

/// The attribute holding the bounces the escalation still counts.
pub const SOFT_BOUNCES: &str = "soft_bounces";
/// The attribute versioning `soft_bounces` for read-modify-write.
pub const SOFT_BOUNCES_VERSION: &str = "soft_bounces_version";
/// Attempts at a soft-bounce update that other writers keep overtaking.
const SOFT_BOUNCE_ATTEMPTS: u32 = 8;

/// The key attribute of the suppression table.
pub const ADDRESS: &str = "address";
/// UpdateItems in flight at once.
const CONCURRENCY: usize = 8;

/// What recording evidence did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionReport {
    /// Slots that moved forward, by mark kind (`hard_bounce`, `complaint`, `unsubscribe`,
    /// `unsubscribe#group:…`, `resubscribe`, …).
    pub applied: BTreeMap<String, usize>,
    /// Evidence that was not newer than its slot (retries, older events).
    pub unchanged: usize,
}

impl SuppressionReport {
    /// Counts one outcome.
    pub fn count(&mut self, mark: &Mark, applied: bool) {
        if applied {
            let kind = match mark {
                Mark::Suppress(reason) | Mark::Removed(reason) => reason.as_str().to_owned(),
                Mark::SoftBounce { .. } => "soft_bounce".to_owned(),
                other => other.slot().split('#').next().unwrap_or("").to_owned(),
            };
            *self.applied.entry(kind).or_default() += 1;
        } else {
            self.unchanged += 1;
        }
    }
}

/// A slot's value as a DynamoDB map.
pub fn slot_attribute(value: &SlotValue) -> AttributeValue {
    let mut map = HashMap::from([
        ("at".to_owned(), AttributeValue::S(value.at.clone())),
        ("key".to_owned(), AttributeValue::S(value.key.clone())),
        ("event".to_owned(), AttributeValue::S(value.event.clone())),
        (
            "provider_evidence".to_owned(),
            AttributeValue::Bool(value.provider_evidence),
        ),
        ("ambiguous".to_owned(), AttributeValue::Bool(value.ambiguous)),
    ]);
    for (name, text) in [
        ("provider", &value.provider),
        ("message_id", &value.message_id),
        ("note", &value.note),
        ("by", &value.by),
        ("window_start", &value.window_start),
    ] {
        if let Some(text) = text.as_ref().filter(|t| !t.is_empty()) {
            map.insert(
                name.to_owned(),
                AttributeValue::S(crate::store::item::truncate(text, 1024).to_owned()),
            );
        }
    }
    AttributeValue::M(map)
}

/// A record from a suppression item; slots that are not maps are skipped.
pub fn record_from_item(item: &HashMap<String, AttributeValue>) -> Record {
    let text =
        |m: &HashMap<String, AttributeValue>, name: &str| m.get(name).and_then(|v| v.as_s().ok()).cloned();
    let flag = |m: &HashMap<String, AttributeValue>, name: &str| {
        m.get(name)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false)
    };
    let slots = item
        .iter()
        .filter_map(|(name, value)| {
            let m = value.as_m().ok()?;
            Some((
                name.clone(),
                SlotValue {
                    at: text(m, "at")?,
                    key: text(m, "key").unwrap_or_default(),
                    provider: text(m, "provider"),
                    event: text(m, "event").unwrap_or_default(),
                    message_id: text(m, "message_id"),
                    provider_evidence: flag(m, "provider_evidence"),
                    ambiguous: flag(m, "ambiguous"),
                    note: text(m, "note"),
                    by: text(m, "by"),
                    window_start: text(m, "window_start"),
                },
            ))
        })
        .filter(|(name, _)| name != SOFT_BOUNCES)
        .collect();
    let soft_bounces = item
        .get(SOFT_BOUNCES)
        .and_then(|v| v.as_m().ok())
        .map(|bounces| {
            bounces
                .iter()
                .filter_map(|(message, value)| {
                    let m = value.as_m().ok()?;
                    Some((
                        message.clone(),
                        SoftBounce {
                            at: text(m, "at")?,
                            key: text(m, "key").unwrap_or_default(),
                            provider: text(m, "provider"),
                            event: text(m, "event").unwrap_or_default(),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Record {
        address: text(item, ADDRESS).unwrap_or_default(),
        slots,
        soft_bounces,
    }
}

/// The records of `addresses` (an address without one is left out), read with consistent
/// `BatchGetItem`s.
pub async fn read_records(
    client: &Client,
    table: &str,
    addresses: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Record>, StoreError> {
    let keys = addresses
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|address| HashMap::from([(ADDRESS.to_owned(), AttributeValue::S(address))]))
        .collect();
    let items = super::batch_get::batch_get(client, table, keys, true).await?;
    Ok(items
        .iter()
        .map(record_from_item)
        .map(|record| (record.address.clone(), record))
        .collect())
}

/// The bounces the escalation counts, as a DynamoDB map.
fn soft_bounces_attribute(record: &Record) -> AttributeValue {
    AttributeValue::M(
        record
            .soft_bounces
            .iter()
            .map(|(message, b)| {
                let mut m = HashMap::from([
                    ("at".to_owned(), AttributeValue::S(b.at.clone())),
                    ("key".to_owned(), AttributeValue::S(b.key.clone())),
                    ("event".to_owned(), AttributeValue::S(b.event.clone())),
                ]);
                if let Some(provider) = &b.provider {
                    m.insert("provider".to_owned(), AttributeValue::S(provider.clone()));
                }
                (message.clone(), AttributeValue::M(m))
            })
            .collect(),
    )
}

/// Records evidence in `table`, one conditional UpdateItem each, giving up at `deadline`.
pub async fn record(
    client: &Client,
    table: &str,
    evidence: Vec<Evidence>,
    deadline: Deadline,
) -> Result<SuppressionReport, StoreError> {
    let total = evidence.len();
    let outcomes: Vec<(Mark, Result<bool, StoreError>)> = stream::iter(evidence)
        .map(|e| async move {
            let outcome = update(client, table, &e, deadline).await;
            (e.mark, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = SuppressionReport::default();
    let mut failures = 0;
    let mut first = None;
    for (mark, outcome) in outcomes {
        match outcome {
            Ok(applied) => report.count(&mark, applied),
            Err(error) => {
                failures += 1;
                first.get_or_insert(error);
            }
        }
    }
    match first {
        None => Ok(report),
        Some(StoreError::Request { message, source, .. }) => Err(StoreError::Request {
            unstored: failures,
            total,
            message,
            source,
        }),
        Some(misconfigured @ StoreError::Misconfigured { .. }) => Err(misconfigured),
        Some(_) => Err(StoreError::DeadlineExceeded {
            unstored: failures,
            total,
        }),
    }
}

/// One conditional UpdateItem: `true` when the slot moved forward.
async fn update(
    client: &Client,
    table: &str,
    evidence: &Evidence,
    deadline: Deadline,
) -> Result<bool, StoreError> {
    if matches!(evidence.mark, Mark::SoftBounce { .. }) {
        return update_soft_bounces(client, table, evidence, deadline).await;
    }
    let value = SlotValue::from(evidence);
    let request = client
        .update_item()
        .table_name(table)
        .key(ADDRESS, AttributeValue::S(evidence.address.clone()))
        .update_expression("SET #slot = :value")
        .condition_expression(
            "attribute_not_exists(#slot) OR #slot.#at < :at OR (#slot.#at = :at AND #slot.#key < :key)",
        )
        .expression_attribute_names("#slot", evidence.mark.slot())
        .expression_attribute_names("#at", "at")
        .expression_attribute_names("#key", "key")
        .expression_attribute_values(":value", slot_attribute(&value))
        .expression_attribute_values(":at", AttributeValue::S(value.at.clone()))
        .expression_attribute_values(":key", AttributeValue::S(value.key.clone()))
        .send();
    let result = deadline.run(request).await.ok_or(StoreError::DeadlineExceeded {
        unstored: 1,
        total: 1,
    })?;
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
        {
            Ok(false)
        }
        Err(error) => {
            let kind = super::dynamodb::failure_kind(&error);
            Err(super::dynamodb::store_error(kind, 1, 1, error.into()))
        }
    }
}

/// One transient bounce under the escalation: read the record, count the bounce, write back
/// the bounded list (and `soft_bounce_limit`) if the version read is still current; when
/// another writer came first, read again.
async fn update_soft_bounces(
    client: &Client,
    table: &str,
    evidence: &Evidence,
    deadline: Deadline,
) -> Result<bool, StoreError> {
    let past_deadline = || StoreError::DeadlineExceeded {
        unstored: 1,
        total: 1,
    };
    for _ in 0..SOFT_BOUNCE_ATTEMPTS {
        let read = client
            .get_item()
            .table_name(table)
            .key(ADDRESS, AttributeValue::S(evidence.address.clone()))
            .consistent_read(true)
            .send();
        let item = match deadline.run(read).await.ok_or_else(past_deadline)? {
            Ok(output) => output.item.unwrap_or_default(),
            Err(error) => {
                let kind = super::dynamodb::failure_kind(&error);
                return Err(super::dynamodb::store_error(kind, 1, 1, error.into()));
            }
        };
        let version: Option<u64> = item
            .get(SOFT_BOUNCES_VERSION)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok());
        let mut record = record_from_item(&item);
        record.address.clone_from(&evidence.address);
        let before = record.clone();
        if !record.apply(evidence) {
            return Ok(false);
        }
        let mut request = client
            .update_item()
            .table_name(table)
            .key(ADDRESS, AttributeValue::S(evidence.address.clone()))
            .expression_attribute_names("#bounces", SOFT_BOUNCES)
            .expression_attribute_names("#version", SOFT_BOUNCES_VERSION)
            .expression_attribute_values(":bounces", soft_bounces_attribute(&record))
            .expression_attribute_values(":next", AttributeValue::N((version.unwrap_or(0) + 1).to_string()));
        let mut set = vec!["#bounces = :bounces", "#version = :next"];
        let limit = crate::suppression::Reason::SoftBounceLimit.as_str();
        if let Some(window) = record
            .slots
            .get(limit)
            .filter(|w| before.slots.get(limit) != Some(*w))
        {
            request = request
                .expression_attribute_names("#limit", limit)
                .expression_attribute_values(":limit", slot_attribute(window));
            set.push("#limit = :limit");
        }
        let removed: Vec<&String> = before
            .slots
            .keys()
            .filter(|name| !record.slots.contains_key(*name))
            .collect();
        let mut expression = format!("SET {}", set.join(", "));
        if !removed.is_empty() {
            let names: Vec<String> = (0..removed.len()).map(|i| format!("#old{i}")).collect();
            for (name, slot) in names.iter().zip(&removed) {
                request = request.expression_attribute_names(name, slot.as_str());
            }
            expression.push_str(&format!(" REMOVE {}", names.join(", ")));
        }
        request = match version {
            Some(version) => request
                .condition_expression("#version = :read")
                .expression_attribute_values(":read", AttributeValue::N(version.to_string())),
            None => request.condition_expression("attribute_not_exists(#version)"),
        };
        let result = deadline
            .run(request.update_expression(expression).send())
            .await
            .ok_or_else(past_deadline)?;
        match result {
            Ok(_) => return Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) => {}
            Err(error) => {
                let kind = super::dynamodb::failure_kind(&error);
                return Err(super::dynamodb::store_error(kind, 1, 1, error.into()));
            }
        }
    }
    // Other writers kept overtaking this one: the provider's retry counts it again.
    Err(StoreError::Unprocessed {
        unstored: 1,
        total: 1,
        attempts: SOFT_BOUNCE_ATTEMPTS,
    })
}
