//! The stored item: a normalized event as a DynamoDB attribute map (the data contract).
//!
//! Absent and empty values are left out rather than written as `""`: `recipient` keys the
//! `by_recipient` index, and DynamoDB refuses an empty string in an index key.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::model::{Insights, ItemKey, NormalizedEvent, TimeSource, Timestamp};

/// Seconds in a day, for the retention period.
const DAY_SECONDS: i64 = 86_400;
/// The longest text attribute kept whole; longer ones are cut (DynamoDB items are capped at
/// 400 KB, and a hostile event must not make its item unwritable).
pub const MAX_TEXT_BYTES: usize = 2048;
/// The most bytes a stored raw event may take (compressed, or as text when compression does
/// not help). A raw event is compressed first, so every event SNS can carry (256 KB) is kept
/// whole and byte-exact; only a larger one (a single event of several MB in a webhook batch)
/// is cut, and `raw_bytes` then says how long it was.
pub const MAX_STORED_RAW_BYTES: usize = 300 * 1024;
/// The most bytes a raw event is read back as (a guard against a corrupt frame).
pub const MAX_RAW_BYTES: usize = 8 * 1024 * 1024;
// Worst case: 300 KB raw + ~14 texts × 2 KB + keys ≈ 330 KB, under DynamoDB's 400 KB item limit.

/// One item ready to write: its key and all its attributes (the key included).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The item's primary key.
    pub key: ItemKey,
    /// Every attribute, `pk` and `sk` included.
    pub attributes: HashMap<String, AttributeValue>,
    /// The raw event it was built from, to keep in quarantine should DynamoDB refuse the item.
    pub source: Option<Arc<str>>,
}

impl Item {
    /// Builds the item for an event, to expire `retention_days` after it was received. The
    /// event's texts move into the item; nothing is copied but the key.
    pub fn from_event(event: NormalizedEvent, retention_days: u32) -> Item {
        let key = ItemKey::of(&event);
        let receipt = Receipt::of(event.received_at, retention_days);
        Item::build(event, key, &receipt, None)
    }

    /// Builds the items for a batch of events, in order. Events that follow one another with
    /// the same message, receive time and raw event (SES names several recipients in one
    /// notification, and each becomes an event carrying the whole notification) keep that raw
    /// event once: the first one's item holds it, the others name that item's sort key in
    /// `raw_in` (same partition, one `GetItem` away). The same input always gives the same
    /// items, so a retry rewrites them unchanged.
    pub fn from_events(events: Vec<NormalizedEvent>, retention_days: u32) -> Vec<Item> {
        let mut items = Vec::with_capacity(events.len());
        // The key of the item holding the raw event the next event may share.
        let mut holder: Option<ItemKey> = None;
        // The events of one request share their receive time: written once.
        let mut receipt: Option<Receipt> = None;
        let mut events = events.into_iter().peekable();
        while let Some(event) = events.next() {
            let key = ItemKey::of(&event);
            let receipt = match receipt.take() {
                Some(kept) if kept.at == event.received_at => receipt.insert(kept),
                _ => receipt.insert(Receipt::of(event.received_at, retention_days)),
            };
            let raw_in = holder
                .as_ref()
                .filter(|h| h.pk == key.pk && h.sk != key.sk)
                .map(|h| h.sk.clone());
            let next_shares = events.peek().is_some_and(|next| {
                next.received_at == event.received_at
                    && next.raw.len() >= MIN_SHARED_RAW_BYTES
                    && (Arc::ptr_eq(&next.raw, &event.raw) || next.raw == event.raw)
            });
            holder = match (next_shares, raw_in.is_some()) {
                (false, _) => None,
                (true, true) => holder,
                (true, false) => Some(key.clone()),
            };
            items.push(Item::build(event, key, receipt, raw_in));
        }
        items
    }

    /// The item for `event` under `key`; with `raw_in`, the raw event is left to that item.
    fn build(event: NormalizedEvent, key: ItemKey, receipt: &Receipt, raw_in: Option<String>) -> Item {
        // What a timeline shows and a query filters on is kept as attributes; everything else
        // the provider said (sender data, provider details, headers, user agents) is in the
        // compressed raw event, which the decoders read again whenever needed.
        let NormalizedEvent {
            provider,
            kind,
            provider_event,
            message_id,
            recipient,
            recipient_ambiguous,
            time,
            bounce_class,
            provider_suppressed,
            complaint_ambiguous,
            smtp_status,
            smtp_response,
            reason,
            url,
            insights,
            raw,
            ..
        } = event;
        // Where it went, from the recipient's domain and the versioned table of mailbox
        // providers; what sent it, from the decoder.
        let destination = recipient.as_deref().and_then(crate::model::insights::destination);
        let Insights {
            sending_domain,
            config_set,
            tenant,
            tags,
            machine,
            mailbox_provider,
        } = insights;
        let summary = summary(&[
            bounce_class.map(|c| c.as_str()),
            smtp_status.as_deref(),
            reason.as_deref(),
            smtp_response.as_deref(),
        ]);
        // The sort key starts with the event's time whenever it is its own (or its message's).
        let occurred_at = match time.source {
            TimeSource::Event | TimeSource::Mail => key.sk[..24].to_owned(),
            TimeSource::Received => time.at.to_rfc3339(),
        };
        let flag = |set: bool| set.then_some(AttributeValue::Bool(true));
        let [raw_text, raw_z, raw_codec, raw_bytes] = match raw_in {
            Some(_) => [None, None, None, None],
            None => raw_attributes(provider, &raw),
        };
        // `pk` is the message id; the attribute `message_id` is written only when they differ
        // (an id cut to fit the key), else the id itself becomes the `pk` attribute.
        let (pk, message_id) = match message_id {
            Some(id) if id == key.pk => (id, None),
            other => (key.pk.clone(), other),
        };
        // Every attribute the item may have, each `None` when absent: the map is then made
        // with room for exactly the ones present.
        let attributes = [
            ("pk", text(Some(pk))),
            ("sk", text(Some(key.sk.clone()))),
            ("provider", text(Some(provider.as_str().to_owned()))),
            ("event", text(Some(kind.as_str().to_owned()))),
            ("provider_event", text(Some(provider_event))),
            ("message_id", text(message_id)),
            ("recipient", text(recipient)),
            ("occurred_at", text(Some(occurred_at))),
            // The common case, the event's own clock, is left out.
            (
                "time_source",
                text((time.source != TimeSource::Event).then(|| time.source.as_str().to_owned())),
            ),
            ("received_at", text(Some(receipt.text.clone()))),
            ("bounce_class", text(bounce_class.map(|c| c.as_str().to_owned()))),
            ("smtp_status", text(smtp_status)),
            ("reason", text(reason.map(|r| truncated(r, MAX_REASON_BYTES)))),
            ("url", text(url)),
            ("summary", text(summary)),
            // The recipient's domain is not kept apart: it is the end of `recipient`; an unknown
            // mailbox provider is no attribute. Names are short: every byte of an item is paid
            // for in write units.
            (
                "mailbox",
                text(
                    destination
                        .as_ref()
                        .map(|d| {
                            mailbox_provider
                                .filter(|_| d.mailbox_provider == crate::model::mailbox::UNKNOWN)
                                .unwrap_or_else(|| d.mailbox_provider.to_owned())
                        })
                        .filter(|name| name != crate::model::mailbox::UNKNOWN),
                ),
            ),
            (
                "simulator",
                flag(destination.as_ref().is_some_and(|d| d.simulator)),
            ),
            ("sending_domain", text(sending_domain)),
            ("config_set", text(config_set)),
            ("tenant", text(tenant)),
            ("tags", (!tags.is_empty()).then_some(AttributeValue::Ss(tags))),
            ("machine", flag(machine)),
            ("provider_suppressed", flag(provider_suppressed)),
            ("complaint_ambiguous", flag(complaint_ambiguous)),
            ("recipient_ambiguous", flag(recipient_ambiguous)),
            (RAW_IN, raw_in.map(AttributeValue::S)),
            ("raw", raw_text),
            ("raw_z", raw_z),
            ("raw_codec", raw_codec),
            ("raw_bytes", raw_bytes),
            ("expires_at", Some(AttributeValue::N(receipt.expires_at.clone()))),
        ];
        let mut a = HashMap::with_capacity(attributes.iter().filter(|(_, v)| v.is_some()).count());
        for (name, value) in attributes {
            if let Some(value) = value {
                a.insert(name.to_owned(), value);
            }
        }
        Item {
            key,
            attributes: a,
            source: Some(raw),
        }
    }
}

/// When the events of a request were received, written once for all their items.
struct Receipt {
    at: Timestamp,
    text: String,
    expires_at: String,
}

impl Receipt {
    fn of(at: Timestamp, retention_days: u32) -> Receipt {
        Receipt {
            at,
            text: at.to_rfc3339(),
            expires_at: expires_at(at, retention_days).to_string(),
        }
    }
}

/// `items` once per key, in key order (the last item of a repeated key wins), and how many
/// repeats were left out: DynamoDB refuses a batch naming one key twice.
pub fn unique_by_key(mut items: Vec<Item>) -> (Vec<Item>, usize) {
    let submitted = items.len();
    // Reversed, then sorted stably: the first of each run of one key is the last submitted.
    items.reverse();
    items.sort_by(|a, b| a.key.cmp(&b.key));
    items.dedup_by(|later, first| later.key == first.key);
    let repeats = submitted - items.len();
    (items, repeats)
}

/// The attribute naming the sort key of the item, in the same partition, that holds this
/// item's raw event.
pub const RAW_IN: &str = "raw_in";
/// Raw events shorter than this are kept on every item rather than shared: a reference would
/// save too little.
const MIN_SHARED_RAW_BYTES: usize = 512;

/// The raw event's attributes (`raw`, `raw_z`, `raw_codec`, `raw_bytes`): compressed when that
/// makes it smaller, whole whenever it fits in [`MAX_STORED_RAW_BYTES`] that way; a raw event
/// too large even compressed is cut to fit, and `raw_bytes` records its length.
fn raw_attributes(provider: crate::model::Provider, raw: &str) -> [Option<AttributeValue>; 4] {
    let (stored, whole) = match stored_raw(provider, raw) {
        Some(stored) => (Some(stored), true),
        None => (stored_raw(provider, truncate(raw, MAX_STORED_RAW_BYTES)), false),
    };
    let length = (!whole).then(|| AttributeValue::N(raw.len().to_string()));
    match stored {
        Some(StoredRaw::Compressed(compressed, codec)) => [
            None,
            Some(AttributeValue::B(Blob::new(compressed))),
            Some(AttributeValue::S(codec.to_owned())),
            length,
        ],
        Some(StoredRaw::Text(text)) => [Some(AttributeValue::S(text.to_owned())), None, None, length],
        None => [None, None, None, length],
    }
}

/// A text attribute: absent when empty, cut to [`MAX_TEXT_BYTES`].
fn text(value: Option<String>) -> Option<AttributeValue> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| AttributeValue::S(truncated(v, MAX_TEXT_BYTES)))
}

/// How a raw event is kept.
enum StoredRaw<'a> {
    /// zstd with the provider's current dictionary.
    Compressed(Vec<u8>, &'static str),
    /// As text (short, or compression did not help).
    Text(&'a str),
}

/// `raw` as it would be kept, when that fits in [`MAX_STORED_RAW_BYTES`].
fn stored_raw(provider: crate::model::Provider, raw: &str) -> Option<StoredRaw<'_>> {
    match super::raw::compress(provider, raw.as_bytes()) {
        Some((compressed, codec)) if compressed.len() <= MAX_STORED_RAW_BYTES => {
            Some(StoredRaw::Compressed(compressed, codec))
        }
        Some(_) => None,
        None if raw.len() <= MAX_STORED_RAW_BYTES => Some(StoredRaw::Text(raw)),
        None => None,
    }
}

/// The longest `reason` kept (the whole text is in the raw event).
pub const MAX_REASON_BYTES: usize = 256;
/// The longest `summary`: what a timeline row shows, projected into the lean index.
pub const MAX_SUMMARY_CHARS: usize = 160;

/// The attributes `by_recipient` projects besides the keys: what a timeline row shows.
pub const INDEX_ATTRIBUTES: &[&str] = &[
    "provider",
    "event",
    "provider_event",
    "occurred_at",
    "message_id",
    "bounce_class",
    "url",
    "summary",
    "provider_suppressed",
    "complaint_ambiguous",
];

/// The most telling details of an event on one short line (`permanent | 5.1.1 | General`).
fn summary(parts: &[Option<&str>]) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    for part in parts.iter().flatten().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if !kept.iter().any(|k| k.contains(part)) {
            kept.push(part);
        }
    }
    let line = kept.join(" | ");
    (!line.is_empty()).then(|| {
        if line.chars().count() > MAX_SUMMARY_CHARS {
            let cut: String = line.chars().take(MAX_SUMMARY_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            line
        }
    })
}

/// The sort key of the item (same `pk`) that holds this item's raw event, when it is shared.
pub fn raw_holder(item: &HashMap<String, AttributeValue>) -> Option<&str> {
    item.get(RAW_IN).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// The original raw event JSON of an item, whichever form it was stored in (`raw` text
/// before compression, `raw_z` + `raw_codec` after); `None` when it has neither (an item
/// whose raw event is shared names its holder: `raw_holder`).
pub fn original_raw(item: &HashMap<String, AttributeValue>) -> Option<Result<Vec<u8>, super::raw::RawError>> {
    if let Some(text) = item.get("raw").and_then(|v| v.as_s().ok()) {
        return Some(Ok(text.as_bytes().to_vec()));
    }
    let data = item.get("raw_z")?.as_b().ok()?;
    let codec = item.get("raw_codec")?.as_s().ok()?;
    Some(super::raw::decompress(codec, data.as_ref(), MAX_RAW_BYTES))
}

/// The TTL value of an item received at `received_at`: epoch seconds, `retention_days` later.
pub fn expires_at(received_at: Timestamp, retention_days: u32) -> i64 {
    received_at.unix_seconds() + i64::from(retention_days) * DAY_SECONDS
}

/// `text` cut to at most `max` bytes on a character boundary, without copying.
fn truncated(mut text: String, max: usize) -> String {
    if text.len() > max {
        let end = truncate(&text, max).len();
        text.truncate(end);
    }
    text
}

pub use crate::base::text::truncate;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{sendgrid, ses};
    use crate::test_support::{seed_sendgrid_body, ses_fixture};

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
    fn items_name_where_the_mail_went_and_what_sent_it() {
        let body = ses_fixture("event-bounce").replace("recipient@example.com", "Jane@GMail.com");
        let events = ses::decode(&body, received()).unwrap().events;
        let item = Item::from_events(events, 400).remove(0);
        let s = |name: &str| item.attributes.get(name).and_then(|v| v.as_s().ok()).cloned();
        assert!(
            !item.attributes.contains_key("recipient_domain"),
            "derived from recipient"
        );
        assert_eq!(s("mailbox").as_deref(), Some("gmail"));
        assert_eq!(s("sending_domain").as_deref(), Some("example.com"));
        assert_eq!(s("config_set").as_deref(), Some("ConfigSet"));
        assert!(!item.attributes.contains_key("simulator"));
        assert!(!item.attributes.contains_key("machine"));

        let simulated =
            ses_fixture("event-bounce").replace("recipient@example.com", "bounce@simulator.amazonses.com");
        let item = Item::from_events(ses::decode(&simulated, received()).unwrap().events, 400).remove(0);
        assert_eq!(
            item.attributes.get("simulator"),
            Some(&AttributeValue::Bool(true))
        );
        assert!(
            !item.attributes.contains_key("mailbox"),
            "unknown is no attribute"
        );

        let sendgrid = sendgrid::decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        let tagged = Item::from_events(sendgrid, 400)
            .into_iter()
            .find(|item| item.attributes.contains_key("tags"))
            .expect("a tagged event");
        assert_eq!(
            tagged.attributes["tags"],
            AttributeValue::Ss(vec!["cat facts".to_owned()])
        );
    }

    #[test]
    fn unique_by_key_keeps_the_last_of_each_key_in_key_order() {
        let item = |pk: &str, sk: &str, tag: &str| Item {
            key: ItemKey {
                pk: pk.to_owned(),
                sk: sk.to_owned(),
            },
            attributes: HashMap::from([("tag".to_owned(), AttributeValue::S(tag.to_owned()))]),
            source: None,
        };
        let items = vec![
            item("b", "1", "first b1"),
            item("a", "2", "a2"),
            item("b", "1", "second b1"),
            item("a", "1", "a1"),
            item("b", "1", "last b1"),
        ];
        let (unique, repeats) = unique_by_key(items);
        assert_eq!(repeats, 2);
        let seen: Vec<(&str, &str, &str)> = unique
            .iter()
            .map(|i| {
                (
                    i.key.pk.as_str(),
                    i.key.sk.as_str(),
                    i.attributes["tag"].as_s().unwrap().as_str(),
                )
            })
            .collect();
        assert_eq!(seen, [("a", "1", "a1"), ("a", "2", "a2"), ("b", "1", "last b1")]);
    }

    #[test]
    fn writes_the_contract_attributes() {
        let event = &ses::decode(ses_fixture("event-bounce"), received())
            .unwrap()
            .events[0];
        let item = Item::from_event(event.clone(), 400);
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
        assert_eq!(
            s(&item, "time_source"),
            None,
            "the event's own clock is the default"
        );
        assert_eq!(s(&item, "bounce_class"), Some("permanent"));
        assert_eq!(s(&item, "smtp_status"), Some("5.1.1"));
        assert_eq!(s(&item, "raw"), None, "kept compressed");
        assert_eq!(s(&item, "raw_codec"), Some("zstd:ses-2"));
        assert_eq!(
            original_raw(&item.attributes).unwrap().unwrap(),
            ses_fixture("event-bounce").as_bytes()
        );
        assert_eq!(
            s(&item, "summary"),
            Some("permanent | 5.1.1 | General | smtp; 550 5.1.1 user unknown")
        );
        let expires = item.attributes["expires_at"]
            .as_n()
            .unwrap()
            .parse::<i64>()
            .unwrap();
        assert_eq!(expires, received().unix_seconds() + 400 * 86_400);
        for derived in [
            "metadata",
            "details",
            "tags",
            "sender",
            "subject",
            "user_agent",
            "message_id",
        ] {
            assert!(
                !item.attributes.contains_key(derived),
                "{derived} is read from raw, not stored"
            );
        }
    }

    #[test]
    fn leaves_out_empty_values_and_never_writes_an_empty_recipient() {
        let events = sendgrid::decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        for event in &events {
            let item = Item::from_event(event.clone(), 400);
            assert!(!item.attributes.contains_key("recipient"));
            for (name, value) in &item.attributes {
                if let Ok(text) = value.as_s() {
                    assert!(!text.is_empty(), "{name} is empty");
                }
            }
        }
        assert!(!Item::from_event(events[4].clone(), 400)
            .attributes
            .contains_key("raw_bytes"));
        assert!(!Item::from_event(events[4].clone(), 400)
            .attributes
            .contains_key("recipient_ambiguous"));
    }

    #[test]
    fn a_message_id_cut_to_fit_the_key_is_kept_whole() {
        let mut event = ses::decode(ses_fixture("event-bounce"), received())
            .unwrap()
            .events
            .remove(0);
        event.message_id = Some("m".repeat(600));
        let item = Item::from_event(event, 400);
        assert_eq!(s(&item, "message_id").map(str::len), Some(600));
        assert!(s(&item, "pk").unwrap().len() <= crate::model::key::MAX_PARTITION_KEY_BYTES);
    }

    fn item_bytes(item: &Item) -> usize {
        item.attributes
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        AttributeValue::S(s) => s.len(),
                        AttributeValue::B(b) => b.as_ref().len(),
                        _ => 16,
                    }
            })
            .sum()
    }

    #[test]
    fn hostile_sizes_are_bounded_so_the_item_stays_writable() {
        let huge = "é".repeat(200_000);
        let mut event = ses::decode(ses_fixture("event-click"), received())
            .unwrap()
            .events
            .remove(0);
        event.url = Some(huge.clone());
        event.reason = Some(huge.clone());
        event.smtp_response = Some(huge.clone());
        event.smtp_status = Some(huge.clone());
        // Random text does not compress: 600 KB of it must be cut to fit.
        let mut rng = fastrand::Rng::with_seed(7);
        let incompressible: String = (0..600_000).map(|_| rng.alphanumeric()).collect();
        event.raw = Arc::from(incompressible.as_str());
        let item = Item::from_event(event.clone(), 400);
        let size = item_bytes(&item);
        assert!(size < 400 * 1024, "item is {size} bytes");
        let kept = original_raw(&item.attributes).unwrap().unwrap();
        assert!(kept.len() <= MAX_STORED_RAW_BYTES && incompressible.as_bytes().starts_with(&kept));
        assert_eq!(
            item.attributes["raw_bytes"].as_n().unwrap(),
            &incompressible.len().to_string()
        );
    }

    #[test]
    fn a_large_raw_event_is_compressed_first_and_kept_whole() {
        let mut event = ses::decode(ses_fixture("event-bounce"), received())
            .unwrap()
            .events
            .remove(0);
        // 200 KB of headers, as a large SES notification carries.
        let headers: Vec<String> = (0..4000)
            .map(|i| format!(r#"{{"name":"X-Header-{i}","value":"value number {i} of a long header list"}}"#))
            .collect();
        let raw = ses_fixture("event-bounce").replacen(
            r#""headersTruncated":false"#,
            &format!(r#""headersTruncated":false,"headers":[{}]"#, headers.join(",")),
            1,
        );
        assert!(raw.len() > 200 * 1024, "{}", raw.len());
        event.raw = Arc::from(raw.as_str());
        let item = Item::from_event(event, 400);
        assert!(!item.attributes.contains_key("raw_bytes"), "kept whole");
        assert_eq!(original_raw(&item.attributes).unwrap().unwrap(), raw.as_bytes());
        assert!(item_bytes(&item) < 400 * 1024);
    }

    #[test]
    fn recipients_of_one_notification_share_its_raw_event_through_the_first_item() {
        let message = ses_fixture("notification-bounce");
        let events = ses::decode(message, received()).unwrap().events;
        assert!(events.len() >= 2, "the fixture names several recipients");
        let items = Item::from_events(events.clone(), 400);
        assert_eq!(
            items,
            Item::from_events(events.clone(), 400),
            "the same every time"
        );
        let holder = &items[0];
        assert_eq!(raw_holder(&holder.attributes), None);
        assert_eq!(
            original_raw(&holder.attributes).unwrap().unwrap(),
            message.as_bytes()
        );
        for (item, event) in items.iter().zip(&events).skip(1) {
            assert_eq!(raw_holder(&item.attributes), Some(holder.key.sk.as_str()));
            assert_eq!(item.key.pk, holder.key.pk);
            assert!(original_raw(&item.attributes).is_none());
            let alone = Item::from_event(event.clone(), 400);
            assert_eq!(alone.key, item.key);
            assert_eq!(
                original_raw(&alone.attributes).unwrap().unwrap(),
                message.as_bytes()
            );
        }
    }

    #[test]
    fn events_with_their_own_raw_events_keep_them() {
        let events = sendgrid::decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        let items = Item::from_events(events.clone(), 400);
        assert_eq!(items.len(), events.len());
        for (item, event) in items.iter().zip(events) {
            assert_eq!(raw_holder(&item.attributes), None);
            assert_eq!(
                original_raw(&item.attributes).unwrap().unwrap(),
                event.raw.as_bytes()
            );
            assert_eq!(item.source.as_deref(), Some(&*event.raw));
        }
        // The same notification for two different messages is never shared across them.
        let mut one = ses::decode(ses_fixture("notification-bounce"), received())
            .unwrap()
            .events;
        one[1].message_id = Some("another-message".into());
        let items = Item::from_events(one, 400);
        assert!(items.iter().all(|i| raw_holder(&i.attributes).is_none()));
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("", 0), "");
    }
}
