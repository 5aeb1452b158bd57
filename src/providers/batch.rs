//! A body into its events, as the provider's [`BodyShape`] says: a JSON array of events, one
//! event object, either, or an SES record. Each event decodes on its own, so one that does not
//! (a `null` element, an object where a string belongs) is kept apart with its index and its
//! own JSON while the others are stored; a body that is not the provider's shape at all fails
//! whole.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::registry::{BodyShape, ProviderSpec};
use super::{BadEvent, DecodeError, Decoded, JsonFault};
use crate::model::{EventTime, NormalizedEvent, Timestamp};

/// A provider's event as it arrives, read by serde: each provider's raw type implements this,
/// and [`leading_event`] is then its decoder (the one `decode_event` of the registry).
///
/// The raw types are serde derives whose scalar fields read through `base::lenient::text`; a
/// type with many optional field names (SendPulse, SendGrid) uses the field-wise visitor of
/// `base::lenient` instead, which skips every other field without building it.
pub trait ProviderEvent: DeserializeOwned {
    /// Appends the normalized events this raw event stands for (one per recipient) to `out`;
    /// `raw` is its JSON text, exactly as received.
    fn normalize(self, raw: &str, received_at: Timestamp, out: &mut Vec<NormalizedEvent>);
}

/// Decodes the event at the start of `text` (after any whitespace) as `E` and appends its
/// normalized events to `out`; returns where the event's JSON ends in `text`. Whatever follows
/// is left alone: the next event of an array, or nothing.
pub fn leading_event<E: ProviderEvent>(
    text: &str,
    received_at: Timestamp,
    out: &mut Vec<NormalizedEvent>,
) -> Result<usize, serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<E>();
    let event = match stream.next() {
        Some(event) => event?,
        None => return Err(serde_json::from_str::<E>("").err().unwrap_or_else(eof)),
    };
    let end = stream.byte_offset();
    event.normalize(text[..end].trim_start(), received_at, out);
    Ok(end)
}

/// An end-of-input error, should serde ever read an empty text as an event.
fn eof() -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom("EOF while parsing a value")
}

/// Every normalized event of one event's JSON (`raw` holds that event and nothing else).
pub fn decode_all(
    spec: &ProviderSpec,
    raw: &str,
    received_at: Timestamp,
) -> Result<Vec<NormalizedEvent>, serde_json::Error> {
    let mut events = Vec::with_capacity(1);
    let end = (spec.decode_event)(raw, received_at, &mut events)?;
    if !raw[end..].trim_start().is_empty() {
        // What serde says of text after the value: a syntax error at its first character.
        return Err(serde_json::from_str::<serde::de::IgnoredAny>(raw)
            .err()
            .unwrap_or_else(eof));
    }
    Ok(events)
}

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
        BodyShape::FormField(field) => {
            let events = super::form::field(body, field)?;
            decode_array(spec, events.as_bytes(), received_at)
        }
        BodyShape::ObjectOrForm if first_byte(body) == Some(b'{') => decode_one(spec, body, received_at),
        BodyShape::ObjectOrForm => {
            decode_one(spec, super::form::as_json_object(body)?.as_bytes(), received_at)
        }
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
    let events = decode_all(spec, text, received_at).map_err(|error| match error.classify() {
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
///
/// Each event's bytes are read once: the events are decoded where they stand in the body, one
/// after the other, and the array's commas and brackets read between them. A body that is not a
/// plain array of JSON values (a syntax error, a repaired trailing comma) is read again the
/// careful way, [`decode_array_split`], which gives the same events and the precise error.
fn decode_array(spec: &ProviderSpec, body: &[u8], received_at: Timestamp) -> Result<Decoded, DecodeError> {
    let text = utf8(body)?;
    match decode_array_in_place(spec, text, received_at) {
        Some(decoded) => Ok(decoded),
        None => decode_array_split(spec, body, received_at),
    }
}

/// [`decode_array`] in one pass; `None` when the body is not a well-formed array (then nothing
/// it decoded is kept).
fn decode_array_in_place(spec: &ProviderSpec, text: &str, received_at: Timestamp) -> Option<Decoded> {
    let mut at = skip_whitespace(text, 0);
    if text.as_bytes().get(at) != Some(&b'[') {
        return None;
    }
    at = skip_whitespace(text, at + 1);
    let mut decoded = Decoded {
        events: Vec::with_capacity(text.len() / 256 + 1),
        ..Decoded::default()
    };
    if text.as_bytes().get(at) == Some(&b']') {
        return (skip_whitespace(text, at + 1) == text.len()).then_some(decoded);
    }
    for index in 0.. {
        let rest = &text[at..];
        let length = match (spec.decode_event)(rest, received_at, &mut decoded.events) {
            Ok(length) => length,
            Err(error) if error.classify() == serde_json::error::Category::Data => {
                let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
                let raw = stream.next()?.ok()?;
                // The fault as the event alone gives it, as the careful way reports it.
                let fault = decode_all(spec, raw.get(), received_at)
                    .err()
                    .map_or(JsonFault::from(&error), |e| JsonFault::from(&e));
                decoded.bad.push(BadEvent {
                    index,
                    raw: raw.get().to_owned(),
                    error: DecodeError::BadEvent { index, fault },
                });
                stream.byte_offset()
            }
            Err(_) => return None,
        };
        at = skip_whitespace(text, at + length);
        match text.as_bytes().get(at) {
            Some(b',') => at = skip_whitespace(text, at + 1),
            Some(b']') => break,
            _ => return None,
        }
        if text.as_bytes().get(at) == Some(&b']') {
            // A trailing comma: read the careful way, which repairs it.
            return None;
        }
    }
    (skip_whitespace(text, at + 1) == text.len()).then_some(decoded)
}

/// The first position at or after `from` that is not JSON whitespace.
fn skip_whitespace(text: &str, from: usize) -> usize {
    from + text.as_bytes()[from.min(text.len())..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .count()
}

/// [`decode_array`] the careful way: the body split into each event's JSON first (repairing a
/// trailing comma, telling "not JSON" from "not an array"), then each event decoded alone.
fn decode_array_split(
    spec: &ProviderSpec,
    body: &[u8],
    received_at: Timestamp,
) -> Result<Decoded, DecodeError> {
    let mut repaired = None;
    let raw_events = split_json_array(body, &mut repaired)?;
    let mut decoded = Decoded {
        events: Vec::with_capacity(raw_events.len()),
        ..Decoded::default()
    };
    for (index, raw) in raw_events.into_iter().enumerate() {
        if let Err(error) =
            decode_all(spec, raw.get(), received_at).map(|events| decoded.events.extend(events))
        {
            decoded.bad.push(BadEvent {
                index,
                raw: raw.get().to_owned(),
                error: DecodeError::BadEvent {
                    index,
                    fault: JsonFault::from(&error),
                },
            });
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

    /// What a decode gave, comparable: each event's key and raw, each bad event's index, raw
    /// and error, one line each.
    fn summary(decoded: &Decoded) -> Vec<String> {
        let events = decoded.events.iter().map(|e| {
            let key = crate::model::ItemKey::of(e);
            format!("{} {} {}", key.pk, key.sk, e.raw)
        });
        let bad = decoded
            .bad
            .iter()
            .map(|b| format!("bad {} {} {}", b.index, b.raw, b.error));
        events.chain(bad).collect()
    }

    #[test]
    fn the_one_pass_decode_agrees_with_the_careful_one_on_every_prefix_and_variant() {
        let spec = crate::providers::Provider::SendGrid.spec();
        let at = Timestamp::from_millis(1_795_521_600_000).unwrap();
        let body = r#" [ {"event":"delivered","email":"a@x.io","timestamp":1,"sg_message_id":"m"} ,null,
            {"event":"open","email":{"an":"object"},"timestamp":2}, 7 ,"x", [1,{"a":[]}],
            {"event":"click","email":"b@x.io","timestamp":3,"url":"https://x.io/\u00e9"} ]
"#;
        let mut bodies: Vec<String> = (0..=body.len())
            .filter(|&cut| body.is_char_boundary(cut))
            .map(|cut| body[..cut].to_owned())
            .collect();
        bodies.extend([
            format!("{body}x"),
            format!("{body}]"),
            body.replace(" ]\n", ",]"),
            body.replace(" ]\n", " , ] "),
            body.replace(",null,", ",,"),
            "[]".to_owned(),
            " [ ] ".to_owned(),
            "[,]".to_owned(),
            "[1 2]".to_owned(),
            "[{}]".to_owned(),
            "{\"event\":\"open\"}".to_owned(),
        ]);
        let mut one_pass = 0;
        for body in &bodies {
            let careful = decode_array_split(spec, body.as_bytes(), at);
            match decode_array_in_place(spec, body, at) {
                Some(decoded) => {
                    one_pass += 1;
                    let careful = careful.unwrap_or_else(|e| panic!("{body:?}: {e}"));
                    assert_eq!(summary(&decoded), summary(&careful), "{body:?}");
                }
                None => assert!(
                    careful.is_err() || body.trim_end().ends_with(",]") || body.contains(", ]"),
                    "{body:?} left to the careful way"
                ),
            }
            // Either way, what the decoder answers is what the careful way answers.
            let answer = decode_array(spec, body.as_bytes(), at).map(|d| summary(&d));
            let careful = decode_array_split(spec, body.as_bytes(), at).map(|d| summary(&d));
            assert_eq!(format!("{answer:?}"), format!("{careful:?}"), "{body:?}");
        }
        assert!(one_pass >= 5, "{one_pass}");
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
