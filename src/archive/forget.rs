//! Forgetting an address in the archive: each file of the days it appears on is read, its rows
//! dropped, the address replaced in the other rows' texts (a notification naming several
//! recipients is one raw event), and the file written again under its own key when anything
//! changed.

use aws_sdk_s3::Client;

use super::file::parquet_bytes;
use super::read::read_rows;
use super::{ArchiveError, PREFIX};
use crate::store::forget::redact;

/// What forgetting did in the archive.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveForgetReport {
    /// Files read.
    pub files_read: usize,
    /// Files written again.
    pub files_rewritten: usize,
    /// The address's rows removed.
    pub rows_removed: usize,
    /// Other rows whose texts named the address.
    pub rows_redacted: usize,
}

/// Forgets `address` in the files of `days`; with `dry_run`, only counts.
pub async fn forget_in_archive(
    s3: &Client,
    bucket: &str,
    address: &str,
    days: &[String],
    dry_run: bool,
) -> Result<ArchiveForgetReport, ArchiveError> {
    let failed = |key: &str, message: String| ArchiveError::Put {
        key: key.to_owned(),
        message,
    };
    let mut report = ArchiveForgetReport::default();
    for day in days {
        let prefix = format!("{PREFIX}/dt={day}/");
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| failed(&prefix, aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let body = s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| failed(key, aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?
                    .body
                    .collect()
                    .await
                    .map_err(|e| failed(key, e.to_string()))?;
                report.files_read += 1;
                let rows = read_rows(body.into_bytes(), day)?;
                let before = rows.len();
                let mut changed = false;
                let mut kept = Vec::with_capacity(rows.len());
                for mut row in rows {
                    if row.text("recipient") == Some(address) {
                        continue;
                    }
                    let mut redacted = false;
                    for text in row.texts.iter_mut().flatten() {
                        if text.to_ascii_lowercase().contains(address) {
                            *text = redact(text, address);
                            redacted = true;
                        }
                    }
                    for tag in &mut row.tags {
                        if tag.to_ascii_lowercase().contains(address) {
                            *tag = redact(tag, address);
                            redacted = true;
                        }
                    }
                    if redacted {
                        report.rows_redacted += 1;
                        changed = true;
                    }
                    kept.push(row);
                }
                report.rows_removed += before - kept.len();
                changed |= kept.len() != before;
                if !changed || dry_run {
                    continue;
                }
                if kept.is_empty() {
                    s3.delete_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| failed(key, aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
                } else {
                    s3.put_object()
                        .bucket(bucket)
                        .key(key)
                        .content_type("application/vnd.apache.parquet")
                        .body(parquet_bytes(&kept)?.into())
                        .send()
                        .await
                        .map_err(|e| failed(key, aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
                }
                report.files_rewritten += 1;
            }
        }
    }
    Ok(report)
}
