//! SES messages into normalized events: what each event type means, and one event per
//! recipient it names.

use std::collections::BTreeMap;
use std::ops::Not as _;

use super::message::{Recipient, SesMessage};
use super::subscription;
use crate::model::event::{non_empty, normalize_recipient};
use crate::model::{
    BounceClass, EventBasics, EventKind, EventTime, NormalizedEvent, Provider, SubscriptionChange, Timestamp,
};

/// Bounce sub-types that say SES already refuses the address.
const PROVIDER_SUPPRESSION_SUB_TYPES: &[&str] = &["OnAccountSuppressionList", "Suppressed"];

/// `Rendering Failure`, `RenderingFailure` and `renderingfailure` are one type.
pub(super) fn type_key(name: &str) -> String {
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
    provider_suppressed: bool,
    subscription_changes: Vec<SubscriptionChange>,
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
            provider_suppressed: false,
            subscription_changes: Vec::new(),
            smtp_response: None,
            reason: None,
            url: None,
            user_agent: None,
            ip: None,
            details: Vec::new(),
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
            let mut c = Common::new(subscription::subscription_kind(&s));
            c.subscription_changes = subscription::changes(&s);
            c.time = s.timestamp.clone();
            c.reason = non_empty(s.source.clone());
            c.details = vec![
                ("contact_list", s.contact_list.clone()),
                ("subscription_source", s.source.clone()),
                ("topic_preferences", subscription::topic_preferences_text(&s)),
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

    let time = event_time(common.time.as_deref(), mail.timestamp.as_deref(), received_at);
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
        let mut out = NormalizedEvent::new(EventBasics {
            provider: Provider::Ses,
            kind: common.kind,
            provider_event: type_name.clone(),
            time,
            received_at,
            raw: raw.to_owned(),
        });
        out.message_id = non_empty(mail.message_id.clone());
        out.recipient = address;
        out.sender = non_empty(mail.source.clone());
        out.subject = subject.clone();
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
                .is_some_and(|address| shares_domain_with_another(address, &mail.destination));
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
        out.distinguish_by_url_and_class();
        events.push(out);
    }
    events
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

/// Whether `destination` holds another address at `address`'s domain.
fn shares_domain_with_another(address: &str, destination: &[String]) -> bool {
    let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.trim().to_ascii_lowercase());
    let Some(own) = domain(address) else {
        return false;
    };
    destination
        .iter()
        .filter(|other| other.trim().eq_ignore_ascii_case(address).not())
        .any(|other| domain(other).as_deref() == Some(own.as_str()))
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
