//! DynamoDB stream records of the suppression table, as Lambda delivers them
//! (`{"Records": [{"eventID", "eventName", "dynamodb": {"Keys", "OldImage", "NewImage",
//! "SequenceNumber", …}}]}`), read into the records before and after each change.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;
use serde_json::Value;

use crate::store::suppression::record_from_item;
use crate::suppression::Record;

/// Why a stream event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Not the shape of a DynamoDB stream event.
    #[error("not a DynamoDB stream event: {0}")]
    Shape(String),
    /// An image holds an attribute value of no known type.
    #[error("record {record}: attribute {attribute} is not a DynamoDB attribute value")]
    Attribute {
        /// The record's `eventID`.
        record: String,
        /// The attribute.
        attribute: String,
    },
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

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "Records")]
    records: Vec<StreamRecord>,
}

#[derive(Deserialize)]
struct StreamRecord {
    #[serde(rename = "eventID", default)]
    event_id: String,
    #[serde(rename = "eventName", default)]
    event_name: String,
    dynamodb: StreamPayload,
}

#[derive(Deserialize)]
struct StreamPayload {
    #[serde(rename = "OldImage")]
    old_image: Option<HashMap<String, Value>>,
    #[serde(rename = "NewImage")]
    new_image: Option<HashMap<String, Value>>,
    #[serde(rename = "SequenceNumber", default)]
    sequence_number: String,
}

/// The changes of a stream event, in stream order.
pub fn changes(event: &Value) -> Result<Vec<RecordChange>, StreamError> {
    let event = Event::deserialize(event).map_err(|e| StreamError::Shape(e.to_string()))?;
    event
        .records
        .into_iter()
        .map(|record| {
            let image = |image: Option<HashMap<String, Value>>| -> Result<Option<Record>, StreamError> {
                let Some(image) = image else { return Ok(None) };
                let mut item = HashMap::with_capacity(image.len());
                for (name, value) in image {
                    let value = attribute(&value).ok_or_else(|| StreamError::Attribute {
                        record: record.event_id.clone(),
                        attribute: name.clone(),
                    })?;
                    item.insert(name, value);
                }
                Ok(Some(record_from_item(&item)))
            };
            Ok(RecordChange {
                before: image(record.dynamodb.old_image)?,
                after: image(record.dynamodb.new_image)?,
                event_id: record.event_id,
                event_name: record.event_name,
                sequence_number: record.dynamodb.sequence_number,
            })
        })
        .collect()
}

/// One attribute value in DynamoDB's JSON (`{"S": "…"}`, `{"M": {…}}`, …).
pub fn attribute(value: &Value) -> Option<AttributeValue> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let (kind, inner) = object.iter().next()?;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    Some(match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_owned()),
        "N" => AttributeValue::N(inner.as_str()?.to_owned()),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "B" => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(inner.as_str()?)
                .ok()?;
            AttributeValue::B(bytes.into())
        }
        "M" => AttributeValue::M(
            inner
                .as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), attribute(v)?)))
                .collect::<Option<_>>()?,
        ),
        "L" => AttributeValue::L(inner.as_array()?.iter().map(attribute).collect::<Option<_>>()?),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        _ => return None,
    })
}

/// An item as DynamoDB's JSON: the inverse of [`attribute`] (tests and the demo build stream
/// records from the table's images with it).
pub fn image_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect())
}

fn attribute_json(value: &AttributeValue) -> Value {
    use base64::Engine as _;
    let one = |kind: &str, v: Value| Value::Object([(kind.to_owned(), v)].into_iter().collect());
    match value {
        AttributeValue::S(s) => one("S", Value::from(s.as_str())),
        AttributeValue::N(n) => one("N", Value::from(n.as_str())),
        AttributeValue::Bool(b) => one("BOOL", Value::from(*b)),
        AttributeValue::B(b) => one(
            "B",
            Value::from(base64::engine::general_purpose::STANDARD.encode(b.as_ref())),
        ),
        AttributeValue::M(m) => one("M", image_json(m)),
        AttributeValue::L(l) => one("L", Value::Array(l.iter().map(attribute_json).collect())),
        AttributeValue::Ss(s) => one("SS", Value::from(s.clone())),
        AttributeValue::Ns(s) => one("NS", Value::from(s.clone())),
        _ => one("NULL", Value::from(true)),
    }
}

/// A stream record in the shape Lambda delivers, from the images before and after a change.
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
                    attribute_json(address),
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
        "eventID": crate::digest::short_hash(format!("{table_arn}{sequence}").as_bytes()),
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
    fn attribute_values_round_trip_through_dynamodb_json() {
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
            ("raw".to_owned(), AttributeValue::B(vec![0, 1, 2].into())),
            (
                "tags".to_owned(),
                AttributeValue::L(vec![AttributeValue::Null(true)]),
            ),
        ]);
        let json = image_json(&item);
        let back: HashMap<String, AttributeValue> = json
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), attribute(v).unwrap()))
            .collect();
        assert_eq!(back, item);
    }

    #[test]
    fn the_documented_record_shape_reads_into_both_records() {
        let event: Value = serde_json::from_str(
            r#"{"Records":[{"eventID":"1","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
            "dynamodb":{"Keys":{"address":{"S":"ann@example.com"}},
              "OldImage":{"address":{"S":"ann@example.com"}},
              "NewImage":{"address":{"S":"ann@example.com"},"hard_bounce":{"M":{"at":{"S":"2026-01-01T00:00:00.000Z"},"key":{"S":"k"},"event":{"S":"bounce"},"provider_evidence":{"BOOL":false},"ambiguous":{"BOOL":false}}}},
              "SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},
            "eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/s/stream/2026"}]}"#,
        )
        .unwrap();
        let changes = changes(&event).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].sequence_number, "111");
        assert!(!changes[0].before.as_ref().unwrap().verdict().suppressed);
        assert!(changes[0].after.as_ref().unwrap().verdict().suppressed);
    }

    #[test]
    fn other_shapes_are_refused() {
        assert!(changes(&serde_json::json!({"Records": [{"Sns": {}}]})).is_err());
        assert!(changes(&serde_json::json!({"detail": {}})).is_err());
        let bad = serde_json::json!({"Records": [{"eventID": "9", "dynamodb": {"NewImage": {"address": {"X": 1}}}}]});
        assert!(matches!(changes(&bad), Err(StreamError::Attribute { .. })));
    }
}
