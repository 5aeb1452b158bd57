//! SendPulse SMTP webhooks: a JSON array of events, batched by the minute or by the thousand.
//!
//! Event names: delivered, undelivered, opened, clicked, unsubscribed, spam_by_user, and in
//! newer accounts hard_bounces, soft_bounces and resubscribed. `message_id` is a number; the
//! `unsubscribed` event may carry neither `message_id` nor `timestamp`.
//!
//! The same URL may also serve SendPulse's bulk email service (campaigns), whose webhooks name
//! the recipient `email`, send ids and times as strings and carry a campaign's `task_id`
//! instead of a message id: `open`, `redirect` (a click), `unsubscribe` (from every list with
//! `from_all: "1"`, else from the address book `book_id`), `spam`, and `delivered`,
//! `soft_bounces`, `hard_bounces` as above. A campaign is no message: those events are keyed by
//! their recipient, and the `task_id` stays in the raw event.

use serde::de::{Deserialize, Deserializer};

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use super::{DecodeError, Decoded};
use crate::base::lenient::{deserialize_fieldwise, FieldwiseEvent, Slot};
use crate::base::lower::Lower;
use crate::model::event::{non_empty, normalize_recipient};
use crate::model::{
    BounceClass, EventBasics, EventKind, NormalizedEvent, Scope, SubscriptionChange, Timestamp,
};

/// SendPulse in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::SendPulse,
    name: "sendpulse",
    title: "SendPulse",
    body: BodyShape::Array,
    decode_event: leading_event::<SendPulseEvent>,
    subject: subject_of,
};

/// One SendPulse event. Field names vary between SendPulse's documents, so each normalized
/// field reads the first of its known names that is present. Read by a hand-written visitor:
/// known fields as lenient text, every other field skipped (it stays in the raw event).
#[derive(Debug, Default)]
struct SendPulseEvent {
    event: Option<String>,
    timestamp: Option<String>,
    message_id: Option<String>,
    recipient: Option<String>,
    email: Option<String>,
    smtp_server_response_code: Option<String>,
    smtp_server_response_subcode: Option<String>,
    smtp_server_response: Option<String>,
    smtp_answer_code: Option<String>,
    smtp_answer_subcode: Option<String>,
    smtp_answer_code_explain: Option<String>,
    url: Option<String>,
    link_url: Option<String>,
    reason: Option<String>,
    from_all: Option<String>,
    book_id: Option<String>,
}

impl<'de> Deserialize<'de> for SendPulseEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fieldwise(deserializer)
    }
}

impl FieldwiseEvent for SendPulseEvent {
    const EXPECTING: &'static str = "a SendPulse event object";

    fn slot(&mut self, key: &str) -> Slot<'_> {
        match key {
            "event" => Slot::Text(&mut self.event),
            "timestamp" => Slot::Text(&mut self.timestamp),
            "message_id" => Slot::Text(&mut self.message_id),
            "recipient" => Slot::Text(&mut self.recipient),
            "email" => Slot::Text(&mut self.email),
            "smtp_server_response_code" => Slot::Text(&mut self.smtp_server_response_code),
            "smtp_server_response_subcode" => Slot::Text(&mut self.smtp_server_response_subcode),
            "smtp_server_response" => Slot::Text(&mut self.smtp_server_response),
            "smtp_answer_code" => Slot::Text(&mut self.smtp_answer_code),
            "smtp_answer_subcode" => Slot::Text(&mut self.smtp_answer_subcode),
            "smtp_answer_code_explain" => Slot::Text(&mut self.smtp_answer_code_explain),
            "url" => Slot::Text(&mut self.url),
            "link_url" => Slot::Text(&mut self.link_url),
            "reason" => Slot::Text(&mut self.reason),
            "from_all" => Slot::Text(&mut self.from_all),
            "book_id" => Slot::Text(&mut self.book_id),
            _ => Slot::Skip,
        }
    }
}

/// Decodes a SendPulse webhook body into normalized events, one per SendPulse event.
pub fn decode(body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    super::decode(Provider::SendPulse, body, received_at)
}

impl ProviderEvent for SendPulseEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// The `subject` SendPulse sends with each event.
fn subject_of(raw: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct WithSubject {
        #[serde(default, deserialize_with = "crate::base::lenient::text")]
        subject: Option<String>,
    }
    non_empty(serde_json::from_str::<WithSubject>(raw).ok()?.subject)
}

/// Maps SendPulse's event name (in any case) to the normalized kind.
fn kind_of(event: &str) -> EventKind {
    match Lower::of(event).as_str() {
        "delivered" => EventKind::Delivered,
        "undelivered" | "hard_bounces" | "soft_bounces" => EventKind::Bounced,
        "opened" | "open" => EventKind::Opened,
        "clicked" | "redirect" => EventKind::Clicked,
        "unsubscribed" | "unsubscribe" => EventKind::Unsubscribed,
        "resubscribed" => EventKind::Subscribed,
        "spam_by_user" | "spam" => EventKind::Complained,
        _ => EventKind::Unknown,
    }
}

fn normalize(event: SendPulseEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = event.event.unwrap_or_default();
    let kind = kind_of(&provider_event);
    let time = own_time_or_received(event.timestamp.as_deref(), received_at);
    let code = non_empty(event.smtp_server_response_code).or(non_empty(event.smtp_answer_code));
    let subcode = non_empty(event.smtp_server_response_subcode).or(non_empty(event.smtp_answer_subcode));
    let response = non_empty(event.smtp_server_response).or(non_empty(event.smtp_answer_code_explain));

    let bounce_class = (kind == EventKind::Bounced).then(|| match Lower::of(&provider_event).as_str() {
        "hard_bounces" => BounceClass::Permanent,
        "soft_bounces" => BounceClass::Transient,
        _ => BounceClass::from_smtp_codes([&code, &subcode]),
    });
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::SendPulse,
        kind,
        provider_event,
        time,
        received_at,
        raw: shared_raw(raw),
    });
    out.bounce_class = bounce_class;
    out.message_id = non_empty(event.message_id);
    out.recipient = event
        .recipient
        .or(event.email)
        .as_deref()
        .and_then(normalize_recipient);
    out.smtp_status = subcode.or(code);
    out.smtp_response = response;
    out.reason = non_empty(event.reason);
    out.url = non_empty(event.url).or(non_empty(event.link_url));
    out.subscription_changes = match (kind, non_empty(event.book_id)) {
        // A campaign unsubscribe from one address book only (`from_all` other than 1).
        (EventKind::Unsubscribed, Some(book))
            if event.from_all.as_deref().is_some_and(|all| all.trim() != "1") =>
        {
            vec![SubscriptionChange {
                scope: Scope::Group(format!("book:{book}")),
                subscribed: false,
            }]
        }
        _ => SubscriptionChange::global_for(kind),
    };
    out.distinguish_by_url_and_class();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TimeSource;
    use crate::test_support::received;
    use crate::test_support::sendpulse_fixture;

    fn decode_fixture(name: &str) -> Vec<NormalizedEvent> {
        decode(sendpulse_fixture(name).as_bytes(), received())
            .unwrap()
            .events
    }

    #[test]
    fn decodes_every_documented_event() {
        let expected = [
            ("delivered", "delivered", "2017-03-31T09:52:13.000Z"),
            ("undelivered", "bounced", "2017-03-31T10:28:37.000Z"),
            ("opened", "opened", "2017-03-31T12:19:24.000Z"),
            ("clicked", "clicked", "2017-03-31T12:55:28.000Z"),
            ("spam_by_user", "complained", "2017-03-31T12:50:07.000Z"),
        ];
        for (fixture, kind, time) in expected {
            let events = decode_fixture(fixture);
            assert_eq!(events.len(), 1, "{fixture}");
            let e = &events[0];
            assert_eq!(e.provider_event, fixture);
            assert_eq!(e.kind.as_str(), kind, "{fixture}");
            assert_eq!(e.occurred_at().to_rfc3339(), time, "{fixture}");
            assert_eq!(e.time.source, TimeSource::Event);
            assert_eq!(
                e.recipient.as_deref(),
                Some("doe.john@sendpulse.com"),
                "{fixture}"
            );
            let id = if fixture == "spam_by_user" {
                "1145317311"
            } else {
                "1149317311"
            };
            assert_eq!(e.message_id.as_deref(), Some(id), "{fixture}");
            assert_eq!(subject_of(&e.raw).as_deref(), Some("utf8_hello_world"));
        }
    }

    #[test]
    fn classifies_undelivered_by_smtp_code() {
        let e = &decode_fixture("undelivered")[0];
        assert_eq!(e.bounce_class, Some(BounceClass::Permanent));
        assert_eq!(e.smtp_status.as_deref(), Some("5.7.1"));
        assert_eq!(
            e.smtp_response.as_deref(),
            Some("custom_text_response_from_recipients_server")
        );
        let soft = decode(
            br#"[{"event":"undelivered","smtp_server_response_code":"421","message_id":1,"timestamp":1}]"#,
            received(),
        )
        .unwrap()
        .events;
        assert_eq!(soft[0].bounce_class, Some(BounceClass::Transient));
    }

    #[test]
    fn unsubscribed_without_id_or_time_is_kept() {
        let e = &decode_fixture("unsubscribed")[0];
        assert_eq!(e.kind, EventKind::Unsubscribed);
        assert_eq!(e.message_id, None);
        assert_eq!(e.time.source, TimeSource::Received);
        assert_eq!(e.occurred_at(), received());
        assert_eq!(e.recipient.as_deref(), Some("john.doe@sendpulse.com"));
    }

    #[test]
    fn reads_the_generic_format_and_its_trailing_comma() {
        assert_eq!(decode_fixture("format-single").len(), 1);
        let batch = decode_fixture("format-batch-trailing-comma");
        assert_eq!(batch.len(), 3);
        assert!(batch
            .iter()
            .all(|e| e.kind == EventKind::Unknown && e.provider_event == "event_name"));
        assert_eq!(subject_of(&batch[2].raw).as_deref(), Some("utf8_hello_world"));
    }

    #[test]
    fn reads_newer_event_names_and_field_variants() {
        let events = decode(
            br#"[{"event":"hard_bounces","email":"A@x.io","message_id":"77","timestamp":"1700000000","smtp_answer_code":"550","smtp_answer_subcode":"5.1.1","smtp_answer_code_explain":"no such user"},
                 {"event":"soft_bounces","recipient":"a@x.io","message_id":77,"timestamp":1700000001},
                 {"event":"resubscribed","recipient":"a@x.io","message_id":77,"timestamp":1700000002},
                 {"event":"clicked","recipient":"a@x.io","message_id":77,"timestamp":1700000003,"link_url":"https://x.io/"}]"#,
            received(),
        )
        .unwrap()
        .events;
        assert_eq!(events[0].bounce_class, Some(BounceClass::Permanent));
        assert_eq!(events[0].recipient.as_deref(), Some("a@x.io"));
        assert_eq!(events[0].smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(events[0].smtp_response.as_deref(), Some("no such user"));
        assert_eq!(events[1].bounce_class, Some(BounceClass::Transient));
        assert_eq!(events[2].kind, EventKind::Subscribed);
        assert_eq!(events[3].url.as_deref(), Some("https://x.io/"));
    }

    #[test]
    fn ids_above_two_to_the_53_keep_their_digits_and_keys() {
        let events = decode(
            br#"[{"event":"delivered","email":"a@x.io","message_id":9007199254740993,"timestamp":1700000000},
                 {"event":"delivered","email":"a@x.io","message_id":9007199254740992,"timestamp":1700000000},
                 {"event":"Opened","email":"a@x.io","message_id":123456789012345678901234,"timestamp":1700000000123}]"#,
            received(),
        )
        .unwrap()
        .events;
        assert_eq!(events[0].message_id.as_deref(), Some("9007199254740993"));
        assert_eq!(events[1].message_id.as_deref(), Some("9007199254740992"));
        assert_ne!(
            crate::model::ItemKey::of(&events[0]),
            crate::model::ItemKey::of(&events[1])
        );
        assert_eq!(events[2].message_id.as_deref(), Some("123456789012345678901234"));
        assert_eq!(events[2].kind, EventKind::Opened);
        assert_eq!(events[2].occurred_at().millis(), 1_700_000_000_123);
    }

    #[test]
    fn reads_the_bulk_services_webhooks() {
        // SendPulse's documented campaign webhooks: strings for ids and times, `email`.
        let events = decode(
            br#"[{"timestamp":"1496827422","event":"spam","task_id":"3668141","email":"john.doe@sendpulse.com"},
                 {"task_id":"3668141","timestamp":"1496827941","open_device":"Desktop","open_platform":"Windows","browser_ver":"11.0","browser_name":"Firefox","email":"john.doe@sendpulse.com","event":"open"},
                 {"link_url":"http://google.com","task_id":"3668141","timestamp":"1496828000","open_device":"Desktop","open_platform":"Linux","browser_ver":"58.0.3029.110","browser_name":"Chrome","link_id":"71741389","email":"john.doe@sendpulse.com","event":"redirect"},
                 {"task_id":"3668141","timestamp":"1496827872","from_all":"1","email":"john.doe@sendpulse.com","reason":null,"book_id":"490686","event":"unsubscribe","categories":""},
                 {"task_id":"3668141","timestamp":"1496827873","from_all":"0","email":"john.doe@sendpulse.com","reason":null,"book_id":"490686","event":"unsubscribe","categories":""}]"#,
            received(),
        )
        .unwrap()
        .events;
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Complained,
                EventKind::Opened,
                EventKind::Clicked,
                EventKind::Unsubscribed,
                EventKind::Unsubscribed
            ]
        );
        assert!(events
            .iter()
            .all(|e| e.recipient.as_deref() == Some("john.doe@sendpulse.com")
                && e.time.source == TimeSource::Event
                && e.message_id.is_none()));
        assert_eq!(events[0].occurred_at().unix_seconds(), 1_496_827_422);
        assert_eq!(events[2].url.as_deref(), Some("http://google.com"));
        assert_eq!(
            events[3].subscription_changes,
            SubscriptionChange::global_for(EventKind::Unsubscribed)
        );
        assert_eq!(
            events[4].subscription_changes[0].scope,
            Scope::Group("book:490686".to_owned())
        );
        let marks: Vec<_> = events
            .iter()
            .flat_map(|e| crate::suppression::evidence(e, None))
            .map(|e| e.mark.slot())
            .collect();
        assert_eq!(
            marks,
            ["complaint", "unsubscribe", "unsubscribe#group:book:490686"]
        );
    }
}
