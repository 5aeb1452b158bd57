//! The normalized event: one provider event for one recipient, in mailtrail's vocabulary.
//!
//! Every provider decoder produces these; the key builder and the store only ever see them.

use std::sync::Arc;

use super::timestamp::Timestamp;
pub use super::vocabulary::{BounceClass, EventKind, Provider, TimeSource};

/// When an event happened, and which clock said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// The time.
    pub at: Timestamp,
    /// Where it came from.
    pub source: TimeSource,
}

impl EventTime {
    /// The event's own timestamp.
    pub fn own(at: Timestamp) -> EventTime {
        EventTime {
            at,
            source: TimeSource::Event,
        }
    }

    /// The send time of the message (SES `mail.timestamp`).
    pub fn mail(at: Timestamp) -> EventTime {
        EventTime {
            at,
            source: TimeSource::Mail,
        }
    }

    /// No time in the event: the time it was received.
    pub fn received(at: Timestamp) -> EventTime {
        EventTime {
            at,
            source: TimeSource::Received,
        }
    }
}

/// A value that tells two real events apart beyond provider, message, kind, recipient and
/// time. Each enters the item's key hash as `<name>=<value>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Distinguisher {
    /// The link of a click.
    Url(String),
    /// The delivery attempt of a deferral (SendGrid `attempt`).
    Attempt(String),
    /// The unsubscribe group of a group event (SendGrid `asm_group_id`).
    Group(String),
    /// The provider's bounce type (SendGrid `type`: `bounce` or `blocked`).
    BounceType(String),
    /// The normalized bounce class.
    BounceClass(BounceClass),
    /// The provider's own id of the event, where it is the same on every delivery of that event
    /// and differs between events (SparkPost `event_id`, MailerSend's activity `id`).
    EventId(String),
}

impl Distinguisher {
    /// The name that prefixes the value in the key hash.
    pub fn name(&self) -> &'static str {
        match self {
            Distinguisher::Url(_) => "url",
            Distinguisher::Attempt(_) => "attempt",
            Distinguisher::Group(_) => "asm_group_id",
            Distinguisher::BounceType(_) => "bounce_type",
            Distinguisher::BounceClass(_) => "bounce_class",
            Distinguisher::EventId(_) => "event_id",
        }
    }

    /// The value.
    pub fn value(&self) -> &str {
        match self {
            Distinguisher::Url(v)
            | Distinguisher::Attempt(v)
            | Distinguisher::Group(v)
            | Distinguisher::BounceType(v)
            | Distinguisher::EventId(v) => v,
            Distinguisher::BounceClass(class) => class.as_str(),
        }
    }
}

/// What an unsubscribe or resubscribe applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every message to the address.
    Global,
    /// One unsubscribe group (SendGrid `asm_group_id`).
    Group(String),
    /// One topic of a contact list (SES topic preferences).
    Topic(String),
}

impl Scope {
    /// `global`, `group:<id>`, `topic:<name>`.
    pub fn name(&self) -> String {
        match self {
            Scope::Global => "global".to_owned(),
            Scope::Group(id) => format!("group:{id}"),
            Scope::Topic(name) => format!("topic:{name}"),
        }
    }
}

/// A change of what the recipient wants to receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionChange {
    /// What it applies to.
    pub scope: Scope,
    /// `false`: opted out; `true`: opted back in.
    pub subscribed: bool,
}

impl SubscriptionChange {
    /// The change an event of `kind` stands for when its provider knows only one, global list:
    /// an unsubscribe opts out of everything, a resubscribe opts back in, other kinds change
    /// nothing.
    pub fn global_for(kind: EventKind) -> Vec<SubscriptionChange> {
        let subscribed = match kind {
            EventKind::Unsubscribed => false,
            EventKind::Subscribed => true,
            _ => return Vec::new(),
        };
        vec![SubscriptionChange {
            scope: Scope::Global,
            subscribed,
        }]
    }
}

/// What every event has: the arguments of [`NormalizedEvent::new`], by name.
#[derive(Debug, Clone)]
pub struct EventBasics {
    /// Who reported it.
    pub provider: Provider,
    /// What happened, normalized.
    pub kind: EventKind,
    /// The provider's own name for the event.
    pub provider_event: String,
    /// When it happened.
    pub time: EventTime,
    /// When mailtrail received the request that carried it.
    pub received_at: Timestamp,
    /// The provider's original event JSON, as received (shared by the events of one
    /// notification that names several recipients).
    pub raw: Arc<str>,
}

/// One provider event for one recipient, normalized: what a timeline shows, what a query
/// filters on, what the key and the suppression list need, and the raw event. Everything else
/// the provider said (sender, subject, user agents, IPs, tags, sender data, provider ids) stays
/// in the raw event, and readers that want it read it from there.
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
    /// The recipient's address, lower-cased; `None` when the provider gave none.
    pub recipient: Option<String>,
    /// The provider did not say which of the message's several recipients the event is for,
    /// so it is credited to each of them (SES opens, clicks and subscriptions; Resend).
    pub recipient_ambiguous: bool,
    /// When it happened, and which clock said so.
    pub time: EventTime,
    /// When mailtrail received the request that carried it.
    pub received_at: Timestamp,
    /// For bounces: will it go away by itself.
    pub bounce_class: Option<BounceClass>,
    /// The provider already refuses this address (SES `OnAccountSuppressionList` /
    /// `Suppressed`, SendGrid drops for a bounced, unsubscribed or spam-reporting address).
    pub provider_suppressed: bool,
    /// For complaints: the complained message had several recipients at this recipient's
    /// domain, and mailbox providers redact who complained.
    pub complaint_ambiguous: bool,
    /// The provider's type is its own guess or is not about the recipient (Postmark's
    /// classification of a reply as `Subscribe`, Mailgun's `old` / `espblock` / `generic`
    /// failures): recorded, never changing a verdict.
    pub weak_signal: bool,
    /// For unsubscribes and resubscribes: what the recipient opted out of or back into.
    pub subscription_changes: Vec<SubscriptionChange>,
    /// SMTP status (`5.1.1`, `250`).
    pub smtp_status: Option<String>,
    /// The receiving server's reply or diagnostic.
    pub smtp_response: Option<String>,
    /// Why it happened, in the provider's words.
    pub reason: Option<String>,
    /// The link clicked.
    pub url: Option<String>,
    /// Values that tell two real events apart (a click's url, a deferral's attempt); they go
    /// into the item's key hash.
    pub distinguishers: Vec<Distinguisher>,
    /// What the statistics group it by (sending domain, configuration set, tenant, tags) and
    /// whether a machine opened or clicked; never part of the key.
    pub insights: super::insights::Insights,
    /// The provider's original event JSON, as received.
    pub raw: Arc<str>,
}

impl NormalizedEvent {
    /// A new event with only what every event has; decoders fill in the rest.
    pub fn new(basics: EventBasics) -> Self {
        let EventBasics {
            provider,
            kind,
            provider_event,
            time,
            received_at,
            raw,
        } = basics;
        NormalizedEvent {
            provider,
            kind,
            provider_event,
            message_id: None,
            recipient: None,
            recipient_ambiguous: false,
            time,
            received_at,
            bounce_class: None,
            provider_suppressed: false,
            complaint_ambiguous: false,
            weak_signal: false,
            subscription_changes: Vec::new(),
            smtp_status: None,
            smtp_response: None,
            reason: None,
            url: None,
            distinguishers: Vec::new(),
            insights: super::insights::Insights::default(),
            raw,
        }
    }

    /// When it happened.
    pub fn occurred_at(&self) -> Timestamp {
        self.time.at
    }

    /// Adds what tells this event apart from its siblings that the decoder did not add: the
    /// link of a click and the class of a bounce. Decoders call it once, last.
    pub fn distinguish_by_url_and_class(&mut self) {
        if let Some(url) = &self.url {
            self.distinguishers.push(Distinguisher::Url(url.clone()));
        }
        if let Some(class) = self.bounce_class {
            self.distinguishers.push(Distinguisher::BounceClass(class));
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

/// The addresses of a header-style list (`Jane <jane@x.io>, bob@y.io`), each normalized; names,
/// quotes and angle brackets are left out, entries that hold no address are skipped.
pub fn addresses(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let bytes = list.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.extend(address(&list[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.extend(address(&list[start..]));
    out
}

/// One entry of an address list: the part in angle brackets when there is one.
fn address(entry: &str) -> Option<String> {
    let inner = match (entry.rfind('<'), entry.rfind('>')) {
        (Some(open), Some(close)) if open < close => &entry[open + 1..close],
        _ => entry,
    };
    let inner = inner.trim().trim_matches('"');
    inner.contains('@').then(|| normalize_recipient(inner)).flatten()
}

/// The enhanced SMTP status code (RFC 3463, `5.1.1`) a reply or diagnostic names, if any.
pub fn enhanced_status(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    for (i, first) in bytes.iter().enumerate() {
        if !matches!(first, b'2' | b'4' | b'5') || bytes.get(i + 1) != Some(&b'.') {
            continue;
        }
        if i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
            continue;
        }
        let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        let subject = digits(i + 2);
        if !(1..=3).contains(&subject) || bytes.get(i + 2 + subject) != Some(&b'.') {
            continue;
        }
        let detail = digits(i + 3 + subject);
        if !(1..=3).contains(&detail) {
            continue;
        }
        let end = i + 3 + subject + detail;
        if bytes.get(end).is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
            continue;
        }
        return Some(text[i..end].to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_recipient(" John.Doe@Example.COM "),
            Some("john.doe@example.com".into())
        );
        assert_eq!(normalize_recipient("   "), None);
        assert_eq!(normalize_recipient(""), None);
    }

    #[test]
    fn address_lists_give_their_addresses() {
        assert_eq!(
            addresses(r#"Recipient Name <Recipient@Example.org>, "Doe, Jane" <jane@x.io>, bob@y.io, nobody"#),
            vec!["recipient@example.org", "jane@x.io", "bob@y.io"]
        );
        assert!(addresses("").is_empty());
    }

    #[test]
    fn enhanced_status_codes_are_found_in_replies() {
        assert_eq!(
            enhanced_status("smtp;550 5.1.1 user unknown").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(
            enhanced_status("RecipientError: 550 5.5.0 Requested").as_deref(),
            Some("5.5.0")
        );
        assert_eq!(enhanced_status("421 4.4.10 try later").as_deref(), Some("4.4.10"));
        assert_eq!(enhanced_status("250 OK 1626573338 r9si15457369edq.454"), None);
        assert_eq!(enhanced_status("version 15.1.1.2 released"), None);
        assert_eq!(enhanced_status("no code"), None);
    }

    #[test]
    fn distinguishers_name_their_values() {
        assert_eq!(Distinguisher::Url("u".into()).name(), "url");
        assert_eq!(
            Distinguisher::BounceClass(BounceClass::Transient).value(),
            "transient"
        );
    }
}
