//! Where the read side reads from: [`EventReads`], served by DynamoDB ([`DynamoReads`]) and, in
//! tests, by the in-memory store. Three reads of the events table (a partition, an address's
//! `by_recipient` rows, items by key) and one of the suppression table (an address's record).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::store::table::BY_RECIPIENT_INDEX;
use crate::suppression::Record;

/// A stored item, as DynamoDB returns it (only the read side's own modules look inside).
pub type StoredItem = HashMap<String, AttributeValue>;

/// An events-table key: (`pk`, `sk`).
pub type Key = (String, String);

/// What a read returns.
pub type ReadFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ReadError>> + Send + 'a>>;

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No table of that kind was named (`--table`, `--stack`, or the variable).
    #[error("no {0} table: pass --stack or the table's flag")]
    NoTable(&'static str),
    /// DynamoDB answered with an error.
    #[error("reading {what}: {source}")]
    Dynamo {
        /// What was being read.
        what: &'static str,
        /// DynamoDB's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },
    /// A batch read failed.
    #[error("reading {what}")]
    Store {
        /// What was being read.
        what: &'static str,
        /// The store's error.
        #[source]
        source: crate::store::StoreError,
    },
}

/// The `by_recipient` rows wanted: an address, a range of sort keys, an order and a cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientRows {
    /// The normalized address.
    pub address: String,
    /// The first sort key (a time prefix), inclusive.
    pub since: Option<String>,
    /// The sort key to stop before, exclusive.
    pub until: Option<String>,
    /// The most rows wanted.
    pub limit: Option<usize>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
}

impl RecipientRows {
    /// Whether a row's sort key is inside the range.
    pub fn contains(&self, sk: &str) -> bool {
        self.since.as_deref().is_none_or(|since| sk >= since)
            && self.until.as_deref().is_none_or(|until| sk < until)
    }
}

/// One page of the suppression table: its records, and the address to continue after when the
/// table holds more.
#[derive(Debug, Clone, Default)]
pub struct RecordsPage {
    /// The records read.
    pub records: Vec<Record>,
    /// The last address read, when the table holds more.
    pub next: Option<String>,
}

/// The reads the read side needs.
pub trait EventReads: Send + Sync {
    /// Every item of one partition of the events table.
    fn partition<'a>(&'a self, pk: &'a str) -> ReadFuture<'a, Vec<StoredItem>>;
    /// An address's `by_recipient` rows (sort key, then partition, in the order asked).
    fn recipient_rows<'a>(&'a self, rows: &'a RecipientRows) -> ReadFuture<'a, Vec<StoredItem>>;
    /// The items of `keys`; keys with no item are absent.
    fn items_by_key(&self, keys: Vec<Key>) -> ReadFuture<'_, HashMap<Key, StoredItem>>;
    /// An address's suppression record, when it has one.
    fn record<'a>(&'a self, address: &'a str) -> ReadFuture<'a, Option<Record>>;
    /// Up to `limit` records of the suppression table after the address `after`, in the
    /// table's own order (one request: the caller's memory stays bounded).
    fn records_page<'a>(&'a self, after: Option<&'a str>, limit: usize) -> ReadFuture<'a, RecordsPage>;
    /// The items of one provider's quarantine partition with their keys, errors, times and
    /// sizes, never the kept bodies themselves.
    fn quarantine_rows(&self, provider: crate::model::Provider) -> ReadFuture<'_, Vec<StoredItem>>;
}

/// The tables of a deployed (or local) mailtrail, read through the SDK.
#[derive(Debug, Clone)]
pub struct DynamoReads {
    /// The client.
    pub client: aws_sdk_dynamodb::Client,
    /// The events table.
    pub events_table: Option<String>,
    /// The suppression table.
    pub suppressions_table: Option<String>,
}

impl DynamoReads {
    fn events_table(&self) -> Result<&str, ReadError> {
        self.events_table.as_deref().ok_or(ReadError::NoTable("events"))
    }
}

fn dynamo<E>(what: &'static str) -> impl FnOnce(E) -> ReadError
where
    aws_sdk_dynamodb::Error: From<E>,
{
    move |error| ReadError::Dynamo {
        what,
        source: Box::new(aws_sdk_dynamodb::Error::from(error)),
    }
}

impl EventReads for DynamoReads {
    fn partition<'a>(&'a self, pk: &'a str) -> ReadFuture<'a, Vec<StoredItem>> {
        Box::pin(async move {
            self.client
                .query()
                .table_name(self.events_table()?)
                .key_condition_expression("pk = :id")
                .expression_attribute_values(":id", AttributeValue::S(pk.to_owned()))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(dynamo("the message's timeline"))
        })
    }

    fn recipient_rows<'a>(&'a self, rows: &'a RecipientRows) -> ReadFuture<'a, Vec<StoredItem>> {
        Box::pin(async move {
            let mut query = self
                .client
                .query()
                .table_name(self.events_table()?)
                .index_name(BY_RECIPIENT_INDEX)
                .scan_index_forward(!rows.newest_first)
                .expression_attribute_values(":r", AttributeValue::S(rows.address.clone()));
            let condition = match (&rows.since, &rows.until) {
                (Some(_), Some(_)) => "recipient = :r AND sk BETWEEN :since AND :until",
                (Some(_), None) => "recipient = :r AND sk >= :since",
                (None, Some(_)) => "recipient = :r AND sk < :until",
                (None, None) => "recipient = :r",
            };
            query = query.key_condition_expression(condition);
            if let Some(since) = &rows.since {
                query = query.expression_attribute_values(":since", AttributeValue::S(since.clone()));
            }
            if let Some(until) = &rows.until {
                query = query.expression_attribute_values(":until", AttributeValue::S(until.clone()));
            }
            let mut found = Vec::new();
            let mut pages = query.into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(dynamo("the address's timeline"))?;
                // BETWEEN includes `until`; the range excludes it.
                found.extend(
                    page.items
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|item| rows.contains(text(item, "sk"))),
                );
                if rows.limit.is_some_and(|limit| found.len() >= limit) {
                    break;
                }
            }
            if let Some(limit) = rows.limit {
                found.truncate(limit);
            }
            Ok(found)
        })
    }

    fn items_by_key(&self, keys: Vec<Key>) -> ReadFuture<'_, HashMap<Key, StoredItem>> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(HashMap::new());
            }
            let keys = keys
                .into_iter()
                .map(|(pk, sk)| {
                    HashMap::from([
                        ("pk".to_owned(), AttributeValue::S(pk)),
                        ("sk".to_owned(), AttributeValue::S(sk)),
                    ])
                })
                .collect();
            let items = crate::store::batch_get::batch_get(&self.client, self.events_table()?, keys, false)
                .await
                .map_err(|source| ReadError::Store {
                    what: "events",
                    source,
                })?;
            Ok(items.into_iter().map(|item| (key_of(&item), item)).collect())
        })
    }

    fn record<'a>(&'a self, address: &'a str) -> ReadFuture<'a, Option<Record>> {
        Box::pin(async move {
            let table = self
                .suppressions_table
                .as_deref()
                .ok_or(ReadError::NoTable("suppression"))?;
            // A forgotten address's record is kept under a hash of it (the opt-out holds).
            let hashed = crate::store::forget::forgotten_key(address);
            let mut records = crate::store::suppression::read_records(
                &self.client,
                table,
                [address.to_owned(), hashed.clone()],
            )
            .await
            .map_err(|source| ReadError::Store {
                what: "the suppression record",
                source,
            })?;
            Ok(records.remove(address).or_else(|| {
                records.remove(&hashed).map(|mut record| {
                    address.clone_into(&mut record.address);
                    record
                })
            }))
        })
    }

    fn records_page<'a>(&'a self, after: Option<&'a str>, limit: usize) -> ReadFuture<'a, RecordsPage> {
        Box::pin(async move {
            let table = self
                .suppressions_table
                .as_deref()
                .ok_or(ReadError::NoTable("suppression"))?;
            let address = crate::store::suppression::ADDRESS;
            let output = self
                .client
                .scan()
                .table_name(table)
                .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
                .set_exclusive_start_key(
                    after.map(|a| HashMap::from([(address.to_owned(), AttributeValue::S(a.to_owned()))])),
                )
                .send()
                .await
                .map_err(dynamo("the suppression list"))?;
            let next = output
                .last_evaluated_key()
                .and_then(|key| key.get(address))
                .and_then(|value| value.as_s().ok())
                .cloned();
            let records = output
                .items()
                .iter()
                .map(crate::store::suppression::record_from_item)
                .collect();
            Ok(RecordsPage { records, next })
        })
    }

    fn quarantine_rows(&self, provider: crate::model::Provider) -> ReadFuture<'_, Vec<StoredItem>> {
        Box::pin(async move {
            let pk = format!(
                "{}{}",
                crate::store::quarantine::QUARANTINE_PREFIX,
                provider.as_str()
            );
            self.client
                .query()
                .table_name(self.events_table()?)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .projection_expression("sk, #error, received_at, parts, body_bytes, kept")
                .expression_attribute_names("#error", "error")
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(dynamo("the quarantine"))
        })
    }
}

#[cfg(any(test, feature = "test-util"))]
impl EventReads for crate::store::MemoryStore {
    fn partition<'a>(&'a self, pk: &'a str) -> ReadFuture<'a, Vec<StoredItem>> {
        let items = crate::store::MemoryStore::items(self)
            .into_iter()
            .filter(|(key, _)| key.pk == pk)
            .map(|(_, item)| item)
            .collect();
        Box::pin(async move { Ok(items) })
    }

    fn recipient_rows<'a>(&'a self, rows: &'a RecipientRows) -> ReadFuture<'a, Vec<StoredItem>> {
        let mut found: Vec<StoredItem> = crate::store::MemoryStore::items(self)
            .into_iter()
            .map(|(_, item)| item)
            .filter(|item| text(item, "recipient") == rows.address && rows.contains(text(item, "sk")))
            .collect();
        found.sort_by(|a, b| (text(a, "sk"), text(a, "pk")).cmp(&(text(b, "sk"), text(b, "pk"))));
        if rows.newest_first {
            found.reverse();
        }
        if let Some(limit) = rows.limit {
            found.truncate(limit);
        }
        Box::pin(async move { Ok(found) })
    }

    fn items_by_key(&self, keys: Vec<Key>) -> ReadFuture<'_, HashMap<Key, StoredItem>> {
        let wanted: std::collections::HashSet<Key> = keys.into_iter().collect();
        let found = crate::store::MemoryStore::items(self)
            .into_iter()
            .map(|(_, item)| (key_of(&item), item))
            .filter(|(key, _)| wanted.contains(key))
            .collect();
        Box::pin(async move { Ok(found) })
    }

    fn record<'a>(&'a self, address: &'a str) -> ReadFuture<'a, Option<Record>> {
        let record = self.suppression(address);
        Box::pin(async move { Ok(record) })
    }

    fn records_page<'a>(&'a self, after: Option<&'a str>, limit: usize) -> ReadFuture<'a, RecordsPage> {
        let all = self.suppressions();
        let mut records: Vec<Record> = all
            .into_iter()
            .filter(|record| after.is_none_or(|after| record.address.as_str() > after))
            .take(limit.max(1) + 1)
            .collect();
        let more = records.len() > limit.max(1);
        records.truncate(limit.max(1));
        let next = more.then(|| records.last().map(|r| r.address.clone())).flatten();
        Box::pin(async move { Ok(RecordsPage { records, next }) })
    }

    fn quarantine_rows(&self, provider: crate::model::Provider) -> ReadFuture<'_, Vec<StoredItem>> {
        let pk = format!(
            "{}{}",
            crate::store::quarantine::QUARANTINE_PREFIX,
            provider.as_str()
        );
        Box::pin(async move { self.partition(&pk).await })
    }
}

/// A text attribute, or "".
pub fn text<'a>(item: &'a StoredItem, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// An item's key.
pub fn key_of(item: &StoredItem) -> Key {
    (text(item, "pk").to_owned(), text(item, "sk").to_owned())
}
