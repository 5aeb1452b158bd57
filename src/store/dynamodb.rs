//! The DynamoDB adapter: items into one table with BatchWriteItem, exactly once per key.
//!
//! Keys are de-duplicated first (DynamoDB refuses a batch naming one key twice), then written in
//! chunks of 25, a bounded number of chunks at a time. `UnprocessedItems` are sent again with
//! exponential backoff and full jitter, and every request and wait stops at the invocation's
//! deadline; whatever is still unstored then is an error, so the caller can fail the
//! invocation and the provider retries.

use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use super::item::{unique_by_key, Item};
use super::{
    EventStore, QuarantineStore, QuarantinedBody, StoreError, StoreFuture, SuppressionReport,
    SuppressionStore, WriteReport,
};
use crate::deadline::Deadline;
use crate::model::NormalizedEvent;
use crate::suppression::Evidence;

/// The most items one BatchWriteItem may carry.
pub const BATCH_SIZE: usize = 25;

/// How `UnprocessedItems` are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per chunk, the first one included.
    pub max_attempts: u32,
    /// The first backoff ceiling; it doubles each attempt.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random delay up to `min(max, base * 2^retry)`.
    fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Writes events and quarantined bodies to one table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    suppressions_table: Option<String>,
    retention_days: u32,
    concurrency: usize,
    retry: RetryPolicy,
}

/// The outcome of one chunk.
struct ChunkOutcome {
    size: usize,
    requests: usize,
    attempts: u32,
    failure: Option<ChunkFailure>,
}

enum ChunkFailure {
    Unprocessed(usize),
    Deadline(usize),
    Request(usize, aws_sdk_dynamodb::Error),
}

impl DynamoStore {
    /// Chunks written at once by default.
    pub const DEFAULT_CONCURRENCY: usize = 8;

    /// A writer for `table`, whose items expire `retention_days` after they were received.
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            suppressions_table: None,
            retention_days,
            concurrency: Self::DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
        }
    }

    /// The same writer keeping the suppression list in `table` (without one, evidence is not
    /// recorded).
    pub fn with_suppressions(mut self, table: Option<String>) -> DynamoStore {
        self.suppressions_table = table;
        self
    }

    /// The same writer with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> DynamoStore {
        self.retry = retry;
        self
    }

    /// The same writer with another number of chunks in flight.
    pub fn with_concurrency(mut self, concurrency: usize) -> DynamoStore {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The table written to.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Stores every item, once per key (the last item of a repeated key wins).
    pub async fn put_items(&self, items: Vec<Item>, deadline: Deadline) -> Result<WriteReport, StoreError> {
        let (unique, duplicates) = unique_by_key(items);
        let total = unique.len();
        let mut chunks: Vec<Vec<WriteRequest>> = Vec::with_capacity(total.div_ceil(BATCH_SIZE));
        let mut requests = unique.into_iter().map(write_request).peekable();
        while requests.peek().is_some() {
            chunks.push(requests.by_ref().take(BATCH_SIZE).collect());
        }
        let outcomes: Vec<ChunkOutcome> = stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk, deadline))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;

        let mut report = WriteReport {
            duplicates,
            ..WriteReport::default()
        };
        let mut unstored = 0;
        let mut past_deadline = false;
        let mut worst_attempts = 0;
        let mut first_error = None;
        for outcome in outcomes {
            report.requests += outcome.requests;
            report.retries += outcome.requests.saturating_sub(1);
            worst_attempts = worst_attempts.max(outcome.attempts);
            let left = match outcome.failure {
                None => 0,
                Some(ChunkFailure::Unprocessed(left)) => left,
                Some(ChunkFailure::Deadline(left)) => {
                    past_deadline = true;
                    left
                }
                Some(ChunkFailure::Request(left, error)) => {
                    first_error.get_or_insert(error);
                    left
                }
            };
            report.items += outcome.size - left;
            unstored += left;
        }
        match (unstored, first_error) {
            (0, _) => Ok(report),
            (unstored, Some(error)) => Err(StoreError::Request {
                unstored,
                total,
                message: DisplayErrorContext(&error).to_string(),
                source: Box::new(error),
            }),
            (unstored, None) if past_deadline => Err(StoreError::DeadlineExceeded { unstored, total }),
            (unstored, None) => Err(StoreError::Unprocessed {
                unstored,
                total,
                attempts: worst_attempts,
            }),
        }
    }

    /// Writes one chunk, sending its unprocessed items again until none are left, the attempts
    /// run out, or the deadline comes.
    async fn write_chunk(&self, mut pending: Vec<WriteRequest>, deadline: Deadline) -> ChunkOutcome {
        let size = pending.len();
        let mut attempts = 0;
        let outcome = |attempts: u32, failure| ChunkOutcome {
            size,
            requests: attempts as usize,
            attempts,
            failure,
        };
        loop {
            if deadline.is_past() {
                return outcome(attempts, Some(ChunkFailure::Deadline(pending.len())));
            }
            attempts += 1;
            let sent = pending.len();
            let request = self
                .client
                .batch_write_item()
                .request_items(self.table.clone(), std::mem::take(&mut pending))
                .send();
            // Past the deadline the write may or may not have happened; a retry rewrites the
            // same items.
            let Some(result) = deadline.run(request).await else {
                return outcome(attempts, Some(ChunkFailure::Deadline(sent)));
            };
            let output = match result {
                Ok(output) => output,
                Err(error) => return outcome(attempts, Some(ChunkFailure::Request(sent, error.into()))),
            };
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return outcome(attempts, None);
            }
            if attempts >= self.retry.max_attempts {
                return outcome(attempts, Some(ChunkFailure::Unprocessed(pending.len())));
            }
            let wait = self.retry.delay(attempts - 1);
            if !deadline.allows(wait) {
                return outcome(attempts, Some(ChunkFailure::Deadline(pending.len())));
            }
            tracing::debug!(
                unprocessed = pending.len(),
                attempt = attempts,
                "retrying unprocessed items"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

fn write_request(item: Item) -> WriteRequest {
    let put = PutRequest::builder()
        .set_item(Some(item.attributes))
        .build()
        .expect("an item always has attributes");
    WriteRequest::builder().put_request(put).build()
}

impl EventStore for DynamoStore {
    fn put_events(&self, events: Vec<NormalizedEvent>, deadline: Deadline) -> StoreFuture<'_, WriteReport> {
        Box::pin(async move {
            if events.is_empty() {
                return Ok(WriteReport::default());
            }
            let items = Item::from_events(events, self.retention_days);
            self.put_items(items, deadline).await
        })
    }
}

impl QuarantineStore for DynamoStore {
    fn quarantine<'a>(&'a self, body: QuarantinedBody<'a>, deadline: Deadline) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let items = super::quarantine::items(&body, self.retention_days);
            let report = self.put_items(items, deadline).await?;
            Ok(report.items)
        })
    }
}

impl SuppressionStore for DynamoStore {
    fn record_evidence(
        &self,
        evidence: Vec<Evidence>,
        deadline: Deadline,
    ) -> StoreFuture<'_, SuppressionReport> {
        Box::pin(async move {
            match &self.suppressions_table {
                Some(table) if !evidence.is_empty() => {
                    super::suppression::record(&self.client, table, evidence, deadline).await
                }
                _ => Ok(SuppressionReport::default()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        };
        for _ in 0..200 {
            assert!(policy.delay(0) <= Duration::from_millis(10));
            assert!(policy.delay(2) <= Duration::from_millis(40));
            assert!(policy.delay(30) <= Duration::from_millis(100));
        }
    }
}
