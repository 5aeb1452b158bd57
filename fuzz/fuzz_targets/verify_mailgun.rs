//! Mailgun signature checks on arbitrary bodies (the `signature` object inside them), with and
//! without the second factor. Nothing may panic; a body without a genuine signature never passes.
#![no_main]

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::{mailgun, ChannelSettings, SignedRequest};

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let (headers, query) = (HeaderMap::new(), QueryMap::default());
    let request = SignedRequest { headers: &headers, query: &query, body: data, now };
    for second_factor in [Vec::new(), vec!["fuzz-mailgun-url-token-000".to_owned()]] {
        let settings = ChannelSettings {
            secrets: vec!["fuzz-mailgun-signing-key".into()],
            max_age_seconds: mailgun::DEFAULT_MAX_AGE_SECONDS,
            second_factor,
            ..ChannelSettings::default()
        };
        let verifier = mailgun::build(&settings).unwrap();
        let _ = verifier.verify(&request);
    }
});
