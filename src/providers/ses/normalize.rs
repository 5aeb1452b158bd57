//! SES messages into normalized events: what each event type means, and one event per
//! recipient it names.
//!
//! The fan-out is linear in the recipients: the raw message is shared by every event made of
//! it (never copied per recipient), repeats are found with a set, and the domains a complaint
//! may be ambiguous over are counted once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::message::{Recipient, SesMessage};
use super::subscription;
use crate::model::event::{non_empty, normalize_recipient};
use crate::model::insights::{bounded, Insights};
use crate::model::{
    BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, Provider, SubscriptionChange, Timestamp,
};

/// Bounce sub-types that say SES already refuses the address.
/// `OnTenantSuppressionList` is SES refusing an address on a tenant's list: the same, not a hard
/// bounce (its kind stays `bounced`, as keys already stored say).
const PROVIDER_SUPPRESSION_SUB_TYPES: &[&str] = &[
    "OnAccountSuppressionList",
    "OnTenantSuppressionList",
    "Suppressed",
];

/// `Rendering Failure`, `RenderingFailure` and `renderingfailure` are one type.
pub(super) fn type_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// What one SES message says about one recipient.
#[derive(Default)]
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
            ..PerRecipient::default()
        }
    }
}

/// The fields of one event that do not vary by recipient.
struct Common {
    kind: EventKind,
    time: Option<String>,
    bounce_class: Option<BounceClass>,
    provider_suppressed: bool,
    subscription_changes: Vec<SubscriptionChange>,
    smtp_response: Option<String>,
    reason: Option<String>,
    url: Option<String>,
    /// The event names no recipient of its own (opens, clicks, subscriptions): it is credited
    /// to every destination of the message.
    whole_message: bool,
}

impl Common {
    fn new(kind: EventKind) -> Self {
        Common {
            kind,
            time: None,
            bounce_class: None,
            provider_suppressed: false,
            subscription_changes: Vec::new(),
            smtp_response: None,
            reason: None,
            url: None,
            whole_message: false,
        }
    }
}

pub(super) fn normalize(
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
            c.provider_suppressed = b.bounce_sub_type.as_deref().is_some_and(|sub_type| {
                PROVIDER_SUPPRESSION_SUB_TYPES
                    .iter()
                    .any(|known| sub_type.trim().eq_ignore_ascii_case(known))
            });
            c.reason = non_empty(b.bounce_sub_type);
            (
                c,
                b.bounced_recipients.into_iter().map(PerRecipient::from).collect(),
            )
        }
        "complaint" => {
            let x = message.complaint.unwrap_or_default();
            let not_spam = x
                .complaint_feedback_type
                .as_deref()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("not-spam"));
            let mut c = Common::new(if not_spam {
                EventKind::NotSpam
            } else {
                EventKind::Complained
            });
            c.time = x.timestamp;
            c.reason = non_empty(x.complaint_feedback_type);
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
            c.url = e.link;
            c.whole_message = true;
            (c, destination())
        }
        "renderingfailure" => {
            let f = message.failure.unwrap_or_default();
            let mut c = Common::new(EventKind::Failed);
            c.reason = f.error_message;
            (c, destination())
        }
        "deliverydelay" => {
            let d = message.delivery_delay.unwrap_or_default();
            let mut c = Common::new(EventKind::Deferred);
            c.time = d.timestamp;
            c.reason = non_empty(d.delay_type);
            (
                c,
                d.delayed_recipients.into_iter().map(PerRecipient::from).collect(),
            )
        }
        "subscription" => {
            let s = message.subscription.unwrap_or_default();
            let mut c = Common::new(subscription::subscription_kind(&s));
            c.subscription_changes = subscription::changes(&s);
            c.time = s.timestamp.clone();
            c.reason = non_empty(s.source.clone());
            c.whole_message = true;
            (c, destination())
        }
        _ => (Common::new(EventKind::Unknown), destination()),
    };
    // A recipient list that came empty still yields one event: nothing is dropped.
    let recipients = if recipients.is_empty() {
        let fallback = destination();
        if fallback.is_empty() {
            vec![PerRecipient::default()]
        } else {
            fallback
        }
    } else {
        recipients
    };

    let time = event_time(common.time.as_deref(), mail.timestamp.as_deref(), received_at);
    let message_id = non_empty(mail.message_id.clone());
    let insights = insights_of(&mail);
    let raw: Arc<str> = Arc::from(raw);
    let domains = DomainCounts::of(&mail.destination);
    let several = domains.distinct_addresses > 1;

    let mut seen = HashSet::with_capacity(recipients.len());
    let mut events = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let address = recipient.address.as_deref().and_then(normalize_recipient);
        // SES names a recipient once per event; a repeat would only be the same item again.
        if !seen.insert(address.clone()) {
            continue;
        }
        let mut out = NormalizedEvent::new(EventBasics {
            provider: Provider::Ses,
            kind: common.kind,
            provider_event: type_name.clone(),
            time,
            received_at,
            raw: raw.clone(),
        });
        out.message_id = message_id.clone();
        out.recipient = address;
        out.recipient_ambiguous = common.whole_message && several;
        out.bounce_class = common
            .bounce_class
            .map(|class| recipient_bounce_class(class, &recipient));
        out.provider_suppressed = common.provider_suppressed;
        out.subscription_changes = common.subscription_changes.clone();
        // Mailbox providers redact who complained: with several recipients at this domain,
        // the complaint may be anyone's of them.
        out.complaint_ambiguous = common.kind == EventKind::Complained
            && out
                .recipient
                .as_deref()
                .is_some_and(|address| domains.shared_with_another(address));
        out.smtp_status = recipient.status;
        out.smtp_response = recipient
            .diagnostic
            .or_else(|| non_empty(common.smtp_response.clone()));
        out.reason = non_empty(common.reason.clone());
        out.url = non_empty(common.url.clone());
        out.insights = insights.clone();
        out.distinguish_by_url_and_class();
        events.push(out);
    }
    events
}

/// What the statistics group an SES event by: the sending domain (`ses:from-domain`, else the
/// source's), the configuration set and tenant SES tags it with, and the sender's own tags as
/// `name:value` (SES's and AWS's own `ses:`/`aws:` tags left out).
fn insights_of(mail: &super::message::Mail) -> Insights {
    let tags: std::collections::BTreeMap<String, crate::base::lenient::TextList> = mail
        .tags
        .as_deref()
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    let first = |name: &str| {
        tags.get(name)
            .and_then(|values| values.0.first())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut insights = Insights::default();
    match first("ses:from-domain") {
        Some(domain) => insights.sending_domain = Some(bounded(domain.to_ascii_lowercase())),
        None => insights.sending_address(mail.source.as_deref()),
    }
    insights.config_set = first("ses:configuration-set").map(bounded);
    insights.tenant = first("ses:tenant-name").map(bounded);
    insights.add_tags(
        tags.iter()
            .filter(|(name, _)| !name.starts_with("ses:") && !name.starts_with("aws:"))
            .flat_map(|(name, values)| values.0.iter().map(move |value| format!("{name}:{value}"))),
    );
    insights
}

/// The event's own time, else the send time, else the receive time.
fn event_time(own: Option<&str>, mail: Option<&str>, received_at: Timestamp) -> EventTime {
    if let Some(t) = own.and_then(Timestamp::parse_rfc3339) {
        EventTime::own(t)
    } else if let Some(t) = mail.and_then(Timestamp::parse_rfc3339) {
        EventTime::mail(t)
    } else {
        EventTime::received(received_at)
    }
}

/// How many distinct destination addresses each domain has, counted once per message.
struct DomainCounts {
    addresses: HashSet<String>,
    by_domain: HashMap<String, usize>,
    distinct_addresses: usize,
}

impl DomainCounts {
    fn of(destination: &[String]) -> DomainCounts {
        let addresses: HashSet<String> = destination
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        let mut by_domain = HashMap::new();
        for address in &addresses {
            if let Some((_, domain)) = address.rsplit_once('@') {
                *by_domain.entry(domain.to_owned()).or_insert(0) += 1;
            }
        }
        DomainCounts {
            distinct_addresses: addresses.len(),
            addresses,
            by_domain,
        }
    }

    /// Whether the destination holds another address at `address`'s domain.
    fn shared_with_another(&self, address: &str) -> bool {
        let address = address.trim().to_ascii_lowercase();
        let Some((_, domain)) = address.rsplit_once('@') else {
            return false;
        };
        let at_domain = self.by_domain.get(domain).copied().unwrap_or(0);
        // `address` itself is one of them when it is in the destination.
        let own = usize::from(self.addresses.contains(&address));
        at_domain > own
    }
}

/// A recipient of a `Permanent` bounce whose own status is 4.x.x, or whose action is
/// `delayed`, bounced transiently: the class is per recipient.
fn recipient_bounce_class(class: BounceClass, recipient: &PerRecipient) -> BounceClass {
    let status_transient =
        recipient.status.as_deref().and_then(BounceClass::from_smtp_code) == Some(BounceClass::Transient);
    let delayed = recipient
        .action
        .as_deref()
        .is_some_and(|action| action.trim().eq_ignore_ascii_case("delayed"));
    if class == BounceClass::Permanent && (status_transient || delayed) {
        BounceClass::Transient
    } else {
        class
    }
}
