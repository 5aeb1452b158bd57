//! Forgetting an address in the events table: its events (and so their `by_recipient` index
//! items) are deleted, and where its address appears in what is kept of other recipients'
//! events (a notification naming several recipients is one raw event, kept once, and reasons
//! quote addresses), it is replaced by [`FORGOTTEN`].

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::item::{original_raw, RAW_IN};
use crate::model::Provider;

/// What stands where a forgotten address was.
pub const FORGOTTEN: &str = "forgotten@forgotten.invalid";

/// Why the table could not be changed.
#[derive(Debug, thiserror::Error)]
#[error("forgetting in the events table: {0}")]
pub struct ForgetError(String);

/// What forgetting did (or, on a dry run, would do) in the events table.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ForgetReport {
    /// The address's event items deleted (each with its index item).
    pub events_deleted: usize,
    /// Other items rewritten: their raw event or texts named the address, or they now hold a
    /// raw event the deleted items held for them.
    pub items_rewritten: usize,
    /// The days the deleted events happened on (the archive's partitions to rewrite).
    pub days: Vec<String>,
}

/// `text` with every case-insensitive occurrence of `address` replaced.
pub fn redact(text: &str, address: &str) -> String {
    if address.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let needle = address.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find(&needle) {
        out.push_str(&text[at..at + found]);
        out.push_str(FORGOTTEN);
        at += found + needle.len();
    }
    out.push_str(&text[at..]);
    out
}

fn dynamo_error<E: std::error::Error + Send + Sync + 'static, R: std::fmt::Debug + Send + Sync + 'static>(
    error: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> ForgetError
where
    aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, R>>,
{
    ForgetError(aws_sdk_dynamodb::Error::from(error).to_string())
}

/// Forgets `address` (normalized) in `table`; with `dry_run`, only counts.
pub async fn forget_events(
    client: &Client,
    table: &str,
    address: &str,
    dry_run: bool,
) -> Result<ForgetReport, ForgetError> {
    let rows: Vec<HashMap<String, AttributeValue>> = client
        .query()
        .table_name(table)
        .index_name(super::table::BY_RECIPIENT_INDEX)
        .key_condition_expression("recipient = :r")
        .expression_attribute_values(":r", AttributeValue::S(address.to_owned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(dynamo_error)?;
    let mut partitions: BTreeMap<String, ()> = BTreeMap::new();
    for row in &rows {
        if let Some(AttributeValue::S(pk)) = row.get("pk") {
            partitions.insert(pk.clone(), ());
        }
    }
    let mut report = ForgetReport::default();
    let mut days = BTreeMap::new();
    for pk in partitions.into_keys() {
        let items = partition(client, table, &pk).await?;
        let text = |item: &HashMap<String, AttributeValue>, name: &str| {
            item.get(name).and_then(|v| v.as_s().ok()).cloned()
        };
        let (gone, kept): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|item| text(item, "recipient").as_deref() == Some(address));
        // Raw events the deleted items held for others, by the holder's sort key.
        let held: HashMap<String, Vec<u8>> = gone
            .iter()
            .filter_map(|item| Some((text(item, "sk")?, original_raw(item)?.ok()?)))
            .collect();
        let mut new_holder: HashMap<String, String> = HashMap::new();
        let mut rewritten = Vec::new();
        for mut item in kept {
            let mut changed = false;
            // A raw event held by a deleted item moves to the first of its other readers.
            if let Some(holder) = text(&item, RAW_IN).filter(|h| held.contains_key(h)) {
                match new_holder.get(&holder) {
                    Some(sk) => {
                        item.insert(RAW_IN.to_owned(), AttributeValue::S(sk.clone()));
                    }
                    None => {
                        item.remove(RAW_IN);
                        let provider = text(&item, "provider")
                            .and_then(|p| Provider::parse(&p))
                            .unwrap_or(Provider::Ses);
                        set_raw(&mut item, provider, held[&holder].as_slice());
                        new_holder.insert(holder, text(&item, "sk").unwrap_or_default());
                    }
                }
                changed = true;
            }
            // The address in this item's own raw event, and in its texts.
            if let Some(Ok(raw)) = original_raw(&item) {
                let raw_text = String::from_utf8_lossy(&raw);
                if raw_text.to_ascii_lowercase().contains(address) {
                    let provider = text(&item, "provider")
                        .and_then(|p| Provider::parse(&p))
                        .unwrap_or(Provider::Ses);
                    set_raw(&mut item, provider, redact(&raw_text, address).as_bytes());
                    changed = true;
                }
            }
            for name in ["reason", "summary", "url", "smtp_response", "message_id"] {
                if let Some(value) = text(&item, name).filter(|v| v.to_ascii_lowercase().contains(address)) {
                    item.insert(name.to_owned(), AttributeValue::S(redact(&value, address)));
                    changed = true;
                }
            }
            if changed {
                rewritten.push(item);
            }
        }
        for item in &gone {
            if let Some(day) = text(item, "occurred_at").and_then(|t| t.get(..10).map(str::to_owned)) {
                days.insert(day, ());
            }
        }
        report.events_deleted += gone.len();
        report.items_rewritten += rewritten.len();
        if dry_run {
            continue;
        }
        // Others first, so that no raw event is ever without a holder.
        for item in rewritten {
            client
                .put_item()
                .table_name(table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(dynamo_error)?;
        }
        for item in gone {
            client
                .delete_item()
                .table_name(table)
                .key("pk", AttributeValue::S(pk.clone()))
                .key(
                    "sk",
                    item.get("sk")
                        .cloned()
                        .unwrap_or(AttributeValue::S(String::new())),
                )
                .send()
                .await
                .map_err(dynamo_error)?;
        }
    }
    report.days = days.into_keys().collect();
    Ok(report)
}

/// Every item of one partition, read consistently.
async fn partition(
    client: &Client,
    table: &str,
    pk: &str,
) -> Result<Vec<HashMap<String, AttributeValue>>, ForgetError> {
    client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(dynamo_error)
}

/// Sets an item's raw event (compressed when that is smaller), replacing what it held.
fn set_raw(item: &mut HashMap<String, AttributeValue>, provider: Provider, raw: &[u8]) {
    for name in ["raw", "raw_z", "raw_codec", "raw_bytes"] {
        item.remove(name);
    }
    match super::raw::compress(provider, raw) {
        Some((compressed, codec)) => {
            item.insert("raw_z".to_owned(), AttributeValue::B(Blob::new(compressed)));
            item.insert("raw_codec".to_owned(), AttributeValue::S(codec.to_owned()));
        }
        None => {
            item.insert(
                "raw".to_owned(),
                AttributeValue::S(String::from_utf8_lossy(raw).into_owned()),
            );
        }
    }
}

/// The key a forgotten address's suppression record is kept under: a one-way hash, so the
/// opt-out is still honoured when the address comes back, and the address itself is gone.
pub fn forgotten_key(address: &str) -> String {
    format!(
        "{FORGOTTEN_PREFIX}{}",
        crate::base::digest::hex(&crate::base::digest::sha256(address.as_bytes()))
    )
}

/// The prefix of forgotten addresses' suppression records.
pub const FORGOTTEN_PREFIX: &str = "forgotten#";

/// Moves `address`'s suppression record under [`forgotten_key`], the address replaced in
/// every text it holds (operators' notes); returns whether there was a record.
pub async fn forget_record(
    client: &Client,
    table: &str,
    address: &str,
    dry_run: bool,
) -> Result<bool, ForgetError> {
    let found = client
        .get_item()
        .table_name(table)
        .key(super::suppression::ADDRESS, AttributeValue::S(address.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(dynamo_error)?;
    let Some(item) = found.item else {
        return Ok(false);
    };
    if dry_run {
        return Ok(true);
    }
    let mut hashed: HashMap<String, AttributeValue> = item
        .into_iter()
        .map(|(k, v)| (k, redact_value(v, address)))
        .collect();
    hashed.insert(
        super::suppression::ADDRESS.to_owned(),
        AttributeValue::S(forgotten_key(address)),
    );
    client
        .put_item()
        .table_name(table)
        .set_item(Some(hashed))
        .send()
        .await
        .map_err(dynamo_error)?;
    client
        .delete_item()
        .table_name(table)
        .key(super::suppression::ADDRESS, AttributeValue::S(address.to_owned()))
        .send()
        .await
        .map_err(dynamo_error)?;
    Ok(true)
}

/// A value with the address replaced in every text it holds.
fn redact_value(value: AttributeValue, address: &str) -> AttributeValue {
    match value {
        AttributeValue::S(s) => AttributeValue::S(redact(&s, address)),
        AttributeValue::M(m) => AttributeValue::M(
            m.into_iter()
                .map(|(k, v)| (redact(&k, address), redact_value(v, address)))
                .collect(),
        ),
        AttributeValue::L(l) => AttributeValue::L(l.into_iter().map(|v| redact_value(v, address)).collect()),
        AttributeValue::Ss(ss) => AttributeValue::Ss(ss.into_iter().map(|s| redact(&s, address)).collect()),
        other => other,
    }
}

/// Records that an address was forgotten, without the address: when, by whom, what was
/// removed, and the hash its suppression record is kept under.
pub async fn audit(
    client: &Client,
    table: &str,
    entry: Vec<(&str, AttributeValue)>,
    subject: &str,
) -> Result<(), ForgetError> {
    let now = crate::model::Timestamp::now().to_rfc3339();
    let mut item: HashMap<String, AttributeValue> =
        entry.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    item.insert(
        "pk".to_owned(),
        AttributeValue::S(format!("{AUDIT_PREFIX}forget")),
    );
    item.insert(
        "sk".to_owned(),
        AttributeValue::S(format!(
            "{now}#{}",
            subject
                .get(FORGOTTEN_PREFIX.len()..FORGOTTEN_PREFIX.len() + 16)
                .unwrap_or("")
        )),
    );
    item.insert("at".to_owned(), AttributeValue::S(now));
    item.insert("subject".to_owned(), AttributeValue::S(subject.to_owned()));
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(dynamo_error)?;
    Ok(())
}

/// The prefix of the audit partitions of the events table.
pub const AUDIT_PREFIX: &str = "audit#";

/// Forgets `address` in the quarantine: each kept body (whole or one event) that names it is
/// written again with the address replaced (under its new body's key) and its old parts
/// removed; returns how many bodies named it.
pub async fn forget_in_quarantine(
    client: &Client,
    table: &str,
    address: &str,
    retention_days: u32,
    dry_run: bool,
) -> Result<usize, ForgetError> {
    use super::quarantine::{part_from_item, reassemble, KeptPart, QUARANTINE_PREFIX};
    let mut redacted = 0;
    for provider in Provider::ALL {
        let items = partition(
            client,
            table,
            &format!("{QUARANTINE_PREFIX}{}", provider.as_str()),
        )
        .await?;
        let parts: Vec<KeptPart> = items.iter().filter_map(part_from_item).collect();
        let mut bodies: BTreeMap<String, Vec<KeptPart>> = BTreeMap::new();
        for part in parts {
            bodies.entry(part.hash.clone()).or_default().push(part);
        }
        for parts in bodies.into_values() {
            let Some(body) = reassemble(&parts) else { continue };
            let text = String::from_utf8_lossy(&body);
            if !text.to_ascii_lowercase().contains(address) {
                continue;
            }
            redacted += 1;
            if dry_run {
                continue;
            }
            let first = &parts[0];
            let received_at = crate::model::Timestamp::parse_rfc3339(&first.received_at)
                .unwrap_or_else(crate::model::Timestamp::now);
            let clean = redact(&text, address);
            let body = super::QuarantinedBody {
                provider,
                body: clean.as_bytes(),
                error: &redact(&first.error, address),
                received_at,
                kept: first.kept,
            };
            for item in super::quarantine::items(&body, retention_days) {
                client
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item.attributes))
                    .send()
                    .await
                    .map_err(dynamo_error)?;
            }
            for part in &parts {
                client
                    .delete_item()
                    .table_name(table)
                    .key("pk", AttributeValue::S(part.key.pk.clone()))
                    .key("sk", AttributeValue::S(part.key.sk.clone()))
                    .send()
                    .await
                    .map_err(dynamo_error)?;
            }
        }
    }
    Ok(redacted)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_is_replaced_whatever_its_case() {
        assert_eq!(
            super::redact("to Jane@Example.com and <jane@example.com>", "jane@example.com"),
            "to forgotten@forgotten.invalid and <forgotten@forgotten.invalid>"
        );
        assert_eq!(super::redact("nothing here", "jane@example.com"), "nothing here");
    }
}
