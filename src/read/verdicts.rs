//! The verdict list: the suppressed addresses, one bounded page at a time, filtered by reason
//! and by when the evidence came.

use super::source::{EventReads, ReadError};
use crate::suppression::Verdict;

/// Which suppressed verdicts a page keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerdictFilters {
    /// Only verdicts with an active reason of this name (`hard_bounce`, `complaint`, …).
    pub reason: Option<String>,
    /// Only verdicts with an active reason whose evidence is at least this time (fixed-width
    /// RFC 3339, as stored).
    pub since: Option<String>,
}

impl VerdictFilters {
    /// Whether `verdict` passes: suppressed, with one active reason matching both filters.
    pub fn keeps(&self, verdict: &Verdict) -> bool {
        verdict.suppressed
            && verdict.details.iter().any(|detail| {
                self.reason.as_deref().is_none_or(|r| detail.reason == r)
                    && self
                        .since
                        .as_deref()
                        .is_none_or(|s| detail.evidence.at.as_str() >= s)
            })
    }
}

/// One page of the verdict list.
#[derive(Debug, Clone, Default)]
pub struct VerdictPage {
    /// The suppressed verdicts of the page that pass the filters (maybe none), by address.
    pub verdicts: Vec<Verdict>,
    /// The address to continue after, when the table holds more.
    pub next: Option<String>,
}

/// One page of the verdict list: up to `limit` records read in one request after `after`,
/// their verdicts kept as `filters` say.
pub async fn suppressed_page(
    reads: &dyn EventReads,
    filters: &VerdictFilters,
    after: Option<&str>,
    limit: usize,
) -> Result<VerdictPage, ReadError> {
    let page = reads.records_page(after, limit).await?;
    let mut verdicts: Vec<Verdict> = page
        .records
        .iter()
        .map(|record| record.verdict())
        .filter(|verdict| filters.keeps(verdict))
        .collect();
    verdicts.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(VerdictPage {
        verdicts,
        next: page.next,
    })
}
