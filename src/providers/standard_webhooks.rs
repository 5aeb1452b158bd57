//! Providers that send Standard Webhooks (`webhook-id` / `webhook-timestamp` /
//! `webhook-signature`, verified by `verify::svix`): one event per POST, `{"type",
//! "timestamp", "data"}`. They differ only in their event names and where `data` keeps the
//! recipient, the message id and the details, so each is one entry of [`MEMBERS`]: a table of
//! event names and a list of field paths. Adding the next member of the family is its
//! [`Provider`] variant, its entry here, its [`ProviderSpec`] (one line) and its channel.
//!
//! AhaSend: `message.reception` (queued), `.delivered`, `.transient_error` (deferred),
//! `.bounced` (permanent; a 4xx attempt transient), `.failed` (the retry window ran out:
//! undetermined, no suppression), `.suppressed` (AhaSend refused a listed address),
//! `.opened` and `.clicked` (`is_bot` marks a machine's); `suppression.*`, `domain.*` and
//! `route.*` events are stored as `unknown`. The message id is `data.id`, the id AhaSend's
//! send API returns for each recipient.

use std::marker::PhantomData;

use serde::Deserialize;
use serde_json::Value;

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::text;
use crate::model::event::{enhanced_status, non_empty, normalize_recipient};
use crate::model::{BounceClass, EventBasics, EventKind, NormalizedEvent, Timestamp};

/// What one of a member's event names stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The kind.
    pub kind: EventKind,
    /// For bounces: how final (a 4xx SMTP code on the attempt makes a permanent one transient).
    pub bounce_class: Option<BounceClass>,
    /// The provider refused to send to an address on its own suppression list.
    pub provider_suppressed: bool,
}

const fn plain(kind: EventKind) -> Outcome {
    Outcome {
        kind,
        bounce_class: None,
        provider_suppressed: false,
    }
}

/// Where a member keeps what mailtrail reads, as paths inside `data` (`a.b` for nested
/// objects); the first path that holds a value wins.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The provider.
    pub provider: Provider,
    /// Event names (the envelope's `type`) and what they stand for; others are `unknown`.
    pub events: &'static [(&'static str, Outcome)],
    /// The recipient's address.
    pub recipient: &'static [&'static str],
    /// The message id.
    pub message_id: &'static [&'static str],
    /// The receiving server's reply.
    pub response: &'static [&'static str],
    /// The enhanced SMTP status.
    pub status: &'static [&'static str],
    /// The SMTP reply code (a 4xx makes a bounce transient).
    pub smtp_code: &'static [&'static str],
    /// Why, in the provider's words.
    pub reason: &'static [&'static str],
    /// A click's link.
    pub url: &'static [&'static str],
    /// The sender's address.
    pub from: &'static [&'static str],
    /// The subject.
    pub subject: &'static [&'static str],
    /// A boolean: the provider marks the open or click as a machine's.
    pub machine: &'static [&'static str],
    /// Tags.
    pub tags: &'static [&'static str],
}

/// The members of the family, in the order their [`ProviderSpec`]s name them.
pub const MEMBERS: [Member; 1] = [Member {
    provider: Provider::AhaSend,
    events: &[
        ("message.reception", plain(EventKind::Queued)),
        ("message.delivered", plain(EventKind::Delivered)),
        ("message.transient_error", plain(EventKind::Deferred)),
        (
            "message.bounced",
            Outcome {
                kind: EventKind::Bounced,
                bounce_class: Some(BounceClass::Permanent),
                provider_suppressed: false,
            },
        ),
        (
            "message.failed",
            Outcome {
                kind: EventKind::Bounced,
                bounce_class: Some(BounceClass::Undetermined),
                provider_suppressed: false,
            },
        ),
        (
            "message.suppressed",
            Outcome {
                kind: EventKind::Rejected,
                bounce_class: None,
                provider_suppressed: true,
            },
        ),
        ("message.opened", plain(EventKind::Opened)),
        ("message.clicked", plain(EventKind::Clicked)),
    ],
    recipient: &["recipient"],
    message_id: &["id", "message_id_header"],
    response: &["delivery_attempt.response"],
    status: &["delivery_attempt.enhanced_status_code"],
    smtp_code: &["delivery_attempt.smtp_code"],
    reason: &["delivery_attempt.classification", "reason"],
    url: &["url"],
    from: &["from"],
    subject: &["subject"],
    machine: &["is_bot"],
    tags: &["tags"],
}];

/// AhaSend in the provider registry.
pub const AHASEND: ProviderSpec = spec::<0>("ahasend", "AhaSend");

/// The registry entry of member `M`.
const fn spec<const M: usize>(name: &'static str, title: &'static str) -> ProviderSpec {
    ProviderSpec {
        provider: MEMBERS[M].provider,
        name,
        title,
        body: BodyShape::Object,
        decode_event: leading_event::<FamilyEvent<M>>,
        subject: subject_of::<M>,
    }
}

/// One event of member `M`: the envelope, and `data` as JSON.
#[derive(Debug, Deserialize)]
struct FamilyEvent<const M: usize> {
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Map<String, Value>>,
    #[serde(skip)]
    member: PhantomData<[(); M]>,
}

/// The value at `path` (`a.b`) inside `data`.
fn at<'a>(data: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = data.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// The first of `paths` that holds a string, a number or a boolean, as text.
fn first_text(data: &serde_json::Map<String, Value>, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|path| match at(data, path)? {
        Value::String(s) => non_empty(Some(s.clone())),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

impl<const M: usize> ProviderEvent for FamilyEvent<M> {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(
            &MEMBERS[M],
            self.kind,
            self.timestamp,
            self.data,
            raw,
            received_at,
        ));
    }
}

fn normalize(
    member: &Member,
    kind: Option<String>,
    timestamp: Option<String>,
    data: Option<serde_json::Map<String, Value>>,
    raw: &str,
    received_at: Timestamp,
) -> NormalizedEvent {
    let provider_event = kind.unwrap_or_default();
    let outcome = member
        .events
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&provider_event))
        .map_or(plain(EventKind::Unknown), |(_, outcome)| *outcome);
    let data = data.unwrap_or_default();
    let text = |paths: &[&str]| first_text(&data, paths);
    let mut out = NormalizedEvent::new(EventBasics {
        provider: member.provider,
        kind: outcome.kind,
        provider_event,
        time: own_time_or_received(timestamp.as_deref(), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = text(member.message_id);
    out.recipient = text(member.recipient).as_deref().and_then(normalize_recipient);
    let code = text(member.smtp_code);
    out.bounce_class = match outcome.bounce_class {
        Some(BounceClass::Permanent) if code.as_deref().is_some_and(|c| c.starts_with('4')) => {
            Some(BounceClass::Transient)
        }
        other => other,
    };
    out.provider_suppressed = outcome.provider_suppressed;
    let response = text(member.response);
    out.smtp_status = text(member.status).or_else(|| response.as_deref().and_then(enhanced_status));
    out.smtp_response = match (code, response) {
        (Some(code), Some(response)) if !response.starts_with(&code) => Some(format!("{code} {response}")),
        (code, response) => response.or(code),
    };
    out.reason = text(member.reason);
    out.url = (outcome.kind == EventKind::Clicked)
        .then(|| text(member.url))
        .flatten();
    out.insights.sending_address(text(member.from).as_deref());
    out.insights.machine = text(member.machine).as_deref() == Some("true");
    for path in member.tags {
        if let Some(Value::Array(tags)) = at(&data, path) {
            out.insights
                .add_tags(tags.iter().filter_map(|t| t.as_str().map(str::to_owned)));
        }
    }
    out.distinguish_by_url_and_class();
    out
}

/// The subject, where the member's events carry it.
fn subject_of<const M: usize>(raw: &str) -> Option<String> {
    let event: FamilyEvent<M> = serde_json::from_str(raw).ok()?;
    first_text(&event.data?, MEMBERS[M].subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received;

    fn fixture(name: &str) -> NormalizedEvent {
        let body = crate::test_support::fixture("ahasend", name);
        let mut events = crate::providers::batch::decode_all(&AHASEND, &body, received()).unwrap();
        assert_eq!(events.len(), 1, "{name}");
        events.remove(0)
    }

    #[test]
    fn members_follow_their_specs() {
        assert_eq!(AHASEND.provider, MEMBERS[0].provider);
        assert_eq!(AHASEND.provider.spec().name, "ahasend");
    }

    #[test]
    fn decodes_every_documented_ahasend_event() {
        let expected = [
            ("reception", "queued"),
            ("delivered", "delivered"),
            ("transient-error", "deferred"),
            ("bounced", "bounced"),
            ("failed", "bounced"),
            ("suppressed", "rejected"),
            ("opened", "opened"),
            ("clicked", "clicked"),
        ];
        for (name, kind) in expected {
            let e = fixture(name);
            assert_eq!(e.kind.as_str(), kind, "{name}");
            assert_eq!(
                e.message_id.as_deref(),
                Some("407926766d2711f09b30960002cafe7c"),
                "{name}"
            );
            assert_eq!(
                e.insights.sending_domain.as_deref(),
                Some("example.com"),
                "{name}"
            );
        }
        let bounced = fixture("bounced");
        assert_eq!(bounced.bounce_class, Some(BounceClass::Permanent));
        assert_eq!(bounced.smtp_status.as_deref(), Some("5.1.1"));
        assert_eq!(
            bounced.smtp_response.as_deref(),
            Some("550 The email account that you tried to reach does not exist")
        );
        assert_eq!(bounced.reason.as_deref(), Some("InvalidRecipient"));
        assert_eq!(bounced.occurred_at().to_rfc3339(), "2024-05-06T10:05:16.687Z");
        assert_eq!(fixture("failed").bounce_class, Some(BounceClass::Undetermined));
        assert!(crate::suppression::evidence(&fixture("failed"), None).is_empty());
        let suppressed = fixture("suppressed");
        assert!(suppressed.provider_suppressed);
        assert_eq!(suppressed.recipient.as_deref(), Some("bounced@example.com"));
        assert_eq!(
            fixture("clicked").url.as_deref(),
            Some("https://example.com/welcome")
        );
        assert!(!fixture("opened").insights.machine);
        assert_eq!(
            subject_of::<0>(&fixture("opened").raw).as_deref(),
            Some("Welcome to our service")
        );
    }

    #[test]
    fn a_4xx_bounce_is_transient_a_bot_is_a_machine_and_others_are_unknown() {
        let body = crate::test_support::fixture("ahasend", "bounced").replace("550", "421");
        let e = &crate::providers::batch::decode_all(&AHASEND, &body, received()).unwrap()[0];
        assert_eq!(e.bounce_class, Some(BounceClass::Transient));
        let body = crate::test_support::fixture("ahasend", "opened")
            .replace("\"is_bot\": false", "\"is_bot\": true");
        let e = &crate::providers::batch::decode_all(&AHASEND, &body, received()).unwrap()[0];
        assert!(e.insights.machine);
        let other = r#"{"type":"domain.dns_error","timestamp":"2024-05-06T10:05:16Z","data":{"domain":"example.com"}}"#;
        let e = &crate::providers::batch::decode_all(&AHASEND, other, received()).unwrap()[0];
        assert_eq!((e.kind, e.recipient.as_deref()), (EventKind::Unknown, None));
    }
}
