//! Provider decoders: each turns a provider's own JSON into normalized events.
//!
//! One module per provider. Each has lenient raw types (optional fields, strings or numbers)
//! and a `decode` function; nothing outside `providers` sees a provider's raw shape.

pub mod batch;
pub mod lenient;
pub mod sendgrid;
pub mod sendpulse;
pub mod ses;

use crate::model::NormalizedEvent;

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
    /// One event of a batch has the wrong shape.
    #[error("event {index} has the wrong shape: {fault}")]
    BadEvent {
        /// Its position in the batch, from 0.
        index: usize,
        /// Where serde found it wrong.
        fault: JsonFault,
    },
    /// A message that is neither an SES event-publishing record nor a feedback notification.
    #[error("not an Amazon SES event: {0}")]
    NotSes(&'static str),
}

/// Decodes a body with its provider's decoder (for SES: the SNS message text).
pub fn decode(
    provider: crate::model::Provider,
    body: &[u8],
    received_at: crate::model::Timestamp,
) -> Result<Decoded, DecodeError> {
    use crate::model::Provider;
    match provider {
        Provider::SendGrid => sendgrid::decode(body, received_at),
        Provider::SendPulse => sendpulse::decode(body, received_at),
        Provider::Ses => {
            let text = std::str::from_utf8(body).map_err(|e| DecodeError::NotUtf8 {
                valid_up_to: e.valid_up_to(),
            })?;
            ses::decode(text, received_at)
        }
    }
}

/// What a decoder made of one body.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The normalized events, one per recipient.
    pub events: Vec<NormalizedEvent>,
    /// Provider messages that carry no email event (SNS topic validation texts and the like).
    pub ignored: usize,
}
