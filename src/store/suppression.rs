//! The suppression table: one item per address (`address`, S), one map attribute per slot.
//!
//! All the evidence a request holds for one address is merged into one conditional UpdateItem:
//! the record is read (consistently), the evidence applied to it in memory as the rules say
//! (each slot only moves forward: time, then the event's key; soft bounces counted and
//! bounded), and the slots that changed are written back with the record's `version`
//! incremented, on condition that the version read is still current. When another writer came
//! first, the record is read again (a few times, with a short jittered pause). A retry or an
//! older event changes no slot and costs no write; any arrival order ends in the same record.
//! Every change increments `version` and sets `updated_at`, so a reader of the table's stream
//! can order the changes of one address.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use super::StoreError;
use crate::base::deadline::Deadline;
use crate::suppression::record::SoftBounce;
use crate::suppression::{Evidence, Mark, Record, SlotValue};

/// The attribute holding the bounces the escalation still counts.
pub const SOFT_BOUNCES: &str = "soft_bounces";
/// The attribute that versioned `soft_bounces` in records written before `version`: removed
/// by the next write.
const OLD_SOFT_BOUNCES_VERSION: &str = "soft_bounces_version";
/// The attribute counting the record's changes.
pub const VERSION: &str = "version";
/// The attribute holding when the record last changed.
pub const UPDATED_AT: &str = "updated_at";
/// Attempts at one record's update that other writers keep overtaking.
const ATTEMPTS: u32 = 10;

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
                AttributeValue::S(crate::base::text::truncate(text, 1024).to_owned()),
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
        version: item
            .get(VERSION)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        updated_at: text(item, UPDATED_AT),
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

/// Records evidence in `table`: one read and at most one conditional UpdateItem per address,
/// giving up at `deadline`.
pub async fn record(
    client: &Client,
    table: &str,
    evidence: Vec<Evidence>,
    deadline: Deadline,
) -> Result<SuppressionReport, StoreError> {
    let mut by_address: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    for e in evidence {
        by_address.entry(e.address.clone()).or_default().push(e);
    }
    let addresses = by_address.len();
    let outcomes: Vec<Result<Vec<(Mark, bool)>, StoreError>> = stream::iter(by_address)
        .map(|(address, evidence)| async move {
            update_record(client, table, &address, &evidence, deadline).await
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = SuppressionReport::default();
    let mut failures = 0;
    let mut first = None;
    for outcome in outcomes {
        match outcome {
            Ok(marks) => {
                for (mark, applied) in marks {
                    report.count(&mark, applied);
                }
            }
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
            total: addresses,
            message,
            source,
        }),
        Some(StoreError::RecordsContended { attempts, .. }) => Err(StoreError::RecordsContended {
            unrecorded: failures,
            addresses,
            attempts,
        }),
        Some(StoreError::RecordsPastDeadline { .. }) => Err(StoreError::RecordsPastDeadline {
            unrecorded: failures,
            addresses,
        }),
        Some(other) => Err(other),
    }
}

/// Applies one address's evidence to its stored record: read, apply, write what changed if
/// nobody changed the record meanwhile; again when somebody did. Returns each mark with
/// whether it changed the record.
async fn update_record(
    client: &Client,
    table: &str,
    address: &str,
    evidence: &[Evidence],
    deadline: Deadline,
) -> Result<Vec<(Mark, bool)>, StoreError> {
    let past_deadline = || StoreError::RecordsPastDeadline {
        unrecorded: 1,
        addresses: 1,
    };
    let failed = |error: aws_sdk_dynamodb::Error, kind| super::retry::store_error(kind, 1, 1, error);
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            // Another writer changed the record between the read and the write: wait a little
            // (jittered, growing) so that concurrent writers spread out.
            let pause = std::time::Duration::from_millis(fastrand::u64(5..=20 * u64::from(attempt)));
            deadline
                .run(tokio::time::sleep(pause))
                .await
                .ok_or_else(past_deadline)?;
        }
        let read = client
            .get_item()
            .table_name(table)
            .key(ADDRESS, AttributeValue::S(address.to_owned()))
            .consistent_read(true)
            .send();
        let item = match deadline.run(read).await.ok_or_else(past_deadline)? {
            Ok(output) => output.item.unwrap_or_default(),
            Err(error) => {
                let kind = super::retry::failure_kind(&error);
                return Err(failed(error.into(), kind));
            }
        };
        let mut record = record_from_item(&item);
        address.clone_into(&mut record.address);
        let before = record.clone();
        let outcomes: Vec<(Mark, bool)> = evidence
            .iter()
            .map(|e| (e.mark.clone(), record.apply(e)))
            .collect();
        if !outcomes.iter().any(|(_, applied)| *applied) {
            return Ok(outcomes);
        }
        let request = changes(
            client,
            table,
            &before,
            &record,
            item.contains_key(OLD_SOFT_BOUNCES_VERSION),
        );
        let result = deadline.run(request.send()).await.ok_or_else(past_deadline)?;
        match result {
            Ok(_) => return Ok(outcomes),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) => {}
            Err(error) => {
                let kind = super::retry::failure_kind(&error);
                return Err(failed(error.into(), kind));
            }
        }
    }
    Err(StoreError::RecordsContended {
        unrecorded: 1,
        addresses: 1,
        attempts: ATTEMPTS,
    })
}

/// The UpdateItem that turns the stored record `before` into `after`: the slots that changed
/// or appeared, the slots that went, the escalation's bounces, the next version, guarded by the
/// version read.
fn changes(
    client: &Client,
    table: &str,
    before: &Record,
    after: &Record,
    drop_old_version: bool,
) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
    let mut request = client
        .update_item()
        .table_name(table)
        .key(ADDRESS, AttributeValue::S(after.address.clone()))
        .expression_attribute_names("#version", VERSION)
        .expression_attribute_names("#updated", UPDATED_AT)
        .expression_attribute_values(":next", AttributeValue::N((before.version + 1).to_string()))
        .expression_attribute_values(
            ":now",
            AttributeValue::S(crate::model::Timestamp::now().to_rfc3339()),
        );
    let mut set = vec!["#version = :next".to_owned(), "#updated = :now".to_owned()];
    let mut remove = Vec::new();
    for (i, (name, value)) in after
        .slots
        .iter()
        .filter(|(name, value)| before.slots.get(*name) != Some(*value))
        .enumerate()
    {
        request = request
            .expression_attribute_names(format!("#s{i}"), name)
            .expression_attribute_values(format!(":s{i}"), slot_attribute(value));
        set.push(format!("#s{i} = :s{i}"));
    }
    for (i, name) in before
        .slots
        .keys()
        .filter(|name| !after.slots.contains_key(*name))
        .enumerate()
    {
        request = request.expression_attribute_names(format!("#r{i}"), name);
        remove.push(format!("#r{i}"));
    }
    if after.soft_bounces != before.soft_bounces {
        request = request
            .expression_attribute_names("#bounces", SOFT_BOUNCES)
            .expression_attribute_values(":bounces", soft_bounces_attribute(after));
        set.push("#bounces = :bounces".to_owned());
    }
    if drop_old_version {
        request = request.expression_attribute_names("#old_version", OLD_SOFT_BOUNCES_VERSION);
        remove.push("#old_version".to_owned());
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    let request = request.update_expression(expression);
    if before.version == 0 {
        request.condition_expression("attribute_not_exists(#version)")
    } else {
        request
            .condition_expression("#version = :read")
            .expression_attribute_values(":read", AttributeValue::N(before.version.to_string()))
    }
}
