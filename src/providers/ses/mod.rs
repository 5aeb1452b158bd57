//! Amazon SES events: the `Message` of an SNS notification, or the `detail` of an EventBridge
//! event (the same record).
//!
//! Two formats share one shape: event publishing through a configuration set (`eventType`:
//! Send, Delivery, Bounce, Complaint, Reject, Open, Click, Rendering Failure, DeliveryDelay,
//! Subscription) and identity feedback notifications (`notificationType`: Bounce, Complaint,
//! Delivery). Each becomes one normalized event per recipient it names.

mod message;
mod normalize;
mod subscription;

use message::SesMessage;

use super::registry::{BodyShape, Provider, ProviderSpec};
use super::{DecodeError, Decoded, JsonFault};
use crate::model::event::non_empty;
use crate::model::{NormalizedEvent, Timestamp};

/// SES in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Ses,
    name: "ses",
    title: "Amazon SES",
    body: BodyShape::SesRecord,
    decode_event,
    subject: subject_of,
};

/// Decodes one SES event record, the whole of `raw` (a message that carries no email event
/// gives none), in the registry's decoder shape.
pub fn decode_event(
    raw: &str,
    received_at: Timestamp,
    out: &mut Vec<NormalizedEvent>,
) -> Result<usize, serde_json::Error> {
    let decoded = decode(raw, received_at).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    out.extend(decoded.events);
    Ok(raw.len())
}

/// The subject of the message an SES event is about (`mail.commonHeaders.subject`).
pub fn subject_of(raw: &str) -> Option<String> {
    let parsed: message::SubjectOnly = serde_json::from_str(raw).ok()?;
    non_empty(parsed.mail?.common_headers?.subject)
}

/// The plain-text message SES publishes when it validates a topic as an event destination.
const TOPIC_VALIDATION_TEXT: &str = "Successfully validated SNS topic";

/// SES notification types that say something about the topic, not about an email.
const NON_EMAIL_NOTIFICATIONS: &[&str] = &["AmazonSnsSubscriptionSucceeded"];

/// Decodes one SNS `Message` from SES. SES's topic-validation text ("Successfully validated
/// SNS topic…") and its topic notifications are counted as ignored; any other message that is
/// not a JSON object is an error (so the caller quarantines it).
pub fn decode(message: &str, received_at: Timestamp) -> Result<Decoded, DecodeError> {
    let trimmed = message.trim_start();
    if trimmed.starts_with(TOPIC_VALIDATION_TEXT) {
        return Ok(Decoded {
            ignored: 1,
            ..Decoded::default()
        });
    }
    if !trimmed.starts_with('{') {
        return Err(DecodeError::NotSes("the message is not a JSON object"));
    }
    let parsed: SesMessage =
        serde_json::from_str(message).map_err(|e| DecodeError::NotJson(JsonFault::from(&e)))?;
    let type_name = match (&parsed.event_type, &parsed.notification_type) {
        (Some(name), _) | (None, Some(name)) if !name.trim().is_empty() => name.clone(),
        _ => {
            return Err(DecodeError::NotSes(
                "the message has neither an eventType nor a notificationType",
            ))
        }
    };
    if NON_EMAIL_NOTIFICATIONS.contains(&type_name.as_str()) {
        return Ok(Decoded {
            ignored: 1,
            ..Decoded::default()
        });
    }
    Ok(Decoded {
        events: normalize::normalize(parsed, type_name, message, received_at),
        ..Decoded::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BounceClass, EventKind, NormalizedEvent, Provider, TimeSource};
    use crate::test_support::received;
    use crate::test_support::{ses_fixture, SES_EVENT_FIXTURES};

    fn decode_fixture(name: &str) -> Vec<NormalizedEvent> {
        decode(ses_fixture(name), received()).unwrap().events
    }

    const MESSAGE: &str = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";

    #[test]
    fn decodes_every_event_publishing_example() {
        let expected = [
            (
                "event-bounce",
                "Bounce",
                "bounced",
                "2017-08-05T00:41:02.669Z",
                TimeSource::Event,
            ),
            (
                "event-complaint",
                "Complaint",
                "complained",
                "2017-08-05T00:41:02.669Z",
                TimeSource::Event,
            ),
            (
                "event-delivery",
                "Delivery",
                "delivered",
                "2016-10-19T23:21:04.133Z",
                TimeSource::Event,
            ),
            (
                "event-send",
                "Send",
                "sent",
                "2016-10-14T05:02:16.645Z",
                TimeSource::Mail,
            ),
            (
                "event-reject",
                "Reject",
                "rejected",
                "2016-10-14T17:38:15.211Z",
                TimeSource::Mail,
            ),
            (
                "event-open",
                "Open",
                "opened",
                "2017-08-09T22:00:19.652Z",
                TimeSource::Event,
            ),
            (
                "event-click",
                "Click",
                "clicked",
                "2017-08-09T23:51:25.570Z",
                TimeSource::Event,
            ),
            (
                "event-rendering-failure",
                "Rendering Failure",
                "failed",
                "2018-01-22T18:43:06.197Z",
                TimeSource::Mail,
            ),
            (
                "event-delivery-delay",
                "DeliveryDelay",
                "deferred",
                "2020-06-16T00:25:40.095Z",
                TimeSource::Event,
            ),
            (
                "event-subscription",
                "Subscription",
                "unsubscribed",
                "2022-01-12T01:00:17.910Z",
                TimeSource::Event,
            ),
        ];
        assert_eq!(expected.len(), SES_EVENT_FIXTURES.len());
        for (fixture, provider_event, kind, time, source) in expected {
            let events = decode_fixture(fixture);
            assert_eq!(events.len(), 1, "{fixture}");
            let e = &events[0];
            assert_eq!(e.provider_event, provider_event, "{fixture}");
            assert_eq!(e.kind.as_str(), kind, "{fixture}");
            assert_eq!(e.occurred_at().to_rfc3339(), time, "{fixture}");
            assert_eq!(e.time.source, source, "{fixture}");
            let expected_recipient = if fixture == "event-reject" {
                "sender@example.com"
            } else {
                "recipient@example.com"
            };
            assert_eq!(e.recipient.as_deref(), Some(expected_recipient), "{fixture}");
            let expected_message = if fixture == "event-subscription" {
                "EXAMPLEe4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000"
            } else {
                MESSAGE
            };
            assert_eq!(e.message_id.as_deref(), Some(expected_message), "{fixture}");
            assert_eq!(e.provider, Provider::Ses);
        }
    }

    #[test]
    fn keeps_what_a_timeline_shows_of_each_event() {
        let bounce = &decode_fixture("event-bounce")[0];
        assert_eq!(bounce.bounce_class, Some(BounceClass::Permanent));
        assert_eq!(bounce.smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(
            bounce.smtp_response.as_deref(),
            Some("smtp; 550 5.1.1 user unknown")
        );
        assert_eq!(bounce.reason.as_deref(), Some("General"));
        assert_eq!(
            subject_of(&bounce.raw).as_deref(),
            Some("Message sent from Amazon SES")
        );
        assert_eq!(&*bounce.raw, ses_fixture("event-bounce"));

        let complaint = &decode_fixture("event-complaint")[0];
        assert_eq!(complaint.reason.as_deref(), Some("abuse"));

        let delivery = &decode_fixture("event-delivery")[0];
        assert_eq!(
            delivery.smtp_response.as_deref(),
            Some("250 2.6.0 Message received")
        );

        let reject = &decode_fixture("event-reject")[0];
        assert_eq!(reject.reason.as_deref(), Some("Bad content"));

        let click = &decode_fixture("event-click")[0];
        assert_eq!(
            click.url.as_deref(),
            Some("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html")
        );

        let failure = &decode_fixture("event-rendering-failure")[0];
        assert_eq!(
            failure.reason.as_deref(),
            Some("Attribute 'attributeName' is not present in the rendering data.")
        );

        let delay = &decode_fixture("event-delivery-delay")[0];
        assert_eq!(delay.reason.as_deref(), Some("TransientCommunicationFailure"));
        assert_eq!(delay.smtp_status.as_deref(), Some("4.4.1"));

        let subscription = &decode_fixture("event-subscription")[0];
        assert_eq!(subscription.reason.as_deref(), Some("UnsubscribeHeader"));
        assert_eq!(subject_of("not json"), None);
    }

    #[test]
    fn whole_message_events_for_several_destinations_are_ambiguous() {
        let two = r#"{"eventType":"Subscription","mail":{"messageId":"m","timestamp":"2020-01-01T00:00:00Z","destination":["a@x.io","b@y.io"]},
            "subscription":{"timestamp":"2020-01-01T00:00:01Z","newTopicPreferences":{"unsubscribeAll":true}}}"#;
        let events = decode(two, received()).unwrap().events;
        assert_eq!(events.len(), 2);
        assert!(events
            .iter()
            .all(|e| e.recipient_ambiguous && e.kind == EventKind::Unsubscribed));
        assert!(
            std::sync::Arc::ptr_eq(&events[0].raw, &events[1].raw),
            "one copy of the message"
        );
        let open = two
            .replace("Subscription", "Open")
            .replace(r#""subscription""#, r#""open""#);
        assert!(decode(&open, received())
            .unwrap()
            .events
            .iter()
            .all(|e| e.recipient_ambiguous));
        let one = two.replace(r#","b@y.io""#, "");
        assert!(!decode(&one, received()).unwrap().events[0].recipient_ambiguous);
        let send = two.replace("Subscription", "Send");
        assert!(decode(&send, received())
            .unwrap()
            .events
            .iter()
            .all(|e| !e.recipient_ambiguous));
    }

    #[test]
    fn ten_thousand_recipients_share_one_message() {
        let destination: Vec<String> = (0..10_000).map(|i| format!("r{i}@x{}.io", i % 7)).collect();
        let message = serde_json::json!({
            "eventType": "Open",
            "mail": {"messageId": "m", "timestamp": "2020-01-01T00:00:00Z", "destination": destination},
            "open": {"timestamp": "2020-01-01T00:00:01Z"}
        })
        .to_string();
        let events = decode(&message, received()).unwrap().events;
        assert_eq!(events.len(), 10_000);
        assert!(events
            .iter()
            .all(|e| std::sync::Arc::ptr_eq(&e.raw, &events[0].raw)));
    }

    #[test]
    fn decodes_feedback_notifications_per_recipient() {
        let bounces = decode_fixture("notification-bounce");
        let recipients: Vec<_> = bounces.iter().map(|e| e.recipient.as_deref().unwrap()).collect();
        assert_eq!(recipients, vec!["jane@example.com", "richard@example.com"]);
        assert!(bounces
            .iter()
            .all(|e| e.kind == EventKind::Bounced && e.provider_event == "Bounce"));
        assert_eq!(bounces[0].occurred_at().to_rfc3339(), "2016-01-27T14:59:38.237Z");

        let complaints = decode_fixture("notification-complaint");
        assert_eq!(complaints.len(), 1);
        assert_eq!(complaints[0].recipient.as_deref(), Some("richard@example.com"));

        let deliveries = decode_fixture("notification-delivery");
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].recipient.as_deref(), Some("mary@example.com"));
    }

    #[test]
    fn ignores_texts_and_topic_notifications() {
        let decoded = decode(ses_fixture("topic-validation"), received()).unwrap();
        assert_eq!((decoded.events.len(), decoded.ignored), (0, 1));
        let decoded = decode(
            r#"{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"x"}"#,
            received(),
        )
        .unwrap();
        assert_eq!((decoded.events.len(), decoded.ignored), (0, 1));
    }

    #[test]
    fn unknown_types_go_to_every_destination() {
        let events = decode(
            r#"{"eventType":"Teleport","mail":{"messageId":"m","destination":["a@x.io","b@x.io"],"timestamp":"2020-01-01T00:00:00Z"}}"#,
            received(),
        )
        .unwrap()
        .events;
        assert_eq!(events.len(), 2);
        assert!(events
            .iter()
            .all(|e| e.kind == EventKind::Unknown && e.time.source == TimeSource::Mail));
    }

    #[test]
    fn an_event_without_recipients_or_mail_is_still_one_event() {
        let events = decode(
            r#"{"eventType":"Bounce","bounce":{"bouncedRecipients":null}}"#,
            received(),
        )
        .unwrap()
        .events;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].recipient, None);
        assert_eq!(events[0].message_id, None);
        assert_eq!(events[0].time.source, TimeSource::Received);
        assert_eq!(events[0].bounce_class, Some(BounceClass::Undetermined));
    }

    #[test]
    fn refuses_json_that_is_not_ses() {
        assert!(matches!(
            decode(r#"{"hello":"world"}"#, received()),
            Err(DecodeError::NotSes(_))
        ));
        assert!(matches!(
            decode(r#"{"eventType":{"a":1}}"#, received()),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            decode("{not json", received()),
            Err(DecodeError::NotJson(_))
        ));
    }

    #[test]
    fn plain_text_other_than_topic_validation_is_an_error_to_quarantine() {
        assert!(matches!(
            decode("hello, not an event", received()),
            Err(DecodeError::NotSes(_))
        ));
        assert!(matches!(decode("", received()), Err(DecodeError::NotSes(_))));
        assert!(matches!(decode("[1,2]", received()), Err(DecodeError::NotSes(_))));
    }

    #[test]
    fn a_not_spam_report_is_never_a_complaint() {
        let message = ses_fixture("event-complaint").replace("\"abuse\"", "\"not-spam\"");
        let events = decode(&message, received()).unwrap().events;
        assert_eq!(events[0].kind, EventKind::NotSpam);
        assert_eq!(events[0].kind.as_str(), "not_spam");
        let abuse = decode(ses_fixture("event-complaint"), received()).unwrap().events;
        assert_eq!(abuse[0].kind, EventKind::Complained);
    }

    #[test]
    fn bounce_class_is_per_recipient_and_suppression_sub_types_are_flagged() {
        let message = r#"{"eventType":"Bounce","mail":{"messageId":"m","timestamp":"2020-01-01T00:00:00Z"},
            "bounce":{"bounceType":"Permanent","bounceSubType":"OnAccountSuppressionList","timestamp":"2020-01-01T00:00:01Z",
              "bouncedRecipients":[{"emailAddress":"a@x.io","status":"5.1.1"},
                                   {"emailAddress":"b@x.io","status":"4.4.7"},
                                   {"emailAddress":"c@x.io","action":"delayed"}]}}"#;
        let events = decode(message, received()).unwrap().events;
        let classes: Vec<_> = events.iter().map(|e| e.bounce_class).collect();
        assert_eq!(
            classes,
            vec![
                Some(BounceClass::Permanent),
                Some(BounceClass::Transient),
                Some(BounceClass::Transient)
            ]
        );
        assert!(events.iter().all(|e| e.provider_suppressed));
        let general = decode(ses_fixture("event-bounce"), received()).unwrap().events;
        assert!(!general[0].provider_suppressed);
        let suppressed = message.replace("OnAccountSuppressionList", "Suppressed");
        assert!(decode(&suppressed, received()).unwrap().events[0].provider_suppressed);
    }
}
