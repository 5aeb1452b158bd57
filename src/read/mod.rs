//! The read side as a library: what `mailtrail` prints and `mailtrail ui` shows, as types.
//!
//! [`source`] is where it reads ([`EventReads`]: DynamoDB, or the in-memory store in tests);
//! [`event`] is one stored event as shown ([`TimelineEvent`]); [`timeline`] a message's and an
//! address's timelines (with the suppression list's verdict); [`groups`] a recipient's messages,
//! each with its strongest outcome; [`verdicts`] the suppressed addresses, a bounded page at a time; [`quarantine`] the kept
//! bodies, listed without their bytes; [`stats`] the counters as rows with their rates. The command prints these and the UI renders them; neither
//! reads a table itself for them.

pub mod event;
pub mod groups;
pub mod overview;
pub mod quarantine;
pub mod source;
pub mod stats;
pub mod timeline;
pub mod verdicts;

pub use event::TimelineEvent;
pub use groups::{group, strongest, MessageGroup};
pub use quarantine::QuarantineRow;
pub use source::{DynamoReads, EventReads, ReadError, RecipientRows, RecordsPage};
pub use timeline::{full_events, message_timeline, recipient_events, recipient_timeline, RecipientTimeline};
pub use verdicts::{suppressed_page, VerdictFilters, VerdictPage};

#[cfg(test)]
mod tests;
