//! Mandrill's (Mailchimp Transactional's) webhooks: a form-encoded POST whose field
//! `mandrill_events` is a JSON array of events (a batch); a `HEAD` request when the webhook is
//! saved, answered 200.
//!
//! Events: `send`, `deferral`, `hard_bounce`, `soft_bounce`, `open`, `click`, `spam`, `unsub`,
//! `reject` (Mandrill refused to send: when its reason is an entry of Mandrill's rejection
//! list for a hard bounce, a complaint, an unsubscribe or the account's own entry, it is the
//! provider's refusal of a listed address). Sync events (`type: whitelist/blacklist`) and
//! unknown ones are stored as `unknown`. The message id is `_id`, the time `ts` (seconds);
//! Mandrill's sample batch gives every event one `_id` and one `ts`, so the event's type and
//! the click's url tell them apart.

use serde::Deserialize;

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{BounceClass, EventBasics, EventKind, NormalizedEvent, SubscriptionChange, Timestamp};

/// The form field holding the events.
pub const EVENTS_FIELD: &str = "mandrill_events";

/// Mandrill in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Mandrill,
    name: "mandrill",
    title: "Mandrill",
    body: BodyShape::FormField(EVENTS_FIELD),
    decode_event: leading_event::<MandrillEvent>,
    subject: subject_of,
};

#[derive(Debug, Default, Deserialize)]
struct MandrillEvent {
    #[serde(default, deserialize_with = "text")]
    event: Option<String>,
    /// Sync events name themselves by `type` (`whitelist`, `blacklist`).
    #[serde(default, rename = "type", deserialize_with = "text")]
    sync_type: Option<String>,
    #[serde(default, rename = "_id", deserialize_with = "text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    ts: Option<String>,
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
    #[serde(default)]
    msg: Option<Msg>,
    /// A sync event's entry (and some reject events').
    #[serde(default)]
    reject: Option<Reject>,
}

#[derive(Debug, Default, Deserialize)]
struct Msg {
    #[serde(default, deserialize_with = "text")]
    email: Option<String>,
    #[serde(default, rename = "_id", deserialize_with = "text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    ts: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    sender: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subaccount: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    diag: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    bounce_description: Option<String>,
    #[serde(default)]
    reject: Option<Reject>,
    #[serde(default)]
    smtp_events: Option<Vec<SmtpEvent>>,
}

#[derive(Debug, Default, Deserialize)]
struct Reject {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    detail: Option<String>,
    #[serde(default, deserialize_with = "text")]
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SmtpEvent {
    #[serde(default, deserialize_with = "text_or_none")]
    diag: Option<String>,
}

impl ProviderEvent for MandrillEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// The global reason a rejection-list entry stands for, in the words the suppression rules
/// read; `None` for reasons that are no listed address (a temporary soft-bounce entry, an
/// invalid address, test mode, an unsigned sender, a rule).
fn listed_reason(reason: &str) -> Option<&'static str> {
    match reason.trim().to_ascii_lowercase().as_str() {
        "hard-bounce" => Some("hard-bounce"),
        "spam" => Some("spam"),
        "unsub" => Some("unsubscribe"),
        "custom" => Some("manual"),
        _ => None,
    }
}

fn normalize(e: MandrillEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = non_empty(e.event).or(non_empty(e.sync_type)).unwrap_or_default();
    let kind = match Lower::of(&provider_event).as_str() {
        "send" => EventKind::Sent,
        "deferral" => EventKind::Deferred,
        "hard_bounce" | "soft_bounce" => EventKind::Bounced,
        "open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        "spam" => EventKind::Complained,
        "unsub" => EventKind::Unsubscribed,
        "reject" => EventKind::Rejected,
        _ => EventKind::Unknown,
    };
    let msg = e.msg.unwrap_or_default();
    let reject = msg.reject.or(e.reject).unwrap_or_default();
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Mandrill,
        kind,
        provider_event: provider_event.clone(),
        time: own_time_or_received(e.ts.as_deref().or(msg.ts.as_deref()), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.id).or(non_empty(msg.id));
    out.recipient = msg
        .email
        .as_deref()
        .or(reject.email.as_deref())
        .and_then(normalize_recipient);
    out.bounce_class =
        (kind == EventKind::Bounced).then_some(if provider_event.eq_ignore_ascii_case("hard_bounce") {
            BounceClass::Permanent
        } else {
            BounceClass::Transient
        });
    let listed = (kind == EventKind::Rejected)
        .then(|| reject.reason.as_deref().and_then(listed_reason))
        .flatten();
    out.provider_suppressed = listed.is_some();
    let deferral = msg
        .smtp_events
        .unwrap_or_default()
        .into_iter()
        .rev()
        .find_map(|s| non_empty(s.diag));
    let diag = non_empty(msg.diag).or(deferral);
    out.smtp_status = diag.as_deref().and_then(enhanced_status);
    out.smtp_response = diag;
    out.reason = match listed {
        Some(reason) => Some(reason.to_owned()),
        None => non_empty(reject.reason)
            .or(non_empty(reject.detail))
            .or(non_empty(msg.bounce_description)),
    };
    out.url = (kind == EventKind::Clicked).then(|| non_empty(e.url)).flatten();
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(msg.tags);
    out.insights.sending_address(msg.sender.as_deref());
    out.insights.tenant = non_empty(msg.subaccount).map(crate::model::insights::bounded);
    out.distinguish_by_url_and_class();
    out
}

/// The message's subject, sent with every message event.
fn subject_of(raw: &str) -> Option<String> {
    non_empty(serde_json::from_str::<MandrillEvent>(raw).ok()?.msg?.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suppression::{evidence, Mark, Reason};
    use crate::test_support::received;

    /// A form body carrying `events` as Mandrill posts it.
    fn form(events: &str) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair(EVENTS_FIELD, events)
            .finish()
            .into_bytes()
    }

    fn fixture(name: &str) -> Vec<NormalizedEvent> {
        let events = crate::test_support::fixture("mandrill", name);
        let decoded = crate::providers::decode(Provider::Mandrill, &form(&events), received()).unwrap();
        assert!(decoded.bad.is_empty(), "{name}");
        decoded.events
    }

    #[test]
    fn decodes_every_documented_event() {
        let expected = [
            ("send", "sent"),
            ("deferral", "deferred"),
            ("hard-bounce", "bounced"),
            ("soft-bounce", "bounced"),
            ("open", "opened"),
            ("click", "clicked"),
            ("spam", "complained"),
            ("unsub", "unsubscribed"),
            ("reject", "rejected"),
        ];
        for (name, kind) in expected {
            let events = fixture(name);
            assert_eq!(events.len(), 1, "{name}");
            let e = &events[0];
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(
                e.recipient.as_deref(),
                Some("example.webhook@mandrillapp.com"),
                "{name}"
            );
            assert_eq!(
                e.message_id.as_deref(),
                Some("exampleaaaaaaaaaaaaaaaaaaaaaaaaa"),
                "{name}"
            );
            assert_eq!(e.occurred_at().to_rfc3339(), "2023-11-14T22:13:20.000Z", "{name}");
            assert_eq!(e.insights.tenant.as_deref(), Some("acme"), "{name}");
            assert_eq!(e.insights.tags, ["webhook-example"], "{name}");
        }
        assert_eq!(
            fixture("hard-bounce")[0].bounce_class,
            Some(BounceClass::Permanent)
        );
        assert_eq!(fixture("hard-bounce")[0].smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(
            fixture("soft-bounce")[0].bounce_class,
            Some(BounceClass::Transient)
        );
        assert_eq!(fixture("deferral")[0].smtp_status.as_deref(), Some("4.3.5"));
        assert_eq!(fixture("click")[0].url.as_deref(), Some("http://mandrill.com"));
        assert_eq!(
            subject_of(&fixture("send")[0].raw).as_deref(),
            Some("This an example webhook message")
        );
    }

    /// Send Test's batch: one `_id` and one `ts` for every event, and still one item each.
    #[test]
    fn the_test_batch_keeps_every_event_apart() {
        let events = fixture("test-batch");
        assert_eq!(events.len(), 9);
        let keys: std::collections::HashSet<_> = events.iter().map(crate::model::ItemKey::of).collect();
        assert_eq!(keys.len(), 9);
    }

    #[test]
    fn a_reject_for_a_listed_address_is_mandrills_refusal() {
        let reject = &fixture("reject")[0];
        assert!(reject.provider_suppressed);
        assert_eq!(evidence(reject, None)[0].mark, Mark::Suppress(Reason::HardBounce));
        let with = |reason: &str| {
            let events = crate::test_support::fixture("mandrill", "reject").replace("hard-bounce", reason);
            crate::providers::decode(Provider::Mandrill, &form(&events), received())
                .unwrap()
                .events
                .remove(0)
        };
        assert_eq!(
            evidence(&with("spam"), None)[0].mark,
            Mark::Suppress(Reason::Complaint)
        );
        assert!(matches!(
            evidence(&with("unsub"), None)[0].mark,
            Mark::Unsubscribe(_)
        ));
        assert_eq!(
            evidence(&with("custom"), None)[0].mark,
            Mark::Suppress(Reason::Manual)
        );
        for temporary in ["soft-bounce", "test-mode-limit", "invalid-sender", "rule"] {
            let e = with(temporary);
            assert!(!e.provider_suppressed, "{temporary}");
            assert!(evidence(&e, None).is_empty(), "{temporary}");
        }
    }

    #[test]
    fn a_form_without_the_field_and_sync_events() {
        assert!(matches!(
            crate::providers::decode(Provider::Mandrill, b"other=1", received()),
            Err(crate::providers::DecodeError::MissingFormField(EVENTS_FIELD))
        ));
        let empty = crate::providers::decode(Provider::Mandrill, &form("[]"), received()).unwrap();
        assert!(empty.events.is_empty());
        let sync = r#"[{"type":"blacklist","action":"add","reject":{"reason":"hard-bounce","email":"a@x.io","detail":"x"},"ts":1700000000}]"#;
        let e = &crate::providers::decode(Provider::Mandrill, &form(sync), received())
            .unwrap()
            .events[0];
        assert_eq!(
            (e.kind, e.recipient.as_deref()),
            (EventKind::Unknown, Some("a@x.io"))
        );
        assert!(!e.provider_suppressed);
    }
}
