//! What changed in an address's verdict between two versions of its record: the event the
//! sending app is told (`mailtrail-notify`).
//!
//! Only the global verdict counts: suppressed or not, and which reasons are active. A slot that
//! moves forward without changing the reasons (a newer bounce of an address already suppressed
//! for bounces), a scoped unsubscribe, or ambiguous evidence sends nothing.

use serde::Serialize;

use super::record::{ActiveReason, Record, Verdict};
use crate::base::digest::{hex, sha256};

/// `detail-type` of an event whose address is suppressed after the change.
pub const ADDRESS_SUPPRESSED: &str = "Address Suppressed";
/// `detail-type` of an event whose address may be sent to again.
pub const ADDRESS_UNSUPPRESSED: &str = "Address Unsuppressed";

/// The reasons a change added and lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// Reasons active after the change and not before.
    pub added: Vec<&'static str>,
    /// Reasons active before the change and not after.
    pub lifted: Vec<&'static str>,
}

/// A change of verdict: the `detail` of the EventBridge event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictChange {
    /// Stable for the same change, whenever it is sent again: a consumer deduplicates by it.
    pub event_id: String,
    /// The address.
    pub address: String,
    /// Whether nothing may be sent to it now.
    pub suppressed: bool,
    /// The reasons active now.
    pub reasons: Vec<&'static str>,
    /// What the change added and lifted.
    pub changed: Changed,
    /// Each active reason with its evidence (as `mailtrail suppressed --output json`'s
    /// `details`).
    pub evidence: Vec<ActiveReason>,
    /// The record's version after the change: EventBridge does not keep order, so a consumer
    /// keeps, per address, the event with the highest version.
    pub version: u64,
    /// When the record changed (RFC 3339), when the record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl VerdictChange {
    /// `Address Suppressed` or `Address Unsuppressed`.
    pub fn detail_type(&self) -> &'static str {
        if self.suppressed {
            ADDRESS_SUPPRESSED
        } else {
            ADDRESS_UNSUPPRESSED
        }
    }

    /// The reasons a provider's list can hold that this change added (`hard_bounce`,
    /// `complaint`): what the opt-in push to SES sends.
    pub fn added_bounce_or_complaint(&self) -> Vec<&'static str> {
        self.changed
            .added
            .iter()
            .copied()
            .filter(|r| *r == "hard_bounce" || *r == "complaint")
            .collect()
    }
}

/// The verdict change between `before` (absent: no record) and `after` (absent: deleted), or
/// `None` when the active reasons are the same.
pub fn verdict_change(before: Option<&Record>, after: Option<&Record>) -> Option<VerdictChange> {
    let address = after.or(before)?.address.clone();
    let empty = Record::new(&address);
    let old = before.unwrap_or(&empty).verdict();
    let new = after.unwrap_or(&empty).verdict();
    let added: Vec<&'static str> = new
        .reasons
        .iter()
        .copied()
        .filter(|r| !old.reasons.contains(r))
        .collect();
    let lifted: Vec<&'static str> = old
        .reasons
        .iter()
        .copied()
        .filter(|r| !new.reasons.contains(r))
        .collect();
    if added.is_empty() && lifted.is_empty() {
        return None;
    }
    Some(VerdictChange {
        event_id: event_id(&address, &old, &new),
        address,
        suppressed: new.suppressed,
        reasons: new.reasons.clone(),
        changed: Changed { added, lifted },
        evidence: new.details,
        version: after.map_or_else(|| before.map_or(0, |b| b.version + 1), |a| a.version),
        updated_at: after.and_then(|a| a.updated_at.clone()),
    })
}

/// The verdict a record gives now, as an event (re-sent by `mailtrail suppressed notify`):
/// every active reason counts as added. Its id names the record's version, so sending it again
/// gives the same id.
pub fn current_verdict(record: &Record) -> VerdictChange {
    let verdict = record.verdict();
    let mut text = format!("current\n{}\n{}", record.address, record.version);
    for detail in &verdict.details {
        text.push_str(&format!(
            "|{}@{}#{}",
            detail.reason, detail.evidence.at, detail.evidence.key
        ));
    }
    VerdictChange {
        event_id: hex(&sha256(text.as_bytes())[..16]),
        address: record.address.clone(),
        suppressed: verdict.suppressed,
        reasons: verdict.reasons.clone(),
        changed: Changed {
            added: verdict.reasons.clone(),
            lifted: Vec::new(),
        },
        evidence: verdict.details,
        version: record.version,
        updated_at: record.updated_at.clone(),
    }
}

/// A digest of the address and of both verdicts' reasons with the evidence behind each (time
/// and event key): the same records give the same id, a later change of the same reasons a
/// different one.
fn event_id(address: &str, old: &Verdict, new: &Verdict) -> String {
    let mut text = String::from(address);
    for (side, verdict) in [("before", old), ("after", new)] {
        text.push('\n');
        text.push_str(side);
        for detail in &verdict.details {
            text.push('|');
            text.push_str(detail.reason);
            text.push('@');
            text.push_str(&detail.evidence.at);
            text.push('#');
            text.push_str(&detail.evidence.key);
        }
    }
    hex(&sha256(text.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use crate::suppression::{Evidence, Mark, Reason};

    fn evidence(mark: Mark, at: &str, key: &str) -> Evidence {
        Evidence {
            address: "ann@example.com".to_owned(),
            mark,
            at: Timestamp::parse_rfc3339(at).unwrap(),
            key: key.to_owned(),
            provider: None,
            event: "test".to_owned(),
            message_id: None,
            provider_evidence: false,
            ambiguous: false,
            note: None,
            by: None,
        }
    }

    fn record(evidence: &[Evidence]) -> Record {
        Record::of("ann@example.com", evidence)
    }

    #[test]
    fn a_first_bounce_suppresses_and_says_what_it_added() {
        let bounce = evidence(Mark::Suppress(Reason::HardBounce), "2026-01-01T00:00:00Z", "a#1");
        let change = verdict_change(None, Some(&record(&[bounce]))).unwrap();
        assert_eq!(change.detail_type(), ADDRESS_SUPPRESSED);
        assert_eq!(change.changed.added, ["hard_bounce"]);
        assert!(change.changed.lifted.is_empty());
        assert_eq!(change.evidence.len(), 1);
        assert_eq!(change.added_bounce_or_complaint(), ["hard_bounce"]);
    }

    #[test]
    fn a_newer_bounce_of_a_suppressed_address_sends_nothing() {
        let first = evidence(Mark::Suppress(Reason::HardBounce), "2026-01-01T00:00:00Z", "a#1");
        let second = evidence(Mark::Suppress(Reason::HardBounce), "2026-02-01T00:00:00Z", "a#2");
        let before = record(std::slice::from_ref(&first));
        let after = record(&[first, second]);
        assert_ne!(before, after);
        assert_eq!(verdict_change(Some(&before), Some(&after)), None);
    }

    #[test]
    fn a_removal_that_leaves_another_reason_stays_suppressed_and_lists_the_lift() {
        let bounce = evidence(Mark::Suppress(Reason::HardBounce), "2026-01-01T00:00:00Z", "a#1");
        let unsub = evidence(
            Mark::Unsubscribe(crate::model::Scope::Global),
            "2026-01-02T00:00:00Z",
            "a#2",
        );
        let removal = evidence(Mark::Removed(Reason::HardBounce), "2026-01-03T00:00:00Z", "op");
        let before = record(&[bounce.clone(), unsub.clone()]);
        let after = record(&[bounce, unsub, removal]);
        let change = verdict_change(Some(&before), Some(&after)).unwrap();
        assert_eq!(change.detail_type(), ADDRESS_SUPPRESSED);
        assert_eq!(change.changed.lifted, ["hard_bounce"]);
        assert_eq!(change.reasons, ["unsubscribe"]);
        assert!(change.added_bounce_or_complaint().is_empty());
    }

    #[test]
    fn the_last_reason_lifted_unsuppresses_and_a_deleted_record_too() {
        let unsub = evidence(
            Mark::Unsubscribe(crate::model::Scope::Global),
            "2026-01-02T00:00:00Z",
            "a#2",
        );
        let resub = evidence(
            Mark::Resubscribe(crate::model::Scope::Global),
            "2026-01-05T00:00:00Z",
            "a#3",
        );
        let before = record(std::slice::from_ref(&unsub));
        let after = record(&[unsub, resub]);
        let change = verdict_change(Some(&before), Some(&after)).unwrap();
        assert_eq!(change.detail_type(), ADDRESS_UNSUPPRESSED);
        assert!(!change.suppressed);
        let deleted = verdict_change(Some(&before), None).unwrap();
        assert_eq!(deleted.detail_type(), ADDRESS_UNSUPPRESSED);
        assert_eq!(deleted.changed.lifted, ["unsubscribe"]);
    }

    #[test]
    fn the_id_is_the_same_for_the_same_change_and_differs_for_another() {
        let a = evidence(Mark::Suppress(Reason::HardBounce), "2026-01-01T00:00:00Z", "a#1");
        let b = evidence(Mark::Suppress(Reason::HardBounce), "2026-03-01T00:00:00Z", "a#9");
        let once = verdict_change(None, Some(&record(std::slice::from_ref(&a)))).unwrap();
        let again = verdict_change(None, Some(&record(std::slice::from_ref(&a)))).unwrap();
        let other = verdict_change(None, Some(&record(&[b]))).unwrap();
        assert_eq!(once.event_id, again.event_id);
        assert_ne!(once.event_id, other.event_id);
        assert_eq!(once.event_id.len(), 32);
    }

    #[test]
    fn records_without_a_change_or_without_any_side_send_nothing() {
        assert_eq!(verdict_change(None, None), None);
        let empty = record(&[]);
        assert_eq!(verdict_change(None, Some(&empty)), None);
        let scoped = evidence(
            Mark::Unsubscribe(crate::model::Scope::Group("7".to_owned())),
            "2026-01-01T00:00:00Z",
            "a#1",
        );
        assert_eq!(verdict_change(None, Some(&record(&[scoped]))), None);
    }
}
