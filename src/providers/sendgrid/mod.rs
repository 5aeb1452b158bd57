//! SendGrid Event Webhook: a JSON array of event objects.
//!
//! Event names: processed, dropped, delivered, deferred, bounce (type `bounce` or `blocked`),
//! open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe. The sender's
//! custom arguments arrive as extra top-level fields; they stay in the raw event.

use serde::de::{Deserialize, Deserializer};

use super::batch::{leading_event, own_time_or_received, shared_raw, ProviderEvent};
use super::registry::{BodyShape, Provider, ProviderSpec};
use super::{DecodeError, Decoded};
use crate::base::lenient::{deserialize_fieldwise, FieldwiseEvent, Slot};
use crate::base::lower::Lower;
use crate::model::event::{non_empty, normalize_recipient};
use crate::model::{
    BounceClass, Distinguisher, EventBasics, EventKind, NormalizedEvent, Scope, SubscriptionChange, Timestamp,
};

/// SendGrid in the provider registry.
pub const SPEC: ProviderSpec = ProviderSpec {
    provider: Provider::SendGrid,
    name: "sendgrid",
    title: "SendGrid",
    body: BodyShape::Array,
    decode_event: leading_event::<SendGridEvent>,
    subject: |_| None,
};

/// One SendGrid event, as lenient as SendGrid's payloads require: only the fields mailtrail
/// reads, each as lenient text; every other field is skipped (it stays in the raw event).
#[derive(Debug, Default)]
struct SendGridEvent {
    email: Option<String>,
    timestamp: Option<String>,
    event: Option<String>,
    smtp_id: Option<String>,
    sg_message_id: Option<String>,
    url: Option<String>,
    reason: Option<String>,
    status: Option<String>,
    response: Option<String>,
    attempt: Option<String>,
    bounce_type: Option<String>,
    asm_group_id: Option<String>,
    category: Vec<String>,
    machine_open: Vec<String>,
}

impl<'de> Deserialize<'de> for SendGridEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_fieldwise(deserializer)
    }
}

impl FieldwiseEvent for SendGridEvent {
    const EXPECTING: &'static str = "a SendGrid event object";

    fn slot(&mut self, key: &str) -> Slot<'_> {
        match key {
            "email" => Slot::Text(&mut self.email),
            "timestamp" => Slot::Text(&mut self.timestamp),
            "event" => Slot::Text(&mut self.event),
            "smtp-id" => Slot::Text(&mut self.smtp_id),
            "sg_message_id" => Slot::Text(&mut self.sg_message_id),
            "url" => Slot::Text(&mut self.url),
            "reason" => Slot::Text(&mut self.reason),
            "status" => Slot::Text(&mut self.status),
            "response" => Slot::Text(&mut self.response),
            "attempt" => Slot::Text(&mut self.attempt),
            "type" => Slot::Text(&mut self.bounce_type),
            "asm_group_id" => Slot::Text(&mut self.asm_group_id),
            "category" => Slot::Tags(&mut self.category),
            "sg_machine_open" => Slot::Tags(&mut self.machine_open),
            _ => Slot::Skip,
        }
    }
}

/// Decodes a SendGrid webhook body into normalized events, one per SendGrid event.
pub fn decode(body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    super::decode(Provider::SendGrid, body, received_at)
}

impl ProviderEvent for SendGridEvent {
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>) {
        out.push(normalize(self, raw, received_at));
    }
}

/// Maps SendGrid's event name (in any case: `Processed` appears in its docs) to the
/// normalized kind.
fn kind_of(event: &str) -> EventKind {
    match Lower::of(event).as_str() {
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
fn bounce_class(event: &SendGridEvent) -> BounceClass {
    let bounce_type = event.bounce_type.as_deref().map(Lower::of);
    let event_name = event.event.as_deref().map(Lower::of);
    match (
        bounce_type.as_ref().map(Lower::as_str),
        event_name.as_ref().map(Lower::as_str),
    ) {
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

fn normalize(event: SendGridEvent, raw: &str, received_at: Timestamp) -> NormalizedEvent {
    let kind = kind_of(event.event.as_deref().unwrap_or(""));
    let bounce_class = (kind == EventKind::Bounced).then(|| bounce_class(&event));
    let provider_event = event.event.unwrap_or_default();
    let mut out = NormalizedEvent::new(EventBasics {
        provider: Provider::SendGrid,
        kind,
        provider_event,
        time: own_time_or_received(event.timestamp.as_deref(), received_at),
        received_at,
        raw: shared_raw(raw),
    });
    out.message_id = message_id(event.sg_message_id.as_deref(), event.smtp_id.as_deref());
    out.bounce_class = bounce_class;
    out.provider_suppressed = kind == EventKind::Rejected
        && event
            .reason
            .as_deref()
            .is_some_and(|reason| PROVIDER_SUPPRESSION_REASONS.contains(&Lower::of(reason.trim()).as_str()));
    out.recipient = event.email.as_deref().and_then(normalize_recipient);
    out.smtp_status = non_empty(event.status);
    out.smtp_response = non_empty(event.response);
    out.reason = non_empty(event.reason);
    out.url = non_empty(event.url);
    out.insights.add_tags(event.category);
    // SendGrid marks opens made by a mail proxy or a scanner (`sg_machine_open: true`).
    out.insights.machine = event.machine_open.iter().any(|v| v.eq_ignore_ascii_case("true"));

    let group = non_empty(event.asm_group_id);
    let change = |scope: Scope, subscribed: bool| SubscriptionChange { scope, subscribed };
    out.subscription_changes = match (Lower::of(&out.provider_event).as_str(), &group) {
        ("unsubscribe", _) => vec![change(Scope::Global, false)],
        ("group_unsubscribe", Some(group)) => vec![change(Scope::Group(group.clone()), false)],
        ("group_resubscribe", Some(group)) => vec![change(Scope::Group(group.clone()), true)],
        _ => Vec::new(),
    };
    // A deferral is told apart by its attempt, a group event by its group, a bounce by its type.
    if let Some(attempt) = non_empty(event.attempt) {
        out.distinguishers.push(Distinguisher::Attempt(attempt));
    }
    if let Some(group) = group {
        out.distinguishers.push(Distinguisher::Group(group));
    }
    if let Some(bounce_type) = non_empty(event.bounce_type) {
        out.distinguishers
            .push(Distinguisher::BounceType(bounce_type.to_ascii_lowercase()));
    }
    out.distinguish_by_url_and_class();
    out
}

#[cfg(test)]
mod tests;
