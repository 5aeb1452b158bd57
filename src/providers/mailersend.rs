//! MailerSend's webhooks: one event per POST, `{"type": "activity.<event>", "created_at",
//! "data"}`.
//!
//! The event is always the top-level `type` (`activity.sent`, `.delivered`, `.soft_bounced`,
//! `.hard_bounced`, `.opened`, `.opened_unique`, `.clicked`, `.clicked_unique`,
//! `.unsubscribed`, `.spam_complaint`, `.survey_opened`, `.survey_submitted`; other types are
//! stored as `unknown`). Two body shapes exist: the nested one (`data` is the activity, with
//! the email under `data.email`) and the flat one (`data` is the email itself, its `type` the
//! email's status, not the event); both are read. The message id is the message's
//! (`…message.id`), the same for every recipient of one send; the activity's `id` tells events
//! apart. `morph` says why (a bounce's reason, a click's url, an unsubscribe's reason).

use serde::Deserialize;

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{
    BounceClass, Distinguisher, EventBasics, EventKind, NormalizedEvent, SubscriptionChange, Timestamp,
};

/// MailerSend in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::MailerSend,
    name: "mailersend",
    title: "MailerSend",
    body: BodyShape::Object,
    decode_event: leading_event::<MailerSendEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
struct MailerSendEvent {
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    created_at: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

/// The activity (nested shape) or the email itself (flat shape); the nested shape's email,
/// `data.email`, is read with the same fields.
#[derive(Debug, Default, Deserialize)]
struct Data {
    #[serde(default, deserialize_with = "text")]
    object: Option<String>,
    #[serde(default, deserialize_with = "text")]
    id: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    created_at: Option<String>,
    /// The nested shape's email.
    #[serde(default)]
    email: Option<Box<Data>>,
    #[serde(default)]
    morph: Option<Morph>,
    /// The email's fields (the flat shape's, or those of the nested shape's `email`).
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    recipient: Option<Recipient>,
    #[serde(default, deserialize_with = "text_or_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    from: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    tags: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default, deserialize_with = "text")]
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Recipient {
    #[serde(default, deserialize_with = "text")]
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Morph {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    readable_reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
}

impl ProviderEvent for MailerSendEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

fn normalize(e: MailerSendEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let mut data = e.data.unwrap_or_default();
    let nested_email = data.email.take();
    // The event is the top-level type; the nested shape's `data.type` says it too, the flat
    // shape's `data.type` is the email's status and is never read as the event.
    let nested = nested_email.is_some() || data.object.as_deref() == Some("activity");
    let provider_event = non_empty(e.kind)
        .or_else(|| nested.then(|| data.kind.clone()).flatten())
        .unwrap_or_default();
    let name = Lower::of(&provider_event);
    let name = name.as_str();
    let name = name.strip_prefix("activity.").unwrap_or(name);
    let kind = match name {
        "sent" => EventKind::Sent,
        "delivered" => EventKind::Delivered,
        "soft_bounced" | "hard_bounced" => EventKind::Bounced,
        "opened" | "opened_unique" => EventKind::Opened,
        "clicked" | "clicked_unique" => EventKind::Clicked,
        "unsubscribed" => EventKind::Unsubscribed,
        "spam_complaint" => EventKind::Complained,
        _ => EventKind::Unknown,
    };
    let hard = name == "hard_bounced";
    let morph = data.morph.take().unwrap_or_default();
    let email: &Data = nested_email.as_deref().unwrap_or(&data);
    let time = data
        .created_at
        .as_deref()
        .filter(|_| nested)
        .or(e.created_at.as_deref())
        .or(data.created_at.as_deref());
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::MailerSend,
        kind,
        provider_event: provider_event.clone(),
        time: own_time_or_received(time, received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = email.message.as_ref().and_then(|m| non_empty(m.id.clone()));
    out.recipient = email
        .recipient
        .as_ref()
        .and_then(|r| r.email.as_deref())
        .and_then(normalize_recipient);
    out.bounce_class = (kind == EventKind::Bounced).then_some(if hard {
        BounceClass::Permanent
    } else {
        BounceClass::Transient
    });
    let reason = non_empty(morph.readable_reason).or(non_empty(morph.reason.clone()));
    if kind == EventKind::Bounced {
        out.smtp_response = non_empty(morph.reason);
        out.smtp_status = out.smtp_response.as_deref().and_then(enhanced_status);
    }
    out.reason = reason;
    out.url = (kind == EventKind::Clicked)
        .then(|| non_empty(morph.url))
        .flatten();
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(email.tags.iter().cloned());
    out.insights.sending_address(email.from.as_deref());
    // The activity's id (nested shape) is one event's; the flat shape's `data.id` is the
    // email's, shared by its events, and tells nothing apart.
    if let Some(id) = nested.then(|| non_empty(data.id.clone())).flatten() {
        out.distinguishers.push(Distinguisher::EventId(id));
    }
    out.distinguish_by_url_and_class();
    out
}

/// The email's subject, where the event carries it.
fn subject_of(raw: &str) -> Option<String> {
    let data = serde_json::from_str::<MailerSendEvent>(raw).ok()?.data?;
    non_empty(data.email.as_deref().unwrap_or(&data).subject.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> NormalizedEvent {
        let body = crate::test_support::fixture("mailersend", name);
        let mut events = crate::providers::batch::decode_all(&SPEC, &body, received()).unwrap();
        assert_eq!(events.len(), 1, "{name}");
        events.remove(0)
    }

    #[test]
    fn decodes_every_documented_type() {
        let expected = [
            ("sent", "sent", "recipient@example.com"),
            ("delivered", "delivered", "recipient@example.com"),
            ("soft-bounced", "bounced", "full@example.com"),
            ("hard-bounced", "bounced", "invalid@example.com"),
            ("opened", "opened", "recipient@example.com"),
            ("clicked", "clicked", "recipient@example.com"),
            ("unsubscribed", "unsubscribed", "recipient@example.com"),
            ("spam-complaint", "complained", "recipient@example.com"),
        ];
        for (name, kind, recipient) in expected {
            let e = fixture(name);
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(e.recipient.as_deref(), Some(recipient), "{name}");
            assert_eq!(
                e.message_id.as_deref(),
                Some("63fd1c1d5f010335ed07066b"),
                "{name}"
            );
            assert_eq!(e.insights.tags, ["tag1", "Tag 2"], "{name}");
            assert_eq!(
                e.insights.sending_domain.as_deref(),
                Some("mailersend.example.com")
            );
        }
        assert_eq!(fixture("hard-bounced").bounce_class, Some(BounceClass::Permanent));
        assert_eq!(fixture("soft-bounced").bounce_class, Some(BounceClass::Transient));
        assert_eq!(
            fixture("hard-bounced").reason.as_deref(),
            Some("The domain has no mail server")
        );
        assert_eq!(
            fixture("clicked").url.as_deref(),
            Some("https://www.mailersend.com")
        );
        assert_eq!(
            fixture("sent").occurred_at().to_rfc3339(),
            "2023-02-27T21:09:49.506Z"
        );
        assert_eq!(subject_of(&fixture("sent").raw).as_deref(), Some("Test webhooks"));
    }

    /// The flat shape: `data.type` is the email's status (`delivered`); the event is the
    /// top-level `activity.opened_unique`.
    #[test]
    fn the_flat_shape_takes_the_event_from_the_top_level_type() {
        let e = fixture("flat-opened-unique");
        assert_eq!(e.kind, EventKind::Opened);
        assert_eq!(e.provider_event, "activity.opened_unique");
        assert_eq!(e.recipient.as_deref(), Some("flat@example.com"));
        assert_eq!(e.message_id.as_deref(), Some("6687f1d6b1a7f0d9b30e3c41"));
        assert_eq!(e.occurred_at().to_rfc3339(), "2024-07-05T13:16:11.000Z");
        assert!(e.distinguishers.is_empty());
        assert_eq!(subject_of(&e.raw).as_deref(), Some("Order confirmed"));
    }

    #[test]
    fn other_types_are_unknown_and_the_activity_id_tells_events_apart() {
        let raw = r#"{"type":"maintenance.started","created_at":"2024-01-01T00:00:00Z","data":{}}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, raw, received()).unwrap()[0];
        assert_eq!((e.kind, e.recipient.as_deref()), (EventKind::Unknown, None));
        let first = fixture("opened");
        let mut again: serde_json::Value =
            serde_json::from_str(&crate::test_support::fixture("mailersend", "opened")).unwrap();
        again["data"]["id"] = "63fd1c1d31b9c750540fe85d".into();
        let second = &crate::providers::batch::decode_all(&SPEC, &again.to_string(), received()).unwrap()[0];
        assert_ne!(
            crate::model::ItemKey::of(&first),
            crate::model::ItemKey::of(second)
        );
    }
}
