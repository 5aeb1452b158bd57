//! Webhook bodies that hold a JSON array of events: split into each event's raw JSON, and
//! decoded one event at a time.

use serde_json::value::RawValue;

use super::{DecodeError, Decoded, JsonFault};
use crate::model::{EventTime, NormalizedEvent, Timestamp};

/// Splits a webhook body holding a JSON array of events into each event's raw JSON.
///
/// SendPulse has documented a trailing comma before the closing bracket; a body that fails to
/// parse only because of one is read without it (the repaired text is kept in `repaired`).
pub fn split_json_array<'a>(
    body: &'a [u8],
    repaired: &'a mut Option<String>,
) -> Result<Vec<&'a RawValue>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|e| DecodeError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
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
        let event = decode_one(raw.get(), received_at).map_err(|error| DecodeError::BadEvent {
            index,
            fault: JsonFault::from(&error),
        })?;
        events.push(event);
    }
    Ok(Decoded { events, ignored: 0 })
}

/// The event's own Unix timestamp when it has a usable one, else the receive time.
pub fn own_time_or_received(timestamp: Option<&str>, received_at: Timestamp) -> EventTime {
    match timestamp.and_then(Timestamp::parse_lenient) {
        Some(time) => EventTime::own(time),
        None => EventTime::received(received_at),
    }
}

/// Tells "not JSON at all" from "JSON, but not an array".
fn classify(text: &str, error: serde_json::Error) -> DecodeError {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        DecodeError::NotAnArray(JsonFault::from(&error))
    } else {
        DecodeError::NotJson(JsonFault::from(&error))
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
        assert!(matches!(result, Err(DecodeError::NotUtf8 { valid_up_to: 2 })));
    }

    #[test]
    fn errors_carry_no_body_content() {
        let secret = "jane.secret@example.com";
        let body = format!(r#"[{{"email":{{"x":"{secret}"}}}}]"#);
        let error = decode_batch(body.as_bytes(), Timestamp::now(), |raw, _| {
            serde_json::from_str::<std::collections::HashMap<String, String>>(raw)?;
            unreachable!("the second event is not a map of texts")
        })
        .unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("jane") && !text.contains("secret"), "{text}");
        assert!(text.contains("event 0"), "{text}");
    }
}
