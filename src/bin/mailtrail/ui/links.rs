//! The pages' addresses: each page's path, and path segments and query values percent-encoded.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a path segment or query value keeps as is: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

/// One path segment, percent-encoded.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// One query value, percent-encoded.
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The page of one event.
pub fn event_href(pk: &str, sk: &str) -> String {
    format!("/event/{}/{}", segment(pk), segment(sk))
}

/// The page of one address.
pub fn recipient_href(address: &str) -> String {
    format!("/recipient/{}", segment(address))
}

/// The page of one message.
pub fn message_href(id: &str) -> String {
    format!("/message/{}", segment(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_survive_slashes_and_hashes() {
        assert_eq!(segment("<a/b#c@d>"), "%3Ca%2Fb%23c%40d%3E");
        assert_eq!(
            event_href("m/1", "2026-01-01T00:00:00.000Z#bounced#ab"),
            "/event/m%2F1/2026-01-01T00%3A00%3A00.000Z%23bounced%23ab"
        );
    }
}
