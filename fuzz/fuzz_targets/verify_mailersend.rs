//! MailerSend's body HMAC with an arbitrary `Signature` header and body: the input is
//! `signature \n body`. Nothing may panic, and only the true signature of the body passes.
#![no_main]

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::{body_hmac, ChannelSettings, SignedRequest};

const SECRET: &str = "demo-mailersend-signing-secret";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let (Some(signature), Some(body)) = (parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    let sent = HeaderValue::from_bytes(signature).ok();
    if let Some(value) = sent.clone() {
        headers.append(body_hmac::MAILERSEND_HEADER, value);
    }
    let settings = ChannelSettings { secrets: vec![SECRET.into()], ..ChannelSettings::default() };
    let verifier = body_hmac::build("MAILERSEND_WEBHOOK_SECRET", body_hmac::MAILERSEND_HEADER, &settings).unwrap();
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let verified = verifier.verify(&SignedRequest { headers: &headers, query: &QueryMap::default(), body, now });
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
    let expected: String =
        aws_lc_rs::hmac::sign(&key, body).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    // Only a header HTTP can carry is sent; its trimmed value is compared.
    let given = sent
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    assert_eq!(verified.is_ok(), given.as_deref() == Some(expected.as_str()));
});
