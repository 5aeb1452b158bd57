//! Postal's webhooks (self-hosted): one event per POST, `{"event", "timestamp", "payload",
//! "uuid"}`.
//!
//! Events: `MessageSent` (the receiving server accepted it: delivered), `MessageDelayed`
//! (deferred), `MessageDeliveryFailed` (a permanent bounce), `MessageHeld` (rejected; held
//! because the address is on Postal's suppression list, it is the provider's refusal),
//! `MessageBounced` (a bounce message came back for a message Postal had sent),
//! `MessageLinkClicked`, `MessageLoaded` (opened); server events (`DomainDNSError`,
//! `SendLimitApproaching`, …) are stored as `unknown`.
//!
//! The payload decides where it and the event name disagree: a payload with
//! `original_message` and `bounce` is a bounce whatever the name says (Postal has sent one
//! under `MessageDelayed`). A Postal bounce says neither hard nor soft: it is `undetermined`,
//! recorded without suppressing (Postal's own permanent failure is `MessageDeliveryFailed`).
//! Events about incoming mail (`direction: incoming`: an HTTP endpoint that refused a message
//! Postal received) are no sent email's: `unknown`. The message id is the message's
//! `message_id` (the Message-ID Postal's send API returns), the recipient its `to`.

use serde::Deserialize;

use super::batch::{leading_event, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{text, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, Timestamp};

/// Postal in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Postal,
    name: "postal",
    title: "Postal",
    body: BodyShape::Object,
    decode_event: leading_event::<PostalEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
struct PostalEvent {
    #[serde(default, deserialize_with = "text")]
    event: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default)]
    payload: Option<Payload>,
}

#[derive(Debug, Default, Deserialize)]
struct Payload {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    original_message: Option<Message>,
    #[serde(default)]
    bounce: Option<Message>,
    #[serde(default, deserialize_with = "text")]
    status: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    details: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    output: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default, deserialize_with = "text")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    to: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    from: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "text")]
    direction: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    tag: Option<String>,
}

impl ProviderEvent for PostalEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// A time in Postal's fractional Unix seconds.
fn seconds(text: Option<&str>) -> Option<Timestamp> {
    Timestamp::parse_lenient(text?)
}

fn normalize(e: PostalEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.event.unwrap_or_default();
    let payload = e.payload.unwrap_or_default();
    let is_bounce = payload.original_message.is_some() && payload.bounce.is_some();
    let message = if is_bounce {
        payload.original_message.unwrap_or_default()
    } else {
        payload.message.unwrap_or_default()
    };
    let incoming = message
        .direction
        .as_deref()
        .is_some_and(|d| d.eq_ignore_ascii_case("incoming"));
    let details = non_empty(payload.details);
    let held_for_suppression = details
        .as_deref()
        .is_some_and(|d| d.to_ascii_lowercase().contains("suppression list"));
    let kind = if incoming {
        EventKind::Unknown
    } else if is_bounce {
        EventKind::Bounced
    } else {
        match Lower::of(&provider_event).as_str() {
            "messagesent" => EventKind::Delivered,
            "messagedelayed" => EventKind::Deferred,
            "messagedeliveryfailed" => EventKind::Bounced,
            "messageheld" => EventKind::Rejected,
            "messagebounced" => EventKind::Bounced,
            "messagelinkclicked" => EventKind::Clicked,
            "messageloaded" => EventKind::Opened,
            _ => EventKind::Unknown,
        }
    };
    let time = seconds(payload.timestamp.as_deref())
        .or_else(|| seconds(e.timestamp.as_deref()))
        .map_or(EventTime::received(received_at), EventTime::own);
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Postal,
        kind,
        provider_event: provider_event.clone(),
        time,
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(message.message_id).map(|id| id.trim().to_owned());
    out.recipient = message.to.as_deref().and_then(normalize_recipient);
    out.bounce_class = (kind == EventKind::Bounced).then_some(if is_bounce {
        BounceClass::Undetermined
    } else {
        BounceClass::Permanent
    });
    out.provider_suppressed = kind == EventKind::Rejected && held_for_suppression;
    let output = non_empty(payload.output)
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    out.smtp_status = output.as_deref().and_then(enhanced_status);
    out.smtp_response = output;
    out.reason = if is_bounce {
        payload.bounce.and_then(|b| non_empty(b.subject))
    } else if kind == EventKind::Rejected && held_for_suppression {
        Some("suppression list".to_owned())
    } else {
        details.or(non_empty(payload.status))
    };
    out.url = (kind == EventKind::Clicked)
        .then(|| non_empty(payload.url))
        .flatten();
    out.insights.add_tags(message.tag);
    out.insights.sending_address(message.from.as_deref());
    out.distinguish_by_url_and_class();
    out
}

/// The message's subject (the original message's, for a bounce).
fn subject_of(raw: &str) -> Option<String> {
    let payload = serde_json::from_str::<PostalEvent>(raw).ok()?.payload?;
    non_empty(payload.original_message.or(payload.message)?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> NormalizedEvent {
        let body = crate::test_support::fixture("postal", name);
        let mut events = crate::providers::batch::decode_all(&SPEC, &body, received()).unwrap();
        assert_eq!(events.len(), 1, "{name}");
        events.remove(0)
    }

    #[test]
    fn decodes_every_documented_event() {
        let expected = [
            ("message-sent", "delivered", "recipient@example.com"),
            ("message-delayed", "deferred", "deferred@example.com"),
            ("message-delivery-failed", "bounced", "failed@example.com"),
            ("message-held", "rejected", "suppressed@example.com"),
            ("message-bounced", "bounced", "bounce@example.com"),
            ("message-link-clicked", "clicked", "recipient@example.com"),
            ("message-loaded", "opened", "recipient@example.com"),
        ];
        for (name, kind, recipient) in expected {
            let e = fixture(name);
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(e.recipient.as_deref(), Some(recipient), "{name}");
            assert!(
                e.message_id
                    .as_deref()
                    .unwrap()
                    .ends_with("@rp.postal.example.com"),
                "{name}"
            );
        }
        let sent = fixture("message-sent");
        assert_eq!(sent.smtp_status.as_deref(), Some("2.0.0"));
        assert_eq!(sent.insights.tags, ["welcome-email"]);
        assert_eq!(sent.occurred_at().to_rfc3339(), "2020-11-30T16:01:46.986Z");
        assert_eq!(
            fixture("message-delivery-failed").bounce_class,
            Some(BounceClass::Permanent)
        );
        let held = fixture("message-held");
        assert!(held.provider_suppressed);
        assert_eq!(
            crate::suppression::evidence(&held, None)[0].mark,
            crate::suppression::Mark::Suppress(crate::suppression::Reason::HardBounce)
        );
        assert_eq!(
            fixture("message-link-clicked").url.as_deref(),
            Some("https://example.com/pricing")
        );
        assert_eq!(subject_of(&sent.raw).as_deref(), Some("Test Message"));
    }

    /// A bounce payload under `MessageDelayed`: the payload decides, and an undetermined bounce
    /// suppresses nobody.
    #[test]
    fn a_bounce_payload_is_a_bounce_whatever_the_event_name() {
        let bounced = fixture("message-bounced");
        let delayed = fixture("delayed-with-bounce-payload");
        for e in [&bounced, &delayed] {
            assert_eq!(e.kind, EventKind::Bounced);
            assert_eq!(e.bounce_class, Some(BounceClass::Undetermined));
            assert_eq!(
                e.message_id.as_deref(),
                Some("7b82aac4-5d63-41b8-8e35-9faa31a892dc@rp.postal.example.com")
            );
            assert_eq!(
                e.reason.as_deref(),
                Some("Mail delivery failed: returning message to sender")
            );
            assert!(crate::suppression::evidence(e, None).is_empty());
        }
        assert_eq!(delayed.provider_event, "MessageDelayed");
        assert_eq!(subject_of(&delayed.raw).as_deref(), Some("Welcome"));
    }

    #[test]
    fn held_for_another_reason_and_incoming_mail_are_no_evidence() {
        let body = crate::test_support::fixture("postal", "message-held")
            .replace("is on the suppression list", "exceeded the send limit");
        let e = &crate::providers::batch::decode_all(&SPEC, &body, received()).unwrap()[0];
        assert!(e.kind == EventKind::Rejected && !e.provider_suppressed);
        let body = crate::test_support::fixture("postal", "message-delivery-failed")
            .replace("\"outgoing\"", "\"incoming\"");
        let e = &crate::providers::batch::decode_all(&SPEC, &body, received()).unwrap()[0];
        assert_eq!(e.kind, EventKind::Unknown);
        assert!(crate::suppression::evidence(e, None).is_empty());
        let server = r#"{"event":"DomainDNSError","timestamp":1606753101.5,"payload":{"domain":"example.com"},"uuid":"x"}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, server, received()).unwrap()[0];
        assert_eq!((e.kind, e.recipient.as_deref()), (EventKind::Unknown, None));
    }
}
