//! A stored suppression record, and the verdict it gives now.
//!
//! The verdict needs nothing but the record: the soft-bounce escalation's outcome is recorded
//! in it (slot `soft_bounce_limit`) by the writer that knew the rule, so a sender's own
//! `GetItem` reads it right with no configuration of its own.

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
    /// Evidence that may be another recipient's.
    pub ambiguous: bool,
    /// An operator's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who made an operator change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For `soft_bounce_limit`: the first transient bounce of the window that reached the limit
    /// (a delivery after it ends the escalation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<String>,
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
            window_start: None,
        }
    }
}

impl SlotValue {
    /// Whether `evidence` may replace this value: it is later (time, then key).
    pub fn replaced_by(&self, evidence: &Evidence) -> bool {
        (evidence.at.to_rfc3339(), evidence.key.as_str()) > (self.at.clone(), self.key.as_str())
    }
}

/// One transient bounce the escalation still counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoftBounce {
    /// When it happened.
    pub at: String,
    /// Its event's item key.
    pub key: String,
    /// Who reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The provider's event name.
    pub event: String,
}

/// One address's record: its slots by name (see [`Mark::slot`]) and the transient bounces the
/// escalation still counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The address, lower-cased.
    pub address: String,
    /// Every slot set so far.
    pub slots: BTreeMap<String, SlotValue>,
    /// The transient bounces that may still reach the escalation's limit, by message: those
    /// after the last delivery, at most two windows before the newest, at most three times the
    /// limit.
    pub soft_bounces: BTreeMap<String, SoftBounce>,
    /// How many times the stored record changed (0: never stored, or stored before versions):
    /// every write increments it, so the highest version is the latest state.
    pub version: u64,
    /// When the stored record last changed (RFC 3339), when it did.
    pub updated_at: Option<String>,
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
    /// Evidence recorded that suppresses nobody: a permanent bounce (or a provider's refusal)
    /// the provider credited to several recipients.
    pub ambiguous_evidence: Vec<ActiveReason>,
}

/// The slot recording the last delivery (escalation only).
const LAST_DELIVERY: &str = "last_delivery";

impl Record {
    /// An empty record for `address` (lower-cased already): nothing known yet.
    pub fn new(address: &str) -> Record {
        Record {
            address: address.to_owned(),
            ..Record::default()
        }
    }

    /// The record `evidence` makes for `address`, applied in the given order.
    pub fn of<'a>(address: &str, evidence: impl IntoIterator<Item = &'a Evidence>) -> Record {
        let mut record = Record::new(address);
        for e in evidence {
            record.apply(e);
        }
        record
    }

    fn slot(&self, mark: &Mark) -> Option<&SlotValue> {
        self.slots.get(&mark.slot())
    }

    /// Whether an operator lifted `reason` at or after `at`.
    fn removed_since(&self, reason: Reason, at: &str) -> bool {
        self.slot(&Mark::Removed(reason))
            .is_some_and(|removed| removed.at.as_str() >= at)
    }

    /// The verdict now: from the record alone.
    pub fn verdict(&self) -> Verdict {
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
        if let Some(value) = self.slots.get(Reason::SoftBounceLimit.as_str()) {
            let start = value.window_start.as_deref().unwrap_or(&value.at);
            let delivered_since = self
                .slots
                .get(LAST_DELIVERY)
                .is_some_and(|delivery| delivery.at.as_str() >= start);
            if !delivered_since && !self.removed_since(Reason::SoftBounceLimit, &value.at) {
                details.push(ActiveReason {
                    reason: Reason::SoftBounceLimit.as_str(),
                    evidence: value.clone(),
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
        let ambiguous_evidence = Reason::ALL
            .into_iter()
            .filter_map(|reason| {
                self.slot(&Mark::Ambiguous(reason)).map(|value| ActiveReason {
                    reason: reason.as_str(),
                    evidence: value.clone(),
                })
            })
            .collect();
        Verdict {
            address: self.address.clone(),
            suppressed: !details.is_empty(),
            reasons: details.iter().map(|d| d.reason).collect(),
            details,
            scoped_unsubscribes,
            ambiguous_evidence,
        }
    }

    /// Applies evidence as the store does: a slot moves only forward; a soft bounce joins the
    /// escalation's count and may set `soft_bounce_limit`. Returns whether anything changed.
    pub fn apply(&mut self, evidence: &Evidence) -> bool {
        if let Mark::SoftBounce { message, rule } = &evidence.mark {
            return self.apply_soft_bounce(message, *rule, evidence);
        }
        let slot = evidence.mark.slot();
        match self.slots.get(&slot) {
            Some(kept) if !kept.replaced_by(evidence) => false,
            _ => {
                self.slots.insert(slot, SlotValue::from(evidence));
                true
            }
        }
    }

    /// Counts a transient bounce of `message` under `rule`: it joins the bounces the rule
    /// still needs (pruned to a bounded set), and when `rule.limit` of them fall within
    /// `rule.days`, all after the last delivery, the latest such window is recorded as
    /// `soft_bounce_limit`.
    ///
    /// The outcome depends only on the set of bounces and deliveries received, whatever their
    /// order, as long as no bounce arrives more than `rule.days` after a later one was
    /// recorded (providers retry for hours, not weeks); the record never holds more than three
    /// times `rule.limit` bounces.
    pub fn apply_soft_bounce(&mut self, message: &str, rule: Escalation, evidence: &Evidence) -> bool {
        let before = (self.soft_bounces.clone(), self.slots.clone());
        // Slots of the unbounded layout before this one are dropped as soon as a bounce comes.
        self.slots.retain(|name, _| !name.starts_with("soft_bounce#"));
        let at = evidence.at.to_rfc3339();
        let newer = self
            .soft_bounces
            .get(message)
            .is_none_or(|kept| (at.as_str(), evidence.key.as_str()) > (kept.at.as_str(), kept.key.as_str()));
        if newer {
            self.soft_bounces.insert(
                message.to_owned(),
                SoftBounce {
                    at,
                    key: evidence.key.clone(),
                    provider: evidence.provider.map(|p| p.as_str().to_owned()),
                    event: evidence.event.clone(),
                },
            );
        }
        if let Some(window) = self.latest_window(rule) {
            let order = |v: &SlotValue| (v.at.clone(), v.key.clone(), v.window_start.clone());
            let replaces = self
                .slots
                .get(Reason::SoftBounceLimit.as_str())
                .is_none_or(|kept| order(&window) > order(kept));
            if replaces {
                self.slots
                    .insert(Reason::SoftBounceLimit.as_str().to_owned(), window);
            }
        }
        self.prune_soft_bounces(rule);
        (self.soft_bounces.clone(), self.slots.clone()) != before
    }

    /// The latest window of `rule.limit` bounces on distinct messages within `rule.days`, all
    /// after the last delivery, as the slot that records it.
    fn latest_window(&self, rule: Escalation) -> Option<SlotValue> {
        let limit = rule.limit.max(1) as usize;
        let window_ms = i64::from(rule.days) * 86_400_000;
        let delivered = self.slots.get(LAST_DELIVERY).map(|d| d.at.as_str());
        let mut bounces: Vec<(&String, &SoftBounce)> = self
            .soft_bounces
            .iter()
            .filter(|(_, b)| delivered.is_none_or(|d| b.at.as_str() > d))
            .collect();
        bounces.sort_by(|a, b| (&a.1.at, &a.1.key).cmp(&(&b.1.at, &b.1.key)));
        let millis = |b: &SoftBounce| Timestamp::parse_rfc3339(&b.at).map_or(0, |t| t.millis());
        let window = bounces
            .windows(limit)
            .rev()
            .find(|w| millis(w[limit - 1].1) - millis(w[0].1) <= window_ms)?;
        let (message, last) = window[limit - 1];
        Some(SlotValue {
            at: last.at.clone(),
            key: last.key.clone(),
            provider: last.provider.clone(),
            event: last.event.clone(),
            message_id: Some(message.clone()),
            provider_evidence: false,
            ambiguous: false,
            note: None,
            by: None,
            window_start: Some(window[0].1.at.clone()),
        })
    }

    /// Drops the bounces the rule can no longer use: those before the last delivery, before
    /// the recorded window's start, or more than two windows before the newest; then keeps at
    /// most three times the limit, the newest.
    fn prune_soft_bounces(&mut self, rule: Escalation) {
        let Some(newest) = self
            .soft_bounces
            .values()
            .filter_map(|b| Timestamp::parse_rfc3339(&b.at))
            .max()
        else {
            return;
        };
        let horizon = Timestamp::from_millis(newest.millis() - 2 * i64::from(rule.days) * 86_400_000)
            .unwrap_or(newest)
            .to_rfc3339();
        let delivered = self.slots.get(LAST_DELIVERY).map(|d| d.at.clone());
        let window_start = self
            .slots
            .get(Reason::SoftBounceLimit.as_str())
            .and_then(|w| w.window_start.clone());
        self.soft_bounces.retain(|_, b| {
            b.at >= horizon
                && delivered.as_ref().is_none_or(|d| b.at > *d)
                && window_start.as_ref().is_none_or(|s| b.at >= *s)
        });
        let cap = 3 * rule.limit.max(1) as usize;
        if self.soft_bounces.len() > cap {
            let mut by_time: Vec<(String, String)> = self
                .soft_bounces
                .iter()
                .map(|(message, b)| (format!("{}#{}", b.at, b.key), message.clone()))
                .collect();
            by_time.sort();
            for (_, message) in by_time.into_iter().take(self.soft_bounces.len() - cap) {
                self.soft_bounces.remove(&message);
            }
        }
    }
}
