//! Stored items for people and scripts: DynamoDB attribute maps as JSON, and tables.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde_json::{Map, Value};

/// A stored item.
pub type Item = HashMap<String, AttributeValue>;

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
        AttributeValue::Null(_) => Value::Null,
        _ => Value::Null,
    }
}

/// An item as a JSON object, keys sorted, with the raw event decoded whichever form it was
/// stored in (`raw`: the original text; `raw_error` when it cannot be read back).
pub fn item_json(item: &Item) -> Value {
    let mut object: Map<String, Value> = item
        .iter()
        .filter(|(k, _)| k.as_str() != "raw_z")
        .map(|(k, v)| (k.clone(), value_json(v)))
        .collect();
    match mailtrail::store::item::original_raw(item) {
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
    let sorted: std::collections::BTreeMap<String, Value> = object.into_iter().collect();
    Value::Object(sorted.into_iter().collect())
}

/// The message an item belongs to: `message_id` when stored (an id cut to fit the key), else
/// the partition key, unless that is a fallback key.
pub fn message_of(item: &Item) -> &str {
    match text(item, "message_id") {
        "" => {
            let pk = text(item, "pk");
            if pk.starts_with(mailtrail::model::key::NO_MESSAGE_PREFIX) {
                ""
            } else {
                pk
            }
        }
        id => id,
    }
}

/// A text attribute, or "".
pub fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// The most telling detail of an event, on one line (the stored `summary` when there is one).
pub fn detail(item: &Item) -> String {
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

/// Every item a query returns, all pages; `what` names the read in the error.
pub async fn query_all(query: QueryFluentBuilder, what: &str) -> anyhow::Result<Vec<Item>> {
    query
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)
        .with_context(|| format!("reading {what}"))
}

/// Every item a scan returns, all pages; `what` names the read in the error.
pub async fn scan_all(scan: ScanFluentBuilder, what: &str) -> anyhow::Result<Vec<Item>> {
    scan.into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)
        .with_context(|| format!("reading {what}"))
}

/// An events-table key: (`pk`, `sk`).
pub type Key = (String, String);

/// The items of `keys` in `table`, read with BatchGetItem (100 keys a request, unprocessed
/// keys sent again); keys with no item are absent from the map.
pub async fn get_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: impl IntoIterator<Item = Key>,
) -> anyhow::Result<HashMap<Key, Item>> {
    let keys: Vec<Item> = keys
        .into_iter()
        .map(|(pk, sk)| {
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(pk)),
                ("sk".to_owned(), AttributeValue::S(sk)),
            ])
        })
        .collect();
    let items = mailtrail::store::batch_get::batch_get(client, table, keys, false)
        .await
        .context("reading events")?;
    Ok(items
        .into_iter()
        .map(|item| ((text(&item, "pk").to_owned(), text(&item, "sk").to_owned()), item))
        .collect())
}

/// A table for people, fitted to the terminal.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}
