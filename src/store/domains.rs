//! What the mail servers of a recipient domain said, kept for a day: one item per domain and
//! UTC day in the events table (`pk` `mx#<domain>`, `sk` the day), gone with TTL two days later,
//! so a domain is looked up at most once a day whatever the number of Lambda instances.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::Item;
use super::{DynamoStore, StoreError, StoreFuture};
use crate::base::deadline::Deadline;
use crate::model::{ItemKey, Timestamp};

/// The prefix of the partitions that hold looked-up domains.
pub const DOMAIN_PREFIX: &str = "mx#";
/// How long a looked-up domain is kept, in seconds (the day it is for, and the next).
const KEEP_SECONDS: i64 = 2 * 86_400;

/// The mailbox providers already looked up today, and room for new ones.
pub trait DomainStore: Send + Sync + std::fmt::Debug {
    /// The mailbox provider recorded today for each of `domains` that has one.
    fn looked_up<'a>(
        &'a self,
        domains: &'a [String],
        day: &'a str,
        deadline: Deadline,
    ) -> StoreFuture<'a, HashMap<String, String>>;
    /// Records today's answers (domain, mailbox provider).
    fn remember<'a>(
        &'a self,
        answers: Vec<(String, String)>,
        day: &'a str,
        now: Timestamp,
        deadline: Deadline,
    ) -> StoreFuture<'a, ()>;
}

/// The key of a domain's answer for a day.
pub fn domain_key(domain: &str, day: &str) -> ItemKey {
    ItemKey {
        pk: format!("{DOMAIN_PREFIX}{domain}"),
        sk: day.to_owned(),
    }
}

/// The items recording `answers`.
fn items(answers: Vec<(String, String)>, day: &str, now: Timestamp) -> Vec<Item> {
    let expires_at = (now.unix_seconds() + KEEP_SECONDS).to_string();
    answers
        .into_iter()
        .map(|(domain, provider)| {
            let key = domain_key(&domain, day);
            let attributes = HashMap::from([
                ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
                ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
                ("mailbox".to_owned(), AttributeValue::S(provider)),
                ("expires_at".to_owned(), AttributeValue::N(expires_at.clone())),
            ]);
            Item {
                key,
                attributes,
                source: None,
            }
        })
        .collect()
}

/// The (domain, mailbox provider) an item records.
fn answer_of(item: &HashMap<String, AttributeValue>) -> Option<(String, String)> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    let domain = text("pk")?.strip_prefix(DOMAIN_PREFIX)?;
    Some((domain.to_owned(), text("mailbox")?.clone()))
}

impl DomainStore for DynamoStore {
    fn looked_up<'a>(
        &'a self,
        domains: &'a [String],
        day: &'a str,
        deadline: Deadline,
    ) -> StoreFuture<'a, HashMap<String, String>> {
        Box::pin(async move {
            let keys = domains
                .iter()
                .map(|domain| {
                    let key = domain_key(domain, day);
                    HashMap::from([
                        ("pk".to_owned(), AttributeValue::S(key.pk)),
                        ("sk".to_owned(), AttributeValue::S(key.sk)),
                    ])
                })
                .collect();
            let read = super::batch_get::batch_get(self.client(), self.table(), keys, false);
            let items = deadline.run(read).await.ok_or(StoreError::DeadlineExceeded {
                unstored: 0,
                total: 0,
            })??;
            Ok(items.iter().filter_map(answer_of).collect())
        })
    }

    fn remember<'a>(
        &'a self,
        answers: Vec<(String, String)>,
        day: &'a str,
        now: Timestamp,
        deadline: Deadline,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.put_items(items(answers, day, now), deadline).await?;
            Ok(())
        })
    }
}

#[cfg(any(test, feature = "test-util"))]
impl DomainStore for super::MemoryStore {
    fn looked_up<'a>(
        &'a self,
        domains: &'a [String],
        day: &'a str,
        _deadline: Deadline,
    ) -> StoreFuture<'a, HashMap<String, String>> {
        let found = self
            .items()
            .into_iter()
            .filter(|(key, _)| key.sk == day && domains.iter().any(|d| domain_key(d, day).pk == key.pk))
            .filter_map(|(_, item)| answer_of(&item))
            .collect();
        Box::pin(async move { Ok(found) })
    }

    fn remember<'a>(
        &'a self,
        answers: Vec<(String, String)>,
        day: &'a str,
        now: Timestamp,
        deadline: Deadline,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.put_items(items(answers, day, now), deadline).await?;
            Ok(())
        })
    }
}
