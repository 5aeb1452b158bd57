//! Resend's webhooks (delivered by Svix): one event per POST, `{"type", "created_at", "data"}`.
//!
//! Types: `email.sent`, `.scheduled`, `.delivered`, `.delivery_delayed`, `.bounced`,
//! `.complained`, `.opened`, `.clicked`, `.failed`, `.suppressed` (Resend refused an address on
//! its suppression list: provider evidence), and others (stored as `unknown`). The message id is
//! `data.email_id`, the time the root `created_at`. `data.to` lists every `to` address and
//! Resend does not say which one an event is for: each address gets the event, marked
//! `recipient_ambiguous` when there are several.

use serde::Deserialize;

use super::batch::{leading_event, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_list, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{addresses, non_empty};
use crate::model::{BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, Timestamp};

/// Resend in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Resend,
    name: "resend",
    title: "Resend",
    body: BodyShape::Object,
    decode_event: leading_event::<ResendEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
struct ResendEvent {
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    created_at: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Debug, Default, Deserialize)]
struct Data {
    #[serde(default, deserialize_with = "text")]
    email_id: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    to: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    from: Option<String>,
    #[serde(default)]
    bounce: Option<Bounce>,
    /// `email.suppressed`: why Resend refused the address (same shape as `bounce`).
    #[serde(default)]
    suppressed: Option<Bounce>,
    #[serde(default)]
    click: Option<Click>,
    #[serde(default)]
    failed: Option<Failed>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    #[serde(default, deserialize_with = "text")]
    message: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    sub_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Click {
    #[serde(default, deserialize_with = "text")]
    link: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Failed {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
}

impl ProviderEvent for ResendEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.extend(normalize(self, raw, received_at));
    }
}

fn normalize(e: ResendEvent, raw: &str, received_at: Timestamp) -> Vec<NormalizedEvent> {
    let provider_event = e.kind.unwrap_or_default();
    let data = e.data.unwrap_or_default();
    let bounce = data.bounce.unwrap_or_default();
    let message = bounce.message.as_deref().unwrap_or("").to_ascii_lowercase();
    // Resend refusing an address on its suppression list: the provider's own refusal.
    let suppressed = bounce
        .sub_type
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("suppressed"))
        || message.contains("suppressed sending")
        || message.contains("on the suppression list");
    let refusal = data.suppressed.unwrap_or_default();
    let kind = match Lower::of(&provider_event).as_str() {
        "email.scheduled" => EventKind::Queued,
        "email.suppressed" => EventKind::Rejected,
        "email.sent" => EventKind::Sent,
        "email.delivered" => EventKind::Delivered,
        "email.delivery_delayed" => EventKind::Deferred,
        "email.bounced" if suppressed => EventKind::Rejected,
        "email.bounced" => EventKind::Bounced,
        "email.complained" => EventKind::Complained,
        "email.opened" => EventKind::Opened,
        "email.clicked" => EventKind::Clicked,
        "email.failed" => EventKind::Failed,
        _ => EventKind::Unknown,
    };
    let class = match bounce.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("transient") => BounceClass::Transient,
        Some("undetermined") => BounceClass::Undetermined,
        _ => BounceClass::Permanent,
    };
    let time = e
        .created_at
        .as_deref()
        .and_then(Timestamp::parse_rfc3339)
        .map_or(EventTime::received(received_at), EventTime::own);
    let mut recipients: Vec<Option<String>> = Vec::new();
    for address in data.to.iter().flat_map(|to| addresses(to)) {
        if !recipients.contains(&Some(address.clone())) {
            recipients.push(Some(address));
        }
    }
    if recipients.is_empty() {
        recipients.push(None);
    }
    let ambiguous = recipients.len() > 1;
    let raw = shared_raw(raw);
    // Resend suppresses after a hard bounce or a complaint; its refusal says which when it can.
    let reason = non_empty(bounce.sub_type)
        .or(data.failed.and_then(|f| non_empty(f.reason)))
        .or(non_empty(refusal.kind))
        .or(non_empty(refusal.sub_type))
        .or(non_empty(refusal.message))
        .or_else(|| (kind == EventKind::Rejected).then(|| "suppressed".to_owned()));
    let url = data.click.and_then(|c| non_empty(c.link));
    let mut insights = crate::model::Insights::default();
    insights.add_tags(data.tags);
    insights.sending_address(data.from.as_deref());
    recipients
        .into_iter()
        .map(|recipient| {
            let mut out = NormalizedEvent::new(EventBasics {
                provider: Provider::Resend,
                kind,
                provider_event: provider_event.clone(),
                time,
                received_at,
                raw: raw.clone(),
            });
            out.message_id = non_empty(data.email_id.clone());
            out.recipient = recipient;
            out.recipient_ambiguous = ambiguous;
            out.bounce_class = (kind == EventKind::Bounced).then_some(class);
            out.provider_suppressed = kind == EventKind::Rejected;
            out.smtp_response = non_empty(bounce.message.clone());
            out.reason = reason.clone();
            out.url = url.clone();
            out.insights = insights.clone();
            out.distinguish_by_url_and_class();
            out
        })
        .collect()
}

/// The subject Resend sends with every email event.
fn subject_of(raw: &str) -> Option<String> {
    non_empty(serde_json::from_str::<ResendEvent>(raw).ok()?.data?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> Vec<NormalizedEvent> {
        crate::providers::batch::decode_all(&SPEC, &crate::test_support::fixture("resend", name), received())
            .unwrap()
    }

    #[test]
    fn decodes_every_documented_type() {
        let expected = [
            ("delivered", "delivered", "2023-09-28T17:19:44.823Z"),
            ("delivery-delayed", "deferred", "2023-02-22T23:41:12.126Z"),
            ("bounced", "bounced", "2024-11-22T23:41:12.126Z"),
            ("bounced-transient", "bounced", "2024-11-23T08:00:00.000Z"),
            ("bounced-legacy", "bounced", "2023-10-02T18:11:26.101Z"),
            ("bounced-suppressed", "rejected", "2023-10-01T20:01:01.598Z"),
            ("complained", "complained", "2023-10-02T18:10:03.690Z"),
            ("opened", "opened", "2023-09-28T17:20:38.990Z"),
            ("clicked", "clicked", "2023-09-28T17:21:35.257Z"),
            ("failed", "failed", "2024-11-22T23:41:12.126Z"),
        ];
        for (name, kind, time) in expected {
            let events = fixture(name);
            assert_eq!(events.len(), 1, "{name}");
            assert_eq!(events[0].kind.as_str(), kind, "{name}");
            assert_eq!(events[0].occurred_at().to_rfc3339(), time, "{name}");
            assert!(!events[0].recipient_ambiguous, "{name}");
        }
        assert_eq!(fixture("bounced")[0].bounce_class, Some(BounceClass::Permanent));
        assert_eq!(
            fixture("bounced-legacy")[0].bounce_class,
            Some(BounceClass::Permanent)
        );
        assert_eq!(
            fixture("bounced-transient")[0].bounce_class,
            Some(BounceClass::Transient)
        );
        assert!(fixture("bounced-suppressed")[0].provider_suppressed);
        assert_eq!(
            fixture("clicked")[0].url.as_deref(),
            Some("https://example.com/test")
        );
        assert_eq!(
            fixture("failed")[0].reason.as_deref(),
            Some("reached_daily_quota")
        );
        assert_eq!(
            fixture("delivered")[0].message_id.as_deref(),
            Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        );
    }

    #[test]
    fn every_to_address_gets_the_event_marked_ambiguous() {
        let events = fixture("sent");
        let recipients: Vec<_> = events.iter().map(|e| e.recipient.as_deref().unwrap()).collect();
        assert_eq!(recipients, vec!["to@example.org", "to2@example.org"]);
        assert!(events
            .iter()
            .all(|e| e.recipient_ambiguous && e.kind == EventKind::Sent));
        assert!(std::sync::Arc::ptr_eq(&events[0].raw, &events[1].raw));
        assert_ne!(
            crate::model::ItemKey::of(&events[0]),
            crate::model::ItemKey::of(&events[1])
        );
        assert_eq!(subject_of(&events[0].raw).as_deref(), Some("Sending test"));
    }

    #[test]
    fn other_types_are_kept_as_unknown() {
        let raw = r#"{"type":"contact.created","created_at":"2024-01-01T00:00:00Z","data":{"id":"c1"}}"#;
        let events = crate::providers::batch::decode_all(&SPEC, raw, received()).unwrap();
        assert_eq!((events.len(), events[0].kind), (1, EventKind::Unknown));
        assert_eq!(events[0].recipient, None);
    }

    #[test]
    fn suppressed_and_scheduled_emails_are_known_words() {
        let suppressed = r#"{"type":"email.suppressed","created_at":"2025-12-29T19:22:58.000Z","data":{"email_id":"bf6a7576-c02d-4585-8b0e-8c936091884c","to":["suppressed@resend.dev"],"subject":"Hello world","suppressed":{"message":"This address is on your suppression list after an earlier hard bounce.","type":"bounce"}}}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, suppressed, received()).unwrap()[0];
        assert_eq!(e.kind, EventKind::Rejected);
        assert!(e.provider_suppressed);
        assert_eq!(e.recipient.as_deref(), Some("suppressed@resend.dev"));
        let marks = crate::suppression::evidence(e, None);
        assert_eq!(marks.len(), 1);
        assert_eq!(
            marks[0].mark,
            crate::suppression::Mark::Suppress(crate::suppression::Reason::HardBounce)
        );
        let complaint = suppressed.replace(r#""type":"bounce""#, r#""type":"complaint""#);
        let e = &crate::providers::batch::decode_all(&SPEC, &complaint, received()).unwrap()[0];
        assert_eq!(
            crate::suppression::evidence(e, None)[0].mark,
            crate::suppression::Mark::Suppress(crate::suppression::Reason::Complaint)
        );
        // Without any detail it is still Resend's refusal.
        let bare = r#"{"type":"email.suppressed","created_at":"2025-12-29T19:22:58.000Z","data":{"email_id":"x","to":["a@x.io"]}}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, bare, received()).unwrap()[0];
        assert!(e.provider_suppressed);
        assert_eq!(crate::suppression::evidence(e, None).len(), 1);
        let scheduled = r#"{"type":"email.scheduled","created_at":"2025-12-29T19:22:58.000Z","data":{"email_id":"x","to":["a@x.io"]}}"#;
        let e = &crate::providers::batch::decode_all(&SPEC, scheduled, received()).unwrap()[0];
        assert_eq!(e.kind, EventKind::Queued);
        assert!(crate::suppression::evidence(e, None).is_empty());
    }
}
