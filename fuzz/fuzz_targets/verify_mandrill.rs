//! Mandrill's signature over its URL and form fields, with an arbitrary
//! `X-Mandrill-Signature` and body: the input is `signature \n body`. Nothing may panic.
#![no_main]

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::{mandrill, ChannelSettings, SignedRequest};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let (Some(signature), Some(body)) = (parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(signature) {
        headers.append(mandrill::SIGNATURE_HEADER, value);
    }
    let settings = ChannelSettings {
        secrets: vec!["demo-mandrill-webhook-key-change-me".into()],
        signed_urls: vec!["https://mailtrail.example.com/webhooks/mandrill".into()],
        ..ChannelSettings::default()
    };
    let verifier = mandrill::build(&settings).unwrap();
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let _ = verifier.verify(&SignedRequest { headers: &headers, query: &QueryMap::default(), body, now });
});
