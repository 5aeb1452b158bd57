//! SparkPost's (Bird's) event webhooks: a JSON array of batches (up to hundreds of events), each
//! `{"msys": {"<class>_event": {…}}}`; the ping SparkPost sends when a webhook is saved is
//! `[{"msys": {}}]` and stands for no event.
//!
//! Types: `injection` (queued), `delivery`, `delay`, `bounce` and `out_of_band` (by
//! `bounce_class`, below), `policy_rejection` and `generation_rejection` (rejected; a
//! suppression-list refusal is provider-suppressed), `generation_failure` (failed),
//! `spam_complaint`, `open` / `initial_open` / `amp_open` / `amp_initial_open`, `click` /
//! `amp_click`, `list_unsubscribe` / `link_unsubscribe`. The message id is `transmission_id`
//! (what SparkPost's send API returns; `message_id` where it is missing); `event_id` is the
//! same on every delivery of an event and tells events apart. `mailbox_provider`,
//! `subaccount_id` (tenant), `campaign_id` and `rcpt_tags` feed the statistics.
//!
//! Bounce classes (SparkPost's documented classification codes): 10 and 30 (invalid
//! recipient, no RCPT) are permanent; 20–24, 40 and 70 (soft, DNS, mailbox full, too large,
//! timeout, generic, transient) transient; 1 undetermined; 25 (admin failure: SparkPost's own
//! policies) and 50–54 (blocks by the receiver: mail, spam, content, attachment, relaying)
//! rejected; 60 and 100 (auto-reply, challenge-response) are no bounce (unknown); 80
//! (subscribe) a weak resubscribe; 90 (unsubscribe) an unsubscribe.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{
    BounceClass, Distinguisher, EventBasics, EventKind, NormalizedEvent, SubscriptionChange, Timestamp,
};

/// SparkPost in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::SparkPost,
    name: "sparkpost",
    title: "SparkPost",
    body: BodyShape::Array,
    decode_event: leading_event::<SparkPostEvent>,
    subject: subject_of,
};

/// One element of a batch: its event under its class (`message_event`, `track_event`, …).
#[derive(Debug, Default, Deserialize)]
struct SparkPostEvent {
    #[serde(default)]
    msys: Option<BTreeMap<String, Event>>,
}

#[derive(Debug, Default, Deserialize)]
struct Event {
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    event_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    transmission_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    rcpt_to: Option<String>,
    #[serde(default, deserialize_with = "text")]
    raw_rcpt_to: Option<String>,
    #[serde(default, deserialize_with = "text")]
    bounce_class: Option<String>,
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    raw_reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    fbtype: Option<String>,
    #[serde(default, deserialize_with = "text")]
    target_link_url: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    campaign_id: Option<String>,
    #[serde(default, deserialize_with = "tag_list")]
    rcpt_tags: Vec<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    subaccount_id: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    mailbox_provider: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    sending_domain: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    friendly_from: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    msg_from: Option<String>,
}

impl ProviderEvent for SparkPostEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        // The ping (`{"msys": {}}`) and an element without `msys` stand for no event.
        for event in self.msys.unwrap_or_default().into_values() {
            out.push(normalize(event, raw, received_at));
        }
    }
}

/// What a bounce class stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassMeaning {
    Bounce(BounceClass),
    Rejected,
    NoBounce,
    Subscribe,
    Unsubscribe,
}

/// SparkPost's documented bounce classification codes.
fn meaning(class: Option<&str>) -> ClassMeaning {
    match class.map(str::trim) {
        Some("10" | "30") => ClassMeaning::Bounce(BounceClass::Permanent),
        Some("20" | "21" | "22" | "23" | "24" | "40" | "70") => ClassMeaning::Bounce(BounceClass::Transient),
        Some("25" | "50" | "51" | "52" | "53" | "54") => ClassMeaning::Rejected,
        Some("60" | "100") => ClassMeaning::NoBounce,
        Some("80") => ClassMeaning::Subscribe,
        Some("90") => ClassMeaning::Unsubscribe,
        _ => ClassMeaning::Bounce(BounceClass::Undetermined),
    }
}

fn normalize(e: Event, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.kind.clone().unwrap_or_default();
    let class = meaning(e.bounce_class.as_deref());
    let mut bounce_class = None;
    let mut weak_signal = false;
    let kind = match Lower::of(&provider_event).as_str() {
        "injection" => EventKind::Queued,
        "delivery" => EventKind::Delivered,
        "delay" => EventKind::Deferred,
        "bounce" | "out_of_band" => match class {
            ClassMeaning::Bounce(c) => {
                bounce_class = Some(c);
                EventKind::Bounced
            }
            ClassMeaning::Rejected => EventKind::Rejected,
            ClassMeaning::NoBounce => EventKind::Unknown,
            ClassMeaning::Subscribe => {
                // SparkPost's guess from a reply's words, not the recipient's act on a list.
                weak_signal = true;
                EventKind::Subscribed
            }
            ClassMeaning::Unsubscribe => EventKind::Unsubscribed,
        },
        "policy_rejection" | "generation_rejection" => EventKind::Rejected,
        "generation_failure" => EventKind::Failed,
        "spam_complaint"
            if e.fbtype
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("not-spam")) =>
        {
            EventKind::NotSpam
        }
        "spam_complaint" => EventKind::Complained,
        "open" | "initial_open" | "amp_open" | "amp_initial_open" => EventKind::Opened,
        "click" | "amp_click" => EventKind::Clicked,
        "list_unsubscribe" | "link_unsubscribe" => EventKind::Unsubscribed,
        _ => EventKind::Unknown,
    };
    let reason = non_empty(e.reason.clone()).or_else(|| non_empty(e.raw_reason.clone()));
    let response = non_empty(e.raw_reason).or_else(|| reason.clone());
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::SparkPost,
        kind,
        provider_event,
        time: own_time_or_received(e.timestamp.as_deref(), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(e.transmission_id).or(non_empty(e.message_id));
    out.recipient = e
        .rcpt_to
        .as_deref()
        .and_then(normalize_recipient)
        .or_else(|| e.raw_rcpt_to.as_deref().and_then(normalize_recipient));
    out.bounce_class = bounce_class;
    out.weak_signal = weak_signal;
    // SparkPost refusing an address on its suppression list says so in the reason.
    out.provider_suppressed = kind == EventKind::Rejected
        && response
            .as_deref()
            .is_some_and(|r| r.to_ascii_lowercase().contains("suppressed"));
    out.smtp_status = response.as_deref().and_then(enhanced_status);
    out.smtp_response = response;
    out.reason = reason;
    out.url = non_empty(e.target_link_url);
    out.subscription_changes = SubscriptionChange::global_for(kind);
    out.insights.add_tags(e.campaign_id);
    out.insights.add_tags(e.rcpt_tags);
    out.insights.tenant = non_empty(e.subaccount_id)
        .filter(|id| id != "0")
        .map(crate::model::insights::bounded);
    out.insights.mailbox_provider = e
        .mailbox_provider
        .as_deref()
        .and_then(crate::model::mailbox::named_provider);
    match non_empty(e.sending_domain) {
        Some(domain) => {
            out.insights.sending_domain = Some(crate::model::insights::bounded(domain.to_ascii_lowercase()))
        }
        None => out
            .insights
            .sending_address(e.friendly_from.as_deref().or(e.msg_from.as_deref())),
    }
    if let Some(id) = non_empty(e.event_id) {
        out.distinguishers.push(Distinguisher::EventId(id));
    }
    out.distinguish_by_url_and_class();
    out
}

/// The `subject` SparkPost sends with message events.
fn subject_of(raw: &str) -> Option<String> {
    let event: SparkPostEvent = serde_json::from_str(raw).ok()?;
    event.msys?.into_values().find_map(|e| non_empty(e.subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> Vec<NormalizedEvent> {
        let body = crate::test_support::fixture("sparkpost", name);
        let decoded = crate::providers::decode(Provider::SparkPost, body.as_bytes(), received()).unwrap();
        assert!(decoded.bad.is_empty(), "{name}");
        decoded.events
    }

    #[test]
    fn decodes_every_documented_type() {
        let expected = [
            ("injection", "queued", None),
            ("delivery", "delivered", None),
            ("delay", "deferred", None),
            ("bounce", "bounced", Some(BounceClass::Permanent)),
            ("bounce-soft", "bounced", Some(BounceClass::Transient)),
            ("bounce-block", "rejected", None),
            ("out-of-band", "bounced", Some(BounceClass::Permanent)),
            ("policy-rejection", "rejected", None),
            ("generation-rejection", "rejected", None),
            ("generation-failure", "failed", None),
            ("spam-complaint", "complained", None),
            ("open", "opened", None),
            ("initial-open", "opened", None),
            ("amp-open", "opened", None),
            ("click", "clicked", None),
            ("amp-click", "clicked", None),
            ("list-unsubscribe", "unsubscribed", None),
            ("link-unsubscribe", "unsubscribed", None),
        ];
        for (name, kind, class) in expected {
            let events = fixture(name);
            assert_eq!(events.len(), 1, "{name}");
            let e = &events[0];
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(e.bounce_class, class, "{name}");
            assert_eq!(e.recipient.as_deref(), Some("recipient@example.com"), "{name}");
            assert_eq!(e.message_id.as_deref(), Some("65832150921904138"), "{name}");
            assert_eq!(e.occurred_at().to_rfc3339(), "2016-04-18T14:25:07.000Z", "{name}");
            assert_eq!(e.insights.tenant.as_deref(), Some("101"), "{name}");
            assert_eq!(e.insights.mailbox_provider.as_deref(), Some("gmail"), "{name}");
            assert_eq!(e.insights.tags, ["Example Campaign Name", "male", "US"], "{name}");
        }
        let rejection = &fixture("generation-rejection")[0];
        assert!(rejection.provider_suppressed);
        assert!(!fixture("policy-rejection")[0].provider_suppressed);
        assert!(!fixture("bounce-block")[0].provider_suppressed);
        assert_eq!(fixture("bounce")[0].smtp_status.as_deref(), Some("5.5.0"));
        assert_eq!(fixture("click")[0].url.as_deref(), Some("http://example.com"));
        assert_eq!(
            subject_of(&fixture("delivery")[0].raw).as_deref(),
            Some("Summer deals are here!")
        );
    }

    /// SparkPost's sample batch repeats one event_id, message and second across every type:
    /// each still gets its own item.
    #[test]
    fn the_sample_batch_keeps_every_event_apart() {
        let events = fixture("sample-batch");
        assert_eq!(events.len(), 18);
        let keys: std::collections::HashSet<_> = events.iter().map(crate::model::ItemKey::of).collect();
        assert_eq!(keys.len(), events.len());
    }

    #[test]
    fn the_ping_is_no_event_and_classes_follow_the_table() {
        let ping = crate::providers::decode(Provider::SparkPost, br#"[{"msys":{}}]"#, received()).unwrap();
        assert!(ping.events.is_empty() && ping.bad.is_empty());
        let bounce = |class: &str| {
            let body = format!(
                r#"[{{"msys":{{"message_event":{{"type":"bounce","bounce_class":"{class}","rcpt_to":"a@x.io","timestamp":"1460989507"}}}}}}]"#
            );
            crate::providers::decode(Provider::SparkPost, body.as_bytes(), received())
                .unwrap()
                .events
                .remove(0)
        };
        assert_eq!(bounce("1").bounce_class, Some(BounceClass::Undetermined));
        assert_eq!(bounce("24").bounce_class, Some(BounceClass::Transient));
        assert_eq!(bounce("30").bounce_class, Some(BounceClass::Permanent));
        assert_eq!(bounce("52").kind, EventKind::Rejected);
        assert_eq!(bounce("60").kind, EventKind::Unknown);
        let subscribe = bounce("80");
        assert!(subscribe.kind == EventKind::Subscribed && subscribe.weak_signal);
        assert!(crate::suppression::evidence(&subscribe, None).is_empty());
        assert_eq!(bounce("90").kind, EventKind::Unsubscribed);
        assert_eq!(bounce("90").subscription_changes.len(), 1);
        // No class at all: undetermined, never a hard bounce.
        let body = br#"[{"msys":{"message_event":{"type":"bounce","rcpt_to":"a@x.io"}}}]"#;
        let e = &crate::providers::decode(Provider::SparkPost, body, received())
            .unwrap()
            .events[0];
        assert_eq!(e.bounce_class, Some(BounceClass::Undetermined));
    }
}
