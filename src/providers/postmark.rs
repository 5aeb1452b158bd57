//! Postmark's webhooks: one JSON object per POST, told apart by `RecordType` (`Delivery`,
//! `Bounce` with its `Type`, `SpamComplaint`, `Open`, `Click`, `SubscriptionChange`). Older
//! webhooks and Postmark's own curl examples send no `RecordType`: a body with a bounce `Type`,
//! `TypeCode` or `BouncedAt` is a bounce, one with `DeliveredAt` a delivery.
//!
//! Postmark signs nothing: the webhook URL carries HTTP Basic credentials (the password is the
//! token) or `?token=`. Its events carry no event id; the content key makes retries rewrites.

use serde::Deserialize;

use super::batch::{leading_event, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_or_none};
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{
    BounceClass, Distinguisher, EventBasics, EventKind, EventTime, NormalizedEvent, SubscriptionChange,
    Timestamp,
};

/// Postmark in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Postmark,
    name: "postmark",
    title: "Postmark",
    body: BodyShape::Object,
    decode_event: leading_event::<PostmarkEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkEvent {
    #[serde(default, deserialize_with = "text")]
    record_type: Option<String>,
    #[serde(default, rename = "Type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    type_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    origin: Option<String>,
    #[serde(default, rename = "MessageID", deserialize_with = "text")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    email: Option<String>,
    #[serde(default, deserialize_with = "text")]
    recipient: Option<String>,
    #[serde(default, deserialize_with = "text")]
    delivered_at: Option<String>,
    #[serde(default, deserialize_with = "text")]
    bounced_at: Option<String>,
    #[serde(default, deserialize_with = "text")]
    received_at: Option<String>,
    #[serde(default, deserialize_with = "text")]
    changed_at: Option<String>,
    #[serde(default, deserialize_with = "text")]
    details: Option<String>,
    #[serde(default, deserialize_with = "text")]
    description: Option<String>,
    #[serde(default, deserialize_with = "text")]
    original_link: Option<String>,
    #[serde(default, deserialize_with = "text")]
    suppress_sending: Option<String>,
    #[serde(default, deserialize_with = "text")]
    suppression_reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    tag: Vec<String>,
    #[serde(default, deserialize_with = "tag_list")]
    message_stream: Vec<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    from: Option<String>,
}

impl ProviderEvent for PostmarkEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// What a bounce `Type` means: the kind, the bounce class, whether it is Postmark refusing an
/// address it deactivated, and whether it is Postmark's guess from a reply's text that must
/// not change a verdict (`Subscribe`).
fn bounce_type(kind: &str) -> (EventKind, Option<BounceClass>, bool, bool) {
    let (kind, class, refused) = match kind {
        "HardBounce" | "BadEmailAddress" => (EventKind::Bounced, Some(BounceClass::Permanent), false),
        "SoftBounce" => (EventKind::Bounced, Some(BounceClass::Transient), false),
        "Transient" | "DnsError" | "OpenRelayTest" => (EventKind::Deferred, None, false),
        "VirusNotification" => (EventKind::Bounced, Some(BounceClass::Undetermined), false),
        "SpamComplaint" | "SpamNotification" => (EventKind::Complained, None, false),
        "ManuallyDeactivated" => (EventKind::Rejected, None, true),
        "Blocked" | "Unconfirmed" | "DMARCPolicy" => (EventKind::Rejected, None, false),
        "Unsubscribe" | "ManualSuppression" => (EventKind::Unsubscribed, None, false),
        "Subscribe" => (EventKind::Subscribed, None, false),
        "SMTPApiError" | "TemplateRenderingFailed" => (EventKind::Failed, None, false),
        // A bounce record without a type is still a bounce.
        "" => (EventKind::Bounced, Some(BounceClass::Undetermined), false),
        _ => (EventKind::Unknown, None, false),
    };
    (kind, class, refused, kind == EventKind::Subscribed)
}

/// Postmark's bounce `TypeCode`s, by the names its `Type` spells.
fn type_name(code: &str) -> &'static str {
    match code.trim() {
        "1" => "HardBounce",
        "2" => "Transient",
        "16" => "Unsubscribe",
        "32" => "Subscribe",
        "64" => "AutoResponder",
        "128" => "AddressChange",
        "256" => "DnsError",
        "512" => "SpamNotification",
        "1024" => "OpenRelayTest",
        "2048" => "Unknown",
        "4096" => "SoftBounce",
        "8192" => "VirusNotification",
        "16384" => "ChallengeVerification",
        "100000" => "BadEmailAddress",
        "100001" => "SpamComplaint",
        "100002" => "ManuallyDeactivated",
        "100003" => "Unconfirmed",
        "100006" => "Blocked",
        "100007" => "SMTPApiError",
        "100008" => "InboundError",
        "100009" => "DMARCPolicy",
        "100010" => "TemplateRenderingFailed",
        _ => "Unknown",
    }
}

/// What a Postmark suppression stands for, in its webhook's `SubscriptionChange` and in its
/// suppression export alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostmarkSuppression {
    /// `HardBounce`.
    HardBounce,
    /// `SpamComplaint`.
    SpamComplaint,
    /// `ManualSuppression` by the recipient (`Origin: Recipient`, Postmark's unsubscribe link).
    RecipientOptOut,
    /// `ManualSuppression` by the sender (`Customer`) or Postmark (`Admin`).
    Manual,
}

/// Postmark's `SuppressionReason` with its `Origin` (case, spaces, `_` and `-` ignored).
pub fn suppression_reason(reason: &str, origin: &str) -> Option<PostmarkSuppression> {
    let plain = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .flat_map(|c| c.to_lowercase())
            .collect()
    };
    match plain(reason).as_str() {
        "hardbounce" => Some(PostmarkSuppression::HardBounce),
        "spamcomplaint" => Some(PostmarkSuppression::SpamComplaint),
        "manualsuppression" if plain(origin) == "recipient" => Some(PostmarkSuppression::RecipientOptOut),
        "manualsuppression" => Some(PostmarkSuppression::Manual),
        _ => None,
    }
}

/// The record type a body without `RecordType` stands for: a bounce when it carries a bounce
/// type, code or time, a delivery when it carries a delivery time.
fn inferred_record_type(e: &PostmarkEvent) -> &'static str {
    if e.kind.is_some() || e.type_code.is_some() || e.bounced_at.is_some() {
        "Bounce"
    } else if e.delivered_at.is_some() {
        "Delivery"
    } else {
        ""
    }
}

fn normalize(e: PostmarkEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let record_type = match e.record_type.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(record_type) => record_type.to_owned(),
        None => inferred_record_type(&e).to_owned(),
    };
    let suppress = e
        .suppress_sending
        .as_deref()
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let bounce_name = match (&e.kind, &e.type_code) {
        (Some(kind), _) => kind.clone(),
        (None, Some(code)) => type_name(code).to_owned(),
        (None, None) => String::new(),
    };
    let suppression = e
        .suppression_reason
        .as_deref()
        .and_then(|reason| suppression_reason(reason, e.origin.as_deref().unwrap_or("")));
    let (kind, class, refused, weak) = match record_type.as_str() {
        "Delivery" => (EventKind::Delivered, None, false, false),
        "Open" => (EventKind::Opened, None, false, false),
        "Click" => (EventKind::Clicked, None, false, false),
        "SpamComplaint" => (EventKind::Complained, None, false, false),
        "Bounce" => bounce_type(&bounce_name),
        "SubscriptionChange" if !suppress => (EventKind::Subscribed, None, false, false),
        // A suppression for a hard bounce or a complaint is that evidence; the recipient's own
        // is an opt-out; the sender's or Postmark's is Postmark refusing the address (`manual`).
        "SubscriptionChange" => match suppression {
            Some(PostmarkSuppression::HardBounce) => {
                (EventKind::Bounced, Some(BounceClass::Permanent), false, false)
            }
            Some(PostmarkSuppression::SpamComplaint) => (EventKind::Complained, None, false, false),
            Some(PostmarkSuppression::Manual) => (EventKind::Unsubscribed, None, true, false),
            Some(PostmarkSuppression::RecipientOptOut) | None => {
                (EventKind::Unsubscribed, None, false, false)
            }
        },
        _ => (EventKind::Unknown, None, false, false),
    };
    let time = [&e.delivered_at, &e.bounced_at, &e.received_at, &e.changed_at]
        .into_iter()
        .flatten()
        .find_map(|t| Timestamp::parse_rfc3339(t))
        .map_or(EventTime::received(received_at), EventTime::own);
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Postmark,
        kind,
        provider_event: record_type.clone(),
        time,
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.message_id);
    out.recipient = e.email.or(e.recipient).as_deref().and_then(normalize_recipient);
    out.bounce_class = class.filter(|_| kind == EventKind::Bounced);
    out.provider_suppressed = refused;
    out.weak_signal = weak;
    out.smtp_status = e.details.as_deref().and_then(enhanced_status);
    out.smtp_response = non_empty(e.details);
    out.reason = non_empty(e.kind.clone())
        .or(non_empty(e.suppression_reason.clone()))
        .or(non_empty(e.description));
    out.url = non_empty(e.original_link);
    // Postmark's own refusal is the evidence, not an opt-out.
    if !refused {
        out.subscription_changes = SubscriptionChange::global_for(kind);
    }
    // Two records of one message at one time are told apart by their type.
    if let Some(kind) = non_empty(e.kind).or(non_empty(e.suppression_reason)) {
        out.distinguishers.push(Distinguisher::BounceType(kind));
    }
    // Postmark's Tag, and the message stream as `stream:<name>`.
    out.insights.add_tags(e.tag);
    out.insights.add_tags(
        e.message_stream
            .into_iter()
            .map(|stream| format!("stream:{stream}")),
    );
    out.insights.sending_address(e.from.as_deref());
    out.distinguish_by_url_and_class();
    out
}

/// The `Subject` Postmark sends with bounces and complaints.
fn subject_of(raw: &str) -> Option<String> {
    non_empty(serde_json::from_str::<PostmarkEvent>(raw).ok()?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> NormalizedEvent {
        let raw = crate::test_support::fixture("postmark", name);
        let mut events = crate::providers::batch::decode_all(&SPEC, &raw, received()).unwrap();
        assert_eq!(events.len(), 1, "{name}");
        events.remove(0)
    }

    #[test]
    fn decodes_every_documented_record() {
        let expected = [
            (
                "delivery",
                "delivered",
                None,
                "john@example.com",
                "2019-11-05T16:33:54.907Z",
            ),
            (
                "bounce-hard",
                "bounced",
                Some(BounceClass::Permanent),
                "john@example.com",
                "2019-11-05T16:33:54.907Z",
            ),
            (
                "bounce-soft",
                "bounced",
                Some(BounceClass::Transient),
                "full@example.com",
                "2016-04-27T20:28:50.396Z",
            ),
            (
                "bounce-transient",
                "deferred",
                None,
                "slow@example.com",
                "2016-04-27T20:30:50.396Z",
            ),
            (
                "bounce-manually-deactivated",
                "rejected",
                None,
                "deactivated@example.com",
                "2016-04-28T10:00:00.000Z",
            ),
            (
                "spam-complaint",
                "complained",
                None,
                "john@example.com",
                "2019-11-05T16:33:54.907Z",
            ),
            (
                "open",
                "opened",
                None,
                "john@example.com",
                "2019-11-05T16:33:54.907Z",
            ),
            (
                "click",
                "clicked",
                None,
                "john@example.com",
                "2017-10-25T15:21:11.906Z",
            ),
            (
                "subscription-change-unsubscribe",
                "unsubscribed",
                None,
                "bounced-address@wildbit.com",
                "2020-02-01T10:53:34.416Z",
            ),
            (
                "subscription-change-resubscribe",
                "subscribed",
                None,
                "bounced-address@wildbit.com",
                "2020-02-03T10:53:34.416Z",
            ),
            (
                "subscription-change-hard-bounce",
                "bounced",
                Some(BounceClass::Permanent),
                "john@example.com",
                "2022-06-05T17:17:32.000Z",
            ),
        ];
        for (name, kind, class, recipient, time) in expected {
            let e = fixture(name);
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(e.bounce_class, class, "{name}");
            assert_eq!(e.recipient.as_deref(), Some(recipient), "{name}");
            assert_eq!(e.occurred_at().to_rfc3339(), time, "{name}");
        }
        let hard = fixture("bounce-hard");
        assert_eq!(
            hard.message_id.as_deref(),
            Some("883953f4-6105-42a2-a16a-77a8eac79483")
        );
        assert_eq!(hard.smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(subject_of(&hard.raw).as_deref(), Some("Test subject"));
        assert!(
            hard.raw.contains("4323372036854775807"),
            "the bounce ID's digits, as received"
        );
        assert!(fixture("bounce-manually-deactivated").provider_suppressed);
        assert_eq!(fixture("click").url.as_deref(), Some("https://example.com"));
        assert_eq!(
            fixture("subscription-change-unsubscribe").subscription_changes[0],
            SubscriptionChange {
                scope: crate::model::Scope::Global,
                subscribed: false
            }
        );
    }

    #[test]
    fn an_unsubscribe_bounce_variant_and_unknown_types_are_kept() {
        let raw = r#"{"Description":"Unsubscribe or Remove request.","ID":555555555,"MessageID":"5555555-5555555-5555-5555555","RecordType":"Bounce","Type":"Unsubscribe","TypeCode":16}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, raw, received()).unwrap()[0];
        assert_eq!(e.kind, EventKind::Unsubscribed);
        assert_eq!(e.time.source, crate::model::TimeSource::Received);
        let other = r#"{"RecordType":"Teleport","MessageID":"m","Recipient":"a@x.io"}"#;
        assert_eq!(
            crate::providers::batch::decode_all(&SPEC, other, received()).unwrap()[0].kind,
            EventKind::Unknown
        );
    }

    #[test]
    fn bodies_without_a_record_type_are_read_by_their_fields() {
        // Postmark's older webhooks and its curl examples send no RecordType.
        let cases = [
            (
                r#"{"ID":42,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Email":"john@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z","Details":"Test bounce details"}"#,
                EventKind::Bounced,
                Some(BounceClass::Permanent),
            ),
            (
                r#"{"ID":43,"TypeCode":4096,"MessageID":"m-2","Email":"john@example.com","BouncedAt":"2019-11-05T16:33:54Z"}"#,
                EventKind::Bounced,
                Some(BounceClass::Transient),
            ),
            (
                r#"{"ID":44,"MessageID":"m-3","Email":"john@example.com","BouncedAt":"2019-11-05T16:33:54Z"}"#,
                EventKind::Bounced,
                Some(BounceClass::Undetermined),
            ),
            (
                r#"{"ServerId":23,"MessageID":"m-4","Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2014-08-01T13:28:10.2735393-04:00","Details":"Test delivery webhook details"}"#,
                EventKind::Delivered,
                None,
            ),
            (
                r#"{"RecordType":"Bounce","MessageID":"m-5","Email":"john@example.com","BouncedAt":"2019-11-05T16:33:54Z"}"#,
                EventKind::Bounced,
                Some(BounceClass::Undetermined),
            ),
        ];
        for (body, kind, class) in cases {
            let e = &crate::providers::batch::decode_all(&SPEC, body, received()).unwrap()[0];
            assert_eq!((e.kind, e.bounce_class), (kind, class), "{body}");
            assert_eq!(e.recipient.as_deref(), Some("john@example.com"));
            assert_eq!(e.time.source, crate::model::TimeSource::Event);
        }
        assert_eq!(
            crate::providers::batch::decode_all(&SPEC, r#"{"ID":1,"Email":"a@x.io"}"#, received()).unwrap()
                [0]
            .kind,
            EventKind::Unknown
        );
    }
}
