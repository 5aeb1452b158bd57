//! What importing an export's entries does: each entry as evidence, and whether it adds to a
//! record, is already known, or is older than what the record holds.

use super::{ImportEntry, ImportFormat, ParsedExport};
use crate::model::{Scope, Timestamp};
use crate::suppression::evidence::{coalesce, Evidence, Mark, Reason};
use crate::suppression::record::Record;

/// When an entry the export does not date happened, as far as mailtrail knows: before
/// everything (the Unix epoch), so it never outranks dated evidence or an operator's removal.
pub fn undated() -> Timestamp {
    Timestamp::from_millis(0).unwrap_or_else(Timestamp::now)
}

/// An entry as evidence: keyed by its origin and address, dated by the export (else
/// [`undated`]).
pub fn entry_evidence(format: ImportFormat, entry: &ImportEntry, by: &str) -> Evidence {
    Evidence {
        address: entry.address.clone(),
        mark: entry.mark.clone(),
        at: entry.at.unwrap_or_else(undated),
        key: format!("{}#{}", format.origin(), entry.address),
        provider: format.provider(),
        event: format.origin(),
        message_id: None,
        provider_evidence: true,
        ambiguous: false,
        note: entry.note.clone(),
        by: Some(by.to_owned()),
    }
}

/// What importing one entry would do to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// New or newer than what the record holds: written.
    Added,
    /// The record already holds this entry, or (for an entry without a time of its own) any
    /// evidence of that reason.
    AlreadyKnown,
    /// The record holds newer evidence (or an operator lifted the reason since): not written.
    Older,
}

/// What importing `evidence` would do to `record`. `dated` says whether the export gave the
/// entry a time: an undated entry is written only when nothing of its reason is known, so a
/// later import of the same file changes nothing.
pub fn import_outcome(record: &Record, evidence: &Evidence, dated: bool) -> ImportOutcome {
    let at = evidence.at.to_rfc3339();
    // The slots that lift this reason: an operator's removal, a resubscribe.
    let lifts: Vec<String> = match &evidence.mark {
        Mark::Suppress(reason) => vec![Mark::Removed(*reason).slot()],
        Mark::Unsubscribe(Scope::Global) => vec![
            Mark::Resubscribe(Scope::Global).slot(),
            Mark::Removed(Reason::Unsubscribe).slot(),
        ],
        Mark::Unsubscribe(scope) => vec![Mark::Resubscribe(scope.clone()).slot()],
        _ => Vec::new(),
    };
    let kept = record.slots.get(&evidence.mark.slot());
    if !dated {
        // Of unknown time: older than anything known about the reason.
        return match kept {
            Some(_) => ImportOutcome::AlreadyKnown,
            None if lifts.iter().any(|l| record.slots.contains_key(l)) => ImportOutcome::Older,
            None => ImportOutcome::Added,
        };
    }
    if kept.is_some_and(|k| k.key == evidence.key && k.at == at) {
        return ImportOutcome::AlreadyKnown;
    }
    let lifted_since = lifts
        .iter()
        .filter_map(|l| record.slots.get(l))
        .any(|lift| lift.at.as_str() >= at.as_str());
    match kept {
        _ if lifted_since => ImportOutcome::Older,
        Some(k) if !k.replaced_by(evidence) => ImportOutcome::Older,
        _ => ImportOutcome::Added,
    }
}

/// The evidence of an export, one per (address, slot): the latest entry of each, with whether
/// the export dated it.
pub fn export_evidence(format: ImportFormat, parsed: &ParsedExport, by: &str) -> Vec<(Evidence, bool)> {
    // Where the export dates some entries of a slot, its undated ones add nothing.
    let dated: std::collections::HashSet<(String, String)> = parsed
        .entries
        .iter()
        .filter(|e| e.at.is_some())
        .map(|e| (e.address.clone(), e.mark.slot()))
        .collect();
    let kept = parsed
        .entries
        .iter()
        .filter(|e| e.at.is_some() || !dated.contains(&(e.address.clone(), e.mark.slot())));
    coalesce(kept.map(|e| entry_evidence(format, e, by)))
        .into_iter()
        .map(|e| {
            let is_dated = dated.contains(&(e.address.clone(), e.mark.slot()));
            (e, is_dated)
        })
        .collect()
}
