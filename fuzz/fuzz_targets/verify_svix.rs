//! Standard Webhooks (Svix, Resend; AhaSend's secrets as written) signature checks with
//! arbitrary headers and body: the input is `id \n timestamp \n signatures \n body`, sent
//! under Svix's header names and under the standard's. Nothing may panic.
#![no_main]

use aws_lambda_events::http::{HeaderMap, HeaderValue};
use aws_lambda_events::query_map::QueryMap;
use libfuzzer_sys::fuzz_target;
use mailtrail::model::Timestamp;
use mailtrail::verify::{svix, ChannelSettings, SignedRequest};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let (Some(id), Some(timestamp), Some(signature), Some(body)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return };
    let mut headers = HeaderMap::new();
    for (name, value) in [(svix::ID_HEADER, id), (svix::TIMESTAMP_HEADER, timestamp), (svix::SIGNATURE_HEADER, signature)] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let query = QueryMap::default();
    let now = Timestamp::from_millis(1_795_521_600_000).unwrap();
    let settings = ChannelSettings {
        secrets: vec!["whsec_ZGVtby1yZXNlbmQtc2VjcmV0LWNoYW5nZS1tZQ==".into()],
        max_age_seconds: svix::DEFAULT_MAX_AGE_SECONDS,
        second_factor: Vec::new(),
        ..ChannelSettings::default()
    };
    let verifier = svix::build("RESEND_WEBHOOK_SECRET", &settings).unwrap();
    let _ = verifier.verify(&SignedRequest { headers: &headers, query: &query, body, now });
    let mut standard = HeaderMap::new();
    for (name, value) in svix::STANDARD_HEADERS.into_iter().zip([id, timestamp, signature]) {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            standard.append(name, value);
        }
    }
    let as_written = ChannelSettings {
        secrets: vec!["aha-sk-demo-ahasend-secret-change-me".into()],
        max_age_seconds: svix::DEFAULT_MAX_AGE_SECONDS,
        ..ChannelSettings::default()
    };
    let verifier = svix::build_with("AHASEND_WEBHOOK_SECRET", svix::KeyEncoding::AsWritten, &as_written).unwrap();
    let _ = verifier.verify(&SignedRequest { headers: &standard, query: &query, body, now });
});
