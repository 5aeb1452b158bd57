//! What a verifier hands the store when its signature covers less than the body (Mailgun's
//! covers a timestamp and a token): the token to bind to the body it first came with.

use super::timestamp::Timestamp;

/// A signed token that must be bound to the body it first came with: the same body again is a
/// retry, another body under the same token a forgery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayGuard {
    /// Whose tokens these are (`mailgun`): tokens of different channels never meet.
    pub scope: &'static str,
    /// 16 hex digits of SHA-256 over the token (the token itself is never stored).
    pub token: String,
    /// 16 hex digits of SHA-256 over the body.
    pub body: String,
    /// When the binding may be forgotten: the signature is stale by then.
    pub expires_at: Timestamp,
}
