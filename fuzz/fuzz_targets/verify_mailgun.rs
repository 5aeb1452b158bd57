//! Mailgun signature checks on arbitrary bodies (the `signature` object inside them), with the
//! age check on and off. Nothing may panic; a body without a genuine signature never passes.
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
    for max_age_seconds in [0, mailgun::DEFAULT_MAX_AGE_SECONDS] {
        let settings = ChannelSettings { secrets: vec!["fuzz-mailgun-signing-key".into()], max_age_seconds };
        let verifier = mailgun::build(&settings).unwrap();
        let _ = verifier.verify(&request);
    }
});
