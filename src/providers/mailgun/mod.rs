//! Mailgun's JSON webhooks: one event per POST, `{"signature": {...}, "event-data": {...}}`.
//!
//! Events: accepted, delivered, failed (`severity` permanent or temporary), rejected, opened,
//! clicked, unsubscribed, complained. The message id is
//! `event-data.message.headers.message-id`; the time `event-data.timestamp` (fractional
//! seconds). A `failed` event whose `reason` is `suppress-bounce`, `suppress-unsubscribe` or
//! `suppress-complaint` is Mailgun refusing an address already on its lists.

use serde::Deserialize;

use super::batch::{leading_event, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use crate::base::lenient::{tag_list, text, text_list, text_or_none};
use crate::base::lower::Lower;
use crate::model::event::{addresses, enhanced_status, non_empty, normalize_recipient};
use crate::model::{
    BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, SubscriptionChange, Timestamp,
};

/// Mailgun in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::Mailgun,
    name: "mailgun",
    title: "Mailgun",
    body: BodyShape::Object,
    decode_event: leading_event::<Webhook>,
    subject: subject_of,
};

#[derive(Debug, Deserialize)]
struct Webhook {
    #[serde(rename = "event-data")]
    event_data: EventData,
}

#[derive(Debug, Default, Deserialize)]
struct EventData {
    #[serde(default, deserialize_with = "text")]
    event: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    recipient: Option<String>,
    #[serde(default, deserialize_with = "text")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
    #[serde(default)]
    message: Option<Message>,
    #[serde(default, rename = "delivery-status")]
    delivery_status: Option<DeliveryStatus>,
    #[serde(default)]
    reject: Option<Reject>,
    #[serde(default, deserialize_with = "tag_list")]
    tags: Vec<String>,
    #[serde(default, rename = "client-info")]
    client_info: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    envelope: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default)]
    headers: Option<Headers>,
}

#[derive(Debug, Default, Deserialize)]
struct Headers {
    #[serde(default, rename = "message-id", deserialize_with = "text")]
    message_id: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    to: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    subject: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DeliveryStatus {
    #[serde(default, deserialize_with = "text")]
    code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    message: Option<String>,
    #[serde(default, deserialize_with = "text")]
    description: Option<String>,
    #[serde(default, rename = "attempt-no", deserialize_with = "text")]
    attempt: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Reject {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
}

/// Reasons of a `failed` event that say Mailgun refused an address already on its lists.
const SUPPRESSION_REASONS: &[&str] = &["suppress-bounce", "suppress-unsubscribe", "suppress-complaint"];

/// Reasons of a permanent `failed` event that are not the recipient's fault: the message
/// expired in the queue (`old`), Mailgun or the sending ESP blocked it (`espblock`), or
/// Mailgun does not say (`generic`). Without a 5xx code from the receiving server they
/// suppress nobody.
const NOT_THE_RECIPIENTS_REASONS: &[&str] = &["old", "espblock", "generic"];

impl ProviderEvent for Webhook {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self.event_data, raw, received_at));
    }
}

/// One scalar field of a nested object the decoder reads only for the statistics
/// (`client-info.bot`, `envelope.sender`); any other shape reads as nothing.
fn field_of(object: Option<&serde_json::value::RawValue>, name: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Fields(std::collections::BTreeMap<String, Scalar>);
    #[derive(Deserialize)]
    struct Scalar(#[serde(deserialize_with = "text_or_none")] Option<String>);
    let Fields(fields) = serde_json::from_str(object?.get()).ok()?;
    fields.get(name).and_then(|scalar| scalar.0.clone())
}

fn normalize(e: EventData, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let provider_event = e.event.clone().unwrap_or_default();
    let severity = e.severity.as_deref().map(str::to_ascii_lowercase);
    let reason = e.reason.as_deref().map(str::to_ascii_lowercase);
    let refused = reason
        .as_deref()
        .is_some_and(|r| SUPPRESSION_REASONS.contains(&r));
    let kind = match (Lower::of(&provider_event).as_str(), severity.as_deref()) {
        ("accepted", _) => EventKind::Queued,
        ("delivered", _) => EventKind::Delivered,
        ("failed", _) if refused => EventKind::Rejected,
        ("failed", Some("temporary")) => EventKind::Deferred,
        ("failed", _) => EventKind::Bounced,
        ("rejected", _) => EventKind::Rejected,
        ("opened", _) => EventKind::Opened,
        ("clicked", _) => EventKind::Clicked,
        ("unsubscribed", _) => EventKind::Unsubscribed,
        ("complained", _) => EventKind::Complained,
        _ => EventKind::Unknown,
    };
    let time = match e.timestamp.as_deref().and_then(Timestamp::parse_lenient) {
        Some(at) => EventTime::own(at),
        None => EventTime::received(received_at),
    };
    let headers = e.message.and_then(|m| m.headers).unwrap_or_default();
    let status = e.delivery_status.unwrap_or_default();
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::Mailgun,
        kind,
        provider_event,
        time,
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = non_empty(headers.message_id).map(|id| id.trim().trim_matches(['<', '>']).to_owned());
    // A `rejected` event names no recipient: it is the one of the message's `to` header.
    out.recipient = e
        .recipient
        .as_deref()
        .and_then(normalize_recipient)
        .or_else(|| headers.to.iter().flat_map(|to| addresses(to)).next());
    out.bounce_class = (kind == EventKind::Bounced).then_some(match severity.as_deref() {
        Some("permanent") => BounceClass::Permanent,
        Some("temporary") => BounceClass::Transient,
        _ => BounceClass::from_smtp_codes([&status.code]),
    });
    out.provider_suppressed = refused;
    out.weak_signal = kind == EventKind::Bounced
        && reason
            .as_deref()
            .is_some_and(|r| NOT_THE_RECIPIENTS_REASONS.contains(&r))
        && !status.code.as_deref().is_some_and(is_5xx);
    let response = non_empty(status.message).or(non_empty(status.description));
    out.smtp_status = response
        .as_deref()
        .and_then(enhanced_status)
        .or(non_empty(status.code));
    out.smtp_response = response;
    out.reason = non_empty(e.reason).or(e.reject.and_then(|r| non_empty(r.reason)));
    out.url = non_empty(e.url);
    out.subscription_changes = SubscriptionChange::global_for(kind);
    // Deferrals of one message are told apart by their attempt.
    if kind == EventKind::Deferred {
        if let Some(attempt) = non_empty(status.attempt) {
            out.distinguishers
                .push(crate::model::Distinguisher::Attempt(attempt));
        }
    }
    out.insights.add_tags(e.tags);
    out.insights.machine = field_of(e.client_info.as_deref(), "bot").is_some_and(|bot| {
        let bot = bot.trim();
        !bot.is_empty() && !bot.eq_ignore_ascii_case("false")
    });
    out.insights
        .sending_address(field_of(e.envelope.as_deref(), "sender").as_deref());
    out.distinguish_by_url_and_class();
    out
}

/// Whether a `delivery-status.code` is a permanent SMTP reply (`550`, `5.1.1`).
fn is_5xx(code: &str) -> bool {
    code.trim().starts_with('5')
}

/// The subject of the message a Mailgun event is about.
fn subject_of(raw: &str) -> Option<String> {
    let webhook: Webhook = serde_json::from_str(raw).ok()?;
    non_empty(webhook.event_data.message?.headers?.subject)
}

#[cfg(test)]
mod tests;
