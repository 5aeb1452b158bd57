//! Form-encoded bodies (`application/x-www-form-urlencoded`): Mandrill puts its JSON array of
//! events in one field, SMTP2GO may send an event's fields as a form instead of JSON. Both are
//! read into the JSON the decoders take; the body itself is kept as received.

use super::DecodeError;

/// The value of the form field `name` (its first occurrence), percent-decoded.
pub fn field(body: &[u8], name: &'static str) -> Result<String, DecodeError> {
    utf8(body)?;
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .ok_or(DecodeError::MissingFormField(name))
}

/// Whether a body that may be JSON or a form is a form: not empty, and not starting as JSON
/// does (an object, an array, a string, a number, `null`, `true`, `false`).
pub fn is_form(body: &[u8]) -> bool {
    let text = body.trim_ascii();
    let json_word = matches!(text, b"null" | b"true" | b"false");
    match text.first() {
        None => false,
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9') => false,
        Some(_) => !json_word,
    }
}

/// A form's fields as one JSON object of strings, by name (a repeated name keeps its first
/// value). An empty form is an empty object.
pub fn as_json_object(body: &[u8]) -> Result<String, DecodeError> {
    utf8(body)?;
    let mut object = serde_json::Map::new();
    for (key, value) in form_urlencoded::parse(body) {
        object
            .entry(key.into_owned())
            .or_insert_with(|| serde_json::Value::String(value.into_owned()));
    }
    Ok(serde_json::Value::Object(object).to_string())
}

fn utf8(body: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(body).map_err(|e| DecodeError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_percent_decoded_and_a_missing_one_is_named() {
        let body = b"a=1&mandrill_events=%5B%7B%22event%22%3A%22send%22%7D%5D&mandrill_events=x";
        assert_eq!(field(body, "mandrill_events").unwrap(), r#"[{"event":"send"}]"#);
        assert!(matches!(
            field(b"other=1", "mandrill_events"),
            Err(DecodeError::MissingFormField("mandrill_events"))
        ));
        assert!(matches!(field(b"\xff=1", "x"), Err(DecodeError::NotUtf8 { .. })));
    }

    #[test]
    fn json_is_told_from_a_form() {
        for json in [&b"{}"[..], b" [1]", b"\"x\"", b"42", b"null", b"true", b"", b"  "] {
            assert!(!is_form(json), "{}", String::from_utf8_lossy(json));
        }
        for form in [&b"event=bounce"[..], b"time=1&event=x", b"nothing"] {
            assert!(is_form(form));
        }
    }

    #[test]
    fn a_form_reads_as_an_object_of_strings() {
        let object =
            as_json_object(b"event=bounce&rcpt=a%40x.io&bounce=hard&event=again&message=550+User+unknown")
                .unwrap();
        assert_eq!(
            object,
            r#"{"bounce":"hard","event":"bounce","message":"550 User unknown","rcpt":"a@x.io"}"#
        );
        assert_eq!(as_json_object(b"").unwrap(), "{}");
    }
}
