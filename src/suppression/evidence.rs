//! The rules: which normalized events are evidence for or against sending to an address.
//!
//! | evidence | effect |
//! | --- | --- |
//! | permanent bounce | suppress, `hard_bounce` |
//! | the provider already refuses the address | suppress with the matching reason, as provider evidence |
//! | transient or undetermined bounce, deferral | nothing (unless escalation is on) |
//! | complaint | suppress, `complaint` (ambiguous when the provider redacted who complained, or did not say which recipient it was) |
//! | a permanent bounce the provider did not attribute to one recipient (Resend) | recorded as ambiguous evidence, suppresses nobody |
//! | `not_spam` | nothing |
//! | global unsubscribe | suppress, `unsubscribe` |
//! | group or topic unsubscribe | that group or topic only |
//! | resubscribe | lifts an older unsubscribe of the same scope only |
//! | delivery, open, click | nothing (a delivery ends a soft-bounce escalation) |

use crate::model::{BounceClass, EventKind, ItemKey, NormalizedEvent, Provider, Scope, Timestamp};

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
    /// A permanent bounce the provider did not attribute to one of the message's recipients:
    /// recorded, never suppressing.
    AmbiguousBounce,
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
            Mark::AmbiguousBounce => "ambiguous#hard_bounce".to_owned(),
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
    } else {
        Reason::HardBounce
    }
}

/// The evidence an event carries; empty for most events.
pub fn evidence(event: &NormalizedEvent, escalation: Option<Escalation>) -> Vec<Evidence> {
    let Some(address) = event.recipient.clone() else {
        return Vec::new();
    };
    let mut marks = Vec::new();
    let permanent = event.kind == EventKind::Bounced && event.bounce_class == Some(BounceClass::Permanent);
    if event.provider_suppressed {
        marks.push(match provider_reason(event) {
            Reason::Unsubscribe => Mark::Unsubscribe(Scope::Global),
            reason => Mark::Suppress(reason),
        });
    } else if permanent && event.recipient_ambiguous {
        marks.push(Mark::AmbiguousBounce);
    } else if permanent {
        marks.push(Mark::Suppress(Reason::HardBounce));
    }
    match (event.kind, escalation) {
        (EventKind::Complained, _) => marks.push(Mark::Suppress(Reason::Complaint)),
        (EventKind::Bounced, Some(rule))
            if event.bounce_class == Some(BounceClass::Transient) && !event.recipient_ambiguous =>
        {
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
    if marks.is_empty() {
        return Vec::new();
    }
    // The event's own time (or its message's send time). An event without either is dated when
    // it was received, not by the receive day its key is pinned to: an unsubscribe received at
    // 15:00 is later than a resubscribe at 09:00. A retry received later moves it later.
    let at = event.time.at;
    let key = ItemKey::of(event);
    let key = format!("{}#{}", key.pk, key.sk);
    let ambiguous =
        event.recipient_ambiguous || (event.kind == EventKind::Complained && event.complaint_ambiguous);
    marks
        .into_iter()
        .map(|mark| Evidence {
            address: address.clone(),
            ambiguous: ambiguous || mark == Mark::AmbiguousBounce,
            mark,
            at,
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
