//! The quarantine listing: every kept body (a request or one event that did not decode or
//! verify), by key, with its error, time and size, read without the bodies themselves.

use std::collections::BTreeMap;

use serde::Serialize;

use super::source::{text, EventReads, ReadError};
use crate::model::Provider;

/// One kept body, as `quarantine list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineRow {
    /// `<provider>/<hash>`: what `quarantine show` and `replay` take.
    pub key: String,
    /// When it was received.
    pub received_at: String,
    /// How many parts it was kept in.
    pub parts: usize,
    /// Its length in bytes.
    pub bytes: usize,
    /// `body` (a whole request) or `event` (one event of a batch).
    pub kept: &'static str,
    /// Why it was kept.
    pub error: String,
    /// Whether every part is present.
    pub complete: bool,
}

/// Every kept body of every provider, by key.
pub async fn listing(reads: &dyn EventReads) -> Result<Vec<QuarantineRow>, ReadError> {
    let mut rows: BTreeMap<String, (QuarantineRow, usize)> = BTreeMap::new();
    for provider in Provider::ALL {
        for item in reads.quarantine_rows(provider).await? {
            let number = |name: &str| {
                item.get(name)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0)
            };
            let Some(hash) = text(&item, "sk").split('#').next().filter(|h| !h.is_empty()) else {
                continue;
            };
            let key = format!("{}/{hash}", provider.as_str());
            let entry = rows.entry(key.clone()).or_insert_with(|| {
                let row = QuarantineRow {
                    key,
                    received_at: text(&item, "received_at").to_owned(),
                    parts: number("parts").max(1),
                    bytes: number("body_bytes"),
                    kept: if text(&item, "kept") == "event" {
                        "event"
                    } else {
                        "body"
                    },
                    error: text(&item, "error").to_owned(),
                    complete: false,
                };
                (row, 0)
            });
            entry.1 += 1;
        }
    }
    Ok(rows
        .into_values()
        .map(|(mut row, seen)| {
            row.complete = row.parts == seen;
            row
        })
        .collect())
}
