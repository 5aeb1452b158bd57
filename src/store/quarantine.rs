//! Authenticated bodies that could not be decoded are kept, not dropped, so an operator can
//! replay them after a fix.
//!
//! Items: `pk` = `quarantine#<provider>`, `sk` = `<hash>#<part>/<parts>` where the hash is 16
//! hex digits of SHA-256 over the body (a retried body rewrites the same items). The body is
//! stored as binary (`body`, B), split into parts of at most 300 KB to stay under DynamoDB's
//! 400 KB item limit, with `error`, `provider`, `received_at` and `expires_at`. One event kept
//! apart while the others were stored says `kept` = `event` (its body is that event's JSON
//! alone), with its position in its batch in `event` (N) when it came from one.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{expires_at, Item};
use super::{Kept, QuarantinedBody};
use crate::base::digest::short_hash;
use crate::model::{ItemKey, Provider};

/// Prefix of the partition key of quarantined bodies.
pub const QUARANTINE_PREFIX: &str = "quarantine#";
/// The largest body part in one item.
pub const PART_BYTES: usize = 300 * 1024;

/// The longest error text kept with a body.
pub const MAX_ERROR_CHARS: usize = 2000;

/// The items that keep one body, to expire `retention_days` after it was received.
pub fn items(quarantined: &QuarantinedBody<'_>, retention_days: u32) -> Vec<Item> {
    let QuarantinedBody {
        provider,
        body,
        error,
        received_at,
        kept,
    } = *quarantined;
    let hash = short_hash(body);
    let parts: Vec<&[u8]> = if body.is_empty() {
        vec![body]
    } else {
        body.chunks(PART_BYTES).collect()
    };
    let count = parts.len();
    let expires_at = expires_at(received_at, retention_days);
    parts
        .into_iter()
        .enumerate()
        .map(|(index, part)| {
            let key = ItemKey {
                pk: format!("{QUARANTINE_PREFIX}{}", provider.as_str()),
                sk: format!("{hash}#{:03}/{count:03}", index + 1),
            };
            let text = |value: String| AttributeValue::S(value);
            let number = |value: String| AttributeValue::N(value);
            let mut attributes = HashMap::from([
                ("pk".to_owned(), text(key.pk.clone())),
                ("sk".to_owned(), text(key.sk.clone())),
                ("provider".to_owned(), text(provider.as_str().to_owned())),
                (
                    "error".to_owned(),
                    text(error.chars().take(MAX_ERROR_CHARS).collect()),
                ),
                ("received_at".to_owned(), text(received_at.to_rfc3339())),
                ("body".to_owned(), AttributeValue::B(Blob::new(part))),
                ("part".to_owned(), number((index + 1).to_string())),
                ("parts".to_owned(), number(count.to_string())),
                ("body_bytes".to_owned(), number(body.len().to_string())),
                ("expires_at".to_owned(), number(expires_at.to_string())),
            ]);
            if let Kept::Event { index } = kept {
                attributes.insert("kept".to_owned(), text("event".to_owned()));
                if let Some(index) = index {
                    attributes.insert("event".to_owned(), number(index.to_string()));
                }
            }
            Item {
                key,
                attributes,
                source: None,
            }
        })
        .collect()
}

/// One stored part of a kept body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPart {
    /// The channel it came in on.
    pub provider: Provider,
    /// 16 hex digits of SHA-256 over the whole body.
    pub hash: String,
    /// Its position, from 1.
    pub part: usize,
    /// How many parts the body has.
    pub parts: usize,
    /// The bytes of this part.
    pub bytes: Vec<u8>,
    /// Why the body did not decode.
    pub error: String,
    /// When it was received.
    pub received_at: String,
    /// A whole body, or one event kept apart.
    pub kept: Kept,
    /// The item's key.
    pub key: ItemKey,
}

/// Reads a quarantine item; `None` for anything else.
pub fn part_from_item(item: &HashMap<String, AttributeValue>) -> Option<KeptPart> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
    };
    let pk = text("pk")?;
    let sk = text("sk")?;
    let provider = Provider::parse(pk.strip_prefix(QUARANTINE_PREFIX)?)?;
    Some(KeptPart {
        provider,
        hash: sk.split('#').next()?.to_owned(),
        part: number("part")?,
        parts: number("parts")?,
        bytes: item.get("body")?.as_b().ok()?.as_ref().to_vec(),
        error: text("error").unwrap_or_default(),
        received_at: text("received_at").unwrap_or_default(),
        kept: match text("kept").as_deref() {
            Some("event") => Kept::Event {
                index: number("event"),
            },
            _ => Kept::Body,
        },
        key: ItemKey { pk, sk },
    })
}

/// The whole body from its parts (any order); `None` when a part is missing.
pub fn reassemble(parts: &[KeptPart]) -> Option<Vec<u8>> {
    let count = parts.first()?.parts;
    let mut ordered: Vec<&KeptPart> = parts.iter().collect();
    ordered.sort_by_key(|p| p.part);
    ordered.dedup_by_key(|p| p.part);
    if ordered.len() != count || ordered.iter().enumerate().any(|(i, p)| p.part != i + 1) {
        return None;
    }
    Some(ordered.iter().flat_map(|p| p.bytes.iter().copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
    }

    fn keep(provider: Provider, body: &[u8], error: &str, received_at: Timestamp, days: u32) -> Vec<Item> {
        let body = QuarantinedBody {
            provider,
            body,
            error,
            received_at,
            kept: Kept::Body,
        };
        super::items(&body, days)
    }

    #[test]
    fn a_small_body_is_one_item_keyed_by_its_content() {
        let items = keep(Provider::SendGrid, b"\xff not json", "bad", now(), 400);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].key.pk, "quarantine#sendgrid");
        assert!(items[0].key.sk.ends_with("#001/001"));
        assert_eq!(
            items[0].attributes["body"],
            AttributeValue::B(Blob::new(&b"\xff not json"[..]))
        );
        let again = keep(Provider::SendGrid, b"\xff not json", "bad", now(), 400);
        assert_eq!(again[0].key, items[0].key);
    }

    #[test]
    fn a_large_body_is_split_under_the_item_limit_and_reassembles() {
        let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let items = keep(Provider::SendPulse, &body, "bad", now(), 400);
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
        let mut parts: Vec<KeptPart> = items
            .iter()
            .rev()
            .map(|i| part_from_item(&i.attributes).unwrap())
            .collect();
        assert_eq!(reassemble(&parts).unwrap(), body);
        parts.pop();
        assert_eq!(reassemble(&parts), None, "a missing part is no body");
    }

    #[test]
    fn an_empty_body_is_still_kept() {
        assert_eq!(keep(Provider::Ses, b"", "empty", now(), 400).len(), 1);
    }
}
