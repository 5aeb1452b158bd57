//! Mailjet's event webhooks: one event per POST, or an array of them when the webhook groups
//! events (Version 2).
//!
//! Events: `sent` (accepted by the receiving server: delivered), `open`, `click`, `bounce`
//! (`hard_bounce` says whether it is permanent), `blocked` (Mailjet did not send), `spam`,
//! `unsub`. `MessageID` is a number above 2^53: its exact digits are kept. No event id: the
//! content key makes retries rewrites.

use serde::de::{Deserialize, Deserializer};

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{deserialize_fieldwise, FieldwiseEvent, Slot};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{BounceClass, EventBasics, EventKind, NormalizedEvent, SubscriptionChange, Timestamp};

/// Mailjet in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Mailjet,
    name: "mailjet",
    title: "Mailjet",
    body: BodyShape::ObjectOrArray,
    decode_event: leading_event::<MailjetEvent>,
    subject: |_| None,
};

/// One Mailjet event: only the fields mailtrail reads.
#[derive(Debug, Default)]
struct MailjetEvent {
    custom_campaign: Vec<String>,
    event: Option<String>,
    time: Option<String>,
    message_id: Option<String>,
    email: Option<String>,
    hard_bounce: Option<String>,
    error: Option<String>,
    error_related_to: Option<String>,
    smtp_reply: Option<String>,
    url: Option<String>,
}

impl<'de> Deserialize<'de> for MailjetEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fieldwise(deserializer)
    }
}

impl FieldwiseEvent for MailjetEvent {
    const EXPECTING: &'static str = "a Mailjet event object";

    fn slot(&mut self, key: &str) -> Slot<'_> {
        match key {
            "event" => Slot::Text(&mut self.event),
            "time" => Slot::Text(&mut self.time),
            "MessageID" => Slot::Text(&mut self.message_id),
            "email" => Slot::Text(&mut self.email),
            "hard_bounce" => Slot::Text(&mut self.hard_bounce),
            "error" => Slot::Text(&mut self.error),
            "error_related_to" => Slot::Text(&mut self.error_related_to),
            "smtp_reply" => Slot::Text(&mut self.smtp_reply),
            "url" => Slot::Text(&mut self.url),
            "customcampaign" => Slot::Tags(&mut self.custom_campaign),
            _ => Slot::Skip,
        }
    }
}

/// Errors of a `blocked` event that say Mailjet refused an address already on its lists.
const PROVIDER_REFUSALS: &[&str] = &["preblocked", "blacklisted", "spam reporter"];

impl ProviderEvent for MailjetEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

fn normalize(e: MailjetEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.event.clone().unwrap_or_default();
    let error = e.error.as_deref().map(str::to_ascii_lowercase);
    let hard = e
        .hard_bounce
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let kind = match Lower::of(&provider_event).as_str() {
        "sent" => EventKind::Delivered,
        "open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        // A greylisting is a retry to come, not a bounce.
        "bounce" if !hard && error.as_deref() == Some("greylisted") => EventKind::Deferred,
        "bounce" => EventKind::Bounced,
        "blocked" => EventKind::Rejected,
        "spam" => EventKind::Complained,
        "unsub" => EventKind::Unsubscribed,
        _ => EventKind::Unknown,
    };
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Mailjet,
        kind,
        provider_event,
        time: own_time_or_received(e.time.as_deref(), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.message_id);
    out.recipient = e.email.as_deref().and_then(normalize_recipient);
    out.bounce_class = (kind == EventKind::Bounced).then_some(if hard {
        BounceClass::Permanent
    } else {
        BounceClass::Transient
    });
    out.provider_suppressed =
        kind == EventKind::Rejected && error.as_deref().is_some_and(|e| PROVIDER_REFUSALS.contains(&e));
    out.smtp_status = e.smtp_reply.as_deref().and_then(enhanced_status);
    out.smtp_response = non_empty(e.smtp_reply);
    out.reason = match (non_empty(e.error_related_to), non_empty(e.error)) {
        (Some(about), Some(error)) => Some(format!("{error} ({about})")),
        (_, error) => error,
    };
    out.url = non_empty(e.url);
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(e.custom_campaign);
    out.distinguish_by_url_and_class();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> Vec<NormalizedEvent> {
        let body = crate::test_support::fixture("mailjet", name);
        crate::providers::decode(Provider::Mailjet, body.as_bytes(), received())
            .unwrap()
            .events
    }

    #[test]
    fn decodes_every_documented_event_alone_or_grouped() {
        let expected = [
            ("sent", "delivered", "19421777835146490"),
            ("open", "opened", "19421777396190490"),
            ("click", "clicked", "19421777836302490"),
            ("bounce-hard", "bounced", "13792286917004336"),
            ("bounce-soft", "bounced", "13792286917004337"),
            ("bounce-greylisted", "deferred", "13792286917004338"),
            ("blocked", "rejected", "13792286917004336"),
            ("blocked-preblocked", "rejected", "13792286917004339"),
            ("spam", "complained", "13792286917004336"),
            ("unsub", "unsubscribed", "20547674933128000"),
        ];
        for (name, kind, id) in expected {
            let events = fixture(name);
            assert_eq!(events.len(), 1, "{name}");
            assert_eq!(events[0].kind.as_str(), kind, "{name}");
            assert_eq!(
                events[0].message_id.as_deref(),
                Some(id),
                "{name}: every digit kept"
            );
        }
        assert_eq!(
            fixture("bounce-hard")[0].bounce_class,
            Some(BounceClass::Permanent)
        );
        assert_eq!(
            fixture("bounce-soft")[0].bounce_class,
            Some(BounceClass::Transient)
        );
        assert!(fixture("blocked-preblocked")[0].provider_suppressed);
        assert!(!fixture("blocked")[0].provider_suppressed);
        assert_eq!(
            fixture("sent")[0].occurred_at().to_rfc3339(),
            "2015-06-03T12:19:09.000Z"
        );
        assert_eq!(fixture("click")[0].url.as_deref(), Some("https://mailjet.com"));
        assert_eq!(fixture("sent")[0].smtp_status.as_deref(), Some("2.0.0"));
        assert_eq!(fixture("grouped").len(), 2);
    }
}
