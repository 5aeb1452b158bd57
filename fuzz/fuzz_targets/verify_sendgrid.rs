//! SendGrid signature verification with arbitrary headers and body: the input is
//! `signature \n timestamp \n body`. Only the demo key's genuine signatures may pass.
#![no_main]

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::sendgrid::{SendGridVerifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};

const DEMO_KEY: &str = include_str!("../../events/demo-sendgrid-public-key.txt");

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let (Some(signature), Some(timestamp), Some(body)) = (parts.next(), parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    for (name, value) in [(SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp)] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let verifier = SendGridVerifier::new(&[DEMO_KEY.trim().to_owned()], 0).unwrap();
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let _ = verifier.verify(&headers, body, now);
});
