//! What the table already holds, into the archive: a parallel scan, a file per day and scan
//! page (`events/dt=<day>/backfill-<segment>-<page>.parquet`). On an unchanged table the same
//! pages make the same objects, so running it again rewrites them; rows the stream also wrote
//! are one row in the `events` view (it keeps one row per key).

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;

use super::row::row_of;
use super::{ArchiveError, Archiver};

/// Parallel scan segments.
const SEGMENTS: i32 = 4;

/// What a backfill did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BackfillSummary {
    /// Items read.
    pub items: u64,
    /// Rows written.
    pub rows: u64,
    /// Objects written.
    pub objects: u64,
}

/// Writes every event item of `table` whose day is `since` or later (all when `None`), calling
/// `progress(items read, rows written)` after each page.
pub async fn backfill(
    dynamo: &Client,
    table: &str,
    archiver: &Archiver,
    since: Option<&str>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BackfillSummary, ArchiveError> {
    let (items, rows, objects) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let written_at = crate::model::Timestamp::now().to_rfc3339();
    let segments = (0..SEGMENTS).map(|segment| {
        let (items, rows, objects, written_at) = (&items, &rows, &objects, &written_at);
        async move {
            let mut pages = dynamo
                .scan()
                .table_name(table)
                .segment(segment)
                .total_segments(SEGMENTS)
                .into_paginator()
                .send();
            let mut page_number = 0;
            while let Some(page) = pages
                .try_next()
                .await
                .map_err(|e| ArchiveError::Scan(aws_sdk_dynamodb::Error::from(e).to_string()))?
            {
                page_number += 1;
                let page_rows: Vec<_> = page
                    .items()
                    .iter()
                    .filter_map(|item| row_of(item, written_at))
                    .filter(|row| since.is_none_or(|s| row.day.as_str() >= s))
                    .collect();
                let written = page_rows.len() as u64;
                let keys = archiver
                    .put_rows(page_rows, &format!("backfill-{segment}-{page_number:06}"))
                    .await?;
                items.fetch_add(page.items().len() as u64, Ordering::Relaxed);
                rows.fetch_add(written, Ordering::Relaxed);
                objects.fetch_add(keys.len() as u64, Ordering::Relaxed);
                progress(items.load(Ordering::Relaxed), rows.load(Ordering::Relaxed));
            }
            Ok::<(), ArchiveError>(())
        }
    });
    futures_util::future::try_join_all(segments).await?;
    Ok(BackfillSummary {
        items: items.into_inner(),
        rows: rows.into_inner(),
        objects: objects.into_inner(),
    })
}
