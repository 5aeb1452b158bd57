//! The rules: which normalized events are evidence for or against sending to an address.
//!
//! | evidence | effect |
//! | --- | --- |
//! | permanent bounce | suppress, `hard_bounce` |
//! | the provider already refuses the address | suppress with the matching reason (`hard_bounce`, `complaint`, `unsubscribe`, `manual`), as provider evidence |
//! | transient or undetermined bounce, deferral | nothing (unless escalation is on) |
//! | complaint | suppress, `complaint` (ambiguous when the provider redacted who complained) |
//! | global unsubscribe | suppress, `unsubscribe` |
//! | group or topic unsubscribe | that group or topic only |
//! | resubscribe | lifts an older unsubscribe of the same scope only |
//! | `not_spam` | nothing |
//! | delivery, open, click | nothing (a delivery ends a soft-bounce escalation) |
//!
//! One rule for weak evidence, whatever path the event took (its own kind or a provider's
//! refusal):
//! - evidence credited to several recipients (the provider did not say which one) never
//!   suppresses, except complaints and opt-outs, which are honoured and marked ambiguous; what
//!   would have suppressed is recorded as ambiguous evidence (`ambiguous#<reason>`), and
//!   nothing credited to several recipients lifts or counts toward the escalation;
//! - an event whose type is the provider's guess (`weak_signal`: Postmark's reply
//!   classifications, Mailgun's failures that are not the recipient's) never changes a
//!   verdict;
//! - an event without a time of its own is dated when it was received when it suppresses, and
//!   at the start of its receive day when it lifts: an uncertain time falls toward suppressing.

use crate::model::{
    BounceClass, EventKind, ItemKey, NormalizedEvent, Provider, Scope, TimeSource, Timestamp,
};

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A permanent bounce.
    HardBounce,
    /// A spam complaint.
    Complaint,
    /// A global unsubscribe.
    Unsubscribe,
    /// Repeated transient bounces with no delivery since (optional escalation).
    SoftBounceLimit,
    /// Added by an operator.
    Manual,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 5] = [
        Reason::HardBounce,
        Reason::Complaint,
        Reason::Unsubscribe,
        Reason::SoftBounceLimit,
        Reason::Manual,
    ];

    /// The reason's name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::HardBounce => "hard_bounce",
            Reason::Complaint => "complaint",
            Reason::Unsubscribe => "unsubscribe",
            Reason::SoftBounceLimit => "soft_bounce_limit",
            Reason::Manual => "manual",
        }
    }

    /// From its name.
    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What one piece of evidence sets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// Suppress for a global reason (hard bounce, complaint, manual).
    Suppress(Reason),
    /// Opt out of a scope (global: the `unsubscribe` reason).
    Unsubscribe(Scope),
    /// Opt back into a scope.
    Resubscribe(Scope),
    /// Evidence for `reason` the provider credited to several recipients (a permanent bounce
    /// it did not attribute to one of them): recorded, never suppressing.
    Ambiguous(Reason),
    /// A transient bounce of one message, counted by the escalation `rule` (escalation only).
    SoftBounce {
        /// The message that bounced.
        message: String,
        /// The escalation in force when it arrived.
        rule: Escalation,
    },
    /// A delivery (escalation only: it ends the soft-bounce count).
    Delivery,
    /// An operator lifted a reason.
    Removed(Reason),
}

impl Mark {
    /// The record attribute this evidence is kept in.
    pub fn slot(&self) -> String {
        match self {
            Mark::Suppress(reason) => reason.as_str().to_owned(),
            Mark::Unsubscribe(Scope::Global) => Reason::Unsubscribe.as_str().to_owned(),
            Mark::Unsubscribe(scope) => format!("unsubscribe#{}", scope.name()),
            Mark::Resubscribe(Scope::Global) => "resubscribe".to_owned(),
            Mark::Resubscribe(scope) => format!("resubscribe#{}", scope.name()),
            Mark::Ambiguous(reason) => format!("ambiguous#{}", reason.as_str()),
            Mark::SoftBounce { .. } => Reason::SoftBounceLimit.as_str().to_owned(),
            Mark::Delivery => "last_delivery".to_owned(),
            Mark::Removed(reason) => format!("removed#{}", reason.as_str()),
        }
    }
}

/// The optional soft-bounce escalation (`SOFT_BOUNCE_LIMIT`, `SOFT_BOUNCE_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Escalation {
    /// Transient bounces on distinct messages that suppress.
    pub limit: u32,
    /// Within this many days.
    pub days: u32,
}

/// One piece of evidence about one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The address, lower-cased.
    pub address: String,
    /// What it sets.
    pub mark: Mark,
    /// When the event happened; for an event without a time of its own, when it was received.
    pub at: Timestamp,
    /// The event's item key (`pk`/`sk`): breaks ties between events of the same time.
    pub key: String,
    /// Who reported it (`None`: an operator).
    pub provider: Option<Provider>,
    /// The provider's event name, or the operator's command.
    pub event: String,
    /// The message it concerned.
    pub message_id: Option<String>,
    /// The provider already refuses the address.
    pub provider_evidence: bool,
    /// Evidence that may be another recipient's: a complaint the mailbox provider redacted, or
    /// an event the provider credited to every recipient of the message.
    pub ambiguous: bool,
    /// An operator's note.
    pub note: Option<String>,
    /// Who made an operator change.
    pub by: Option<String>,
}

impl Evidence {
    /// Whether `self` is later than `other` in the total order slots keep: time, then key.
    pub fn newer_than(&self, at: Timestamp, key: &str) -> bool {
        (self.at, self.key.as_str()) > (at, key)
    }
}

/// The global reason a provider's own refusal stands for.
fn provider_reason(event: &NormalizedEvent) -> Reason {
    let reason = event.reason.as_deref().unwrap_or("").to_ascii_lowercase();
    if reason.contains("spam") || reason.contains("complaint") {
        Reason::Complaint
    } else if reason.contains("unsubscribe") {
        Reason::Unsubscribe
    } else if reason.contains("manual") {
        Reason::Manual
    } else {
        Reason::HardBounce
    }
}

/// The mark that suppresses for `reason`.
fn suppress(reason: Reason) -> Mark {
    match reason {
        Reason::Unsubscribe => Mark::Unsubscribe(Scope::Global),
        reason => Mark::Suppress(reason),
    }
}

/// What an event says, before the rule for evidence credited to several recipients.
fn marks_of(event: &NormalizedEvent, escalation: Option<Escalation>) -> Vec<Mark> {
    let mut marks = Vec::new();
    if event.provider_suppressed {
        marks.push(suppress(provider_reason(event)));
    } else if event.kind == EventKind::Bounced && event.bounce_class == Some(BounceClass::Permanent) {
        marks.push(Mark::Suppress(Reason::HardBounce));
    }
    match (event.kind, escalation) {
        (EventKind::Complained, _) => marks.push(Mark::Suppress(Reason::Complaint)),
        (EventKind::Bounced, Some(rule)) if event.bounce_class == Some(BounceClass::Transient) => {
            if let Some(message) = &event.message_id {
                marks.push(Mark::SoftBounce {
                    message: message.clone(),
                    rule,
                });
            }
        }
        (EventKind::Delivered, Some(_)) => marks.push(Mark::Delivery),
        _ => {}
    }
    for change in &event.subscription_changes {
        marks.push(if change.subscribed {
            Mark::Resubscribe(change.scope.clone())
        } else {
            Mark::Unsubscribe(change.scope.clone())
        });
    }
    marks
}

/// The one rule for evidence credited to several recipients: complaints and opt-outs are
/// honoured, what else would suppress is recorded as ambiguous evidence, nothing lifts or
/// counts.
fn credited_to_several(mark: Mark) -> Option<Mark> {
    match mark {
        Mark::Suppress(Reason::Complaint) | Mark::Unsubscribe(_) => Some(mark),
        Mark::Suppress(reason) => Some(Mark::Ambiguous(reason)),
        Mark::Resubscribe(_) | Mark::Delivery | Mark::SoftBounce { .. } => None,
        Mark::Ambiguous(_) | Mark::Removed(_) => Some(mark),
    }
}

/// Whether a mark lifts or ends something (dated early when the event has no time of its own).
fn lifts(mark: &Mark) -> bool {
    matches!(mark, Mark::Resubscribe(_) | Mark::Delivery | Mark::Removed(_))
}

/// The evidence an event carries; empty for most events.
pub fn evidence(event: &NormalizedEvent, escalation: Option<Escalation>) -> Vec<Evidence> {
    let Some(address) = event.recipient.clone() else {
        return Vec::new();
    };
    if event.weak_signal {
        return Vec::new();
    }
    let mut marks = marks_of(event, escalation);
    if event.recipient_ambiguous {
        marks = marks.into_iter().filter_map(credited_to_several).collect();
    }
    if marks.is_empty() {
        return Vec::new();
    }
    // The event's own time (or its message's send time). An event without either is dated when
    // it was received, not by the receive day its key is pinned to: an unsubscribe received at
    // 15:00 is later than a resubscribe at 09:00. A lift without a time of its own is dated at
    // the start of its receive day instead, so that an uncertain time never lifts what came
    // that day. A retry received later moves a suppression later.
    let received = event.time.source == TimeSource::Received;
    let key = ItemKey::of(event);
    let key = format!("{}#{}", key.pk, key.sk);
    let ambiguous =
        event.recipient_ambiguous || (event.kind == EventKind::Complained && event.complaint_ambiguous);
    marks
        .into_iter()
        .map(|mark| Evidence {
            address: address.clone(),
            ambiguous: ambiguous || matches!(mark, Mark::Ambiguous(_)),
            at: if received && lifts(&mark) {
                event.time.at.start_of_day()
            } else {
                event.time.at
            },
            mark,
            key: key.clone(),
            provider: Some(event.provider),
            event: event.provider_event.clone(),
            message_id: event.message_id.clone(),
            provider_evidence: event.provider_suppressed,
            note: None,
            by: None,
        })
        .collect()
}

/// What a batch of events says about suppression: their evidence, one per (address, slot).
pub fn evidence_of(events: &[NormalizedEvent], escalation: Option<Escalation>) -> Vec<Evidence> {
    coalesce(events.iter().flat_map(|event| evidence(event, escalation)))
}

/// The evidence of many events, one per (address, slot): the latest of each. Soft bounces are
/// kept one per message (the escalation counts messages), not one per slot.
pub fn coalesce(evidence: impl IntoIterator<Item = Evidence>) -> Vec<Evidence> {
    let mut latest: std::collections::BTreeMap<(String, String), Evidence> =
        std::collections::BTreeMap::new();
    for item in evidence {
        let slot = match &item.mark {
            Mark::SoftBounce { message, .. } => format!("soft_bounce#{message}"),
            other => other.slot(),
        };
        let slot = (item.address.clone(), slot);
        match latest.get(&slot) {
            Some(kept) if !item.newer_than(kept.at, &kept.key) => {}
            _ => {
                latest.insert(slot, item);
            }
        }
    }
    latest.into_values().collect()
}
