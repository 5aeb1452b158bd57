//! The normalized event: one provider event for one recipient, in mailtrail's vocabulary.
//!
//! Every provider decoder produces these; the key builder and the store only ever see them.

use std::collections::BTreeMap;

use crate::timestamp::Timestamp;

/// The email service provider an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Amazon SES, through SNS.
    Ses,
    /// Twilio SendGrid's Event Webhook.
    SendGrid,
    /// SendPulse's SMTP webhooks.
    SendPulse,
}

impl Provider {
    /// The name stored in the `provider` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Ses => "ses",
            Provider::SendGrid => "sendgrid",
            Provider::SendPulse => "sendpulse",
        }
    }
}

/// What happened, in one vocabulary for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Accepted by the provider for sending (SendGrid `processed`).
    Queued,
    /// Handed to the provider's mail servers (SES `Send`).
    Sent,
    /// Accepted by the recipient's mail server.
    Delivered,
    /// Delivery is delayed and will be retried.
    Deferred,
    /// Not delivered; see the bounce class.
    Bounced,
    /// Refused by the provider before any delivery attempt.
    Rejected,
    /// The message could not be built (SES `Rendering Failure`).
    Failed,
    /// The recipient opened the message.
    Opened,
    /// The recipient clicked a link.
    Clicked,
    /// The recipient reported the message as spam.
    Complained,
    /// The recipient unsubscribed.
    Unsubscribed,
    /// The recipient subscribed again.
    Subscribed,
    /// An event type mailtrail does not know; stored all the same.
    Unknown,
}

impl EventKind {
    /// The name stored in the `event` attribute and in the sort key.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Queued => "queued",
            EventKind::Sent => "sent",
            EventKind::Delivered => "delivered",
            EventKind::Deferred => "deferred",
            EventKind::Bounced => "bounced",
            EventKind::Rejected => "rejected",
            EventKind::Failed => "failed",
            EventKind::Opened => "opened",
            EventKind::Clicked => "clicked",
            EventKind::Complained => "complained",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::Subscribed => "subscribed",
            EventKind::Unknown => "unknown",
        }
    }
}

/// Whether a bounce will go away by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BounceClass {
    /// The address will never accept mail: suppress it.
    Permanent,
    /// A temporary failure: the address may work later.
    Transient,
    /// The provider could not tell.
    Undetermined,
}

impl BounceClass {
    /// The name stored in the `bounce_class` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            BounceClass::Permanent => "permanent",
            BounceClass::Transient => "transient",
            BounceClass::Undetermined => "undetermined",
        }
    }

    /// Classifies by the first of `codes` that tells (`550`, `5.1.1`, `421 4.4.1 ...`);
    /// undetermined when none does.
    pub fn from_smtp_codes<'a>(codes: impl IntoIterator<Item = &'a Option<String>>) -> BounceClass {
        codes
            .into_iter()
            .flatten()
            .find_map(|code| BounceClass::from_smtp_code(code))
            .unwrap_or(BounceClass::Undetermined)
    }

    /// Classifies by an SMTP reply code or enhanced status code (`550`, `5.1.1`, `421 4.4.1 ...`).
    pub fn from_smtp_code(code: &str) -> Option<BounceClass> {
        match code.trim_start().as_bytes().first() {
            Some(b'5') => Some(BounceClass::Permanent),
            Some(b'4') => Some(BounceClass::Transient),
            _ => None,
        }
    }
}

/// Which clock the event's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// The event's own timestamp.
    Event,
    /// The time the message was sent (SES `mail.timestamp`).
    Mail,
    /// The time mailtrail received the request: the event carried no time.
    Received,
}

impl TimeSource {
    /// The name stored in the `time_source` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Event => "event",
            TimeSource::Mail => "mail",
            TimeSource::Received => "received",
        }
    }
}

/// One provider event for one recipient, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    /// Who reported it.
    pub provider: Provider,
    /// What happened, normalized.
    pub kind: EventKind,
    /// The provider's own name for the event (`bounce`, `Bounce`, `undelivered`, ...).
    pub provider_event: String,
    /// The message id that keys the timeline (SES `messageId`, SendGrid `X-Message-Id`, ...).
    pub message_id: Option<String>,
    /// The provider's full message id where it differs from `message_id` (SendGrid `sg_message_id`).
    pub provider_message_id: Option<String>,
    /// The recipient's address, lower-cased; `None` when the provider gave none.
    pub recipient: Option<String>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Which clock `occurred_at` came from.
    pub time_source: TimeSource,
    /// When mailtrail received the request that carried it.
    pub received_at: Timestamp,
    /// The sender, as the provider gave it.
    pub sender: Option<String>,
    /// The message subject.
    pub subject: Option<String>,
    /// For bounces: will it go away by itself.
    pub bounce_class: Option<BounceClass>,
    /// SMTP status (`5.1.1`, `250`).
    pub smtp_status: Option<String>,
    /// The receiving server's reply or diagnostic.
    pub smtp_response: Option<String>,
    /// Why it happened, in the provider's words.
    pub reason: Option<String>,
    /// The link clicked.
    pub url: Option<String>,
    /// The recipient's user agent (opens, clicks, complaints).
    pub user_agent: Option<String>,
    /// An IP address: the recipient's for opens and clicks, the sending one otherwise.
    pub ip: Option<String>,
    /// Categories the sender attached (SendGrid `category`).
    pub tags: Vec<String>,
    /// Sender-defined data: SendGrid custom arguments, SES message tags.
    pub metadata: BTreeMap<String, String>,
    /// Other provider fields worth keeping as attributes (`smtp_id`, `attempt`, `feedback_id`, ...).
    pub details: BTreeMap<String, String>,
    /// The provider's id for this event, when it has one (SendGrid `sg_event_id`). Not part of the key.
    pub provider_event_id: Option<String>,
    /// Values that tell two real events apart beyond kind, recipient and time (a click's url, a
    /// deferral's attempt number). They go into the item's key hash.
    pub distinguishers: Vec<String>,
    /// The provider's original event JSON, as received.
    pub raw: String,
}

impl NormalizedEvent {
    /// A new event with only the fields every event has; decoders fill in the rest.
    pub fn new(
        provider: Provider,
        kind: EventKind,
        provider_event: impl Into<String>,
        occurred_at: Timestamp,
        time_source: TimeSource,
        received_at: Timestamp,
        raw: impl Into<String>,
    ) -> Self {
        NormalizedEvent {
            provider,
            kind,
            provider_event: provider_event.into(),
            message_id: None,
            provider_message_id: None,
            recipient: None,
            occurred_at,
            time_source,
            received_at,
            sender: None,
            subject: None,
            bounce_class: None,
            smtp_status: None,
            smtp_response: None,
            reason: None,
            url: None,
            user_agent: None,
            ip: None,
            tags: Vec::new(),
            metadata: BTreeMap::new(),
            details: BTreeMap::new(),
            provider_event_id: None,
            distinguishers: Vec::new(),
            raw: raw.into(),
        }
    }
}

/// The longest address kept as a recipient (RFC 5321 allows 254; longer is not an address).
pub const MAX_RECIPIENT_BYTES: usize = 320;

/// Normalizes a recipient address: trimmed, lower-cased; `None` when empty or too long to be an
/// address (the raw event still has it).
pub fn normalize_recipient(address: &str) -> Option<String> {
    let trimmed = address.trim();
    (!trimmed.is_empty() && trimmed.len() <= MAX_RECIPIENT_BYTES).then(|| trimmed.to_lowercase())
}

/// Keeps a text value only when it is not blank.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_class_follows_the_first_digit_of_the_smtp_code() {
        assert_eq!(BounceClass::from_smtp_code("550"), Some(BounceClass::Permanent));
        assert_eq!(BounceClass::from_smtp_code("5.7.1"), Some(BounceClass::Permanent));
        assert_eq!(
            BounceClass::from_smtp_code(" 421 4.4.1"),
            Some(BounceClass::Transient)
        );
        assert_eq!(BounceClass::from_smtp_code("250"), None);
        assert_eq!(BounceClass::from_smtp_code(""), None);
    }

    #[test]
    fn recipients_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_recipient(" John.Doe@Example.COM "),
            Some("john.doe@example.com".into())
        );
        assert_eq!(normalize_recipient("   "), None);
        assert_eq!(normalize_recipient(""), None);
    }
}
