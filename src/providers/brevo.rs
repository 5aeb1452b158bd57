//! Brevo's transactional webhooks: one event per POST, or batched arrays of up to 500.
//!
//! Events: `request` (sent), `delivered`, `hard_bounce`, `soft_bounce`, `blocked`,
//! `invalid_email`, `deferred`, `spam`/`complaint`, `opened`, `unique_opened`, `proxy_open`,
//! `unique_proxy_open`, `click`, `unsubscribed`, `error`. The time is `ts_epoch` (milliseconds,
//! UTC; `date` follows the account's time zone); the message id is `message-id` exactly as
//! Brevo's send API returned it, angle brackets included. Brevo discards an event for good on
//! most 4xx answers and on 5xx, and retries a 429: failures worth a retry answer 429.

use serde::de::{Deserialize, Deserializer};

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{deserialize_fieldwise, FieldwiseEvent, Slot};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{BounceClass, EventBasics, EventKind, NormalizedEvent, SubscriptionChange, Timestamp};

/// Brevo in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Brevo,
    name: "brevo",
    title: "Brevo",
    body: BodyShape::ObjectOrArray,
    decode_event: leading_event::<BrevoEvent>,
    subject: subject_of,
};

/// One Brevo event: only the fields mailtrail reads.
#[derive(Debug, Default)]
struct BrevoEvent {
    tags: Vec<String>,
    event: Option<String>,
    email: Option<String>,
    message_id: Option<String>,
    ts_epoch: Option<String>,
    reason: Option<String>,
    link: Option<String>,
    subject: Option<String>,
}

impl<'de> Deserialize<'de> for BrevoEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fieldwise(deserializer)
    }
}

impl FieldwiseEvent for BrevoEvent {
    const EXPECTING: &'static str = "a Brevo event object";

    fn slot(&mut self, key: &str) -> Slot<'_> {
        match key {
            "event" => Slot::Text(&mut self.event),
            "email" => Slot::Text(&mut self.email),
            "message-id" => Slot::Text(&mut self.message_id),
            "ts_epoch" => Slot::Text(&mut self.ts_epoch),
            "reason" => Slot::Text(&mut self.reason),
            "link" => Slot::Text(&mut self.link),
            "subject" => Slot::Text(&mut self.subject),
            "tag" | "tags" => Slot::Tags(&mut self.tags),
            _ => Slot::Skip,
        }
    }
}

impl ProviderEvent for BrevoEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

fn normalize(e: BrevoEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.event.clone().unwrap_or_default();
    let kind = match Lower::of(&provider_event).as_str() {
        "request" => EventKind::Sent,
        "delivered" => EventKind::Delivered,
        "hard_bounce" | "soft_bounce" => EventKind::Bounced,
        "blocked" | "invalid_email" => EventKind::Rejected,
        "deferred" => EventKind::Deferred,
        "spam" | "complaint" => EventKind::Complained,
        "opened" | "unique_opened" | "proxy_open" | "unique_proxy_open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        "unsubscribed" | "unsubscribe" => EventKind::Unsubscribed,
        "error" => EventKind::Failed,
        _ => EventKind::Unknown,
    };
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Brevo,
        kind,
        provider_event: provider_event.clone(),
        time: own_time_or_received(e.ts_epoch.as_deref(), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.message_id).map(|id| id.trim().to_owned());
    out.recipient = e.email.as_deref().and_then(normalize_recipient);
    out.bounce_class =
        (kind == EventKind::Bounced).then_some(if provider_event.eq_ignore_ascii_case("hard_bounce") {
            BounceClass::Permanent
        } else {
            BounceClass::Transient
        });
    // Brevo blocks an address on its blocklist: its own refusal.
    out.provider_suppressed = provider_event.eq_ignore_ascii_case("blocked");
    let reason = non_empty(e.reason).map(|r| r.trim().to_owned());
    out.smtp_status = reason.as_deref().and_then(enhanced_status);
    out.reason = reason;
    out.url = non_empty(e.link);
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(e.tags);
    // Brevo reports an open by a mail proxy (Apple Mail Privacy Protection) as `proxy_open`.
    out.insights.machine = Lower::of(&out.provider_event).as_str().ends_with("proxy_open");
    out.distinguish_by_url_and_class();
    out
}

/// The `subject` Brevo sends with each event.
fn subject_of(raw: &str) -> Option<String> {
    non_empty(serde_json::from_str::<BrevoEvent>(raw).ok()?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> Vec<NormalizedEvent> {
        let body = crate::test_support::fixture("brevo", name);
        crate::providers::decode(Provider::Brevo, body.as_bytes(), received())
            .unwrap()
            .events
    }

    #[test]
    fn decodes_every_documented_event() {
        let expected = [
            ("request", "sent"),
            ("delivered", "delivered"),
            ("hard-bounce", "bounced"),
            ("soft-bounce", "bounced"),
            ("blocked", "rejected"),
            ("invalid-email", "rejected"),
            ("deferred", "deferred"),
            ("spam", "complained"),
            ("opened", "opened"),
            ("unique-opened", "opened"),
            ("proxy-open", "opened"),
            ("click", "clicked"),
            ("unsubscribed", "unsubscribed"),
            ("error", "failed"),
        ];
        for (name, kind) in expected {
            let events = fixture(name);
            assert_eq!(events.len(), 1, "{name}");
            assert_eq!(events[0].kind.as_str(), kind, "{name}");
        }
        let delivered = &fixture("delivered")[0];
        assert_eq!(
            delivered.message_id.as_deref(),
            Some("<201798300811.5787683@relay.domain.com>")
        );
        assert_eq!(
            delivered.occurred_at().to_rfc3339(),
            "2020-11-09T14:54:14.321Z",
            "ts_epoch, UTC"
        );
        let hard = &fixture("hard-bounce")[0];
        assert_eq!(hard.bounce_class, Some(BounceClass::Permanent));
        assert_eq!(hard.smtp_status.as_deref(), Some("5.5.0"));
        assert_eq!(
            fixture("soft-bounce")[0].bounce_class,
            Some(BounceClass::Transient)
        );
        assert!(fixture("blocked")[0].provider_suppressed);
        assert!(!fixture("invalid-email")[0].provider_suppressed);
        assert_eq!(
            fixture("invalid-email")[0].recipient,
            Some("not-an-address".into())
        );
        assert_eq!(
            subject_of(&delivered.raw).as_deref(),
            Some("My first Transactional")
        );
        let opens: std::collections::HashSet<_> = ["opened", "unique-opened"]
            .iter()
            .map(|n| crate::model::ItemKey::of(&fixture(n)[0]))
            .collect();
        assert_eq!(opens.len(), 2, "an open and a unique open are two events");
        assert_eq!(fixture("batch").len(), 3);
    }
}
