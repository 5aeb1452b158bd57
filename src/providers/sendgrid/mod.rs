//! SendGrid Event Webhook: a JSON array of event objects.
//!
//! Event names: processed, dropped, delivered, deferred, bounce (type `bounce` or `blocked`),
//! open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe. The sender's
//! custom arguments arrive as extra top-level fields: they become the item's `metadata`.

use serde::de::{Deserialize, Deserializer};

use super::batch::{decode_batch, own_time_or_received};
use super::lenient::{deserialize_fieldwise, raw_text, FieldwiseEvent, RestFields, Slot};
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
        deserialize_fieldwise(deserializer)
    }
}

impl<'de> FieldwiseEvent<'de> for SendGridEvent<'de> {
    const EXPECTING: &'static str = "a SendGrid event object";

    fn slot(&mut self, key: &str) -> Slot<'_> {
        match key {
            "email" => Slot::Text(&mut self.email),
            "timestamp" => Slot::Text(&mut self.timestamp),
            "event" => Slot::Text(&mut self.event),
            "smtp-id" => Slot::Text(&mut self.smtp_id),
            "category" => Slot::List(&mut self.category),
            "sg_event_id" => Slot::Text(&mut self.sg_event_id),
            "sg_message_id" => Slot::Text(&mut self.sg_message_id),
            "ip" => Slot::Text(&mut self.ip),
            "useragent" => Slot::Text(&mut self.useragent),
            "url" => Slot::Text(&mut self.url),
            "reason" => Slot::Text(&mut self.reason),
            "status" => Slot::Text(&mut self.status),
            "response" => Slot::Text(&mut self.response),
            "attempt" => Slot::Text(&mut self.attempt),
            "type" => Slot::Text(&mut self.bounce_type),
            "asm_group_id" => Slot::Text(&mut self.asm_group_id),
            _ => Slot::Rest,
        }
    }

    fn set_rest(&mut self, rest: RestFields<'de>) {
        self.rest = rest;
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
mod tests;
