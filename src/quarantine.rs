//! Authenticated bodies that could not be decoded are kept, not dropped, so an operator can
//! replay them after a fix.
//!
//! Items: `pk` = `quarantine#<provider>`, `sk` = `<hash>#<part>/<parts>` where the hash is 16
//! hex digits of SHA-256 over the body (a retried body rewrites the same items). The body is
//! stored as binary (`body`, B), split into parts of at most 300 KB to stay under DynamoDB's
//! 400 KB item limit, with `error`, `provider`, `received_at` and `expires_at`.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};

use crate::item::Item;
use crate::key::ItemKey;
use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;

/// Prefix of the partition key of quarantined bodies.
pub const QUARANTINE_PREFIX: &str = "quarantine#";
/// The largest body part in one item.
pub const PART_BYTES: usize = 300 * 1024;

/// The items that keep one body.
pub fn items(
    provider: &str,
    body: &[u8],
    error: &str,
    received_at: Timestamp,
    retention_days: u32,
) -> Vec<Item> {
    let digest = Sha256::digest(body);
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let parts: Vec<&[u8]> = if body.is_empty() {
        vec![body]
    } else {
        body.chunks(PART_BYTES).collect()
    };
    let count = parts.len();
    let expires_at = received_at.unix_seconds() + i64::from(retention_days) * 86_400;
    parts
        .into_iter()
        .enumerate()
        .map(|(index, part)| {
            let key = ItemKey {
                pk: format!("{QUARANTINE_PREFIX}{provider}"),
                sk: format!("{hash}#{:03}/{count:03}", index + 1),
            };
            let mut attributes = HashMap::new();
            attributes.insert("pk".to_owned(), AttributeValue::S(key.pk.clone()));
            attributes.insert("sk".to_owned(), AttributeValue::S(key.sk.clone()));
            attributes.insert("provider".to_owned(), AttributeValue::S(provider.to_owned()));
            attributes.insert(
                "error".to_owned(),
                AttributeValue::S(error.chars().take(2000).collect()),
            );
            attributes.insert(
                "received_at".to_owned(),
                AttributeValue::S(received_at.to_rfc3339()),
            );
            attributes.insert("body".to_owned(), AttributeValue::B(Blob::new(part)));
            attributes.insert("part".to_owned(), AttributeValue::N((index + 1).to_string()));
            attributes.insert("parts".to_owned(), AttributeValue::N(count.to_string()));
            attributes.insert("body_bytes".to_owned(), AttributeValue::N(body.len().to_string()));
            attributes.insert("expires_at".to_owned(), AttributeValue::N(expires_at.to_string()));
            Item { key, attributes }
        })
        .collect()
}

/// Stores a body that could not be decoded; returns the number of items written.
pub async fn keep(
    store: &Store,
    provider: &str,
    body: &[u8],
    error: &str,
    received_at: Timestamp,
    retention_days: u32,
) -> Result<usize, StoreError> {
    let report = store
        .put_items(items(provider, body, error, received_at, retention_days))
        .await?;
    tracing::warn!(
        provider,
        bytes = body.len(),
        items = report.items,
        "undecodable body kept in quarantine"
    );
    Ok(report.items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
    }

    #[test]
    fn a_small_body_is_one_item_keyed_by_its_content() {
        let items = items("sendgrid", b"\xff not json", "bad", now(), 400);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].key.pk, "quarantine#sendgrid");
        assert!(items[0].key.sk.ends_with("#001/001"));
        assert_eq!(
            items[0].attributes["body"],
            AttributeValue::B(Blob::new(&b"\xff not json"[..]))
        );
        let again = super::items("sendgrid", b"\xff not json", "bad", now(), 400);
        assert_eq!(again[0].key, items[0].key);
    }

    #[test]
    fn a_large_body_is_split_under_the_item_limit_and_reassembles() {
        let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let items = items("sendpulse", &body, "bad", now(), 400);
        assert_eq!(items.len(), 4);
        let mut joined = Vec::new();
        for item in &items {
            let AttributeValue::B(part) = &item.attributes["body"] else {
                panic!("not binary")
            };
            assert!(part.as_ref().len() <= PART_BYTES);
            joined.extend_from_slice(part.as_ref());
        }
        assert_eq!(joined, body);
        assert!(items[3].key.sk.ends_with("#004/004"));
    }

    #[test]
    fn an_empty_body_is_still_kept() {
        assert_eq!(items("ses", b"", "empty", now(), 400).len(), 1);
    }
}
