//! A stored suppression record, and the verdict it gives now.

use std::collections::BTreeMap;

use serde::Serialize;

use super::evidence::{Escalation, Evidence, Mark, Reason};
use crate::model::{Scope, Timestamp};

/// What one slot holds: the latest evidence that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotValue {
    /// When the event happened (fixed-width RFC 3339, so text order is time order).
    pub at: String,
    /// The event's item key: the tie-breaker.
    pub key: String,
    /// Who reported it; absent for an operator's change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The provider's event name, or the operator's command.
    pub event: String,
    /// The message it concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The provider already refuses the address.
    pub provider_evidence: bool,
    /// A complaint that may be another recipient's.
    pub ambiguous: bool,
    /// An operator's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who made an operator change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl From<&Evidence> for SlotValue {
    fn from(e: &Evidence) -> Self {
        SlotValue {
            at: e.at.to_rfc3339(),
            key: e.key.clone(),
            provider: e.provider.map(|p| p.as_str().to_owned()),
            event: e.event.clone(),
            message_id: e.message_id.clone(),
            provider_evidence: e.provider_evidence,
            ambiguous: e.ambiguous,
            note: e.note.clone(),
            by: e.by.clone(),
        }
    }
}

impl SlotValue {
    /// Whether `evidence` may replace this value: it is later (time, then key).
    pub fn replaced_by(&self, evidence: &Evidence) -> bool {
        (evidence.at.to_rfc3339(), evidence.key.as_str()) > (self.at.clone(), self.key.as_str())
    }
}

/// One address's record: its slots by name (see [`Mark::slot`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The address, lower-cased.
    pub address: String,
    /// Every slot set so far.
    pub slots: BTreeMap<String, SlotValue>,
}

/// One active reason and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveReason {
    /// The reason.
    pub reason: &'static str,
    /// The evidence.
    #[serde(flatten)]
    pub evidence: SlotValue,
}

/// A group or topic the address opted out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopedUnsubscribe {
    /// `group:<id>` or `topic:<name>`.
    pub scope: String,
    /// The evidence.
    #[serde(flatten)]
    pub evidence: SlotValue,
}

/// What the record says now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The address.
    pub address: String,
    /// Whether nothing may be sent to it (any global reason is active).
    pub suppressed: bool,
    /// The active global reasons' names.
    pub reasons: Vec<&'static str>,
    /// Each active reason with its evidence.
    pub details: Vec<ActiveReason>,
    /// Groups and topics opted out of, apart from the global verdict.
    pub scoped_unsubscribes: Vec<ScopedUnsubscribe>,
}

impl Record {
    fn slot(&self, mark: &Mark) -> Option<&SlotValue> {
        self.slots.get(&mark.slot())
    }

    /// Whether an operator lifted `reason` at or after `at`.
    fn removed_since(&self, reason: Reason, at: &str) -> bool {
        self.slot(&Mark::Removed(reason))
            .is_some_and(|removed| removed.at.as_str() >= at)
    }

    /// The active soft-bounce escalation: the `limit`-th transient bounce on distinct
    /// messages within `days`, all after the last delivery.
    fn soft_bounce_limit(&self, escalation: Escalation) -> Option<SlotValue> {
        let limit = escalation.limit.max(1) as usize;
        let delivered = self.slot(&Mark::Delivery).map(|d| d.at.clone());
        let mut bounces: Vec<&SlotValue> = self
            .slots
            .iter()
            .filter(|(name, _)| name.starts_with("soft_bounce#"))
            .map(|(_, value)| value)
            .filter(|value| delivered.as_ref().is_none_or(|d| value.at > *d))
            .collect();
        bounces.sort_by(|a, b| (&a.at, &a.key).cmp(&(&b.at, &b.key)));
        let window_ms = i64::from(escalation.days) * 86_400_000;
        let millis = |v: &SlotValue| Timestamp::parse_rfc3339(&v.at).map_or(0, |t| t.millis());
        bounces
            .windows(limit)
            .find(|w| millis(w[limit - 1]) - millis(w[0]) <= window_ms)
            .map(|w| w[limit - 1].clone())
    }

    /// The verdict now.
    pub fn verdict(&self, escalation: Option<Escalation>) -> Verdict {
        let mut details = Vec::new();
        for reason in [Reason::HardBounce, Reason::Complaint, Reason::Manual] {
            if let Some(value) = self.slot(&Mark::Suppress(reason)) {
                if !self.removed_since(reason, &value.at) {
                    details.push(ActiveReason {
                        reason: reason.as_str(),
                        evidence: value.clone(),
                    });
                }
            }
        }
        if let Some(value) = self.slot(&Mark::Unsubscribe(Scope::Global)) {
            let lifted = self
                .slot(&Mark::Resubscribe(Scope::Global))
                .is_some_and(|resubscribed| resubscribed.at > value.at);
            if !lifted && !self.removed_since(Reason::Unsubscribe, &value.at) {
                details.push(ActiveReason {
                    reason: Reason::Unsubscribe.as_str(),
                    evidence: value.clone(),
                });
            }
        }
        if let Some(value) = escalation.and_then(|e| self.soft_bounce_limit(e)) {
            if !self.removed_since(Reason::SoftBounceLimit, &value.at) {
                details.push(ActiveReason {
                    reason: Reason::SoftBounceLimit.as_str(),
                    evidence: value,
                });
            }
        }
        let scoped_unsubscribes = self
            .slots
            .iter()
            .filter_map(|(name, value)| Some((name.strip_prefix("unsubscribe#")?, value)))
            .filter(|(scope, value)| {
                self.slots
                    .get(&format!("resubscribe#{scope}"))
                    .is_none_or(|resubscribed| resubscribed.at <= value.at)
            })
            .map(|(scope, value)| ScopedUnsubscribe {
                scope: scope.to_owned(),
                evidence: value.clone(),
            })
            .collect();
        Verdict {
            address: self.address.clone(),
            suppressed: !details.is_empty(),
            reasons: details.iter().map(|d| d.reason).collect(),
            details,
            scoped_unsubscribes,
        }
    }

    /// Applies evidence as the store does: a slot moves only forward.
    pub fn apply(&mut self, evidence: &Evidence) -> bool {
        let slot = evidence.mark.slot();
        match self.slots.get(&slot) {
            Some(kept) if !kept.replaced_by(evidence) => false,
            _ => {
                self.slots.insert(slot, SlotValue::from(evidence));
                true
            }
        }
    }
}
