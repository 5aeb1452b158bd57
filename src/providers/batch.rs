//! A body into its events, as the provider's [`BodyShape`] says: a JSON array of events, one
//! event object, either, or an SES record. Each event decodes on its own, so one that does not
//! (a `null` element, an object where a string belongs) is kept apart with its index and its
//! own JSON while the others are stored; a body that is not the provider's shape at all fails
//! whole.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::registry::{BodyShape, ProviderSpec};
use super::{BadEvent, DecodeError, Decoded, JsonFault};
use crate::model::{EventTime, Timestamp};

/// Splits a webhook body holding a JSON array of events into each event's raw JSON.
///
/// SendPulse has documented a trailing comma before the closing bracket; a body that fails to
/// parse only because of one is read without it (the repaired text is kept in `repaired`).
pub fn split_json_array<'a>(
    body: &'a [u8],
    repaired: &'a mut Option<String>,
) -> Result<Vec<&'a RawValue>, DecodeError> {
    let text = utf8(body)?;
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

/// Decodes a body as `spec` says it holds events.
pub fn decode_body(spec: &ProviderSpec, body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    match spec.body {
        BodyShape::SesRecord => super::ses::decode(utf8(body)?, received_at),
        BodyShape::Array => decode_array(spec, body, received_at),
        BodyShape::ObjectOrArray if first_byte(body) == Some(b'[') => decode_array(spec, body, received_at),
        BodyShape::ObjectOrArray | BodyShape::Object => decode_one(spec, body, received_at),
    }
}

/// Decodes one event object (a body of one event, or one event kept apart from its batch).
pub fn decode_one(spec: &ProviderSpec, raw: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    let text = utf8(raw)?;
    if spec.body == BodyShape::SesRecord {
        return super::ses::decode(text, received_at);
    }
    if first_byte(raw) != Some(b'{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => DecodeError::NotAnObject,
            Err(error) => DecodeError::NotJson(JsonFault::from(&error)),
        });
    }
    let events = (spec.decode_event)(text, received_at).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => DecodeError::BadEvent {
            index: 0,
            fault: JsonFault::from(&error),
        },
        _ => DecodeError::NotJson(JsonFault::from(&error)),
    })?;
    Ok(Decoded {
        events,
        ..Decoded::default()
    })
}

/// Decodes a JSON array of events one at a time: those that do not decode are returned apart.
fn decode_array(spec: &ProviderSpec, body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    let mut repaired = None;
    let raw_events = split_json_array(body, &mut repaired)?;
    let mut decoded = Decoded {
        events: Vec::with_capacity(raw_events.len()),
        ..Decoded::default()
    };
    for (index, raw) in raw_events.into_iter().enumerate() {
        match (spec.decode_event)(raw.get(), received_at) {
            Ok(events) => decoded.events.extend(events),
            Err(error) => decoded.bad.push(BadEvent {
                index,
                raw: raw.get().to_owned(),
                error: DecodeError::BadEvent {
                    index,
                    fault: JsonFault::from(&error),
                },
            }),
        }
    }
    Ok(decoded)
}

/// The event's raw JSON, shared by every normalized event made of it.
pub fn shared_raw(raw: &str) -> Arc<str> {
    Arc::from(raw)
}

fn utf8(body: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(body).map_err(|e| DecodeError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}

fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
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
        let decoded = decode_body(
            crate::providers::Provider::SendGrid.spec(),
            body.as_bytes(),
            Timestamp::now(),
        )
        .unwrap();
        let text = decoded.bad[0].error.to_string();
        assert!(!text.contains("jane") && !text.contains("secret"), "{text}");
        assert!(text.contains("event 0"), "{text}");
    }

    #[test]
    fn one_bad_event_is_kept_apart_and_the_others_decode() {
        let body = br#"[{"event":"delivered","email":"a@x.io","timestamp":1,"sg_message_id":"m"}, null,
            {"event":"open","email":{"an":"object"},"timestamp":2}, 7, {"event":"click","email":"b@x.io","timestamp":3}]"#;
        let decoded = decode_body(
            crate::providers::Provider::SendGrid.spec(),
            body,
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(decoded.events.len(), 2);
        let bad: Vec<(usize, &str)> = decoded.bad.iter().map(|b| (b.index, b.raw.as_str())).collect();
        assert_eq!(
            bad,
            vec![
                (1, "null"),
                (2, r#"{"event":"open","email":{"an":"object"},"timestamp":2}"#),
                (3, "7")
            ]
        );
    }

    #[test]
    fn an_object_where_the_shape_wants_an_array_fails_whole() {
        let spec = crate::providers::Provider::SendGrid.spec();
        assert!(matches!(
            decode_body(spec, br#"{"event":"open"}"#, Timestamp::now()),
            Err(DecodeError::NotAnArray(_))
        ));
    }
}
