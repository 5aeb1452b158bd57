//! The suppression table: one item per address (`address`, S), one map attribute per slot.
//!
//! Each piece of evidence is one conditional UpdateItem that sets its slot only when it is
//! later than what the slot holds (time, then the event's key), so a retry or an older event
//! changes nothing (`ConditionalCheckFailedException` is success) and any arrival order ends in
//! the same record. Events that carry no evidence cost no write.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use super::StoreError;
use crate::deadline::Deadline;
use crate::suppression::{Evidence, Mark, Record, SlotValue};

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
                },
            ))
        })
        .collect();
    Record {
        address: text(item, ADDRESS).unwrap_or_default(),
        slots,
    }
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
            let error = aws_sdk_dynamodb::Error::from(error);
            Err(StoreError::Request {
                unstored: 1,
                total: 1,
                message: DisplayErrorContext(&error).to_string(),
                source: Box::new(error),
            })
        }
    }
}
