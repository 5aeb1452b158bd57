//! Where verdict changes go: EventBridge `PutEvents`, 10 entries a call, the entries it fails
//! sent again with backoff.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::store::retry::RetryPolicy;

/// The `source` of every event.
pub const EVENT_SOURCE: &str = "mailtrail";
/// Entries a `PutEvents` call may carry.
pub const ENTRIES_PER_CALL: usize = 10;
/// Calls per chunk, the first included, before the batch fails.
const ATTEMPTS: u32 = 5;

/// The backoff between attempts: full jitter, 100 ms doubling up to 3.2 s.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: ATTEMPTS,
    base_delay: Duration::from_millis(100),
    max_delay: Duration::from_millis(3_200),
};

/// One event to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `Address Suppressed` or `Address Unsuppressed`.
    pub detail_type: &'static str,
    /// The JSON `detail`.
    pub detail: String,
}

/// The future a sink returns: per entry, `None` when put or the error code.
pub type PutFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Option<String>>, String>> + Send + 'a>>;

/// Something events are put on (EventBridge; an in-memory sink in tests).
pub trait EventSink: Send + Sync {
    /// Puts up to [`ENTRIES_PER_CALL`] entries; `Err` when the call itself failed.
    fn put<'a>(&'a self, entries: &'a [Entry]) -> PutFuture<'a>;
}

/// An EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    /// The client (`AWS_ENDPOINT_URL_EVENTBRIDGE` points it elsewhere).
    pub client: aws_sdk_eventbridge::Client,
    /// The bus's name or ARN.
    pub bus: String,
}

impl EventSink for EventBridgeSink {
    fn put<'a>(&'a self, entries: &'a [Entry]) -> PutFuture<'a> {
        Box::pin(async move {
            let request = entries.iter().map(|e| {
                PutEventsRequestEntry::builder()
                    .source(EVENT_SOURCE)
                    .detail_type(e.detail_type)
                    .detail(&e.detail)
                    .event_bus_name(&self.bus)
                    .build()
            });
            let output = self
                .client
                .put_events()
                .set_entries(Some(request.collect()))
                .send()
                .await
                .map_err(|e| aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string())?;
            let results = output.entries();
            if results.len() != entries.len() {
                return Err(format!(
                    "PutEvents answered {} results for {} entries",
                    results.len(),
                    entries.len()
                ));
            }
            Ok(results
                .iter()
                .map(|r| r.error_code().map(str::to_owned))
                .collect())
        })
    }
}

/// Why events could not all be put.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A call failed (after the SDK's retries).
    #[error("PutEvents failed: {0}")]
    Call(String),
    /// Entries kept failing.
    #[error("{failed} of {total} events not put after {ATTEMPTS} attempts (first error {code})")]
    Entries {
        /// Entries still failing.
        failed: usize,
        /// Entries to put.
        total: usize,
        /// The first error code.
        code: String,
    },
}

/// Entries that could not all be put: the first one (in the order given) that is not.
#[derive(Debug, thiserror::Error)]
#[error("entry {first} and maybe later ones not put: {error}")]
pub struct Unput {
    /// The index of the first entry not put; those before it were.
    pub first: usize,
    /// Why.
    #[source]
    pub error: PublishError,
}

/// Puts every entry, 10 a call, in order, sending failed entries again with backoff. Stops at
/// the first chunk that keeps failing.
pub async fn put_all(sink: &dyn EventSink, entries: Vec<Entry>) -> Result<usize, Unput> {
    let total = entries.len();
    let indexed: Vec<(usize, Entry)> = entries.into_iter().enumerate().collect();
    for chunk in indexed.chunks(ENTRIES_PER_CALL) {
        let mut left: Vec<(usize, Entry)> = chunk.to_vec();
        let mut attempt = 0;
        loop {
            let sent: Vec<Entry> = left.iter().map(|(_, e)| e.clone()).collect();
            let results = sink.put(&sent).await.map_err(|error| Unput {
                first: left[0].0,
                error: PublishError::Call(error),
            })?;
            let failed: Vec<((usize, Entry), String)> = left
                .into_iter()
                .zip(results)
                .filter_map(|(entry, error)| error.map(|code| (entry, code)))
                .collect();
            if failed.is_empty() {
                break;
            }
            attempt += 1;
            if attempt >= RETRY.max_attempts {
                return Err(Unput {
                    first: failed[0].0 .0,
                    error: PublishError::Entries {
                        failed: failed.len(),
                        total,
                        code: failed[0].1.clone(),
                    },
                });
            }
            tokio::time::sleep(RETRY.delay(attempt)).await;
            left = failed.into_iter().map(|(entry, _)| entry).collect();
        }
    }
    Ok(total)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Puts into memory; fails the entries whose detail contains `fail_marker` the first
    /// `fail_times` times they are sent.
    #[derive(Default)]
    pub(crate) struct MemorySink {
        pub(crate) put: Mutex<Vec<Entry>>,
        pub(crate) calls: Mutex<Vec<usize>>,
        pub(crate) fail_marker: Option<String>,
        pub(crate) fail_times: Mutex<u32>,
    }

    impl EventSink for MemorySink {
        fn put<'a>(&'a self, entries: &'a [Entry]) -> PutFuture<'a> {
            Box::pin(async move {
                self.calls.lock().unwrap().push(entries.len());
                let mut fail_times = self.fail_times.lock().unwrap();
                let failing = *fail_times > 0;
                let mut results = Vec::new();
                for entry in entries {
                    let fails = failing
                        && self
                            .fail_marker
                            .as_ref()
                            .is_some_and(|m| entry.detail.contains(m));
                    if fails {
                        results.push(Some("ThrottlingException".to_owned()));
                    } else {
                        self.put.lock().unwrap().push(entry.clone());
                        results.push(None);
                    }
                }
                if failing {
                    *fail_times -= 1;
                }
                Ok(results)
            })
        }
    }

    fn entries(n: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry {
                detail_type: "Address Suppressed",
                detail: format!("{{\"n\":{i}}}"),
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn entries_go_ten_a_call() {
        let sink = MemorySink::default();
        assert_eq!(put_all(&sink, entries(23)).await.unwrap(), 23);
        assert_eq!(*sink.calls.lock().unwrap(), [10, 10, 3]);
        assert_eq!(sink.put.lock().unwrap().len(), 23);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_entry_is_sent_again_alone() {
        let sink = MemorySink {
            fail_marker: Some("\"n\":4}".to_owned()),
            fail_times: Mutex::new(2),
            ..MemorySink::default()
        };
        assert_eq!(put_all(&sink, entries(6)).await.unwrap(), 6);
        assert_eq!(*sink.calls.lock().unwrap(), [6, 1, 1]);
        let put = sink.put.lock().unwrap();
        assert_eq!(put.len(), 6);
        assert_eq!(put.iter().filter(|e| e.detail.contains("\"n\":4}")).count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_entry_that_keeps_failing_fails_the_batch() {
        let sink = MemorySink {
            fail_marker: Some("\"n\":1}".to_owned()),
            fail_times: Mutex::new(100),
            ..MemorySink::default()
        };
        let error = put_all(&sink, entries(3)).await.unwrap_err();
        assert_eq!(error.first, 1, "the entries before it were put");
        assert!(
            matches!(
                error.error,
                PublishError::Entries {
                    failed: 1,
                    total: 3,
                    ..
                }
            ),
            "{error}"
        );
    }
}
