//! Each export format's words for why an address is listed, as the list's marks; and the
//! small text helpers the readers share.

use super::Skip;
use crate::model::Scope;
use crate::suppression::evidence::{Mark, Reason};

/// The longest note kept from an export's reason or error text.
const MAX_NOTE_CHARS: usize = 300;

use super::normalized_header;

pub(super) fn note(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_NOTE_CHARS).collect())
}

pub(super) fn short(text: &str) -> String {
    text.trim().chars().take(40).collect()
}

/// A generic reason name: the list's own names and the usual synonyms.
pub(super) fn generic_reason(text: &str) -> Result<Mark, Skip> {
    let key = normalized_header(text);
    match key.as_str() {
        "hardbounce" | "bounce" | "bounced" | "permanentbounce" | "invalid" | "invalidemail"
        | "invalidaddress" => Ok(Mark::Suppress(Reason::HardBounce)),
        "complaint" | "spam" | "spamcomplaint" | "spamreport" | "abuse" | "complained" => {
            Ok(Mark::Suppress(Reason::Complaint))
        }
        "unsubscribe" | "unsubscribed" | "optout" | "globalunsubscribe" | "unsub" => {
            Ok(Mark::Unsubscribe(Scope::Global))
        }
        "manual" | "manualsuppression" => Ok(Mark::Suppress(Reason::Manual)),
        _ => Err(Skip::UnknownReason(short(text))),
    }
}

/// Postmark's `SuppressionReason` with its `Origin`, read as its webhook reads it: a
/// recipient's own manual suppression is an unsubscribe (Postmark's unsubscribe link), the
/// sender's or Postmark's is `manual`.
pub(super) fn postmark_reason(reason: &str, origin: &str) -> Result<Mark, Skip> {
    use crate::providers::postmark::{suppression_reason, PostmarkSuppression};
    match suppression_reason(reason, origin) {
        Some(PostmarkSuppression::HardBounce) => Ok(Mark::Suppress(Reason::HardBounce)),
        Some(PostmarkSuppression::SpamComplaint) => Ok(Mark::Suppress(Reason::Complaint)),
        Some(PostmarkSuppression::RecipientOptOut) => Ok(Mark::Unsubscribe(Scope::Global)),
        Some(PostmarkSuppression::Manual) => Ok(Mark::Suppress(Reason::Manual)),
        None => Err(Skip::UnknownReason(short(reason))),
    }
}

/// SES's `BOUNCE` and `COMPLAINT`.
pub(super) fn ses_reason(reason: &str) -> Result<Mark, Skip> {
    match reason.trim().to_ascii_uppercase().as_str() {
        "BOUNCE" => Ok(Mark::Suppress(Reason::HardBounce)),
        "COMPLAINT" => Ok(Mark::Suppress(Reason::Complaint)),
        _ => Err(Skip::UnknownReason(short(reason))),
    }
}

/// Brevo's blocked-contact reason codes (and their messages, as a dashboard export shows them).
pub(super) fn brevo_reason(reason: &str) -> Result<Mark, Skip> {
    let key = normalized_header(reason);
    match key.as_str() {
        "hardbounce" | "invalidemail" => Ok(Mark::Suppress(Reason::HardBounce)),
        "contactflaggedasspam" | "spam" | "complaint" => Ok(Mark::Suppress(Reason::Complaint)),
        "unsubscribedviaemail" | "unsubscribedviaapi" | "unsubscribedviama" | "unsubscribed" => {
            Ok(Mark::Unsubscribe(Scope::Global))
        }
        "adminblocked" => Ok(Mark::Suppress(Reason::Manual)),
        _ if key.contains("bounce") => Ok(Mark::Suppress(Reason::HardBounce)),
        _ if key.contains("spam") => Ok(Mark::Suppress(Reason::Complaint)),
        _ if key.contains("unsubscri") => Ok(Mark::Unsubscribe(Scope::Global)),
        _ if key.contains("admin") => Ok(Mark::Suppress(Reason::Manual)),
        _ => Err(Skip::UnknownReason(short(reason))),
    }
}

/// Whether an SMTP status or code says the failure was transient (`4.x.x`, `4xx`).
pub(super) fn transient_status(status: &str) -> bool {
    status.trim().starts_with('4')
}
