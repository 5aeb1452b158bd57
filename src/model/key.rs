//! The idempotency contract: which item an event is stored as.
//!
//! `pk` is the message id; `sk` is `<time>#<event>#<hash>`, where the time is fixed-width
//! RFC 3339 UTC with milliseconds and the hash is 16 hex digits of SHA-256 over what identifies
//! the event. Provider retries carry the same identifying values and so rewrite the same item;
//! volatile values (SendGrid's `sg_event_id`, the receive time) never enter the key.

use super::event::{NormalizedEvent, TimeSource};
use super::timestamp::{Timestamp, RFC3339_LEN};
use crate::base::digest::{push_short_hash, short_hash};

/// Prefix of the partition key of events that carry no message id.
pub const NO_MESSAGE_PREFIX: &str = "no-message-id#";

/// The primary key of one stored event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    /// Partition key: the message id, or `no-message-id#<provider>#<recipient>`.
    pub pk: String,
    /// Sort key: `<time>#<event>#<16 hex digits>`.
    pub sk: String,
}

impl ItemKey {
    /// The key of a normalized event.
    pub fn of(event: &NormalizedEvent) -> ItemKey {
        let time = key_time(event);
        let pk = partition_key(event);
        let kind = event.kind.as_str();
        let mut sk = String::with_capacity(RFC3339_LEN + kind.len() + 18);
        time.write_rfc3339(&mut sk);
        sk.push('#');
        sk.push_str(kind);
        sk.push('#');
        identity_hash(event, &pk, time, &mut sk);
        ItemKey { pk, sk }
    }
}

/// What identifies an event, as borrowed values: the same fields the key's hash covers. Two
/// events with equal identities get the same key; comparing identities costs no hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity<'a> {
    provider: crate::model::Provider,
    message_id: Option<&'a str>,
    kind: crate::model::EventKind,
    provider_event: &'a str,
    recipient: Option<&'a str>,
    time: Timestamp,
    distinguishers: &'a [crate::model::Distinguisher],
}

impl<'a> Identity<'a> {
    /// The identity of `event`.
    pub fn of(event: &'a NormalizedEvent) -> Identity<'a> {
        Identity {
            provider: event.provider,
            message_id: event.message_id.as_deref(),
            kind: event.kind,
            provider_event: &event.provider_event,
            recipient: event.recipient.as_deref(),
            time: key_time(event),
            distinguishers: &event.distinguishers,
        }
    }
}

/// The longest partition key used as is; a longer one (hostile or broken input) is cut and
/// suffixed with a hash of the whole, so it stays unique and under DynamoDB's 2048-byte limit.
pub const MAX_PARTITION_KEY_BYTES: usize = 512;

/// The message id, or for events without one, a per-provider, per-recipient partition.
fn partition_key(event: &NormalizedEvent) -> String {
    let key = match &event.message_id {
        Some(id) => id.clone(),
        None => format!(
            "{NO_MESSAGE_PREFIX}{}#{}",
            event.provider.as_str(),
            event.recipient.as_deref().unwrap_or("unknown")
        ),
    };
    if key.len() <= MAX_PARTITION_KEY_BYTES {
        return key;
    }
    let hash = short_hash(key.as_bytes());
    format!(
        "{}#{hash}",
        crate::base::text::truncate(&key, MAX_PARTITION_KEY_BYTES - 17)
    )
}

/// The time in the key. An event with no time of its own (nor a send time) is keyed by the
/// UTC day it was received, so a retry on the same day rewrites the same item.
pub fn key_time(event: &NormalizedEvent) -> Timestamp {
    match event.time.source {
        TimeSource::Event | TimeSource::Mail => event.time.at,
        TimeSource::Received => event.time.at.start_of_day(),
    }
}

/// 16 hex digits of SHA-256 over the identifying fields, each length-prefixed so that no two
/// different field lists can produce the same input, appended to `out`. A distinguisher enters
/// as `<name>=<value>`. The input is gathered on the stack when it fits (it nearly always does).
fn identity_hash(event: &NormalizedEvent, pk: &str, time: Timestamp, out: &mut String) {
    let mut millis = [0u8; 20];
    let fixed = [
        event.provider.as_str(),
        pk,
        event.kind.as_str(),
        event.provider_event.as_str(),
        event.recipient.as_deref().unwrap_or(""),
        decimal(time.millis().unsigned_abs(), &mut millis),
    ];
    let fields = fixed
        .iter()
        .map(|value| [*value, "", ""])
        .chain(event.distinguishers.iter().map(|d| [d.name(), "=", d.value()]));
    let length = |parts: &[&str; 3]| parts.iter().map(|part| part.len()).sum::<usize>();
    let total: usize = fields.clone().map(|parts| 8 + length(&parts)).sum();
    let mut stack = [0u8; 512];
    let mut heap = Vec::new();
    let input: &mut [u8] = if total <= stack.len() {
        &mut stack[..total]
    } else {
        heap.resize(total, 0);
        &mut heap
    };
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        input[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    for parts in fields {
        put(&(length(&parts) as u64).to_be_bytes());
        for part in parts {
            put(part.as_bytes());
        }
    }
    push_short_hash(input, out);
}

/// `value` in decimal, written into `buffer`.
fn decimal(mut value: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // ASCII digits only.
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::model::event::{Distinguisher, EventBasics, EventKind, EventTime, Provider};
    use crate::providers::{sendgrid, sendpulse, ses};
    use crate::test_support::{
        seed_sendgrid_body, sendpulse_fixture, ses_fixture, SENDPULSE_FIXTURES, SES_EVENT_FIXTURES,
    };

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn event(kind: EventKind, recipient: &str) -> NormalizedEvent {
        let mut e = NormalizedEvent::new(EventBasics {
            provider: Provider::SendGrid,
            kind,
            provider_event: "delivered".into(),
            time: EventTime::own(at("2021-09-14T00:20:04Z")),
            received_at: at("2026-01-01T00:00:00Z"),
            raw: std::sync::Arc::from("{}"),
        });
        e.message_id = Some("14c5d75ce93".into());
        e.recipient = Some(recipient.into());
        e
    }

    #[test]
    fn sort_key_is_time_event_and_hash() {
        let key = ItemKey::of(&event(EventKind::Delivered, "a@x.io"));
        assert_eq!(key.pk, "14c5d75ce93");
        let parts: Vec<&str> = key.sk.split('#').collect();
        assert_eq!(parts[0], "2021-09-14T00:20:04.000Z");
        assert_eq!(parts[1], "delivered");
        assert_eq!(parts[2].len(), 16);
        assert!(parts[2]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn volatile_fields_do_not_change_the_key() {
        let first = event(EventKind::Delivered, "a@x.io");
        let mut retry = first.clone();
        retry.received_at = at("2026-01-02T00:00:00Z");
        retry.raw = std::sync::Arc::from(r#"{"sg_event_id":"other"}"#);
        retry.smtp_response = Some("250 OK, again".into());
        assert_eq!(ItemKey::of(&first), ItemKey::of(&retry));
    }

    #[test]
    fn identifying_fields_change_the_key() {
        let base = event(EventKind::Clicked, "a@x.io");
        let key = ItemKey::of(&base);
        let mut other_recipient = base.clone();
        other_recipient.recipient = Some("b@x.io".into());
        let mut other_time = base.clone();
        other_time.time.at = at("2021-09-14T00:20:04.001Z");
        let mut other_url = base.clone();
        other_url
            .distinguishers
            .push(Distinguisher::Url("https://x.io/b".into()));
        let mut other_name = base.clone();
        other_name.provider_event = "group_unsubscribe".into();
        let mut other_bounce_type = base.clone();
        other_bounce_type
            .distinguishers
            .push(Distinguisher::BounceType("blocked".into()));
        for changed in [
            other_recipient,
            other_time,
            other_url,
            other_name,
            other_bounce_type,
        ] {
            assert_ne!(ItemKey::of(&changed), key);
        }
    }

    #[test]
    fn events_without_a_message_id_use_the_fallback_partition() {
        let mut e = event(EventKind::Unsubscribed, "john.doe@sendpulse.com");
        e.provider = Provider::SendPulse;
        e.message_id = None;
        e.time = EventTime::received(at("2026-11-24T17:03:09.250Z"));
        let key = ItemKey::of(&e);
        assert_eq!(key.pk, "no-message-id#sendpulse#john.doe@sendpulse.com");
        assert!(key.sk.starts_with("2026-11-24T00:00:00.000Z#unsubscribed#"));
        let mut later_retry = e.clone();
        later_retry.time.at = at("2026-11-24T23:59:59.999Z");
        assert_eq!(ItemKey::of(&later_retry), key);
    }

    #[test]
    fn an_overlong_message_id_is_cut_and_hashed() {
        let mut a = event(EventKind::Delivered, "a@x.io");
        a.message_id = Some("m".repeat(10_000));
        let mut b = a.clone();
        b.message_id = Some(format!("{}n", "m".repeat(9_999)));
        let (ka, kb) = (ItemKey::of(&a), ItemKey::of(&b));
        assert!(ka.pk.len() <= MAX_PARTITION_KEY_BYTES);
        assert_ne!(ka.pk, kb.pk);
    }

    #[test]
    fn every_seed_event_gets_its_own_key() {
        let received = at("2026-11-24T12:00:00Z");
        let mut events = sendgrid::decode(seed_sendgrid_body().as_bytes(), received)
            .unwrap()
            .events;
        assert_eq!(events.len(), 14);
        for name in SES_EVENT_FIXTURES {
            events.extend(ses::decode(ses_fixture(name), received).unwrap().events);
        }
        for name in SENDPULSE_FIXTURES {
            events.extend(
                sendpulse::decode(sendpulse_fixture(name).as_bytes(), received)
                    .unwrap()
                    .events,
            );
        }
        let keys: HashSet<ItemKey> = events.iter().map(ItemKey::of).collect();
        // The two generic-format SendPulse samples repeat one event: one item, not two.
        assert_eq!(keys.len(), events.len() - 1);
        let identities: HashSet<Identity> = events.iter().map(Identity::of).collect();
        assert_eq!(
            identities.len(),
            keys.len(),
            "identities tell events apart as keys do"
        );
    }

    mod properties {
        use proptest::prelude::*;
        use serde_json::{json, Map, Value};

        use super::*;

        const NAMES: &[&str] = &[
            "processed",
            "delivered",
            "deferred",
            "open",
            "click",
            "bounce",
            "unsubscribe",
            "group_unsubscribe",
            "brand_new",
        ];

        fn sendgrid_event() -> impl Strategy<Value = Map<String, Value>> {
            (
                prop::sample::select(NAMES),
                prop::sample::select(&["a@x.io", "B@X.io", "c@y.org"][..]),
                prop::sample::select(&["m1.filter0001.1", "m2.recvd-1", "m3"][..]),
                1_600_000_000i64..1_600_000_005,
                prop::option::of(prop::sample::select(&["https://x.io/a", "https://x.io/b"][..])),
                prop::option::of(1u8..4),
                prop::option::of(prop::sample::select(&["bounce", "blocked"][..])),
            )
                .prop_map(|(event, email, id, timestamp, url, attempt, kind)| {
                    let mut object = Map::new();
                    object.insert("event".into(), event.into());
                    object.insert("email".into(), email.into());
                    object.insert("sg_message_id".into(), id.into());
                    object.insert("timestamp".into(), timestamp.into());
                    if let Some(url) = url {
                        object.insert("url".into(), url.into());
                    }
                    if let Some(attempt) = attempt {
                        object.insert("attempt".into(), attempt.to_string().into());
                    }
                    if let Some(kind) = kind {
                        object.insert("type".into(), kind.into());
                    }
                    object.insert("asm_group_id".into(), 7.into());
                    object
                })
        }

        fn key_of(event: &Map<String, Value>, received: Timestamp) -> ItemKey {
            let body = serde_json::to_vec(&[event]).unwrap();
            let events = sendgrid::decode(&body, received).unwrap().events;
            ItemKey::of(&events[0])
        }

        fn received() -> Timestamp {
            Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
        }

        proptest! {
            /// SendGrid may resend an event under a new `sg_event_id`, with its fields in
            /// another order, with fields added, on another day: the item is the same.
            #[test]
            fn volatile_values_never_change_the_key(
                event in sendgrid_event(),
                event_id in "[A-Za-z0-9_-]{8,40}",
                extra in "[a-z]{3,10}",
                days_later in 0i64..400,
            ) {
                let first = key_of(&event, received());
                let mut resent: Vec<(String, Value)> = event.clone().into_iter().collect();
                resent.reverse();
                let mut resent: Map<String, Value> = resent.into_iter().collect();
                resent.insert("sg_event_id".into(), event_id.into());
                resent.insert(format!("x_{extra}"), json!({"custom": extra}));
                resent.insert("useragent".into(), "another agent".into());
                let later = Timestamp::from_millis(received().millis() + days_later * 86_400_000).unwrap();
                prop_assert_eq!(key_of(&resent, later), first);
            }

            /// Two events that differ in one value that tells real events apart (a click's
            /// link, a deferral's attempt, a group, a bounce's type) never share an item.
            #[test]
            fn each_distinguisher_tells_events_apart(
                event in sendgrid_event(),
                field in prop::sample::select(&["url", "attempt", "asm_group_id", "type", "email", "timestamp", "event"][..]),
            ) {
                let mut other = event.clone();
                let changed: Value = match field {
                    "url" => "https://x.io/other".into(),
                    "attempt" => "9".into(),
                    "asm_group_id" => 8.into(),
                    "type" => match event.get("type").and_then(Value::as_str) {
                        Some("bounce") => "blocked".into(),
                        _ => "bounce".into(),
                    },
                    "email" => "someone.else@x.io".into(),
                    "timestamp" => 1_600_000_100i64.into(),
                    _ => "another_event".into(),
                };
                other.insert(field.into(), changed);
                prop_assert_ne!(key_of(&other, received()), key_of(&event, received()));
            }
        }

        #[test]
        fn an_event_without_a_time_is_the_same_item_all_day_and_another_the_next() {
            let body = br#"[{"event":"unsubscribed","email":"a@x.io"}]"#;
            let key = |at: &str| {
                let events = sendpulse::decode(body, Timestamp::parse_rfc3339(at).unwrap())
                    .unwrap()
                    .events;
                ItemKey::of(&events[0])
            };
            assert_eq!(key("2026-11-24T00:00:01Z"), key("2026-11-24T23:59:59Z"));
            assert_ne!(key("2026-11-24T23:59:59Z"), key("2026-11-25T00:00:00Z"));
        }
    }
}
