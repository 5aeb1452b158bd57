//! The batch writer: items into DynamoDB with BatchWriteItem, exactly once per key.
//!
//! Keys are de-duplicated first (DynamoDB refuses a batch naming one key twice), then written in
//! chunks of 25, a bounded number of chunks at a time. `UnprocessedItems` are sent again with
//! exponential backoff and full jitter; whatever is still unstored at the end is an error, so
//! the caller can fail the invocation and the provider retries.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use crate::item::Item;
use crate::key::ItemKey;

/// The most items one BatchWriteItem may carry.
pub const BATCH_SIZE: usize = 25;

/// Why items could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB (after the SDK's own retries) refused or failed a request.
    #[error("{unstored} of {total} items not stored: {message}")]
    Request {
        /// How many items the failed requests carried.
        unstored: usize,
        /// How many distinct items there were to store.
        total: usize,
        /// The first failure, with its whole cause chain.
        message: String,
        /// The first failure itself.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },
    /// DynamoDB kept returning items as unprocessed.
    #[error("{unstored} of {total} items still unprocessed after {attempts} attempts")]
    Unprocessed {
        /// How many items remain unstored.
        unstored: usize,
        /// How many distinct items there were to store.
        total: usize,
        /// Attempts made for the worst chunk.
        attempts: u32,
    },
}

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

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Distinct items stored.
    pub items: usize,
    /// Items left out because another item in the same call had the same key.
    pub duplicates: usize,
    /// BatchWriteItem requests sent, retries included.
    pub requests: usize,
}

/// Writes items to one table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
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
    Request(usize, aws_sdk_dynamodb::Error),
}

impl Store {
    /// Chunks written at once by default.
    pub const DEFAULT_CONCURRENCY: usize = 8;

    /// A writer for `table`, with default concurrency and retries.
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
            concurrency: Self::DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
        }
    }

    /// The same writer with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Store {
        self.retry = retry;
        self
    }

    /// The same writer with another number of chunks in flight.
    pub fn with_concurrency(mut self, concurrency: usize) -> Store {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The table written to.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Stores every item, once per key (the last item of a repeated key wins).
    pub async fn put_items(&self, items: Vec<Item>) -> Result<WriteReport, StoreError> {
        let submitted = items.len();
        let unique: BTreeMap<ItemKey, Item> =
            items.into_iter().map(|item| (item.key.clone(), item)).collect();
        let total = unique.len();
        let requests: Vec<WriteRequest> = unique
            .into_values()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.attributes))
                    .build()
                    .expect("an item always has attributes");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let mut chunks: Vec<Vec<WriteRequest>> = Vec::with_capacity(total.div_ceil(BATCH_SIZE));
        let mut requests = requests.into_iter().peekable();
        while requests.peek().is_some() {
            chunks.push(requests.by_ref().take(BATCH_SIZE).collect());
        }
        let outcomes: Vec<ChunkOutcome> = stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;

        let mut report = WriteReport {
            items: 0,
            duplicates: submitted - total,
            requests: 0,
        };
        let mut unstored = 0;
        let mut worst_attempts = 0;
        let mut first_error = None;
        for outcome in outcomes {
            report.requests += outcome.requests;
            worst_attempts = worst_attempts.max(outcome.attempts);
            match outcome.failure {
                None => report.items += outcome.size,
                Some(ChunkFailure::Unprocessed(left)) => {
                    report.items += outcome.size - left;
                    unstored += left;
                }
                Some(ChunkFailure::Request(left, error)) => {
                    report.items += outcome.size - left;
                    unstored += left;
                    first_error.get_or_insert(error);
                }
            }
        }
        match (unstored, first_error) {
            (0, _) => Ok(report),
            (unstored, Some(error)) => Err(StoreError::Request {
                unstored,
                total,
                message: DisplayErrorContext(&error).to_string(),
                source: Box::new(error),
            }),
            (unstored, None) => Err(StoreError::Unprocessed {
                unstored,
                total,
                attempts: worst_attempts,
            }),
        }
    }

    /// Writes one chunk, sending its unprocessed items again until none are left or the
    /// attempts run out.
    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> ChunkOutcome {
        let size = pending.len();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sent = pending.len();
            let result = self
                .client
                .batch_write_item()
                .request_items(self.table.clone(), std::mem::take(&mut pending))
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error) => {
                    let failure = ChunkFailure::Request(sent, error.into());
                    return ChunkOutcome {
                        size,
                        requests: attempts as usize,
                        attempts,
                        failure: Some(failure),
                    };
                }
            };
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return ChunkOutcome {
                    size,
                    requests: attempts as usize,
                    attempts,
                    failure: None,
                };
            }
            if attempts >= self.retry.max_attempts {
                let failure = ChunkFailure::Unprocessed(pending.len());
                return ChunkOutcome {
                    size,
                    requests: attempts as usize,
                    attempts,
                    failure: Some(failure),
                };
            }
            tracing::debug!(
                unprocessed = pending.len(),
                attempt = attempts,
                "retrying unprocessed items"
            );
            tokio::time::sleep(self.retry.delay(attempts - 1)).await;
        }
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
