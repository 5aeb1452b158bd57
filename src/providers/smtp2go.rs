//! SMTP2GO's webhooks: one event per POST, flat fields, as JSON or form-encoded.
//!
//! Events: `processed` (queued), `delivered`, `bounce` (`bounce: hard` permanent, `soft`
//! transient), `spam` (complaint), `unsubscribe`, `resubscribe`, `open`, `click`, `reject`
//! (SMTP2GO refused to send: when its message says the address is on the suppression list,
//! the provider's refusal). The recipient is `rcpt` (`email` in older payloads), the message id
//! `email_id` (what SMTP2GO's send API returns), the time `time` (`YYYY-MM-DD hh:mm:ss`, UTC;
//! RFC 3339 and Unix seconds are read too), else `sendtime`.

use serde::Deserialize;

use super::batch::{leading_event, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{
    BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, SubscriptionChange, Timestamp,
};

/// SMTP2GO in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Smtp2go,
    name: "smtp2go",
    title: "SMTP2GO",
    body: BodyShape::ObjectOrForm,
    decode_event: leading_event::<Smtp2goEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
struct Smtp2goEvent {
    #[serde(default, deserialize_with = "text")]
    event: Option<String>,
    #[serde(default, deserialize_with = "text")]
    rcpt: Option<String>,
    #[serde(default, deserialize_with = "text")]
    email: Option<String>,
    #[serde(default, deserialize_with = "text")]
    email_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    sendtime: Option<String>,
    #[serde(default, deserialize_with = "text")]
    bounce: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    message: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    context: Option<String>,
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    sender: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    tags: Vec<String>,
}

impl ProviderEvent for Smtp2goEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// SMTP2GO's `YYYY-MM-DD hh:mm:ss` (UTC), or what `Timestamp::parse_lenient` reads.
fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .and_then(|t| Timestamp::from_millis(t.and_utc().timestamp_millis()))
        .or_else(|| Timestamp::parse_lenient(text))
}

fn normalize(e: Smtp2goEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.event.unwrap_or_default();
    let kind = match Lower::of(&provider_event).as_str() {
        "processed" => EventKind::Queued,
        "delivered" => EventKind::Delivered,
        "bounce" => EventKind::Bounced,
        "spam" => EventKind::Complained,
        "unsubscribe" => EventKind::Unsubscribed,
        "resubscribe" => EventKind::Subscribed,
        "open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        "reject" => EventKind::Rejected,
        _ => EventKind::Unknown,
    };
    let time = e
        .time
        .as_deref()
        .and_then(parse_time)
        .map(EventTime::own)
        .or_else(|| e.sendtime.as_deref().and_then(parse_time).map(EventTime::mail))
        .unwrap_or(EventTime::received(received_at));
    let message = non_empty(e.message).map(|m| m.trim().to_owned());
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Smtp2go,
        kind,
        provider_event,
        time,
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.email_id);
    out.recipient = e
        .rcpt
        .as_deref()
        .and_then(normalize_recipient)
        .or_else(|| e.email.as_deref().and_then(normalize_recipient));
    out.bounce_class = (kind == EventKind::Bounced).then_some(
        match e
            .bounce
            .as_deref()
            .map(str::trim)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("hard") => BounceClass::Permanent,
            Some("soft") => BounceClass::Transient,
            _ => BounceClass::Undetermined,
        },
    );
    out.provider_suppressed = kind == EventKind::Rejected
        && message
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains("suppress"));
    if matches!(
        kind,
        EventKind::Bounced | EventKind::Delivered | EventKind::Deferred
    ) {
        out.smtp_status = message.as_deref().and_then(enhanced_status);
        out.smtp_response = message.clone();
    }
    out.reason = match kind {
        EventKind::Bounced | EventKind::Rejected => message,
        _ => None,
    };
    out.url = (kind == EventKind::Clicked)
        .then(|| non_empty(e.url).or(non_empty(e.context)))
        .flatten();
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(e.tags);
    out.insights.sending_address(e.sender.as_deref());
    out.distinguish_by_url_and_class();
    out
}

/// The `subject` SMTP2GO sends with an event, where it does.
fn subject_of(raw: &str) -> Option<String> {
    non_empty(serde_json::from_str::<Smtp2goEvent>(raw).ok()?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn decode(body: &[u8]) -> NormalizedEvent {
        let mut decoded = crate::providers::decode(Provider::Smtp2go, body, received()).unwrap();
        assert_eq!(decoded.events.len(), 1);
        decoded.events.remove(0)
    }

    fn fixture(name: &str) -> NormalizedEvent {
        decode(crate::test_support::fixture("smtp2go", name).as_bytes())
    }

    #[test]
    fn decodes_every_documented_event() {
        let expected = [
            ("processed", "queued"),
            ("delivered", "delivered"),
            ("bounce-hard", "bounced"),
            ("bounce-soft", "bounced"),
            ("spam", "complained"),
            ("unsubscribe", "unsubscribed"),
            ("resubscribe", "subscribed"),
            ("open", "opened"),
            ("click", "clicked"),
            ("reject", "rejected"),
        ];
        for (name, kind) in expected {
            let e = fixture(name);
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(e.message_id.as_deref(), Some("1u0SwL-B9zBpi9ffUq-JAB2"), "{name}");
            assert_eq!(e.occurred_at().to_rfc3339(), "2026-10-06T12:34:56.000Z", "{name}");
        }
        assert_eq!(fixture("bounce-hard").bounce_class, Some(BounceClass::Permanent));
        assert_eq!(fixture("bounce-hard").smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(fixture("bounce-soft").bounce_class, Some(BounceClass::Transient));
        assert_eq!(fixture("click").url.as_deref(), Some("https://example.com/"));
        assert!(fixture("reject").provider_suppressed);
        assert_eq!(fixture("resubscribe").subscription_changes.len(), 1);
        assert_eq!(
            fixture("delivered").insights.sending_domain.as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn a_form_encoded_event_reads_like_its_json() {
        let json: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&crate::test_support::fixture("smtp2go", "bounce-hard")).unwrap();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &json {
            form.append_pair(key, value.as_str().unwrap());
        }
        let from_form = decode(form.finish().as_bytes());
        let from_json = fixture("bounce-hard");
        assert_eq!(
            crate::model::ItemKey::of(&from_form),
            crate::model::ItemKey::of(&from_json)
        );
        assert_eq!(from_form.recipient.as_deref(), Some("nobody@example.com"));
        assert_eq!(from_form.bounce_class, Some(BounceClass::Permanent));
    }

    #[test]
    fn times_in_every_documented_form() {
        for time in ["2026-10-06T12:34:56Z", "2026-10-06T14:34:56+02:00", "1791290096"] {
            let body = format!(r#"{{"event":"delivered","rcpt":"a@x.io","time":"{time}"}}"#);
            assert_eq!(
                decode(body.as_bytes()).occurred_at().to_rfc3339(),
                "2026-10-06T12:34:56.000Z",
                "{time}"
            );
        }
        let e = decode(br#"{"event":"delivered","rcpt":"a@x.io","time":"2026-02-30 12:34:56"}"#);
        assert_eq!(e.time.source, crate::model::TimeSource::Received);
        let minimal = decode(br#"{"event":"processed"}"#);
        assert_eq!(
            (minimal.kind, minimal.recipient.as_deref()),
            (EventKind::Queued, None)
        );
    }
}
