//! The DynamoDB adapter: items into one table with BatchWriteItem, exactly once per key.
//!
//! Keys are de-duplicated first (DynamoDB refuses a batch naming one key twice), then written in
//! chunks of 25, a bounded number of chunks at a time. `UnprocessedItems` are sent again with
//! exponential backoff and full jitter, and every request and wait stops at the invocation's
//! deadline; whatever is still unstored then is an error, so the caller can fail the
//! invocation and the provider retries.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};

use super::item::{unique_by_key, Item};
use super::retry::store_error;
pub use super::retry::{failure_kind, FailureKind, RetryPolicy};
use super::{
    EventStore, QuarantineStore, QuarantinedBody, RefusedItem, StoreError, StoreFuture, SuppressionReport,
    SuppressionStore, TokenStore, WriteReport,
};
use crate::base::deadline::Deadline;
use crate::model::ReplayGuard;
use crate::model::{ItemKey, NormalizedEvent};
use crate::suppression::Evidence;

/// The most items one BatchWriteItem may carry.
pub const BATCH_SIZE: usize = 25;

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
    refused: Vec<RefusedItem>,
    failure: Option<ChunkFailure>,
}

enum ChunkFailure {
    Unprocessed(usize),
    Deadline(usize),
    Request(usize, FailureKind, aws_sdk_dynamodb::Error),
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

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The events table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Stores every item, once per key (the last item of a repeated key wins). Items DynamoDB
    /// refuses for themselves are reported in `refused`; the others are stored.
    pub async fn put_items(&self, items: Vec<Item>, deadline: Deadline) -> Result<WriteReport, StoreError> {
        let (unique, duplicates) = unique_by_key(items);
        let total = unique.len();
        let mut chunks: Vec<Vec<Item>> = Vec::with_capacity(total.div_ceil(BATCH_SIZE));
        let mut items = unique.into_iter().peekable();
        while items.peek().is_some() {
            chunks.push(items.by_ref().take(BATCH_SIZE).collect());
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
                Some(ChunkFailure::Request(left, kind, error)) => {
                    // A misconfiguration is reported before any other failure: it is what the
                    // operator must fix.
                    match &first_error {
                        Some((FailureKind::Misconfigured, _)) => {}
                        _ if kind == FailureKind::Misconfigured || first_error.is_none() => {
                            first_error = Some((kind, error));
                        }
                        _ => {}
                    }
                    left
                }
            };
            report.items += outcome.size - left - outcome.refused.len();
            report.refused.extend(outcome.refused);
            unstored += left;
        }
        match (unstored, first_error) {
            (0, _) => Ok(report),
            (unstored, Some((kind, error))) => Err(store_error(kind, unstored, total, error)),
            (unstored, None) if past_deadline => Err(StoreError::DeadlineExceeded { unstored, total }),
            (unstored, None) => Err(StoreError::Unprocessed {
                unstored,
                total,
                attempts: worst_attempts,
            }),
        }
    }

    /// Writes one chunk, sending its unprocessed items again until none are left, the attempts
    /// run out, or the deadline comes. When DynamoDB refuses the chunk's content, each item is
    /// written alone, to find the ones it refuses and store the others.
    async fn write_chunk(&self, chunk: Vec<Item>, deadline: Deadline) -> ChunkOutcome {
        let size = chunk.len();
        let mut attempts = 0;
        let outcome = |attempts: u32, refused: Vec<RefusedItem>, failure| ChunkOutcome {
            size,
            requests: attempts as usize,
            attempts,
            refused,
            failure,
        };
        // The first attempt keeps the items, in case DynamoDB refuses one of them.
        let mut pending: Vec<WriteRequest> = chunk.iter().map(|item| write_request(item.clone())).collect();
        loop {
            if deadline.is_past() {
                return outcome(attempts, Vec::new(), Some(ChunkFailure::Deadline(pending.len())));
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
                return outcome(attempts, Vec::new(), Some(ChunkFailure::Deadline(sent)));
            };
            let output = match result {
                Ok(output) => output,
                Err(error) => {
                    let kind = failure_kind(&error);
                    if kind == FailureKind::Refused && attempts == 1 && chunk.len() > 1 {
                        return self.write_one_by_one(chunk, deadline, attempts).await;
                    }
                    if kind == FailureKind::Refused && attempts == 1 {
                        let refused = chunk.into_iter().map(|item| refused(item, &error)).collect();
                        return outcome(attempts, refused, None);
                    }
                    return outcome(
                        attempts,
                        Vec::new(),
                        Some(ChunkFailure::Request(sent, kind, error.into())),
                    );
                }
            };
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return outcome(attempts, Vec::new(), None);
            }
            if attempts >= self.retry.max_attempts {
                return outcome(
                    attempts,
                    Vec::new(),
                    Some(ChunkFailure::Unprocessed(pending.len())),
                );
            }
            let wait = self.retry.delay(attempts - 1);
            if !deadline.allows(wait) {
                return outcome(attempts, Vec::new(), Some(ChunkFailure::Deadline(pending.len())));
            }
            tracing::debug!(
                unprocessed = pending.len(),
                attempt = attempts,
                "retrying unprocessed items"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Writes each item of a refused chunk as a chunk of its own: the refused ones are
    /// reported, the others stored (or failed) as any chunk.
    async fn write_one_by_one(&self, chunk: Vec<Item>, deadline: Deadline, attempts: u32) -> ChunkOutcome {
        let size = chunk.len();
        let mut total = ChunkOutcome {
            size,
            requests: attempts as usize,
            attempts,
            refused: Vec::new(),
            failure: None,
        };
        let mut unstored = 0;
        for item in chunk {
            let one = Box::pin(self.write_chunk(vec![item], deadline)).await;
            total.requests += one.requests;
            total.attempts = total.attempts.max(one.attempts);
            total.refused.extend(one.refused);
            match one.failure {
                None => {}
                Some(ChunkFailure::Unprocessed(left)) | Some(ChunkFailure::Deadline(left)) => {
                    unstored += left;
                    total.failure.get_or_insert(ChunkFailure::Unprocessed(0));
                }
                Some(ChunkFailure::Request(left, kind, error)) => {
                    unstored += left;
                    if !matches!(total.failure, Some(ChunkFailure::Request(..))) {
                        total.failure = Some(ChunkFailure::Request(0, kind, error));
                    }
                }
            }
        }
        total.failure = match total.failure {
            None => None,
            Some(ChunkFailure::Request(_, kind, error)) => Some(ChunkFailure::Request(unstored, kind, error)),
            Some(_) if deadline.is_past() => Some(ChunkFailure::Deadline(unstored)),
            Some(_) => Some(ChunkFailure::Unprocessed(unstored)),
        };
        total
    }
}

/// An item DynamoDB refused, with its raw event and DynamoDB's reason.
fn refused<E: ProvideErrorMetadata, R>(item: Item, error: &SdkError<E, R>) -> RefusedItem {
    RefusedItem {
        key: item.key,
        raw: item.source.unwrap_or_else(|| std::sync::Arc::from("")),
        reason: error.message().map_or_else(
            || "ValidationException".to_owned(),
            |m| format!("ValidationException: {m}"),
        ),
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
    fn quarantine<'a>(
        &'a self,
        bodies: Vec<QuarantinedBody<'a>>,
        deadline: Deadline,
    ) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let items = bodies
                .iter()
                .flat_map(|body| super::quarantine::items(body, self.retention_days))
                .collect();
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

impl TokenStore for DynamoStore {
    fn bind_token<'a>(&'a self, guard: &'a ReplayGuard, deadline: Deadline) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let key = token_key(guard);
            let request = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(key.pk))
                .item("sk", AttributeValue::S(key.sk))
                .item("body", AttributeValue::S(guard.body.clone()))
                .item(
                    "expires_at",
                    AttributeValue::N(guard.expires_at.unix_seconds().to_string()),
                )
                .condition_expression("attribute_not_exists(pk) OR body = :body")
                .expression_attribute_values(":body", AttributeValue::S(guard.body.clone()))
                .send();
            let result = deadline.run(request).await.ok_or(StoreError::DeadlineExceeded {
                unstored: 1,
                total: 1,
            })?;
            match result {
                Ok(_) => Ok(true),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
                {
                    Ok(false)
                }
                Err(error) => {
                    let kind = failure_kind(&error);
                    Err(store_error(kind, 1, 1, error.into()))
                }
            }
        })
    }
}

/// Where a signed token's binding is kept: its own partition in the events table, never in
/// the recipient index (it has no `recipient`), gone with TTL once the signature is stale.
pub fn token_key(guard: &ReplayGuard) -> ItemKey {
    ItemKey {
        pk: format!("{TOKEN_PREFIX}{}#{}", guard.scope, guard.token),
        sk: "token".to_owned(),
    }
}

/// Prefix of the partition key of signed-token bindings.
pub const TOKEN_PREFIX: &str = "token#";
