//! The stored item: a normalized event as a DynamoDB attribute map (the data contract).
//!
//! Absent and empty values are left out rather than written as `""`: `recipient` keys the
//! `by_recipient` index, and DynamoDB refuses an empty string in an index key.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::event::NormalizedEvent;
use crate::key::ItemKey;

/// Seconds in a day, for the retention period.
const DAY_SECONDS: i64 = 86_400;
/// The longest text attribute kept whole; longer ones are cut (DynamoDB items are capped at
/// 400 KB, and a hostile event must not make its item unwritable).
pub const MAX_TEXT_BYTES: usize = 2048;
/// The longest raw event kept whole; a longer one is cut and `raw_bytes` says how long it was.
pub const MAX_RAW_BYTES: usize = 100 * 1024;
/// The most tags kept, and the longest tag.
pub const MAX_TAGS: usize = 32;
/// The longest tag kept whole.
pub const MAX_TAG_BYTES: usize = 256;
/// The most entries kept in `metadata` and in `details`.
pub const MAX_MAP_ENTRIES: usize = 50;
/// The longest map key kept whole.
pub const MAX_MAP_KEY_BYTES: usize = 128;
/// The longest map value kept whole.
pub const MAX_MAP_VALUE_BYTES: usize = 1024;
// Worst case: 100 KB raw + ~20 texts × 2 KB + 32 tags × 256 B + 2 maps × 50 × 1.1 KB ≈ 265 KB,
// well under DynamoDB's 400 KB item limit.

/// One item ready to write: its key and all its attributes (the key included).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The item's primary key.
    pub key: ItemKey,
    /// Every attribute, `pk` and `sk` included.
    pub attributes: HashMap<String, AttributeValue>,
}

impl Item {
    /// Builds the item for an event, to expire `retention_days` after it was received.
    pub fn from_event(event: &NormalizedEvent, retention_days: u32) -> Item {
        let key = ItemKey::of(event);
        let mut a = HashMap::with_capacity(32);
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                a.insert(
                    name.to_owned(),
                    AttributeValue::S(truncate(value, MAX_TEXT_BYTES).to_owned()),
                );
            }
        };
        put("pk", Some(&key.pk));
        put("sk", Some(&key.sk));
        put("provider", Some(event.provider.as_str()));
        put("event", Some(event.kind.as_str()));
        put("provider_event", Some(&event.provider_event));
        put("message_id", event.message_id.as_deref());
        put("provider_message_id", event.provider_message_id.as_deref());
        put("recipient", event.recipient.as_deref());
        put("occurred_at", Some(&event.occurred_at.to_rfc3339()));
        put("time_source", Some(event.time_source.as_str()));
        put("received_at", Some(&event.received_at.to_rfc3339()));
        put("sender", event.sender.as_deref());
        put("subject", event.subject.as_deref());
        put("bounce_class", event.bounce_class.map(|c| c.as_str()));
        put("smtp_status", event.smtp_status.as_deref());
        put("smtp_response", event.smtp_response.as_deref());
        put("reason", event.reason.as_deref());
        put("url", event.url.as_deref());
        put("user_agent", event.user_agent.as_deref());
        put("ip", event.ip.as_deref());
        put("provider_event_id", event.provider_event_id.as_deref());
        let tags: Vec<AttributeValue> = event
            .tags
            .iter()
            .filter(|t| !t.is_empty())
            .take(MAX_TAGS)
            .map(|t| AttributeValue::S(truncate(t, MAX_TAG_BYTES).to_owned()))
            .collect();
        if !tags.is_empty() {
            a.insert("tags".to_owned(), AttributeValue::L(tags));
        }
        for (name, map) in [("metadata", &event.metadata), ("details", &event.details)] {
            if let Some(value) = string_map(map) {
                a.insert(name.to_owned(), value);
            }
        }
        a.insert(
            "raw".to_owned(),
            AttributeValue::S(truncate(&event.raw, MAX_RAW_BYTES).to_owned()),
        );
        if event.raw.len() > MAX_RAW_BYTES {
            a.insert(
                "raw_bytes".to_owned(),
                AttributeValue::N(event.raw.len().to_string()),
            );
        }
        let expires_at = event.received_at.unix_seconds() + i64::from(retention_days) * DAY_SECONDS;
        a.insert("expires_at".to_owned(), AttributeValue::N(expires_at.to_string()));
        Item { key, attributes: a }
    }
}

/// A map of texts as a DynamoDB map, leaving out empty names and values; `None` when empty.
fn string_map(map: &BTreeMap<String, String>) -> Option<AttributeValue> {
    let entries: HashMap<String, AttributeValue> = map
        .iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .take(MAX_MAP_ENTRIES)
        .map(|(k, v)| {
            let value = AttributeValue::S(truncate(v, MAX_MAP_VALUE_BYTES).to_owned());
            (truncate(k, MAX_MAP_KEY_BYTES).to_owned(), value)
        })
        .collect();
    (!entries.is_empty()).then_some(AttributeValue::M(entries))
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{sendgrid, ses};
    use crate::test_support::{seed_sendgrid_body, ses_fixture};
    use crate::timestamp::Timestamp;

    fn received() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
    }

    fn s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
        item.attributes
            .get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    }

    #[test]
    fn writes_the_contract_attributes() {
        let event = &ses::decode(ses_fixture("event-bounce"), received())
            .unwrap()
            .events[0];
        let item = Item::from_event(event, 400);
        assert_eq!(
            s(&item, "pk"),
            Some("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000")
        );
        assert!(s(&item, "sk")
            .unwrap()
            .starts_with("2017-08-05T00:41:02.669Z#bounced#"));
        assert_eq!(s(&item, "provider"), Some("ses"));
        assert_eq!(s(&item, "event"), Some("bounced"));
        assert_eq!(s(&item, "provider_event"), Some("Bounce"));
        assert_eq!(s(&item, "recipient"), Some("recipient@example.com"));
        assert_eq!(s(&item, "occurred_at"), Some("2017-08-05T00:41:02.669Z"));
        assert_eq!(s(&item, "received_at"), Some("2026-11-24T12:00:00.000Z"));
        assert_eq!(s(&item, "time_source"), Some("event"));
        assert_eq!(s(&item, "bounce_class"), Some("permanent"));
        assert_eq!(s(&item, "smtp_status"), Some("5.1.1"));
        assert_eq!(s(&item, "raw"), Some(ses_fixture("event-bounce")));
        let expires = item.attributes["expires_at"]
            .as_n()
            .unwrap()
            .parse::<i64>()
            .unwrap();
        assert_eq!(expires, received().unix_seconds() + 400 * 86_400);
        let metadata = item.attributes["metadata"].as_m().unwrap();
        assert_eq!(metadata["ses:caller-identity"].as_s().unwrap(), "ses_user");
    }

    #[test]
    fn leaves_out_empty_values_and_never_writes_an_empty_recipient() {
        let events = sendgrid::decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        for event in &events {
            let item = Item::from_event(event, 400);
            assert!(!item.attributes.contains_key("recipient"));
            for (name, value) in &item.attributes {
                if let Ok(text) = value.as_s() {
                    assert!(!text.is_empty(), "{name} is empty");
                }
            }
        }
        let tags = Item::from_event(&events[4], 400).attributes["tags"].clone();
        assert!(!Item::from_event(&events[4], 400)
            .attributes
            .contains_key("raw_bytes"));
        assert_eq!(
            tags,
            AttributeValue::L(vec![AttributeValue::S("cat facts".into())])
        );
    }

    #[test]
    fn hostile_sizes_are_bounded_so_the_item_stays_writable() {
        let huge = "é".repeat(200_000);
        let mut event = ses::decode(ses_fixture("event-click"), received())
            .unwrap()
            .events
            .remove(0);
        event.url = Some(huge.clone());
        event.raw = huge.clone();
        event.tags = vec![huge.clone(); 100];
        event.details.insert("x".into(), huge.clone());
        event.subject = Some(huge.clone());
        for i in 0..200 {
            event.metadata.insert(format!("{i}{huge}"), huge.clone());
        }
        let item = Item::from_event(&event, 400);
        let size: usize = item
            .attributes
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        AttributeValue::S(s) => s.len(),
                        AttributeValue::L(l) => l.iter().map(|x| x.as_s().map_or(0, |s| s.len())).sum(),
                        AttributeValue::M(m) => m
                            .iter()
                            .map(|(k, x)| k.len() + x.as_s().map_or(0, |s| s.len()))
                            .sum(),
                        _ => 16,
                    }
            })
            .sum();
        assert!(size < 400 * 1024, "item is {size} bytes");
        assert_eq!(s(&item, "raw").unwrap().len(), MAX_RAW_BYTES);
        assert_eq!(
            item.attributes["raw_bytes"].as_n().unwrap(),
            &huge.len().to_string()
        );
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("", 0), "");
    }
}
