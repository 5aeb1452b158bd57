//! Storage: the narrow traits the pipelines write through, the DynamoDB adapter that
//! implements them, the in-memory store for in-process tests, and the item mapping.
//!
//! The pipelines hand over normalized events or an undecodable body; the store owns how they
//! become items (retention, keys, size bounds) and how they are written.

pub mod batch_get;
pub mod counters;
pub mod domains;
pub mod dynamodb;
pub mod forget;
pub mod item;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
pub mod quarantine;
pub mod raw;
pub mod retry;
pub mod suppression;
pub mod table;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use domains::DomainStore;
pub use dynamodb::DynamoStore;
#[cfg(any(test, feature = "test-util"))]
pub use memory::MemoryStore;
pub use suppression::SuppressionReport;

use crate::base::deadline::Deadline;
use crate::model::ReplayGuard;
use crate::model::{ItemKey, NormalizedEvent, Provider, Timestamp};
use crate::suppression::Evidence;

/// Days an item is kept when no retention is configured (the function's `RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The future a store operation returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why something could not be stored. The texts may carry DynamoDB's own messages and table
/// names: they are for logs, never for response bodies.
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
    /// The invocation's deadline came before everything was stored.
    #[error("{unstored} of {total} items not stored before the invocation's deadline")]
    DeadlineExceeded {
        /// How many items remain unstored.
        unstored: usize,
        /// How many distinct items there were to store.
        total: usize,
    },
    /// Other writers kept changing suppression records between this writer's read and write.
    #[error(
        "{unrecorded} of {addresses} suppression records not updated: other writers changed them {attempts} times in a row"
    )]
    RecordsContended {
        /// Addresses whose evidence is not recorded.
        unrecorded: usize,
        /// Addresses the request had evidence for.
        addresses: usize,
        /// Attempts made for one record.
        attempts: u32,
    },
    /// The invocation's deadline came before every suppression record was updated.
    #[error("{unrecorded} of {addresses} suppression records not updated before the invocation's deadline")]
    RecordsPastDeadline {
        /// Addresses whose evidence is not recorded.
        unrecorded: usize,
        /// Addresses the request had evidence for.
        addresses: usize,
    },
    /// The store refused the write (the in-memory store told to fail).
    #[cfg(any(test, feature = "test-util"))]
    #[error("the store is unavailable: {0}")]
    Unavailable(&'static str),
    /// DynamoDB refused the request for a reason only a fix of the deployment cures: the
    /// table does not exist, the role may not write it, the credentials are expired or wrong.
    /// Still a failure the provider should retry (after the fix), counted apart.
    #[error("the deployment cannot write the table: {message}")]
    Misconfigured {
        /// DynamoDB's own error, with its cause chain.
        message: String,
    },
}

impl StoreError {
    /// Whether only a fix of the deployment cures it (counted as `StoreMisconfigured`).
    pub fn is_misconfiguration(&self) -> bool {
        matches!(self, StoreError::Misconfigured { .. })
    }
}

/// An item DynamoDB refused for itself (`ValidationException`: too large, too deeply nested, an
/// empty key): retrying cannot store it, so its event is kept in quarantine instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedItem {
    /// The item's key.
    pub key: ItemKey,
    /// The raw event it was built from.
    pub raw: Arc<str>,
    /// DynamoDB's reason (for the log and the quarantine record, never for a response).
    pub reason: String,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Distinct items stored.
    pub items: usize,
    /// Items left out because another item in the same call had the same key.
    pub duplicates: usize,
    /// Write requests sent, retries included.
    pub requests: usize,
    /// Requests sent again (throttled, unprocessed items).
    pub retries: usize,
    /// Items DynamoDB refused for themselves; the others were stored.
    pub refused: Vec<RefusedItem>,
}

/// An authenticated body that could not be decoded, to be kept for replay.
#[derive(Debug, Clone, Copy)]
pub struct QuarantinedBody<'a> {
    /// The channel it came in on.
    pub provider: Provider,
    /// The bytes, exactly as received.
    pub body: &'a [u8],
    /// Why it did not decode (no body content: see `providers::DecodeError`).
    pub error: &'a str,
    /// When it was received.
    pub received_at: Timestamp,
    /// Whether it is a whole body or one event kept apart from the others.
    pub kept: Kept,
}

/// What a quarantined body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kept {
    /// A whole body, as received.
    #[default]
    Body,
    /// One event's JSON, kept apart while the others were stored: from a batch (with its
    /// position) or refused by DynamoDB for itself (no position).
    Event {
        /// Its position in the batch, when a batch is where it was found.
        index: Option<usize>,
    },
}

/// Writes normalized events, once per key.
pub trait EventStore: Send + Sync + std::fmt::Debug {
    /// Stores every event, once per key (the last of a repeated key wins), giving up at
    /// `deadline`.
    fn put_events(&self, events: Vec<NormalizedEvent>, deadline: Deadline) -> StoreFuture<'_, WriteReport>;
}

/// Keeps bodies that could not be decoded.
pub trait QuarantineStore: Send + Sync + std::fmt::Debug {
    /// Keeps bodies (one, or every bad event of a batch) in one write, once per key (the same
    /// bytes twice are one kept body); returns the number of items written.
    fn quarantine<'a>(
        &'a self,
        bodies: Vec<QuarantinedBody<'a>>,
        deadline: Deadline,
    ) -> StoreFuture<'a, usize>;
}

/// Keeps the suppression list.
pub trait SuppressionStore: Send + Sync + std::fmt::Debug {
    /// Records evidence, each slot moving only forward, giving up at `deadline`.
    fn record_evidence(
        &self,
        evidence: Vec<Evidence>,
        deadline: Deadline,
    ) -> StoreFuture<'_, SuppressionReport>;
}

/// Binds signed tokens to the body they first came with (Mailgun's signature covers a token,
/// not the body).
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// Records `guard`'s token with its body, unless the token is already known: `true` when
    /// the token is new or came with this same body before (a retry), `false` when it came
    /// with another body (a replay).
    fn bind_token<'a>(&'a self, guard: &'a ReplayGuard, deadline: Deadline) -> StoreFuture<'a, bool>;
}

/// Everything the pipelines write through.
pub trait Storage: EventStore + QuarantineStore + SuppressionStore + TokenStore + DomainStore {}

impl<T: EventStore + QuarantineStore + SuppressionStore + TokenStore + DomainStore> Storage for T {}
