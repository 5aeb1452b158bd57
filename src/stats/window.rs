//! A stream batch of the events table, as Lambda delivers it to the counter: inside a tumbling
//! window (the window, the shard, the state so far, whether this is the window's last
//! invocation) or alone. Each record that first wrote an event item (`INSERT`) counts; a
//! record the state already counted (a repeated batch) is skipped by its sequence number.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::count::counted;
use super::tally::Tally;
use crate::base::digest::{hex, sha256};

/// The state's keys: the last sequence number counted, the window's flushes so far, the tally.
const STATE_SEQUENCE: &str = "seq";
const STATE_PART: &str = "part";
const STATE_TALLY: &str = "tally";
/// Lambda keeps at most 1 MB of state: a tally past this is written before the window ends.
pub const STATE_LIMIT_BYTES: usize = 700 * 1024;
/// Sequence numbers are compared as text, left-padded to this width (DynamoDB's are 21 to 40
/// digits).
const SEQUENCE_WIDTH: usize = 40;

/// Why a batch could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// Not the shape of a DynamoDB stream event.
    #[error("not a DynamoDB stream event: {0}")]
    Shape(String),
    /// The state is not one this function wrote.
    #[error(transparent)]
    State(#[from] super::tally::TallyTextError),
}

#[derive(Deserialize)]
struct Batch {
    #[serde(rename = "Records", default)]
    records: Option<Vec<Value>>,
    #[serde(default)]
    window: Option<Window>,
    #[serde(default)]
    state: Option<HashMap<String, String>>,
    #[serde(rename = "shardId", default)]
    shard_id: Option<String>,
    #[serde(rename = "eventSourceARN", default)]
    event_source_arn: Option<String>,
    #[serde(rename = "isFinalInvokeForWindow", default)]
    is_final: bool,
}

#[derive(Deserialize)]
struct Window {
    start: DateTime<Utc>,
}

/// What to write, and the mark that makes it land once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flush {
    /// The attribute holding the writer's mark.
    pub mark_name: String,
    /// Items holding a mark at or above this took these counts already.
    pub mark_below: String,
    /// The mark they hold after.
    pub mark: String,
}

/// What one invocation does with its batch.
#[derive(Debug, Default)]
pub struct Plan {
    /// The counts to write now, or to carry in the state.
    pub tally: Tally,
    /// Where the counts go now, when they do.
    pub flush: Option<Flush>,
    /// The state to answer with (inside a window).
    pub state: Option<HashMap<String, String>>,
    /// Records in the batch.
    pub records: usize,
    /// Records counted (first writes of event items of a counted kind).
    pub counted: usize,
    /// Records the state had counted already.
    pub repeated: usize,
    /// Records that could not be read (logged, skipped).
    pub unreadable: usize,
}

/// Reads a batch and decides what to count and when to write it.
pub fn plan(event: &Value) -> Result<Plan, WindowError> {
    let batch = Batch::deserialize(event).map_err(|e| WindowError::Shape(e.to_string()))?;
    let records = batch
        .records
        .ok_or_else(|| WindowError::Shape("no Records".to_owned()))?;
    let mut plan = Plan {
        records: records.len(),
        ..Plan::default()
    };
    let state = batch.state.unwrap_or_default();
    let windowed = batch.window.is_some() && batch.shard_id.is_some();
    let mut last_counted = if windowed {
        plan.tally = Tally::from_text(state.get(STATE_TALLY).map_or("", String::as_str))?;
        state.get(STATE_SEQUENCE).cloned().unwrap_or_default()
    } else {
        String::new()
    };
    let mut first_seen: Option<String> = None;
    for record in &records {
        let Some((sequence, image)) = insert_of(record, &mut plan) else {
            continue;
        };
        first_seen.get_or_insert_with(|| sequence.clone());
        if windowed && sequence <= last_counted {
            plan.repeated += 1;
            continue;
        }
        if let Some(c) = image.as_ref().and_then(counted) {
            plan.tally.add(&c);
            plan.counted += 1;
        }
        if sequence > last_counted {
            last_counted = sequence;
        }
    }
    match (batch.window, batch.shard_id) {
        (Some(window), Some(shard)) => {
            let part: u32 = state.get(STATE_PART).and_then(|p| p.parse().ok()).unwrap_or(0);
            let text = plan.tally.to_text();
            let mark = format!("{:012}{part:04}", window.start.timestamp().max(0));
            let flush = || Flush {
                mark_name: format!("w_{}", digest8(&shard)),
                mark_below: mark.clone(),
                mark: mark.clone(),
            };
            if batch.is_final {
                plan.flush = Some(flush());
                plan.state = Some(HashMap::new());
            } else if text.len() > STATE_LIMIT_BYTES {
                plan.flush = Some(flush());
                plan.state = Some(HashMap::from([
                    (STATE_SEQUENCE.to_owned(), last_counted),
                    (STATE_PART.to_owned(), (part + 1).to_string()),
                ]));
            } else {
                plan.state = Some(HashMap::from([
                    (STATE_SEQUENCE.to_owned(), last_counted),
                    (STATE_PART.to_owned(), part.to_string()),
                    (STATE_TALLY.to_owned(), text),
                ]));
            }
        }
        _ => {
            // A batch outside any window is written at once, marked with its range of
            // sequence numbers: a repeat of the batch (or a half of it) adds nothing.
            let source = batch.event_source_arn.unwrap_or_default();
            if let Some(first) = first_seen {
                plan.flush = Some(Flush {
                    mark_name: format!("s_{}", digest8(&source)),
                    mark_below: first,
                    mark: last_counted,
                });
            }
        }
    }
    Ok(plan)
}

/// A record's padded sequence number and its new image, when it is an `INSERT`.
fn insert_of(record: &Value, plan: &mut Plan) -> Option<(String, Option<HashMap<String, AttributeValue>>)> {
    if record["eventName"].as_str() != Some("INSERT") {
        return None;
    }
    let change = &record["dynamodb"];
    let Some(sequence) = change["SequenceNumber"]
        .as_str()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
    else {
        plan.unreadable += 1;
        tracing::warn!("a stream record without a sequence number is skipped");
        return None;
    };
    let image = match serde_dynamo::Item::deserialize(&change["NewImage"]) {
        Ok(item) => Some(HashMap::<String, AttributeValue>::from(item)),
        Err(error) => {
            plan.unreadable += 1;
            tracing::warn!(sequence, %error, "a stream record's image could not be read; it counts nothing");
            None
        }
    };
    Some((padded(sequence), image))
}

/// A sequence number padded to compare as text.
pub fn padded(sequence: &str) -> String {
    format!("{sequence:0>SEQUENCE_WIDTH$}")
}

/// The first eight hex digits of a name's SHA-256: short attribute names for marks.
fn digest8(name: &str) -> String {
    hex(&sha256(name.as_bytes())[..4])
}

/// A stream record of a first write of `item` (`INSERT`, its new image), as Lambda delivers it;
/// tests and benchmarks feed the counter with these, made from the table's items.
#[cfg(any(test, feature = "test-util"))]
pub fn insert_record(sequence: u64, item: &HashMap<String, AttributeValue>) -> Value {
    change_record("INSERT", sequence, item)
}

/// A stream record of a change of `item` (`INSERT` or `MODIFY`).
#[cfg(any(test, feature = "test-util"))]
pub fn change_record(name: &str, sequence: u64, item: &HashMap<String, AttributeValue>) -> Value {
    let image = serde_json::to_value(serde_dynamo::Item::from(item.clone())).unwrap_or(Value::Null);
    serde_json::json!({
        "eventID": format!("{sequence:x}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_795_521_600,
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": (100_000_000_000_000_000_000u128 + u128::from(sequence)).to_string(),
            "SizeBytes": 512,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": STREAM_ARN_EXAMPLE
    })
}

/// The stream ARN the test records name.
#[cfg(any(test, feature = "test-util"))]
pub const STREAM_ARN_EXAMPLE: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/events/stream/2026-12-05T00:00:00.000";

/// One invocation of a tumbling window, as Lambda makes it.
#[cfg(any(test, feature = "test-util"))]
pub fn window_event(shard: &str, start: &str, records: &[Value], state: &Value, last: bool) -> Value {
    serde_json::json!({
        "Records": records,
        "window": {"start": start, "end": start},
        "state": state,
        "shardId": shard,
        "eventSourceARN": STREAM_ARN_EXAMPLE,
        "isFinalInvokeForWindow": last,
        "isWindowTerminatedEarly": false
    })
}
