//! How the store's requests fail and are retried: DynamoDB's error codes sorted into what a
//! retry may cure, what the request's content makes impossible, and what only a fix of the
//! deployment cures; and the backoff (full jitter) between attempts, shared with the notifier's
//! `PutEvents`.

use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::StoreError;

/// Error codes only a fix of the deployment cures: no table, no permission, bad credentials.
const MISCONFIGURATION_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "InvalidClientTokenId",
];

/// What kind of failure a DynamoDB error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Worth a retry as it is (throttling, a 5xx, a timeout).
    Retryable,
    /// DynamoDB refuses the request's content (`ValidationException`): a retry fails the same.
    Refused,
    /// Only a fix of the deployment cures it (no table, no permission, expired credentials).
    Misconfigured,
}

/// Tells the kinds of failure apart by DynamoDB's error code (and a request that could not
/// even be signed, for want of credentials).
pub fn failure_kind<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> FailureKind {
    if matches!(error, SdkError::ConstructionFailure(_)) {
        return FailureKind::Misconfigured;
    }
    match error.code() {
        Some("ValidationException") => FailureKind::Refused,
        Some(code) if MISCONFIGURATION_CODES.contains(&code) => FailureKind::Misconfigured,
        _ => FailureKind::Retryable,
    }
}

/// A failed request as a store error.
pub(crate) fn store_error(
    kind: FailureKind,
    unstored: usize,
    total: usize,
    error: aws_sdk_dynamodb::Error,
) -> StoreError {
    let message = DisplayErrorContext(&error).to_string();
    match kind {
        FailureKind::Misconfigured => StoreError::Misconfigured { message },
        _ => StoreError::Request {
            unstored,
            total,
            message,
            source: Box::new(error),
        },
    }
}

/// How `UnprocessedItems` (and the notifier's failed `PutEvents` entries) are retried.
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
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_each_retry_up_to_its_cap_and_is_jittered() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        };
        let sample = |retry: u32| -> Vec<Duration> { (0..2000).map(|_| policy.delay(retry)).collect() };
        let mean = |d: &[Duration]| d.iter().sum::<Duration>() / d.len() as u32;
        let max = |d: &[Duration]| *d.iter().max().unwrap();
        let min = |d: &[Duration]| *d.iter().min().unwrap();
        for (retry, ceiling) in [(0, 10), (1, 20), (2, 40), (3, 80), (4, 100), (30, 100)] {
            let delays = sample(retry);
            let ceiling = Duration::from_millis(ceiling);
            assert!(max(&delays) <= ceiling, "retry {retry}: {:?}", max(&delays));
            // Full jitter: spread over the whole range, so about half the ceiling on average.
            assert!(
                max(&delays) >= ceiling.mul_f64(0.9),
                "retry {retry}: {:?}",
                max(&delays)
            );
            assert!(
                min(&delays) <= ceiling.mul_f64(0.1),
                "retry {retry}: {:?}",
                min(&delays)
            );
            let m = mean(&delays);
            assert!(
                m >= ceiling.mul_f64(0.4) && m <= ceiling.mul_f64(0.6),
                "retry {retry}: {m:?}"
            );
        }
        assert!(mean(&sample(3)) > mean(&sample(1)) * 3, "the wait grows");
    }
}
