//! DynamoDB stream records of the suppression table, as Lambda delivers them, read with
//! `aws_lambda_events`' DynamoDB types into the records before and after each change. Each
//! record is read on its own, so one that cannot be read is answered as a batch item failure
//! without holding back the others before it.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;
use serde_json::Value;

use crate::store::suppression::record_from_item;
use crate::suppression::Record;

/// Why a stream event could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Not the shape of a DynamoDB stream event.
    #[error("not a DynamoDB stream event: {0}")]
    Shape(String),
}

/// One change of one suppression record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordChange {
    /// The stream record's `eventID`.
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: String,
    /// Its sequence number (what a partial-batch answer names).
    pub sequence_number: String,
    /// The record before (absent for an insert).
    pub before: Option<Record>,
    /// The record after (absent for a removal).
    pub after: Option<Record>,
}

/// A stream record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream record {sequence_number:?} could not be read: {reason}")]
pub struct UnreadableRecord {
    /// Its sequence number, when that much could be read.
    pub sequence_number: Option<String>,
    /// Why.
    pub reason: String,
}

#[derive(Deserialize)]
struct Batch {
    #[serde(rename = "Records")]
    records: Vec<Value>,
}

/// The records of a stream event, in stream order, each read or not.
pub fn changes(event: &Value) -> Result<Vec<Result<RecordChange, UnreadableRecord>>, StreamError> {
    let batch = Batch::deserialize(event).map_err(|e| StreamError::Shape(e.to_string()))?;
    Ok(batch.records.into_iter().map(change).collect())
}

fn change(value: Value) -> Result<RecordChange, UnreadableRecord> {
    let sequence_number = value["dynamodb"]["SequenceNumber"].as_str().map(str::to_owned);
    let record = EventRecord::deserialize(&value).map_err(|e| UnreadableRecord {
        sequence_number: sequence_number.clone(),
        reason: e.to_string(),
    })?;
    let image = |image: serde_dynamo::Item| -> Option<Record> {
        if image.is_empty() {
            return None;
        }
        let item: HashMap<String, AttributeValue> = image.into();
        Some(record_from_item(&item))
    };
    let change = record.change;
    Ok(RecordChange {
        before: image(change.old_image),
        after: image(change.new_image),
        sequence_number: change.sequence_number.unwrap_or_default(),
        event_id: record.event_id,
        event_name: record.event_name,
    })
}

/// An item as DynamoDB's JSON (tests build stream records from the table's images with it).
#[cfg(any(test, feature = "test-util"))]
pub fn image_json(item: &HashMap<String, AttributeValue>) -> Value {
    serde_json::to_value(serde_dynamo::Item::from(item.clone())).unwrap_or(Value::Null)
}

/// A stream record in the shape Lambda delivers, from the images before and after a change.
#[cfg(any(test, feature = "test-util"))]
pub fn stream_record(
    sequence: u64,
    before: Option<&HashMap<String, AttributeValue>>,
    after: Option<&HashMap<String, AttributeValue>>,
    table_arn: &str,
) -> Value {
    let keys = after
        .or(before)
        .and_then(|item| item.get(crate::store::suppression::ADDRESS))
        .map(|address| {
            Value::Object(
                [(
                    crate::store::suppression::ADDRESS.to_owned(),
                    serde_json::to_value(serde_dynamo::AttributeValue::from(address.clone()))
                        .unwrap_or(Value::Null),
                )]
                .into_iter()
                .collect(),
            )
        })
        .unwrap_or(Value::Null);
    let name = match (before, after) {
        (None, _) => "INSERT",
        (Some(_), None) => "REMOVE",
        _ => "MODIFY",
    };
    let mut payload = serde_json::json!({
        "ApproximateCreationDateTime": 1_795_521_600,
        "Keys": keys,
        "SequenceNumber": format!("{sequence:021}"),
        "SizeBytes": 256,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(before) = before {
        payload["OldImage"] = image_json(before);
    }
    if let Some(after) = after {
        payload["NewImage"] = image_json(after);
    }
    serde_json::json!({
        "eventID": crate::base::digest::short_hash(format!("{table_arn}{sequence}").as_bytes()),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": payload,
        "eventSourceARN": format!("{table_arn}/stream/2026-01-01T00:00:00.000"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_dynamodb_json() {
        let item = HashMap::from([
            (
                "address".to_owned(),
                AttributeValue::S("ann@example.com".to_owned()),
            ),
            ("version".to_owned(), AttributeValue::N("3".to_owned())),
            (
                "hard_bounce".to_owned(),
                AttributeValue::M(HashMap::from([
                    (
                        "at".to_owned(),
                        AttributeValue::S("2026-01-01T00:00:00.000Z".to_owned()),
                    ),
                    ("ambiguous".to_owned(), AttributeValue::Bool(false)),
                ])),
            ),
        ]);
        let event = serde_json::json!({"Records": [stream_record(7, None, Some(&item), "arn:aws:dynamodb:us-east-1:1:table/s")]});
        let changes = changes(&event).unwrap();
        let change = changes[0].as_ref().unwrap();
        assert_eq!(change.sequence_number, "000000000000000000007");
        assert_eq!(change.event_name, "INSERT");
        assert!(change.before.is_none());
        assert_eq!(change.after.as_ref().unwrap().version, 3);
    }

    #[test]
    fn the_documented_record_shape_reads_into_both_records() {
        let event: Value = serde_json::from_str(
            r#"{"Records":[{"eventID":"1","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
            "dynamodb":{"ApproximateCreationDateTime":1479499740,"Keys":{"address":{"S":"ann@example.com"}},
              "OldImage":{"address":{"S":"ann@example.com"}},
              "NewImage":{"address":{"S":"ann@example.com"},"version":{"N":"2"},"updated_at":{"S":"2026-01-01T00:00:01.000Z"},"hard_bounce":{"M":{"at":{"S":"2026-01-01T00:00:00.000Z"},"key":{"S":"k"},"event":{"S":"bounce"},"provider_evidence":{"BOOL":false},"ambiguous":{"BOOL":false}}}},
              "SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},
            "eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/s/stream/2026"}]}"#,
        )
        .unwrap();
        let changes = changes(&event).unwrap();
        assert_eq!(changes.len(), 1);
        let change = changes[0].as_ref().unwrap();
        assert_eq!(change.sequence_number, "111");
        assert!(!change.before.as_ref().unwrap().verdict().suppressed);
        let after = change.after.as_ref().unwrap();
        assert!(after.verdict().suppressed);
        assert_eq!(
            (after.version, after.updated_at.as_deref()),
            (2, Some("2026-01-01T00:00:01.000Z"))
        );
    }

    #[test]
    fn other_shapes_are_refused_and_a_bad_record_is_unreadable_alone() {
        assert!(changes(&serde_json::json!({"detail": {}})).is_err());
        let good = stream_record(
            1,
            None,
            Some(&HashMap::from([(
                "address".to_owned(),
                AttributeValue::S("ann@example.com".to_owned()),
            )])),
            "arn:aws:dynamodb:us-east-1:1:table/s",
        );
        let bad = serde_json::json!({"eventID": "9", "eventName": "MODIFY", "awsRegion": "us-east-1",
            "dynamodb": {"SequenceNumber": "222", "SizeBytes": 1, "NewImage": {"address": {"X": 1}}}});
        let read = changes(&serde_json::json!({"Records": [good, bad, {"Sns": {}}]})).unwrap();
        assert!(read[0].is_ok());
        assert_eq!(
            read[1].as_ref().unwrap_err().sequence_number.as_deref(),
            Some("222")
        );
        assert!(read[2].as_ref().unwrap_err().sequence_number.is_none());
    }
}
