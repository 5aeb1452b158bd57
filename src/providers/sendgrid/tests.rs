//! Tests of the SendGrid decoder: every event of the samples, ids, times and suppression flags.

use super::*;
use crate::model::TimeSource;
use crate::test_support::received;
use crate::test_support::seed_sendgrid_body;

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
fn keeps_what_a_timeline_shows_and_the_event_as_received() {
    let events = decode(seed_sendgrid_body().as_bytes(), received())
        .unwrap()
        .events;
    let delivered = &events[1];
    assert_eq!(
        delivered.smtp_response.as_deref(),
        Some("250 2.0.0 OK 1626573338 r9si15457369edq.454 - gsmtp")
    );
    let deferred = &events[4];
    assert_eq!(deferred.smtp_response.as_deref(), Some("400 try again later"));
    assert!(deferred
        .distinguishers
        .contains(&Distinguisher::Attempt("5".into())));
    let group = &events[12];
    assert!(group.distinguishers.contains(&Distinguisher::Group("10".into())));
    assert!(
        group.raw.contains("\"asm_group_id\": 10"),
        "raw is the event as received"
    );
    // Custom arguments and SendGrid's own extras stay in the raw event, as received.
    assert!(
        events[0].raw.contains("\"cp_code\": \"50000\""),
        "{}",
        events[0].raw
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
    assert_eq!(events[0].url.as_deref(), Some("https://x.io/a"));
    assert!(events[0].raw.contains(r#""unique":{"nested":1}"#));
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
    let numbers = decode(b"[1,2]", received()).unwrap();
    assert!(numbers.events.is_empty());
    assert_eq!(
        numbers.bad.iter().map(|b| b.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
    let one_bad = decode(br#"[{"event":"open"},{"email":{"a":1}}]"#, received()).unwrap();
    assert_eq!(one_bad.events.len(), 1);
    assert!(matches!(
        one_bad.bad[0].error,
        DecodeError::BadEvent { index: 1, .. }
    ));
    assert_eq!(one_bad.bad[0].raw, r#"{"email":{"a":1}}"#);
    assert!(decode(b"[]", received()).unwrap().events.is_empty());
}
