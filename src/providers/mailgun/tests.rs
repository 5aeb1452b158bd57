//! Tests of the Mailgun decoder: every documented event, from anymail's and Mailgun's samples.

use super::*;
use crate::model::TimeSource;
use crate::test_support::received;

fn fixture(name: &str) -> NormalizedEvent {
    let mut events = crate::providers::batch::decode_all(
        &SPEC,
        &crate::test_support::fixture("mailgun", name),
        received(),
    )
    .unwrap();
    assert_eq!(events.len(), 1, "{name}");
    events.remove(0)
}

#[test]
fn decodes_every_documented_event() {
    let expected = [
        (
            "accepted",
            "queued",
            "recipient@example.com",
            "2018-08-12T21:17:10.999Z",
        ),
        (
            "delivered",
            "delivered",
            "recipient@example.com",
            "2018-08-12T21:17:17.153Z",
        ),
        (
            "failed-permanent",
            "bounced",
            "invalid@example.com",
            "2018-08-12T21:47:02.390Z",
        ),
        (
            "failed-temporary",
            "deferred",
            "undeliverable@nomx.example.com",
            "2018-08-12T22:11:39.660Z",
        ),
        (
            "failed-suppress-bounce",
            "rejected",
            "bounced-before@example.com",
            "2018-08-12T22:11:40.101Z",
        ),
        (
            "rejected",
            "rejected",
            "recipient@example.org",
            "2018-06-22T22:02:56.105Z",
        ),
        (
            "opened",
            "opened",
            "recipient@example.com",
            "2018-08-12T21:33:20.090Z",
        ),
        (
            "clicked",
            "clicked",
            "recipient@example.com",
            "2018-08-12T21:33:20.090Z",
        ),
        (
            "unsubscribed",
            "unsubscribed",
            "recipient@example.com",
            "2013-08-22T23:23:11.421Z",
        ),
        (
            "complained",
            "complained",
            "recipient@example.com",
            "2013-08-22T23:31:00.050Z",
        ),
    ];
    for (name, kind, recipient, time) in expected {
        let e = fixture(name);
        assert_eq!(e.kind.as_str(), kind, "{name}");
        assert_eq!(e.recipient.as_deref(), Some(recipient), "{name}");
        assert_eq!(e.occurred_at().to_rfc3339(), time, "{name}: milliseconds kept");
        assert_eq!(e.time.source, TimeSource::Event);
    }
    let delivered = fixture("delivered");
    assert_eq!(
        delivered.message_id.as_deref(),
        Some("20180812211713.1.DF5966851B4BAA99@example.org")
    );
    assert_eq!(subject_of(&delivered.raw).as_deref(), Some("Testing"));
    let bounce = fixture("failed-permanent");
    assert_eq!(bounce.bounce_class, Some(BounceClass::Permanent));
    assert_eq!(bounce.smtp_status.as_deref(), Some("5.1.1"));
    let suppressed = fixture("failed-suppress-bounce");
    assert!(suppressed.provider_suppressed);
    assert_eq!(suppressed.reason.as_deref(), Some("suppress-bounce"));
    assert_eq!(
        fixture("clicked").url.as_deref(),
        Some("https://example.com/test")
    );
    assert_eq!(
        fixture("rejected").reason.as_deref(),
        Some("Sandbox subdomains are for test purposes only.")
    );
}

#[test]
fn suppression_reasons_are_the_providers_refusals() {
    for (reason, expected) in [
        ("suppress-bounce", "hard_bounce"),
        ("suppress-complaint", "complaint"),
        ("suppress-unsubscribe", "unsubscribe"),
    ] {
        let raw = format!(
            r#"{{"signature":{{}},"event-data":{{"event":"failed","severity":"permanent","reason":"{reason}","recipient":"a@x.io","timestamp":1,"message":{{"headers":{{"message-id":"m@x"}}}}}}}}"#
        );
        let event = &crate::providers::batch::decode_all(&SPEC, &raw, received()).unwrap()[0];
        assert!(event.provider_suppressed, "{reason}");
        let marks = crate::suppression::evidence(event, None);
        let slot = marks[0].mark.slot();
        assert_eq!(slot, expected, "{reason}");
    }
}
