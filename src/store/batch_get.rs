//! Reading many items by key: `BatchGetItem`, 100 keys a request, a few requests in flight, the
//! keys DynamoDB leaves unprocessed asked again with backoff. Readers use it instead of a
//! `Scan` or one `GetItem` per key.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::retry::{failure_kind, store_error, RetryPolicy};
use super::StoreError;

/// Keys a `BatchGetItem` request may carry.
pub const KEYS_PER_REQUEST: usize = 100;
/// Requests in flight at once.
const CONCURRENCY: usize = 4;

/// One item's key attributes.
pub type Key = HashMap<String, AttributeValue>;
/// One item.
pub type Item = HashMap<String, AttributeValue>;

/// The items of `keys` that exist, in no particular order. `consistent` asks for strongly
/// consistent reads (the suppression table's readers want the latest verdict).
pub async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<Key>,
    consistent: bool,
) -> Result<Vec<Item>, StoreError> {
    let total = keys.len();
    let mut chunks = Vec::with_capacity(total.div_ceil(KEYS_PER_REQUEST));
    let mut keys = keys.into_iter().peekable();
    while keys.peek().is_some() {
        chunks.push(keys.by_ref().take(KEYS_PER_REQUEST).collect::<Vec<_>>());
    }
    let pages: Vec<Vec<Item>> = stream::iter(chunks)
        .map(|chunk| read_chunk(client, table, chunk, consistent, total))
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(pages.into_iter().flatten().collect())
}

async fn read_chunk(
    client: &Client,
    table: &str,
    mut keys: Vec<Key>,
    consistent: bool,
    total: usize,
) -> Result<Vec<Item>, StoreError> {
    let retry = RetryPolicy::default();
    let mut items = Vec::with_capacity(keys.len());
    for attempt in 0..retry.max_attempts {
        if attempt > 0 {
            tokio::time::sleep(retry.delay(attempt - 1)).await;
        }
        let request = KeysAndAttributes::builder()
            .set_keys(Some(std::mem::take(&mut keys)))
            .consistent_read(consistent)
            .build()
            .map_err(|e| StoreError::Misconfigured {
                message: e.to_string(),
            })?;
        let output = client
            .batch_get_item()
            .request_items(table, request)
            .send()
            .await
            .map_err(|error| {
                let kind = failure_kind(&error);
                store_error(kind, 0, total, error.into())
            })?;
        if let Some(mut found) = output.responses {
            items.extend(found.remove(table).unwrap_or_default());
        }
        keys = output
            .unprocessed_keys
            .and_then(|mut left| left.remove(table))
            .map(|left| left.keys)
            .unwrap_or_default();
        if keys.is_empty() {
            return Ok(items);
        }
    }
    Err(StoreError::Unprocessed {
        unstored: keys.len(),
        total,
        attempts: retry.max_attempts,
    })
}
