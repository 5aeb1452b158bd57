//! The statistics table: counter items, each a row of counts (`ADD`ed) under a string key, and
//! the marks that make a window's counts land once. A counter item remembers, per stream shard
//! that ever wrote it, the mark of the last window it took (`w_<shard digest>`); a write
//! carries its window's mark and is refused when the item already took that window or a
//! later one, so a flush repeated after a failure adds nothing twice.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use aws_sdk_dynamodb::Client;
use futures_util::{stream, StreamExt, TryStreamExt};

/// How many counter items are written at once.
const CONCURRENCY: usize = 16;

/// Why counters could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    /// DynamoDB refused or failed a request (after the SDK's own retries).
    #[error("{failed} of {total} counter items not written: {message}")]
    Write {
        /// Items not written.
        failed: usize,
        /// Items there were to write.
        total: usize,
        /// The first failure, with its cause chain.
        message: String,
    },
    /// A read failed.
    #[error("counters could not be read: {0}")]
    Read(String),
}

/// Counts to add to one counter item, and the mark that keeps them from being added twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterUpdate {
    /// The item's partition key.
    pub pk: String,
    /// Its sort key.
    pub sk: String,
    /// Each count to add, by attribute name.
    pub counts: Vec<(String, i64)>,
    /// The attribute holding the writer's mark (`w_<shard digest>`).
    pub mark_name: String,
    /// The item must hold no mark, or one lower than this.
    pub mark_below: String,
    /// The mark it then holds.
    pub mark: String,
    /// When the item may go (epoch seconds), for short-lived counters.
    pub expires_at: Option<i64>,
}

/// What a write of counters did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddReport {
    /// Items whose counts were added.
    pub applied: usize,
    /// Items that had taken these counts already (a repeated flush).
    pub already: usize,
    /// Write capacity units DynamoDB reported.
    pub write_units: f64,
    /// The keys of the items whose counts were added.
    pub applied_keys: Vec<(String, String)>,
}

/// Adds each update's counts to its item, once: an item that already holds the update's mark
/// (or a later one) is left as it is.
pub async fn add(
    client: &Client,
    table: &str,
    updates: Vec<CounterUpdate>,
) -> Result<AddReport, CounterError> {
    let total = updates.len();
    let outcomes: Vec<Result<Written, String>> = stream::iter(updates)
        .map(|update| async move { add_one(client, table, update).await })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = AddReport::default();
    let mut failed = 0;
    let mut first = None;
    for outcome in outcomes {
        match outcome {
            Ok((applied, units)) => {
                report.write_units += units;
                match applied {
                    Some(key) => {
                        report.applied += 1;
                        report.applied_keys.push(key);
                    }
                    None => report.already += 1,
                }
            }
            Err(message) => {
                failed += 1;
                first.get_or_insert(message);
            }
        }
    }
    match first {
        None => Ok(report),
        Some(message) => Err(CounterError::Write {
            failed,
            total,
            message,
        }),
    }
}

/// One item's write: its key when its counts were added (none when it had them already), and
/// the write units it cost.
type Written = (Option<(String, String)>, f64);

/// One item's update.
async fn add_one(client: &Client, table: &str, update: CounterUpdate) -> Result<Written, String> {
    let key = (update.pk.clone(), update.sk.clone());
    let mut expression = String::from("ADD ");
    let mut names = HashMap::from([("#w".to_owned(), update.mark_name.clone())]);
    let mut values = HashMap::from([
        (":below".to_owned(), AttributeValue::S(update.mark_below.clone())),
        (":mark".to_owned(), AttributeValue::S(update.mark.clone())),
    ]);
    for (i, (name, n)) in update.counts.iter().enumerate() {
        if i > 0 {
            expression.push_str(", ");
        }
        expression.push_str(&format!("#c{i} :c{i}"));
        names.insert(format!("#c{i}"), name.clone());
        values.insert(format!(":c{i}"), AttributeValue::N(n.to_string()));
    }
    expression.push_str(" SET #w = :mark");
    if let Some(at) = update.expires_at {
        expression.push_str(", expires_at = :expires");
        values.insert(":expires".to_owned(), AttributeValue::N(at.to_string()));
    }
    let result = client
        .update_item()
        .table_name(table)
        .key("pk", AttributeValue::S(update.pk))
        .key("sk", AttributeValue::S(update.sk))
        .update_expression(expression)
        .condition_expression("attribute_not_exists(#w) OR #w < :below")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await;
    match result {
        Ok(output) => Ok((
            Some(key),
            output
                .consumed_capacity
                .and_then(|c| c.capacity_units)
                .unwrap_or(0.0),
        )),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
        {
            Ok((None, 1.0))
        }
        Err(error) => Err(aws_sdk_dynamodb::Error::from(error).to_string()),
    }
}

/// Every counter item of partition `pk` whose sort key is in `from..=to`, with its counts by
/// attribute name (marks and keys left out).
pub async fn read_range(
    client: &Client,
    table: &str,
    pk: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, HashMap<String, i64>)>, CounterError> {
    let pages = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
        .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
        .expression_attribute_values(":from", AttributeValue::S(from.to_owned()))
        .expression_attribute_values(":to", AttributeValue::S(to.to_owned()))
        .into_paginator()
        .items()
        .send();
    let items: Vec<HashMap<String, AttributeValue>> = pages
        .try_collect()
        .await
        .map_err(|e| CounterError::Read(aws_sdk_dynamodb::Error::from(e).to_string()))?;
    Ok(items.into_iter().filter_map(counts_of).collect())
}

/// A counter item's sort key and counts.
fn counts_of(mut item: HashMap<String, AttributeValue>) -> Option<(String, HashMap<String, i64>)> {
    let sk = match item.remove("sk")? {
        AttributeValue::S(sk) => sk,
        _ => return None,
    };
    let counts = item
        .into_iter()
        .filter(|(name, _)| name != "pk" && name != "expires_at" && !is_mark(name))
        .filter_map(|(name, value)| match value {
            AttributeValue::N(n) => n.parse().ok().map(|n| (name, n)),
            _ => None,
        })
        .collect();
    Some((sk, counts))
}

/// Whether an attribute is a writer's mark.
pub fn is_mark(name: &str) -> bool {
    name.starts_with("w_") || name.starts_with("s_")
}

/// Deletes counter items (a rebuild replaces a day's counters).
pub async fn delete(client: &Client, table: &str, keys: Vec<(String, String)>) -> Result<(), CounterError> {
    stream::iter(keys)
        .map(|(pk, sk)| async move {
            client
                .delete_item()
                .table_name(table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| CounterError::Write {
                    failed: 1,
                    total: 1,
                    message: aws_sdk_dynamodb::Error::from(e).to_string(),
                })
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .map(|_| ())
}
