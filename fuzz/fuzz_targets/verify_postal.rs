//! Postal's RSA signature with an arbitrary `X-Postal-Signature` and body (`signature \n
//! body`), and arbitrary configured keys (the whole input as the key list). Nothing may panic.
#![no_main]

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::{postal, ChannelSettings, SignedRequest};

const PUBLIC: &str = include_str!("../../events/demo-postal-public-key.txt");

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let pieces = text.split([',', ' ', '\n', '\t']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let _ = postal::build(&ChannelSettings { secrets: pieces, ..ChannelSettings::default() });
    }
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let (Some(signature), Some(body)) = (parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(signature) {
        headers.append(postal::SIGNATURE_HEADER, value);
    }
    let settings = ChannelSettings { secrets: vec![PUBLIC.trim().into()], ..ChannelSettings::default() };
    let verifier = postal::build(&settings).unwrap();
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let _ = verifier.verify(&SignedRequest { headers: &headers, query: &QueryMap::default(), body, now });
});
