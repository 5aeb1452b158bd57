//! An in-memory store behind the same traits as DynamoDB, for fast in-process pipeline tests.
//!
//! It builds exactly the items the DynamoDB adapter writes (same keys, same attributes), and
//! can be told to fail, to throttle a number of attempts, or to hang until the deadline.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{unique_by_key, Item};
use super::{
    EventStore, QuarantineStore, QuarantinedBody, StoreError, StoreFuture, SuppressionReport,
    SuppressionStore, TokenStore, WriteReport,
};
use crate::base::deadline::Deadline;
use crate::model::ReplayGuard;
use crate::model::{ItemKey, NormalizedEvent};
use crate::suppression::{Evidence, Record};

/// How the store misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Every write succeeds.
    #[default]
    None,
    /// Every write fails at once.
    Fail,
    /// The next `attempts` write attempts are throttled and retried (1 ms apart) before one
    /// succeeds; the deadline still applies.
    Throttle {
        /// Attempts still to throttle.
        attempts: u32,
    },
    /// Writes never complete: they wait for the deadline, then fail.
    Hang,
    /// Every item whose raw event contains this text is refused for itself, as DynamoDB refuses
    /// an item it cannot take (`ValidationException`); the others are stored.
    Refuse(&'static str),
    /// Every write fails as a deployment without its table or permission would.
    Misconfigured,
}

/// A table in memory: items by key, as DynamoDB would hold them.
#[derive(Debug)]
pub struct MemoryStore {
    retention_days: u32,
    items: Mutex<BTreeMap<ItemKey, HashMap<String, AttributeValue>>>,
    suppressions: Mutex<BTreeMap<String, Record>>,
    tokens: Mutex<HashMap<String, String>>,
    fault: Mutex<Fault>,
    writes: Mutex<usize>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(super::DEFAULT_RETENTION_DAYS)
    }
}

impl MemoryStore {
    /// An empty store whose items expire `retention_days` after they were received.
    pub fn new(retention_days: u32) -> MemoryStore {
        MemoryStore {
            retention_days,
            items: Mutex::new(BTreeMap::new()),
            suppressions: Mutex::new(BTreeMap::new()),
            tokens: Mutex::new(HashMap::new()),
            fault: Mutex::new(Fault::None),
            writes: Mutex::new(0),
        }
    }

    /// Makes the following writes misbehave.
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.fault) = fault;
    }

    /// Every item, in key order.
    pub fn items(&self) -> Vec<(ItemKey, HashMap<String, AttributeValue>)> {
        lock(&self.items)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The suppression record of `address`, if any.
    pub fn suppression(&self, address: &str) -> Option<Record> {
        lock(&self.suppressions).get(address).cloned()
    }

    /// Every suppression record, by address.
    pub fn suppressions(&self) -> Vec<Record> {
        lock(&self.suppressions).values().cloned().collect()
    }

    /// How many items are stored.
    pub fn len(&self) -> usize {
        lock(&self.items).len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many write calls stored something.
    pub fn writes(&self) -> usize {
        *lock(&self.writes)
    }

    /// Stores items once per key, misbehaving as told.
    pub(super) async fn put_items(
        &self,
        items: Vec<Item>,
        deadline: Deadline,
    ) -> Result<WriteReport, StoreError> {
        let (unique, duplicates) = unique_by_key(items);
        let total = unique.len();
        let mut report = WriteReport {
            duplicates,
            ..WriteReport::default()
        };
        if total == 0 {
            return Ok(report);
        }
        loop {
            report.requests += 1;
            let fault = *lock(&self.fault);
            match fault {
                Fault::None | Fault::Refuse(_) => break,
                Fault::Fail => return Err(StoreError::Unavailable("told to fail")),
                Fault::Misconfigured => {
                    return Err(StoreError::Misconfigured {
                        message: "ResourceNotFoundException: told to be misconfigured".into(),
                    })
                }
                Fault::Hang => {
                    deadline.run(std::future::pending::<()>()).await;
                    return Err(StoreError::DeadlineExceeded {
                        unstored: total,
                        total,
                    });
                }
                Fault::Throttle { attempts } => {
                    if attempts == 0 {
                        *lock(&self.fault) = Fault::None;
                        break;
                    }
                    *lock(&self.fault) = Fault::Throttle {
                        attempts: attempts - 1,
                    };
                    report.retries += 1;
                    let wait = Duration::from_millis(1);
                    if !deadline.allows(wait) {
                        return Err(StoreError::DeadlineExceeded {
                            unstored: total,
                            total,
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
        let refuse = match fault_now(&self.fault) {
            Fault::Refuse(marker) => Some(marker),
            _ => None,
        };
        let mut stored = lock(&self.items);
        for item in unique {
            if let (Some(marker), Some(raw)) = (refuse, &item.source) {
                if raw.contains(marker) {
                    report.refused.push(super::RefusedItem {
                        key: item.key,
                        raw: raw.clone(),
                        reason: "ValidationException: told to refuse it".into(),
                    });
                    continue;
                }
            }
            stored.insert(item.key, item.attributes);
            report.items += 1;
        }
        *lock(&self.writes) += 1;
        Ok(report)
    }
}

fn fault_now(fault: &Mutex<Fault>) -> Fault {
    *lock(fault)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EventStore for MemoryStore {
    fn put_events(&self, events: Vec<NormalizedEvent>, deadline: Deadline) -> StoreFuture<'_, WriteReport> {
        Box::pin(async move {
            let items = Item::from_events(events, self.retention_days);
            self.put_items(items, deadline).await
        })
    }
}

impl QuarantineStore for MemoryStore {
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
            Ok(self.put_items(items, deadline).await?.items)
        })
    }
}

impl SuppressionStore for MemoryStore {
    fn record_evidence(
        &self,
        evidence: Vec<Evidence>,
        _deadline: Deadline,
    ) -> StoreFuture<'_, SuppressionReport> {
        Box::pin(async move {
            if evidence.is_empty() {
                return Ok(SuppressionReport::default());
            }
            match fault_now(&self.fault) {
                Fault::Fail => return Err(StoreError::Unavailable("told to fail")),
                Fault::Misconfigured => {
                    return Err(StoreError::Misconfigured {
                        message: "AccessDeniedException: told to be misconfigured".into(),
                    })
                }
                _ => {}
            }
            // As the DynamoDB store does: each address's evidence applied at once, one version
            // per change of a record.
            let mut report = SuppressionReport::default();
            let mut records = lock(&self.suppressions);
            let mut changed = std::collections::BTreeSet::new();
            for e in &evidence {
                let record = records
                    .entry(e.address.clone())
                    .or_insert_with(|| Record::new(&e.address));
                let applied = record.apply(e);
                if applied {
                    changed.insert(e.address.clone());
                }
                report.count(&e.mark, applied);
            }
            let now = crate::model::Timestamp::now().to_rfc3339();
            for address in changed {
                if let Some(record) = records.get_mut(&address) {
                    record.version += 1;
                    record.updated_at = Some(now.clone());
                }
            }
            Ok(report)
        })
    }
}

impl TokenStore for MemoryStore {
    fn bind_token<'a>(&'a self, guard: &'a ReplayGuard, _deadline: Deadline) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if fault_now(&self.fault) == Fault::Fail {
                return Err(StoreError::Unavailable("told to fail"));
            }
            let key = super::dynamodb::token_key(guard);
            let mut tokens = lock(&self.tokens);
            let bound = tokens.entry(key.pk).or_insert_with(|| guard.body.clone());
            Ok(*bound == guard.body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventBasics, EventKind, EventTime, Provider, Timestamp};

    fn event(recipient: &str) -> NormalizedEvent {
        let at = Timestamp::from_millis(1_700_000_000_000).unwrap();
        let mut e = NormalizedEvent::new(EventBasics {
            provider: Provider::SendPulse,
            kind: EventKind::Delivered,
            provider_event: "delivered".into(),
            time: EventTime::own(at),
            received_at: at,
            raw: std::sync::Arc::from("{}"),
        });
        e.message_id = Some("1".into());
        e.recipient = Some(recipient.into());
        e
    }

    #[tokio::test]
    async fn stores_once_per_key_and_retries_change_nothing() {
        let store = MemoryStore::default();
        let report = store
            .put_events(
                vec![event("a@x.io"), event("a@x.io"), event("b@x.io")],
                Deadline::none(),
            )
            .await
            .unwrap();
        assert_eq!((report.items, report.duplicates), (2, 1));
        store
            .put_events(vec![event("b@x.io")], Deadline::none())
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
    }

    #[tokio::test]
    async fn fails_throttles_and_hangs_when_told() {
        let store = MemoryStore::default();
        store.set_fault(Fault::Fail);
        assert!(store
            .put_events(vec![event("a@x.io")], Deadline::none())
            .await
            .is_err());
        store.set_fault(Fault::Throttle { attempts: 3 });
        let report = store
            .put_events(vec![event("a@x.io")], Deadline::none())
            .await
            .unwrap();
        assert_eq!(report.retries, 3);
        store.set_fault(Fault::Hang);
        let started = std::time::Instant::now();
        let result = store
            .put_events(vec![event("c@x.io")], Deadline::after(Duration::from_millis(50)))
            .await;
        assert!(matches!(result, Err(StoreError::DeadlineExceeded { .. })));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(store.len(), 1);
    }
}
