//! One archive row: an event item's attributes as the archive's columns, its raw event decoded
//! to text, and when the row was written.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::model::mailbox::domain_of;
use crate::stats::count::is_event_item;
use crate::store::item::{original_raw, raw_holder};

/// The text columns, in the file's order (each nullable but `pk`, `sk`, `provider`, `event`,
/// `occurred_at`, `received_at`): the item attribute of the same name, or derived.
pub const TEXT_COLUMNS: &[&str] = &[
    "pk",
    "sk",
    "provider",
    "event",
    "provider_event",
    "message_id",
    "recipient",
    "recipient_domain",
    "occurred_at",
    "received_at",
    "time_source",
    "bounce_class",
    "smtp_status",
    "reason",
    "url",
    "summary",
    "mailbox",
    "sending_domain",
    "config_set",
    "tenant",
    "raw",
    "raw_in",
    "written_at",
];

/// The boolean columns (false when the item has no such flag).
pub const FLAG_COLUMNS: &[&str] = &[
    "machine",
    "simulator",
    "provider_suppressed",
    "complaint_ambiguous",
    "recipient_ambiguous",
];

/// One row of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    /// Each of [`TEXT_COLUMNS`], in order.
    pub texts: Vec<Option<String>>,
    /// Each of [`FLAG_COLUMNS`], in order.
    pub flags: Vec<bool>,
    /// The provider's tags or campaign.
    pub tags: Vec<String>,
    /// The UTC day of the event (`YYYY-MM-DD`): its partition.
    pub day: String,
}

impl ArchiveRow {
    /// A text column's value.
    pub fn text(&self, column: &str) -> Option<&str> {
        let i = TEXT_COLUMNS.iter().position(|c| *c == column)?;
        self.texts[i].as_deref()
    }
}

/// The row of an event item (`None` for the table's other items: looked-up domains, replay
/// tokens, quarantined bodies), written at `written_at` (RFC 3339).
pub fn row_of(item: &HashMap<String, AttributeValue>, written_at: &str) -> Option<ArchiveRow> {
    if !is_event_item(item) {
        return None;
    }
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let occurred_at = text("occurred_at").or_else(|| text("received_at"))?;
    let day = occurred_at.get(..10)?.to_owned();
    if !day.bytes().enumerate().all(|(i, b)| {
        if i == 4 || i == 7 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    }) {
        return None;
    }
    // `pk` is the message id unless the id was cut to fit the key.
    let message_id = text("message_id").or_else(|| text("pk"));
    let raw = original_raw(item)
        .and_then(Result::ok)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let texts = TEXT_COLUMNS
        .iter()
        .map(|column| match *column {
            "message_id" => message_id.clone(),
            "recipient_domain" => text("recipient").and_then(|r| domain_of(&r)),
            "occurred_at" => Some(occurred_at.clone()),
            "raw" => raw.clone(),
            "raw_in" => raw_holder(item).map(str::to_owned),
            "written_at" => Some(written_at.to_owned()),
            other => text(other),
        })
        .collect();
    let flags = FLAG_COLUMNS
        .iter()
        .map(|f| matches!(item.get(*f), Some(AttributeValue::Bool(true))))
        .collect();
    let tags = match item.get("tags") {
        Some(AttributeValue::Ss(tags)) => {
            let mut tags = tags.clone();
            tags.sort();
            tags
        }
        _ => Vec::new(),
    };
    Some(ArchiveRow {
        texts,
        flags,
        tags,
        day,
    })
}
