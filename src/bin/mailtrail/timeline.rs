//! `mailtrail message` and `mailtrail recipient`: timelines, oldest first.

use std::collections::{HashMap, HashSet};

use anyhow::bail;
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::store::item::raw_holder;
use mailtrail::store::table::BY_RECIPIENT_INDEX;

use crate::args::Output;
use crate::items::{detail, get_all, item_json, message_of, query_all, table, text, Item, Key};
use crate::tables::Context;

/// One message's items, every recipient, each with its raw event.
pub async fn message_items(context: &Context, id: &str) -> anyhow::Result<Vec<Item>> {
    if !is_message_partition(id) {
        return Ok(Vec::new());
    }
    let query = context
        .client
        .query()
        .table_name(context.table()?)
        .key_condition_expression("pk = :id")
        .expression_attribute_values(":id", AttributeValue::S(id.to_owned()));
    let items = query_all(query, "the message's timeline").await?;
    with_shared_raw(context, items).await
}

/// Whether a partition of the events table holds a message's events: kept bodies
/// (`quarantine#…`) and Mailgun's token bindings (`token#…`) share the table but are no
/// message, and the message routes never show them.
pub fn is_message_partition(pk: &str) -> bool {
    !pk.starts_with(mailtrail::store::quarantine::QUARANTINE_PREFIX)
        && !pk.starts_with(mailtrail::store::dynamodb::TOKEN_PREFIX)
}

/// One message's timeline.
pub async fn message(context: &Context, id: &str) -> anyhow::Result<()> {
    let items = message_items(context, id).await?;
    print(context, &format!("Message {id}"), items)
}

/// The `by_recipient` rows of an address, with sort keys from `since` (inclusive) to `until`
/// (exclusive), both sort-key prefixes; at most `limit` rows, newest first when `newest_first`.
pub async fn recipient_rows(
    context: &Context,
    address: &str,
    since: Option<&str>,
    until: Option<&str>,
    limit: Option<usize>,
    newest_first: bool,
) -> anyhow::Result<Vec<Item>> {
    let mut query = context
        .client
        .query()
        .table_name(context.table()?)
        .index_name(BY_RECIPIENT_INDEX)
        .scan_index_forward(!newest_first)
        .expression_attribute_values(":r", AttributeValue::S(address.to_owned()));
    query = match (since, until) {
        (Some(since), Some(until)) => query
            .key_condition_expression("recipient = :r AND sk BETWEEN :since AND :until")
            .expression_attribute_values(":since", AttributeValue::S(since.to_owned()))
            .expression_attribute_values(":until", AttributeValue::S(until.to_owned())),
        (Some(since), None) => query
            .key_condition_expression("recipient = :r AND sk >= :since")
            .expression_attribute_values(":since", AttributeValue::S(since.to_owned())),
        (None, Some(until)) => query
            .key_condition_expression("recipient = :r AND sk < :until")
            .expression_attribute_values(":until", AttributeValue::S(until.to_owned())),
        (None, None) => query.key_condition_expression("recipient = :r"),
    };
    let Some(limit) = limit else {
        return query_all(query, "the address's timeline").await;
    };
    let mut rows = Vec::new();
    let mut pages = query.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(aws_sdk_dynamodb::Error::from)
            .map_err(|e| anyhow::anyhow!(e).context("reading the address's timeline"))?;
        rows.extend(page.items.unwrap_or_default());
        if rows.len() >= limit {
            rows.truncate(limit);
            break;
        }
    }
    Ok(rows)
}

/// Everything that happened to one address since a time.
pub async fn recipient(
    context: &Context,
    address: &str,
    since: Option<&str>,
    detail: bool,
) -> anyhow::Result<()> {
    let address = crate::suppressed::normalized(address)?;
    let since = since.map(since_key).transpose()?;
    let items = recipient_rows(context, &address, since.as_deref(), None, None, false).await?;
    let items = if detail {
        with_full_items(context, items).await?
    } else {
        items
    };
    print(context, &format!("Recipient {address}"), items)
}

/// Each index row's full item with its raw event.
pub async fn with_full_items(context: &Context, rows: Vec<Item>) -> anyhow::Result<Vec<Item>> {
    with_shared_raw(context, full_items(context, rows).await?).await
}

/// One item by its key, with its raw event.
pub async fn event_item(context: &Context, pk: &str, sk: &str) -> anyhow::Result<Option<Item>> {
    if !is_message_partition(pk) {
        return Ok(None);
    }
    let mut found = get_all(
        &context.client,
        context.table()?,
        [(pk.to_owned(), sk.to_owned())],
    )
    .await?;
    match found.remove(&(pk.to_owned(), sk.to_owned())) {
        Some(item) => Ok(with_shared_raw(context, vec![item]).await?.pop()),
        None => Ok(None),
    }
}

/// Each index row's full item, read in batches.
async fn full_items(context: &Context, rows: Vec<Item>) -> anyhow::Result<Vec<Item>> {
    let keys: Vec<Key> = rows
        .iter()
        .map(|row| key_of(row, text(row, "sk")))
        .filter(|(pk, sk)| !pk.is_empty() && !sk.is_empty())
        .collect();
    let mut full = get_all(&context.client, context.table()?, keys).await?;
    Ok(rows
        .into_iter()
        .map(|row| full.remove(&key_of(&row, text(&row, "sk"))).unwrap_or(row))
        .collect())
}

/// Gives each item whose raw event is kept once for several recipients (`raw_in`) a copy of
/// it from the item holding it: from `items` when it is there, else read in one batch.
async fn with_shared_raw(context: &Context, mut items: Vec<Item>) -> anyhow::Result<Vec<Item>> {
    let wanted: HashSet<Key> = items
        .iter()
        .filter_map(|item| raw_holder(item).map(|sk| key_of(item, sk)))
        .collect();
    if wanted.is_empty() {
        return Ok(items);
    }
    let mut holders: HashMap<Key, Item> = items
        .iter()
        .map(|item| (key_of(item, text(item, "sk")), item))
        .filter(|(key, _)| wanted.contains(key))
        .map(|(key, item)| (key, item.clone()))
        .collect();
    let missing: Vec<Key> = wanted
        .into_iter()
        .filter(|key| !holders.contains_key(key))
        .collect();
    if !missing.is_empty() {
        holders.extend(get_all(&context.client, context.table()?, missing).await?);
    }
    for item in &mut items {
        let Some(holder) = raw_holder(item).and_then(|sk| holders.get(&key_of(item, sk))) else {
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

/// The key of the item in `item`'s partition with sort key `sk`.
fn key_of(item: &Item, sk: &str) -> Key {
    (text(item, "pk").to_owned(), sk.to_owned())
}

/// The attributes that carry a raw event.
const RAW_ATTRIBUTES: &[&str] = &["raw", "raw_z", "raw_codec", "raw_bytes"];

/// A `--since` value as the sort-key prefix it compares with: a date or an RFC 3339 time.
pub fn since_key(since: &str) -> anyhow::Result<String> {
    let since = since.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d") {
        return Ok(format!("{date}T00:00:00.000Z"));
    }
    match mailtrail::model::Timestamp::parse_rfc3339(since) {
        Some(time) => Ok(time.to_rfc3339()),
        None => bail!("--since {since:?} is neither a date (2026-01-01) nor an RFC 3339 time"),
    }
}

fn print(context: &Context, title: &str, mut items: Vec<Item>) -> anyhow::Result<()> {
    items.sort_by(|a, b| (text(a, "sk"), text(a, "pk")).cmp(&(text(b, "sk"), text(b, "pk"))));
    match context.output {
        Output::Json => println!(
            "{}",
            serde_json::Value::Array(items.iter().map(item_json).collect())
        ),
        Output::Table => {
            let mut rows = table(&["time", "provider", "event", "recipient", "message", "detail"]);
            for item in &items {
                rows.add_row(vec![
                    text(item, "occurred_at"),
                    text(item, "provider"),
                    text(item, "event"),
                    text(item, "recipient"),
                    message_of(item),
                    &detail(item),
                ]);
            }
            println!("{title}: {} events\n{rows}", items.len());
        }
    }
    Ok(())
}
