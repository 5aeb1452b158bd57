//! One stored event as the read side shows it: [`TimelineEvent`].

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::source::{text, Key, StoredItem};

/// One event of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// Its item's key.
    pub key: Key,
    /// When it happened (RFC 3339), as the provider said or, failing that, when received.
    pub occurred_at: String,
    /// The provider that reported it (`sendgrid`).
    pub provider: String,
    /// The normalized event (`delivered`, `bounced`, …).
    pub event: String,
    /// The recipient, normalized ("" when the event names none).
    pub recipient: String,
    /// The message it belongs to ("" for events that carry no message id).
    pub message: String,
    /// The most telling detail, on one line.
    pub detail: String,
    /// Every stored attribute as JSON, the raw event decoded (`--output json`).
    pub json: Value,
}

impl TimelineEvent {
    /// The event stored in `item` (an event item or its `by_recipient` row).
    pub fn from_item(item: &StoredItem) -> TimelineEvent {
        TimelineEvent {
            key: (text(item, "pk").to_owned(), text(item, "sk").to_owned()),
            occurred_at: text(item, "occurred_at").to_owned(),
            provider: text(item, "provider").to_owned(),
            event: text(item, "event").to_owned(),
            recipient: text(item, "recipient").to_owned(),
            message: message_of(item).to_owned(),
            detail: detail(item),
            json: item_json(item),
        }
    }

    /// The sort key (time, event, digest): the timeline's order.
    pub fn sk(&self) -> &str {
        &self.key.1
    }

    /// The message's subject, read from the raw event by its provider's decoder, where the
    /// provider sends one (the raw event is there once the full item was read).
    pub fn subject(&self) -> Option<String> {
        let provider = crate::model::Provider::parse(&self.provider)?;
        let raw = self.json.get("raw")?.as_str()?;
        (provider.spec().subject)(raw)
    }

    /// A text attribute of the stored item ("" when absent).
    pub fn attribute(&self, name: &str) -> &str {
        self.json.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

/// The message an item belongs to: `message_id` when stored (an id cut to fit the key), else
/// the partition key, unless that is a fallback key.
pub fn message_of(item: &StoredItem) -> &str {
    match text(item, "message_id") {
        "" => {
            let pk = text(item, "pk");
            if pk.starts_with(crate::model::key::NO_MESSAGE_PREFIX) {
                ""
            } else {
                pk
            }
        }
        id => id,
    }
}

/// The most telling detail of an event, on one line (the stored `summary` when there is one).
pub fn detail(item: &StoredItem) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !text(item, "summary").is_empty() {
        parts.push(text(item, "summary"));
    }
    for name in ["bounce_class", "smtp_status", "reason", "url", "smtp_response"] {
        let value = text(item, name);
        if !value.is_empty() && !parts.iter().any(|p| p.contains(value)) {
            parts.push(value);
        }
    }
    if item.get("provider_suppressed").and_then(|v| v.as_bool().ok()) == Some(&true) {
        parts.push("provider refuses the address");
    }
    parts.join(" | ")
}

/// An attribute value as plain JSON (numbers as numbers, binary as base64).
pub fn value_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| n.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(list) => Value::Array(list.iter().map(value_json).collect()),
        AttributeValue::M(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
        }
        AttributeValue::B(blob) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(blob.as_ref()))
        }
        AttributeValue::Ss(set) => Value::Array(set.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(set) => Value::Array(set.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

/// An item as a JSON object, keys sorted, with the raw event decoded whichever form it was
/// stored in (`raw`: the original text; `raw_error` when it cannot be read back).
pub fn item_json(item: &StoredItem) -> Value {
    let mut object: std::collections::BTreeMap<String, Value> = item
        .iter()
        .filter(|(k, _)| k.as_str() != "raw_z")
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    match crate::store::item::original_raw(item) {
        Some(Ok(bytes)) => {
            object.insert(
                "raw".into(),
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            );
        }
        Some(Err(error)) => {
            object.insert("raw_error".into(), Value::String(error.to_string()));
        }
        None => {}
    }
    Value::Object(object.into_iter().collect::<Map<String, Value>>())
}
