//! Provider decoders: each turns a provider's own JSON into normalized events.
//!
//! One module per provider, listed once in [`registry`]. Each has lenient raw types (optional
//! fields, strings or numbers) and decodes one event; [`batch`] splits a body into its events
//! as the provider's [`registry::BodyShape`] says, so one bad event is kept apart and the
//! others still decode. Nothing outside `providers` sees a provider's raw shape.

pub mod batch;
pub mod brevo;
pub mod form;
pub mod mailersend;
pub mod mailgun;
pub mod mailjet;
pub mod mandrill;
pub mod postal;
pub mod postmark;
pub mod registry;
pub mod resend;
pub mod sendgrid;
pub mod sendpulse;
pub mod ses;
pub mod smtp2go;
pub mod sparkpost;
pub mod standard_webhooks;

#[cfg(test)]
mod insights_tests;

pub use registry::{Provider, ProviderSpec};

use crate::model::{NormalizedEvent, Timestamp};

/// Where and how a JSON text went wrong, without any of its content (serde's own messages
/// quote values, which may be addresses or secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonFault {
    /// `syntax`, `data` (valid JSON of the wrong shape), `eof` or `io`.
    pub category: &'static str,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl From<&serde_json::Error> for JsonFault {
    fn from(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let category = match error.classify() {
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
            Category::Io => "io",
        };
        JsonFault {
            category,
            line: error.line(),
            column: error.column(),
        }
    }
}

impl std::fmt::Display for JsonFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} error at line {} column {}",
            self.category, self.line, self.column
        )
    }
}

/// Why a body is not the provider's JSON. No variant carries any of the body's content.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecodeError {
    /// The body is not UTF-8.
    #[error("the body is not UTF-8 (valid up to byte {valid_up_to})")]
    NotUtf8 {
        /// Bytes before the first invalid one.
        valid_up_to: usize,
    },
    /// The body is not valid JSON.
    #[error("the body is not valid JSON: {0}")]
    NotJson(JsonFault),
    /// The body is JSON, but not an array of events.
    #[error("expected a JSON array of event objects: {0}")]
    NotAnArray(JsonFault),
    /// The body is JSON, but not an event object (or an array of them, where allowed).
    #[error("expected a JSON event object")]
    NotAnObject,
    /// One event of a batch has the wrong shape.
    #[error("event {index} has the wrong shape: {fault}")]
    BadEvent {
        /// Its position in the batch, from 0.
        index: usize,
        /// Where serde found it wrong.
        fault: JsonFault,
    },
    /// A form-encoded body without the field that holds the events.
    #[error("the form has no {0} field")]
    MissingFormField(&'static str),
    /// A message that is neither an SES event-publishing record nor a feedback notification.
    #[error("not an Amazon SES event: {0}")]
    NotSes(&'static str),
}

/// Decodes a body with its provider's decoder (for SES: the SNS message or EventBridge detail).
/// Events that do not decode are returned apart (`Decoded::bad`); a body that is not the
/// provider's shape at all is an error.
pub fn decode(provider: Provider, body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    batch::decode_body(provider.spec(), body, received_at)
}

/// Decodes one event kept apart from its batch (see [`BadEvent`]).
pub fn decode_event(provider: Provider, raw: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    batch::decode_one(provider.spec(), raw, received_at)
}

/// One event of a body that did not decode while the others did: kept in quarantine alone,
/// with its position in the batch, and replayable on its own.
#[derive(Debug, Clone)]
pub struct BadEvent {
    /// Its position in the batch, from 0.
    pub index: usize,
    /// Its JSON, exactly as received.
    pub raw: String,
    /// Why it did not decode.
    pub error: DecodeError,
}

/// What a decoder made of one body.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The normalized events, one per recipient.
    pub events: Vec<NormalizedEvent>,
    /// Events of a batch that did not decode.
    pub bad: Vec<BadEvent>,
    /// Provider messages that carry no email event (SNS topic validation texts and the like).
    pub ignored: usize,
}
