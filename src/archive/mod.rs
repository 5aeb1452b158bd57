//! `mailtrail-archive`: every event item as a row of a Parquet file on S3, for Athena (and
//! DuckDB) to query: `events/dt=YYYY-MM-DD/<batch>.parquet`.
//!
//! The writer reads the events table's stream: each `INSERT` (the first write of an item; a
//! provider's retry rewrites the item, which writes no record or a `MODIFY`) becomes a row in
//! its day's file. A batch's objects are named by the stream and the batch's first and last
//! sequence numbers, so a batch delivered again rewrites the same objects; a batch that overlaps
//! another (a retry after a split) may repeat rows in two files, and the `events` view keeps one
//! row per key (`docs/queries.md`). A failed put fails the batch, and Lambda retries it.

pub mod backfill;
pub mod file;
pub mod forget;
pub mod read;
pub mod row;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::base::digest::{hex, sha256};
use row::{row_of, ArchiveRow};

/// The folder of the archive's files in the bucket.
pub const PREFIX: &str = "events";

/// Why a batch could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not the shape of a DynamoDB stream event.
    #[error("not a DynamoDB stream event: {0}")]
    Shape(String),
    /// A file could not be made.
    #[error(transparent)]
    File(#[from] file::FileError),
    /// The events table could not be read (a backfill).
    #[error("the events table could not be read: {0}")]
    Scan(String),
    /// S3 refused or failed a put.
    #[error("{key} could not be written: {message}")]
    Put {
        /// The object.
        key: String,
        /// S3's error, with its cause chain.
        message: String,
    },
}

/// What a batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// Records in the batch.
    pub records: usize,
    /// Rows written.
    pub rows: usize,
    /// Records skipped: not a first write of an event item, or unreadable.
    pub skipped: usize,
    /// The objects written.
    pub objects: Vec<String>,
}

/// The writer: where files go.
pub struct Archiver {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

#[derive(Deserialize)]
struct Batch {
    #[serde(rename = "Records")]
    records: Vec<Value>,
}

impl Archiver {
    /// A writer into `bucket`.
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Archiver {
        Archiver {
            s3,
            bucket: bucket.into(),
        }
    }

    /// Archives one stream batch; the answer is Lambda's (no item failures: a failure fails
    /// the whole batch, which is written again whole).
    pub async fn handle(&self, event: &Value) -> Result<(Value, ArchiveSummary), ArchiveError> {
        let batch = Batch::deserialize(event).map_err(|e| ArchiveError::Shape(e.to_string()))?;
        let written_at = crate::model::Timestamp::now().to_rfc3339();
        let mut summary = ArchiveSummary {
            records: batch.records.len(),
            ..ArchiveSummary::default()
        };
        let mut rows = Vec::new();
        let mut sequences: Vec<String> = Vec::new();
        for record in &batch.records {
            let sequence = record["dynamodb"]["SequenceNumber"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            if !sequence.is_empty() {
                sequences.push(sequence);
            }
            match first_write(record).and_then(|item| row_of(&item, &written_at)) {
                Some(row) => rows.push(row),
                None => summary.skipped += 1,
            }
        }
        let source = batch
            .records
            .first()
            .and_then(|r| r["eventSourceARN"].as_str())
            .unwrap_or("stream");
        let name = format!(
            "stream-{}-{}-{}",
            hex(&sha256(source.as_bytes())[..4]),
            sequences.first().map_or("0", String::as_str),
            sequences.last().map_or("0", String::as_str)
        );
        summary.rows = rows.len();
        summary.objects = self.put_rows(rows, &name).await?;
        Ok((json!({ "batchItemFailures": [] }), summary))
    }

    /// Writes rows as one file per day, `events/dt=<day>/<name>.parquet`; returns the keys.
    pub async fn put_rows(&self, rows: Vec<ArchiveRow>, name: &str) -> Result<Vec<String>, ArchiveError> {
        let mut by_day: BTreeMap<String, Vec<ArchiveRow>> = BTreeMap::new();
        for row in rows {
            by_day.entry(row.day.clone()).or_default().push(row);
        }
        let mut keys = Vec::with_capacity(by_day.len());
        for (day, rows) in by_day {
            let key = object_key(&day, name);
            let bytes = file::parquet_bytes(&rows)?;
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("application/vnd.apache.parquet")
                .body(bytes.into())
                .send()
                .await
                .map_err(|e| ArchiveError::Put {
                    key: key.clone(),
                    message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                })?;
            keys.push(key);
        }
        Ok(keys)
    }
}

/// The object of a day's file.
pub fn object_key(day: &str, name: &str) -> String {
    format!("{PREFIX}/dt={day}/{name}.parquet")
}

/// The new image of a record that first wrote an item (`INSERT`).
fn first_write(record: &Value) -> Option<HashMap<String, AttributeValue>> {
    if record["eventName"].as_str() != Some("INSERT") {
        return None;
    }
    match serde_dynamo::Item::deserialize(&record["dynamodb"]["NewImage"]) {
        Ok(item) => Some(item.into()),
        Err(error) => {
            tracing::warn!(%error, "a stream record's image could not be read; it is not archived");
            None
        }
    }
}

#[cfg(test)]
mod tests;
