//! SendGrid Event Webhook: a JSON array of event objects.
//!
//! Event names: processed, dropped, delivered, deferred, bounce (type `bounce` or `blocked`),
//! open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe. The sender's
//! custom arguments arrive as extra top-level fields: they become the item's `metadata`.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::batch::{decode_batch, own_time_or_received};
use super::lenient::{raw_text, read_fields, RestFields, Slot};
use super::{DecodeError, Decoded};
use crate::model::event::{non_empty, normalize_recipient};
use crate::model::{
    BounceClass, Distinguisher, EventBasics, EventKind, NormalizedEvent, Provider, Scope, SubscriptionChange,
    Timestamp,
};

/// SendGrid's own fields that are neither normalized nor custom arguments: kept in `details`.
const SENDGRID_DETAIL_FIELDS: &[&str] = &[
    "sg_content_type",
    "sg_template_id",
    "sg_template_name",
    "sg_machine_open",
    "tls",
    "cert_err",
    "send_at",
    "bounce_classification",
    "marketing_campaign_id",
    "marketing_campaign_name",
    "marketing_campaign_version",
    "marketing_campaign_split_id",
    "singlesend_id",
    "singlesend_name",
    "template_id",
    "url_offset",
    "post_type",
    "pool",
    "mc_stats",
    "phase_id",
];

/// One SendGrid event, as lenient as SendGrid's payloads require. Read by a hand-written
/// visitor: known fields as lenient text, every other field kept as borrowed raw JSON.
#[derive(Debug, Default)]
struct SendGridEvent<'a> {
    email: Option<String>,
    timestamp: Option<String>,
    event: Option<String>,
    smtp_id: Option<String>,
    category: Vec<String>,
    sg_event_id: Option<String>,
    sg_message_id: Option<String>,
    ip: Option<String>,
    useragent: Option<String>,
    url: Option<String>,
    reason: Option<String>,
    status: Option<String>,
    response: Option<String>,
    attempt: Option<String>,
    bounce_type: Option<String>,
    asm_group_id: Option<String>,
    /// Every other field: SendGrid's own extras and the sender's custom arguments.
    rest: RestFields<'a>,
}

impl<'de> Deserialize<'de> for SendGridEvent<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = SendGridEvent<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a SendGrid event object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut e = SendGridEvent::default();
                let mut rest = Vec::new();
                read_fields(&mut map, &mut e, slot, &mut rest)?;
                e.rest = rest;
                Ok(e)
            }
        }
        deserializer.deserialize_map(EventVisitor)
    }
}

/// Where each field of the event goes.
fn slot<'s>(e: &'s mut SendGridEvent<'_>, key: &str) -> Slot<'s> {
    match key {
        "email" => Slot::Text(&mut e.email),
        "timestamp" => Slot::Text(&mut e.timestamp),
        "event" => Slot::Text(&mut e.event),
        "smtp-id" => Slot::Text(&mut e.smtp_id),
        "category" => Slot::List(&mut e.category),
        "sg_event_id" => Slot::Text(&mut e.sg_event_id),
        "sg_message_id" => Slot::Text(&mut e.sg_message_id),
        "ip" => Slot::Text(&mut e.ip),
        "useragent" => Slot::Text(&mut e.useragent),
        "url" => Slot::Text(&mut e.url),
        "reason" => Slot::Text(&mut e.reason),
        "status" => Slot::Text(&mut e.status),
        "response" => Slot::Text(&mut e.response),
        "attempt" => Slot::Text(&mut e.attempt),
        "type" => Slot::Text(&mut e.bounce_type),
        "asm_group_id" => Slot::Text(&mut e.asm_group_id),
        _ => Slot::Rest,
    }
}

/// Decodes a SendGrid webhook body into normalized events, one per SendGrid event.
pub fn decode(body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    decode_batch(body, received_at, |raw, received_at| {
        serde_json::from_str::<SendGridEvent>(raw).map(|event| normalize(event, raw, received_at))
    })
}

/// Maps SendGrid's event name (in any case: `Processed` appears in its docs) to the
/// normalized kind.
fn kind_of(event: &str) -> EventKind {
    match event.to_ascii_lowercase().as_str() {
        "processed" => EventKind::Queued,
        "dropped" => EventKind::Rejected,
        "delivered" => EventKind::Delivered,
        "deferred" => EventKind::Deferred,
        "bounce" | "blocked" => EventKind::Bounced,
        "open" => EventKind::Opened,
        "click" => EventKind::Clicked,
        "spamreport" => EventKind::Complained,
        "unsubscribe" | "group_unsubscribe" => EventKind::Unsubscribed,
        "group_resubscribe" => EventKind::Subscribed,
        _ => EventKind::Unknown,
    }
}

/// `type` = `bounce` is a hard bounce, `blocked` a soft one (as is the `blocked` event);
/// otherwise the SMTP status decides.
fn bounce_class(event: &SendGridEvent<'_>) -> BounceClass {
    let bounce_type = event.bounce_type.as_deref().map(str::to_ascii_lowercase);
    let event_name = event.event.as_deref().map(str::to_ascii_lowercase);
    match (bounce_type.as_deref(), event_name.as_deref()) {
        (Some("bounce"), _) => BounceClass::Permanent,
        (Some("blocked"), _) | (None, Some("blocked")) => BounceClass::Transient,
        _ => BounceClass::from_smtp_codes([&event.status, &event.reason]),
    }
}

/// Drop reasons that say SendGrid already refuses the address.
const PROVIDER_SUPPRESSION_REASONS: &[&str] = &[
    "bounced address",
    "unsubscribed address",
    "spam reporting address",
];

/// The suffixes SendGrid's servers append to the `X-Message-Id` in `sg_message_id`.
const SERVER_SUFFIXES: &[&str] = &[".filter", ".stfilter", ".recvd"];

/// The `X-Message-Id` the send API returned, whichever fields the event carries:
/// `sg_message_id` without SendGrid's server suffix (from the first `.` followed by `filter`,
/// `stfilter` or `recvd`; the whole value when there is none), else the local part of
/// `smtp-id` (`<id@host>`).
pub fn message_id(sg_message_id: Option<&str>, smtp_id: Option<&str>) -> Option<String> {
    let from_sg = sg_message_id
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            let cut = SERVER_SUFFIXES
                .iter()
                .filter_map(|suffix| id.find(suffix))
                .min()
                .unwrap_or(id.len());
            &id[..cut]
        });
    let from_smtp = || {
        smtp_id
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>'))
            .and_then(|id| id.split('@').next())
            .filter(|id| !id.is_empty())
    };
    from_sg
        .filter(|id| !id.is_empty())
        .or_else(from_smtp)
        .map(str::to_owned)
}

fn normalize(event: SendGridEvent<'_>, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = event.event.clone().unwrap_or_default();
    let kind = kind_of(&provider_event);
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::SendGrid,
        kind,
        provider_event,
        time: own_time_or_received(event.timestamp.as_deref(), received_at),
        received_at,
        raw: raw.to_owned(),
    });
    out.message_id = message_id(event.sg_message_id.as_deref(), event.smtp_id.as_deref());
    out.bounce_class = (kind == EventKind::Bounced).then(|| bounce_class(&event));
    out.provider_suppressed = kind == EventKind::Rejected
        && event.reason.as_deref().is_some_and(|reason| {
            PROVIDER_SUPPRESSION_REASONS.contains(&reason.trim().to_ascii_lowercase().as_str())
        });
    out.recipient = event.email.as_deref().and_then(normalize_recipient);
    out.provider_message_id = non_empty(event.sg_message_id);
    out.provider_event_id = non_empty(event.sg_event_id);
    out.smtp_status = non_empty(event.status);
    out.smtp_response = non_empty(event.response);
    out.reason = non_empty(event.reason);
    out.url = non_empty(event.url);
    out.user_agent = non_empty(event.useragent);
    out.ip = non_empty(event.ip);
    out.tags = event.category.into_iter().filter(|c| !c.is_empty()).collect();

    let group = non_empty(event.asm_group_id.clone());
    let change = |scope: Scope, subscribed: bool| SubscriptionChange { scope, subscribed };
    out.subscription_changes = match (out.provider_event.to_ascii_lowercase().as_str(), group) {
        ("unsubscribe", _) => vec![change(Scope::Global, false)],
        ("group_unsubscribe", Some(group)) => vec![change(Scope::Group(group), false)],
        ("group_resubscribe", Some(group)) => vec![change(Scope::Group(group), true)],
        _ => Vec::new(),
    };
    // A deferral is told apart by its attempt, a group event by its group, a bounce by its type.
    if let Some(attempt) = non_empty(event.attempt.clone()) {
        out.distinguishers.push(Distinguisher::Attempt(attempt));
    }
    if let Some(group) = non_empty(event.asm_group_id.clone()) {
        out.distinguishers.push(Distinguisher::Group(group));
    }
    if let Some(bounce_type) = non_empty(event.bounce_type.clone()) {
        out.distinguishers
            .push(Distinguisher::BounceType(bounce_type.to_ascii_lowercase()));
    }
    for (name, value) in [
        ("smtp_id", event.smtp_id),
        ("attempt", event.attempt),
        ("asm_group_id", event.asm_group_id),
        ("type", event.bounce_type),
    ] {
        if let Some(value) = non_empty(value) {
            out.details.insert(name.to_owned(), value);
        }
    }
    for (name, value) in event.rest {
        let target = if SENDGRID_DETAIL_FIELDS.contains(&name.as_ref()) {
            &mut out.details
        } else {
            &mut out.metadata
        };
        target.insert(name.into_owned(), raw_text(value));
    }
    out.distinguish_by_url_and_class();
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::TimeSource;
    use crate::test_support::seed_sendgrid_body;

    fn received() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
    }

    fn decode_str(body: &str) -> Vec<NormalizedEvent> {
        decode(body.as_bytes(), received()).unwrap().events
    }

    #[test]
    fn decodes_every_seed_event() {
        let events = decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        let summary: Vec<(&str, &str, Option<&str>, String)> = events
            .iter()
            .map(|e| {
                (
                    e.provider_event.as_str(),
                    e.kind.as_str(),
                    e.message_id.as_deref(),
                    e.occurred_at().to_rfc3339(),
                )
            })
            .collect();
        let m3 = Some("14c5d75ce93.dfd.64b469");
        let t3 = "2021-09-13T23:53:24.000Z".to_owned();
        assert_eq!(
            summary,
            vec![
                (
                    "processed",
                    "queued",
                    Some("KudqDUo-QX6llQHrmxzMEQ"),
                    "2021-07-18T01:55:37.000Z".to_owned()
                ),
                (
                    "delivered",
                    "delivered",
                    Some("KudqDUo-QX6llQHrmxzMEQ"),
                    "2021-07-18T01:55:38.000Z".to_owned()
                ),
                (
                    "open",
                    "opened",
                    Some("2KoVJuIYQk-4xff6b8xcMA"),
                    "2021-07-18T01:59:36.000Z".to_owned()
                ),
                ("processed", "queued", m3, t3.clone()),
                ("deferred", "deferred", m3, t3.clone()),
                ("delivered", "delivered", m3, t3.clone()),
                ("open", "opened", m3, t3.clone()),
                ("click", "clicked", m3, t3.clone()),
                ("bounce", "bounced", m3, t3.clone()),
                ("dropped", "rejected", m3, t3.clone()),
                ("spamreport", "complained", m3, t3.clone()),
                ("unsubscribe", "unsubscribed", m3, t3.clone()),
                ("group_unsubscribe", "unsubscribed", m3, t3.clone()),
                ("group_resubscribe", "subscribed", m3, t3),
            ]
        );
        assert!(events.iter().all(|e| e.time.source == TimeSource::Event));
        assert!(
            events.iter().all(|e| e.recipient.is_none()),
            "empty emails are no recipient"
        );
    }

    #[test]
    fn keeps_custom_arguments_details_and_full_ids() {
        let events = decode(seed_sendgrid_body().as_bytes(), received())
            .unwrap()
            .events;
        let processed = &events[0];
        let expected: BTreeMap<String, String> = [
            ("assembly_id", "40000"),
            ("comm_id", "60000"),
            ("cp_code", "50000"),
            ("send_id", "30000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(processed.metadata, expected);
        assert_eq!(processed.details.get("send_at").map(String::as_str), Some("0"));
        assert_eq!(
            processed.provider_message_id.as_deref(),
            Some("KudqDUo-QX6llQHrmxzMEQ.filterdrecv-66dddc765f-mbf8r-1-60F38A19-27.0")
        );
        assert_eq!(
            processed.provider_event_id.as_deref(),
            Some("cHJvY2Vzc2VkLTEyMDAxNDgyLUt1ZHFEVW8tUVg2bGxRSHJteHpNRVEtMA")
        );
        let delivered = &events[1];
        assert_eq!(delivered.details.get("tls").map(String::as_str), Some("1"));
        assert_eq!(
            delivered.smtp_response.as_deref(),
            Some("250 2.0.0 OK 1626573338 r9si15457369edq.454 - gsmtp")
        );
        let deferred = &events[4];
        assert_eq!(deferred.details.get("attempt").map(String::as_str), Some("5"));
        assert_eq!(deferred.smtp_response.as_deref(), Some("400 try again later"));
        assert_eq!(deferred.tags, vec!["cat facts"]);
        let group = &events[12];
        assert_eq!(group.details.get("asm_group_id").map(String::as_str), Some("10"));
        assert!(
            group.raw.contains("\"asm_group_id\": 10"),
            "raw is the event as received"
        );
    }

    #[test]
    fn classifies_bounces() {
        let events = decode_str(
            r#"[{"event":"bounce","type":"bounce","email":"A@x.io","timestamp":1,"sg_message_id":"m.1"},
                {"event":"bounce","type":"blocked","email":"b@x.io","timestamp":1,"sg_message_id":"m.1"},
                {"event":"bounce","status":"5.0.0","reason":"500 unknown recipient","sg_message_id":"m.1"},
                {"event":"bounce","status":"4.2.2","sg_message_id":"m.1"},
                {"event":"bounce","sg_message_id":"m.1"}]"#,
        );
        let classes: Vec<_> = events.iter().map(|e| e.bounce_class).collect();
        assert_eq!(
            classes,
            vec![
                Some(BounceClass::Permanent),
                Some(BounceClass::Transient),
                Some(BounceClass::Permanent),
                Some(BounceClass::Transient),
                Some(BounceClass::Undetermined)
            ]
        );
        assert_eq!(events[0].recipient.as_deref(), Some("a@x.io"));
    }

    #[test]
    fn is_liberal_in_what_it_accepts() {
        let events = decode_str(
            r#"[{"event":"click","email":"u@x.io","timestamp":"1631577204","category":"one",
                 "sg_message_id":"abc.def","url":"https://x.io/a","asm_group_id":"7","tls":true,
                 "unique":{"nested":1},"newfield":null},
                {"event":"brand_new_event","sg_message_id":12345,"timestamp":1631577204.5}]"#,
        );
        assert_eq!(events[0].kind, EventKind::Clicked);
        assert_eq!(events[0].message_id.as_deref(), Some("abc.def"));
        assert_eq!(events[0].tags, vec!["one"]);
        assert_eq!(events[0].url.as_deref(), Some("https://x.io/a"));
        assert_eq!(
            events[0].metadata.get("unique").map(String::as_str),
            Some(r#"{"nested":1}"#)
        );
        assert_eq!(
            events[0].metadata.get("newfield").map(String::as_str),
            Some("null")
        );
        assert_eq!(events[0].details.get("tls").map(String::as_str), Some("true"));
        assert_eq!(events[1].kind, EventKind::Unknown);
        assert_eq!(events[1].provider_event, "brand_new_event");
        assert_eq!(events[1].message_id.as_deref(), Some("12345"));
        assert_eq!(events[1].occurred_at().millis(), 1_631_577_204_500);
    }

    #[test]
    fn the_message_id_is_the_x_message_id_whatever_the_fields() {
        for (sg_message_id, expected) in [
            (
                "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
                "14c5d75ce93.dfd.64b469",
            ),
            (
                "KudqDUo-QX6llQHrmxzMEQ.filterdrecv-66dddc765f-mbf8r-1-60F38A19-27.0",
                "KudqDUo-QX6llQHrmxzMEQ",
            ),
            (
                "5lFl7Fr1Rjme_EyzNNB_5A.stfilter-015.5185.55F883172.0",
                "5lFl7Fr1Rjme_EyzNNB_5A",
            ),
            ("abc.def.recvd-1234.0", "abc.def"),
            ("no-suffix.at.all", "no-suffix.at.all"),
        ] {
            assert_eq!(message_id(Some(sg_message_id), None).as_deref(), Some(expected));
        }
        assert_eq!(
            message_id(None, Some("<14c5d75ce93.dfd.64b469@ismtpd-555>")).as_deref(),
            Some("14c5d75ce93.dfd.64b469")
        );
        assert_eq!(
            message_id(Some(" "), Some("<x@y>")).as_deref(),
            Some("x"),
            "a blank sg_message_id falls back to smtp-id"
        );
        assert_eq!(message_id(None, None), None);
    }

    #[test]
    fn event_names_are_case_insensitive_and_bounce_types_never_share_a_key() {
        let events = decode_str(
            r#"[{"event":"Processed","sg_message_id":"m.filter1","timestamp":1},
                {"event":"bounce","type":"bounce","email":"a@x.io","timestamp":5,"sg_message_id":"m.filter1"},
                {"event":"bounce","type":"blocked","email":"a@x.io","timestamp":5,"sg_message_id":"m.filter1"}]"#,
        );
        assert_eq!(events[0].kind, EventKind::Queued);
        let first = crate::model::ItemKey::of(&events[1]);
        let second = crate::model::ItemKey::of(&events[2]);
        assert_ne!(first, second);
    }

    #[test]
    fn drops_of_refused_addresses_are_provider_suppressed() {
        let events = decode_str(
            r#"[{"event":"dropped","reason":"Bounced Address","email":"a@x.io","timestamp":1},
                {"event":"dropped","reason":"Unsubscribed Address","email":"a@x.io","timestamp":2},
                {"event":"dropped","reason":"Spam Reporting Address","email":"a@x.io","timestamp":3},
                {"event":"dropped","reason":"Invalid SMTPAPI header","email":"a@x.io","timestamp":4},
                {"event":"bounce","reason":"Bounced Address","email":"a@x.io","timestamp":5}]"#,
        );
        let flags: Vec<bool> = events.iter().map(|e| e.provider_suppressed).collect();
        assert_eq!(flags, vec![true, true, true, false, false]);
    }

    #[test]
    fn falls_back_to_smtp_id_and_receive_time() {
        let events = decode_str(
            r#"[{"event":"dropped","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>"},
                {"event":"open","timestamp":"garbage"}]"#,
        );
        assert_eq!(events[0].message_id.as_deref(), Some("LRzXl_NHStOGhQ4kofSm_A"));
        assert_eq!(events[0].time.source, TimeSource::Received);
        assert_eq!(events[0].occurred_at(), received());
        assert_eq!(events[1].message_id, None);
    }

    #[test]
    fn refuses_what_is_not_a_batch_of_objects() {
        assert!(matches!(
            decode(b"{}", received()),
            Err(DecodeError::NotAnArray(_))
        ));
        assert!(matches!(
            decode(b"[1,2]", received()),
            Err(DecodeError::BadEvent { index: 0, .. })
        ));
        assert!(matches!(
            decode(br#"[{"event":"open"},{"email":{"a":1}}]"#, received()),
            Err(DecodeError::BadEvent { index: 1, .. })
        ));
        assert!(decode(b"[]", received()).unwrap().events.is_empty());
    }
}
