//! Provider decoders: each turns a provider's own JSON into normalized events.
//!
//! One module per provider. Each has lenient raw types (optional fields, strings or numbers)
//! and a `decode` function; nothing outside `providers` sees a provider's raw shape.

pub mod sendgrid;
pub mod sendpulse;
pub mod ses;

use serde_json::value::RawValue;

use crate::event::{NormalizedEvent, TimeSource};
use crate::timestamp::Timestamp;

/// Why a body is not the provider's JSON.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The body is not valid JSON (or not UTF-8).
    #[error("the body is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON, but not an array of events.
    #[error("expected a JSON array of event objects: {0}")]
    NotAnArray(#[source] serde_json::Error),
    /// One event of a batch has the wrong shape.
    #[error("event {index} has the wrong shape: {source}")]
    BadEvent {
        /// Its position in the batch, from 0.
        index: usize,
        /// What serde found wrong.
        #[source]
        source: serde_json::Error,
    },
    /// An SES message that is neither an event-publishing record nor a feedback notification.
    #[error("not an Amazon SES event: {0}")]
    NotSes(String),
}

/// What a decoder made of one body.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The normalized events, one per recipient.
    pub events: Vec<crate::event::NormalizedEvent>,
    /// Provider messages that carry no email event (SNS topic validation texts and the like).
    pub ignored: usize,
}

/// Splits a webhook body holding a JSON array of events into each event's raw JSON.
///
/// SendPulse has documented a trailing comma before the closing bracket; a body that fails to
/// parse only because of one is read without it (the repaired text is kept in `repaired`).
pub fn split_json_array<'a>(
    body: &'a [u8],
    repaired: &'a mut Option<String>,
) -> Result<Vec<&'a RawValue>, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError::NotJson(serde::de::Error::custom(format!("invalid UTF-8: {e}"))))?;
    let first_error = match serde_json::from_str::<Vec<&RawValue>>(text) {
        Ok(events) => return Ok(events),
        Err(error) => error,
    };
    let Some(fixed) = without_trailing_comma(text) else {
        return Err(classify(text, first_error));
    };
    let fixed: &'a str = repaired.insert(fixed);
    serde_json::from_str::<Vec<&RawValue>>(fixed).map_err(|_| classify(text, first_error))
}

/// Decodes a body holding a JSON array of events, each with `decode_one` (given the event's raw
/// JSON, which it may borrow from). One event of the wrong shape fails the batch, naming it.
pub fn decode_batch(
    body: &[u8],
    received_at: Timestamp,
    decode_one: impl Fn(&str, Timestamp) -> Result<NormalizedEvent, serde_json::Error>,
) -> Result<Decoded, DecodeError> {
    let mut repaired = None;
    let raw_events = split_json_array(body, &mut repaired)?;
    let mut events = Vec::with_capacity(raw_events.len());
    for (index, raw) in raw_events.into_iter().enumerate() {
        events.push(
            decode_one(raw.get(), received_at).map_err(|source| DecodeError::BadEvent { index, source })?,
        );
    }
    Ok(Decoded { events, ignored: 0 })
}

/// The event's own Unix timestamp when it has a usable one, else the receive time.
pub fn own_time_or_received(timestamp: Option<&str>, received_at: Timestamp) -> (Timestamp, TimeSource) {
    match timestamp.and_then(Timestamp::parse_lenient) {
        Some(time) => (time, TimeSource::Event),
        None => (received_at, TimeSource::Received),
    }
}

/// Tells "not JSON at all" from "JSON, but not an array".
fn classify(text: &str, error: serde_json::Error) -> DecodeError {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        DecodeError::NotAnArray(error)
    } else {
        DecodeError::NotJson(error)
    }
}

/// `[ {...}, {...}, ]` without its last comma; `None` when the text does not end that way.
fn without_trailing_comma(text: &str) -> Option<String> {
    let inner = text.trim_end().strip_suffix(']')?.trim_end();
    let kept = inner.strip_suffix(',')?;
    Some(format!("{kept}]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &str) -> Result<Vec<String>, DecodeError> {
        let mut repaired = None;
        split_json_array(body.as_bytes(), &mut repaired)
            .map(|events| events.iter().map(|e| e.get().to_owned()).collect())
    }

    #[test]
    fn splits_an_array_keeping_each_event_verbatim() {
        let events = split("[ {\"a\": 1},\r\n{\"b\" : [2]} ]\r\n").unwrap();
        assert_eq!(events, vec!["{\"a\": 1}", "{\"b\" : [2]}"]);
    }

    #[test]
    fn reads_sendpulse_trailing_comma() {
        let events = split("[\n {\"event\":\"a\"},\n {\"event\":\"b\"},\n]\n").unwrap();
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn tells_not_json_from_wrong_shape() {
        assert!(matches!(split("nope"), Err(DecodeError::NotJson(_))));
        assert!(matches!(split(""), Err(DecodeError::NotJson(_))));
        assert!(matches!(split("[1,"), Err(DecodeError::NotJson(_))));
        assert!(matches!(
            split("{\"event\":\"x\"}"),
            Err(DecodeError::NotAnArray(_))
        ));
        assert!(matches!(split(",]"), Err(DecodeError::NotJson(_))));
    }

    #[test]
    fn refuses_invalid_utf8() {
        let mut repaired = None;
        let result = split_json_array(b"[\"\xff\"]", &mut repaired);
        assert!(matches!(result, Err(DecodeError::NotJson(_))));
    }
}
