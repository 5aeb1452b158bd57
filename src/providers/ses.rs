//! Amazon SES events, as the `Message` of an SNS notification.
//!
//! Two formats share one shape: event publishing through a configuration set (`eventType`:
//! Send, Delivery, Bounce, Complaint, Reject, Open, Click, Rendering Failure, DeliveryDelay,
//! Subscription) and identity feedback notifications (`notificationType`: Bounce, Complaint,
//! Delivery). Each becomes one normalized event per recipient it names.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{DecodeError, Decoded};
use crate::event::{
    non_empty, normalize_recipient, BounceClass, EventKind, NormalizedEvent, Provider, TimeSource,
};
use crate::lenient::{null_as_default, text, text_list, TextList};
use crate::timestamp::Timestamp;

/// The SES message: which event, the message it concerns, and the event's own object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMessage {
    #[serde(default, deserialize_with = "text")]
    event_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    notification_type: Option<String>,
    #[serde(default)]
    mail: Option<Mail>,
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    complaint: Option<Complaint>,
    #[serde(default)]
    delivery: Option<Delivery>,
    #[serde(default)]
    reject: Option<Reject>,
    #[serde(default)]
    open: Option<Engagement>,
    #[serde(default)]
    click: Option<Engagement>,
    #[serde(default)]
    failure: Option<Failure>,
    #[serde(default)]
    delivery_delay: Option<DeliveryDelay>,
    #[serde(default)]
    subscription: Option<Subscription>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    source: Option<String>,
    #[serde(default, deserialize_with = "text")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    sending_account_id: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    destination: Vec<String>,
    #[serde(default)]
    common_headers: Option<CommonHeaders>,
    #[serde(default, deserialize_with = "null_as_default")]
    tags: BTreeMap<String, TextList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommonHeaders {
    #[serde(default, deserialize_with = "text")]
    subject: Option<String>,
}

/// A recipient named by a bounce, complaint or delay, with what the receiving server said.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    #[serde(default, deserialize_with = "text")]
    email_address: Option<String>,
    #[serde(default, deserialize_with = "text")]
    action: Option<String>,
    #[serde(default, deserialize_with = "text")]
    status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    diagnostic_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    #[serde(default, deserialize_with = "text")]
    bounce_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    bounce_sub_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    bounced_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    feedback_id: Option<String>,
    #[serde(default, rename = "reportingMTA", deserialize_with = "text")]
    reporting_mta: Option<String>,
    #[serde(default, deserialize_with = "text")]
    remote_mta_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default, deserialize_with = "null_as_default")]
    complained_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    feedback_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    user_agent: Option<String>,
    #[serde(default, deserialize_with = "text")]
    complaint_feedback_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    complaint_sub_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    arrival_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    processing_time_millis: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    recipients: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    smtp_response: Option<String>,
    #[serde(default, rename = "reportingMTA", deserialize_with = "text")]
    reporting_mta: Option<String>,
    #[serde(default, deserialize_with = "text")]
    remote_mta_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Reject {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
}

/// An open or a click.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Engagement {
    #[serde(default, deserialize_with = "text")]
    ip_address: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    user_agent: Option<String>,
    #[serde(default, deserialize_with = "text")]
    link: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    link_tags: BTreeMap<String, TextList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failure {
    #[serde(default, deserialize_with = "text")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "text")]
    template_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryDelay {
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    delay_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    expiration_time: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    delayed_recipients: Vec<Recipient>,
    #[serde(default, rename = "reportingMTA", deserialize_with = "text")]
    reporting_mta: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subscription {
    #[serde(default, deserialize_with = "text")]
    contact_list: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    source: Option<String>,
    #[serde(default)]
    new_topic_preferences: Option<TopicPreferences>,
    #[serde(default)]
    old_topic_preferences: Option<TopicPreferences>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicPreferences {
    #[serde(default, deserialize_with = "text")]
    unsubscribe_all: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    topic_subscription_status: Vec<TopicStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicStatus {
    #[serde(default, deserialize_with = "text")]
    topic_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    subscription_status: Option<String>,
}

/// SES notification types that say something about the topic, not about an email.
const NON_EMAIL_NOTIFICATIONS: &[&str] = &["AmazonSnsSubscriptionSucceeded"];

/// Decodes one SNS `Message` from SES. A plain-text message (the "Successfully validated SNS
/// topic" kind) and SES's topic notifications are counted as ignored, not as errors.
pub fn decode(message: &str, received_at: Timestamp) -> Result<Decoded, DecodeError> {
    if !message.trim_start().starts_with('{') {
        return Ok(Decoded {
            events: Vec::new(),
            ignored: 1,
        });
    }
    let parsed: SesMessage = serde_json::from_str(message).map_err(DecodeError::NotJson)?;
    let type_name = match (&parsed.event_type, &parsed.notification_type) {
        (Some(name), _) | (None, Some(name)) if !name.trim().is_empty() => name.clone(),
        _ => {
            return Err(DecodeError::NotSes(
                "the message has neither an eventType nor a notificationType".into(),
            ))
        }
    };
    if NON_EMAIL_NOTIFICATIONS.contains(&type_name.as_str()) {
        return Ok(Decoded {
            events: Vec::new(),
            ignored: 1,
        });
    }
    Ok(Decoded {
        events: normalize(parsed, type_name, message, received_at),
        ignored: 0,
    })
}

/// `Rendering Failure`, `RenderingFailure` and `renderingfailure` are one type.
fn type_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Everything one SES message says, per recipient.
struct PerRecipient {
    address: Option<String>,
    status: Option<String>,
    diagnostic: Option<String>,
    action: Option<String>,
}

impl From<Recipient> for PerRecipient {
    fn from(r: Recipient) -> Self {
        PerRecipient {
            address: r.email_address,
            status: non_empty(r.status),
            diagnostic: non_empty(r.diagnostic_code),
            action: non_empty(r.action),
        }
    }
}

impl PerRecipient {
    fn address(address: String) -> Self {
        PerRecipient {
            address: Some(address),
            status: None,
            diagnostic: None,
            action: None,
        }
    }
}

/// The fields of one event that do not vary by recipient.
struct Common {
    kind: EventKind,
    time: Option<String>,
    bounce_class: Option<BounceClass>,
    smtp_response: Option<String>,
    reason: Option<String>,
    url: Option<String>,
    user_agent: Option<String>,
    ip: Option<String>,
    details: Vec<(&'static str, Option<String>)>,
}

impl Common {
    fn new(kind: EventKind) -> Self {
        Common {
            kind,
            time: None,
            bounce_class: None,
            smtp_response: None,
            reason: None,
            url: None,
            user_agent: None,
            ip: None,
            details: Vec::new(),
        }
    }
}

fn normalize(
    message: SesMessage,
    type_name: String,
    raw: &str,
    received_at: Timestamp,
) -> Vec<NormalizedEvent> {
    let mail = message.mail.unwrap_or_default();
    let destination = || {
        mail.destination
            .iter()
            .cloned()
            .map(PerRecipient::address)
            .collect::<Vec<_>>()
    };
    let (common, recipients): (Common, Vec<PerRecipient>) = match type_key(&type_name).as_str() {
        "bounce" => {
            let b = message.bounce.unwrap_or_default();
            let mut c = Common::new(EventKind::Bounced);
            c.bounce_class = Some(match b.bounce_type.as_deref() {
                Some("Permanent") => BounceClass::Permanent,
                Some("Transient") => BounceClass::Transient,
                _ => BounceClass::Undetermined,
            });
            c.time = b.timestamp;
            c.reason = non_empty(b.bounce_sub_type.clone());
            c.details = vec![
                ("bounce_type", b.bounce_type),
                ("bounce_sub_type", b.bounce_sub_type),
                ("feedback_id", b.feedback_id),
                ("reporting_mta", b.reporting_mta),
                ("remote_mta_ip", b.remote_mta_ip),
            ];
            (
                c,
                b.bounced_recipients.into_iter().map(PerRecipient::from).collect(),
            )
        }
        "complaint" => {
            let x = message.complaint.unwrap_or_default();
            let mut c = Common::new(EventKind::Complained);
            c.time = x.timestamp;
            c.user_agent = x.user_agent;
            c.reason = non_empty(x.complaint_feedback_type.clone());
            c.details = vec![
                ("complaint_feedback_type", x.complaint_feedback_type),
                ("complaint_sub_type", x.complaint_sub_type),
                ("feedback_id", x.feedback_id),
                ("arrival_date", x.arrival_date),
            ];
            (
                c,
                x.complained_recipients
                    .into_iter()
                    .map(PerRecipient::from)
                    .collect(),
            )
        }
        "delivery" => {
            let d = message.delivery.unwrap_or_default();
            let mut c = Common::new(EventKind::Delivered);
            c.time = d.timestamp;
            c.smtp_response = d.smtp_response;
            c.details = vec![
                ("processing_time_millis", d.processing_time_millis),
                ("reporting_mta", d.reporting_mta),
                ("remote_mta_ip", d.remote_mta_ip),
            ];
            (c, d.recipients.into_iter().map(PerRecipient::address).collect())
        }
        "send" => (Common::new(EventKind::Sent), destination()),
        "reject" => {
            let mut c = Common::new(EventKind::Rejected);
            c.reason = message.reject.unwrap_or_default().reason;
            (c, destination())
        }
        "open" | "click" => {
            let clicked = type_key(&type_name) == "click";
            let e = if clicked { message.click } else { message.open }.unwrap_or_default();
            let mut c = Common::new(if clicked {
                EventKind::Clicked
            } else {
                EventKind::Opened
            });
            c.time = e.timestamp;
            c.ip = e.ip_address;
            c.user_agent = e.user_agent;
            c.url = e.link;
            let link_tags = (!e.link_tags.is_empty()).then(|| {
                let map: BTreeMap<&str, &Vec<String>> =
                    e.link_tags.iter().map(|(k, v)| (k.as_str(), &v.0)).collect();
                serde_json::to_string(&map).unwrap_or_default()
            });
            c.details = vec![("link_tags", link_tags)];
            (c, destination())
        }
        "renderingfailure" => {
            let f = message.failure.unwrap_or_default();
            let mut c = Common::new(EventKind::Failed);
            c.reason = f.error_message;
            c.details = vec![("template_name", f.template_name)];
            (c, destination())
        }
        "deliverydelay" => {
            let d = message.delivery_delay.unwrap_or_default();
            let mut c = Common::new(EventKind::Deferred);
            c.time = d.timestamp;
            c.reason = non_empty(d.delay_type.clone());
            c.details = vec![
                ("delay_type", d.delay_type),
                ("expiration_time", d.expiration_time),
                ("reporting_mta", d.reporting_mta),
            ];
            (
                c,
                d.delayed_recipients.into_iter().map(PerRecipient::from).collect(),
            )
        }
        "subscription" => {
            let s = message.subscription.unwrap_or_default();
            let mut c = Common::new(subscription_kind(&s));
            c.time = s.timestamp.clone();
            c.reason = non_empty(s.source.clone());
            c.details = vec![
                ("contact_list", s.contact_list.clone()),
                ("subscription_source", s.source.clone()),
                ("topic_preferences", topic_preferences_text(&s)),
            ];
            (c, destination())
        }
        _ => (Common::new(EventKind::Unknown), destination()),
    };
    // A recipient list that came empty still yields one event: nothing is dropped.
    let recipients = if recipients.is_empty() {
        let fallback = destination();
        if fallback.is_empty() {
            vec![PerRecipient {
                address: None,
                status: None,
                diagnostic: None,
                action: None,
            }]
        } else {
            fallback
        }
    } else {
        recipients
    };

    let (occurred_at, time_source) =
        event_time(common.time.as_deref(), mail.timestamp.as_deref(), received_at);
    let metadata: BTreeMap<String, String> = mail
        .tags
        .iter()
        .map(|(name, values)| (name.clone(), values.0.join(",")))
        .collect();
    let subject = mail
        .common_headers
        .as_ref()
        .and_then(|h| non_empty(h.subject.clone()));

    let mut seen = Vec::with_capacity(recipients.len());
    let mut events = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let address = recipient.address.as_deref().and_then(normalize_recipient);
        // SES names a recipient once per event; a repeat would only be the same item again.
        if seen.contains(&address) {
            continue;
        }
        seen.push(address.clone());
        let mut out = NormalizedEvent::new(
            Provider::Ses,
            common.kind,
            type_name.clone(),
            occurred_at,
            time_source,
            received_at,
            raw,
        );
        out.message_id = non_empty(mail.message_id.clone());
        out.recipient = address;
        out.sender = non_empty(mail.source.clone());
        out.subject = subject.clone();
        out.bounce_class = common.bounce_class;
        out.smtp_status = recipient.status;
        out.smtp_response = recipient
            .diagnostic
            .or_else(|| non_empty(common.smtp_response.clone()));
        out.reason = non_empty(common.reason.clone());
        out.url = non_empty(common.url.clone());
        out.user_agent = non_empty(common.user_agent.clone());
        out.ip = non_empty(common.ip.clone());
        out.metadata = metadata.clone();
        for (name, value) in &common.details {
            if let Some(value) = non_empty(value.clone()) {
                out.details.insert((*name).to_owned(), value);
            }
        }
        if let Some(action) = recipient.action {
            out.details.insert("action".to_owned(), action);
        }
        if let Some(account) = non_empty(mail.sending_account_id.clone()) {
            out.details.insert("sending_account_id".to_owned(), account);
        }
        if let Some(url) = &out.url {
            out.distinguishers.push(format!("url={url}"));
        }
        events.push(out);
    }
    events
}

/// The event's own time, else the send time, else the receive time.
fn event_time(own: Option<&str>, mail: Option<&str>, received_at: Timestamp) -> (Timestamp, TimeSource) {
    if let Some(t) = own.and_then(Timestamp::parse_rfc3339) {
        (t, TimeSource::Event)
    } else if let Some(t) = mail.and_then(Timestamp::parse_rfc3339) {
        (t, TimeSource::Mail)
    } else {
        (received_at, TimeSource::Received)
    }
}

fn opted_out(status: Option<&str>) -> bool {
    status.is_some_and(|s| s.eq_ignore_ascii_case("optout"))
}

fn unsubscribe_all(prefs: Option<&TopicPreferences>) -> bool {
    prefs
        .and_then(|p| p.unsubscribe_all.as_deref())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A Subscription event is an unsubscribe when the new preferences opt out of more than the
/// old ones did (or of everything), and a subscribe when they opt back in.
fn subscription_kind(s: &Subscription) -> EventKind {
    let new = s.new_topic_preferences.as_ref();
    let old = s.old_topic_preferences.as_ref();
    if unsubscribe_all(new) {
        return EventKind::Unsubscribed;
    }
    if unsubscribe_all(old) {
        return EventKind::Subscribed;
    }
    let old_status = |topic: &Option<String>| {
        old.into_iter()
            .flat_map(|p| &p.topic_subscription_status)
            .find(|t| &t.topic_name == topic)
            .map(|t| opted_out(t.subscription_status.as_deref()))
    };
    let mut newly_out = false;
    let mut newly_in = false;
    let mut any_out = false;
    for topic in new.into_iter().flat_map(|p| &p.topic_subscription_status) {
        let out_now = opted_out(topic.subscription_status.as_deref());
        any_out |= out_now;
        match old_status(&topic.topic_name) {
            Some(out_before) if out_before == out_now => {}
            _ if out_now => newly_out = true,
            _ => newly_in = true,
        }
    }
    match (newly_out, newly_in) {
        (true, _) => EventKind::Unsubscribed,
        (false, true) => EventKind::Subscribed,
        (false, false) if any_out => EventKind::Unsubscribed,
        (false, false) => EventKind::Subscribed,
    }
}

/// The new topic preferences as compact JSON: `{"unsubscribe_all":true,"topics":{"T":"OptOut"}}`.
fn topic_preferences_text(s: &Subscription) -> Option<String> {
    let new = s.new_topic_preferences.as_ref()?;
    let topics: BTreeMap<&str, &str> = new
        .topic_subscription_status
        .iter()
        .map(|t| {
            (
                t.topic_name.as_deref().unwrap_or(""),
                t.subscription_status.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let value = serde_json::json!({ "unsubscribe_all": unsubscribe_all(Some(new)), "topics": topics });
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{ses_fixture, SES_EVENT_FIXTURES};

    fn received() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
    }

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
            assert_eq!(e.occurred_at.to_rfc3339(), time, "{fixture}");
            assert_eq!(e.time_source, source, "{fixture}");
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
    fn keeps_the_details_of_each_event() {
        let bounce = &decode_fixture("event-bounce")[0];
        assert_eq!(bounce.bounce_class, Some(BounceClass::Permanent));
        assert_eq!(bounce.smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(
            bounce.smtp_response.as_deref(),
            Some("smtp; 550 5.1.1 user unknown")
        );
        assert_eq!(bounce.sender.as_deref(), Some("Sender Name <sender@example.com>"));
        assert_eq!(bounce.subject.as_deref(), Some("Message sent from Amazon SES"));
        assert_eq!(
            bounce.metadata.get("ses:configuration-set").map(String::as_str),
            Some("ConfigSet")
        );
        assert_eq!(
            bounce.details.get("reporting_mta").map(String::as_str),
            Some("dsn; mta.example.com")
        );
        assert_eq!(
            bounce.details.get("bounce_sub_type").map(String::as_str),
            Some("General")
        );

        let complaint = &decode_fixture("event-complaint")[0];
        assert_eq!(complaint.reason.as_deref(), Some("abuse"));
        assert!(complaint
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("Mozilla/5.0"));

        let delivery = &decode_fixture("event-delivery")[0];
        assert_eq!(
            delivery.smtp_response.as_deref(),
            Some("250 2.6.0 Message received")
        );
        assert_eq!(
            delivery.metadata.get("myCustomTag1").map(String::as_str),
            Some("myCustomTagValue1")
        );

        let reject = &decode_fixture("event-reject")[0];
        assert_eq!(reject.reason.as_deref(), Some("Bad content"));

        let open = &decode_fixture("event-open")[0];
        assert_eq!(open.ip.as_deref(), Some("192.0.2.1"));

        let click = &decode_fixture("event-click")[0];
        assert_eq!(
            click.url.as_deref(),
            Some("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html")
        );
        assert_eq!(
            click.details.get("link_tags").map(String::as_str),
            Some(r#"{"samplekey0":["samplevalue0"],"samplekey1":["samplevalue1"]}"#)
        );

        let failure = &decode_fixture("event-rendering-failure")[0];
        assert_eq!(
            failure.reason.as_deref(),
            Some("Attribute 'attributeName' is not present in the rendering data.")
        );
        assert_eq!(
            failure.details.get("template_name").map(String::as_str),
            Some("MyTemplate")
        );

        let delay = &decode_fixture("event-delivery-delay")[0];
        assert_eq!(delay.reason.as_deref(), Some("TransientCommunicationFailure"));
        assert_eq!(delay.smtp_status.as_deref(), Some("4.4.1"));

        let subscription = &decode_fixture("event-subscription")[0];
        assert_eq!(
            subscription.details.get("contact_list").map(String::as_str),
            Some("ContactListName")
        );
        assert_eq!(
            subscription.details.get("topic_preferences").map(String::as_str),
            Some(r#"{"topics":{"ExampleTopicName":"OptOut"},"unsubscribe_all":true}"#)
        );
    }

    #[test]
    fn decodes_feedback_notifications_per_recipient() {
        let bounces = decode_fixture("notification-bounce");
        let recipients: Vec<_> = bounces.iter().map(|e| e.recipient.as_deref().unwrap()).collect();
        assert_eq!(recipients, vec!["jane@example.com", "richard@example.com"]);
        assert!(bounces
            .iter()
            .all(|e| e.kind == EventKind::Bounced && e.provider_event == "Bounce"));
        assert_eq!(bounces[0].occurred_at.to_rfc3339(), "2016-01-27T14:59:38.237Z");

        let complaints = decode_fixture("notification-complaint");
        assert_eq!(complaints.len(), 1);
        assert_eq!(complaints[0].recipient.as_deref(), Some("richard@example.com"));

        let deliveries = decode_fixture("notification-delivery");
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].recipient.as_deref(), Some("mary@example.com"));
        assert!(
            deliveries[0].metadata.is_empty(),
            "identity notifications carry no tags"
        );
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
            .all(|e| e.kind == EventKind::Unknown && e.time_source == TimeSource::Mail));
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
        assert_eq!(events[0].time_source, TimeSource::Received);
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

    fn prefs(all: bool, topics: &[(&str, &str)]) -> Option<TopicPreferences> {
        Some(TopicPreferences {
            unsubscribe_all: Some(all.to_string()),
            topic_subscription_status: topics
                .iter()
                .map(|(n, s)| TopicStatus {
                    topic_name: Some((*n).into()),
                    subscription_status: Some((*s).into()),
                })
                .collect(),
        })
    }

    #[test]
    fn subscription_direction_follows_the_change_in_preferences() {
        let kind = |new, old| {
            subscription_kind(&Subscription {
                new_topic_preferences: new,
                old_topic_preferences: old,
                ..Default::default()
            })
        };
        assert_eq!(kind(prefs(true, &[]), prefs(false, &[])), EventKind::Unsubscribed);
        assert_eq!(kind(prefs(false, &[]), prefs(true, &[])), EventKind::Subscribed);
        assert_eq!(
            kind(prefs(false, &[("A", "OptOut")]), prefs(false, &[("A", "OptIn")])),
            EventKind::Unsubscribed
        );
        assert_eq!(
            kind(
                prefs(false, &[("A", "OptIn"), ("B", "OptOut")]),
                prefs(false, &[("A", "OptOut"), ("B", "OptOut")])
            ),
            EventKind::Subscribed
        );
        assert_eq!(kind(prefs(false, &[("A", "OptIn")]), None), EventKind::Subscribed);
    }
}
