//! SNS HTTPS message parsing and signature verification with arbitrary bodies. Certificates
//! come from fixtures/sns only; nothing is fetched.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mailtrail::verify::sns::fetch::{GetFuture, HttpsGet};
use mailtrail::verify::sns::{SnsHttpMessage, SnsVerifier, TopicAllowList};
use mailtrail::verify::VerifyError;

#[derive(Debug)]
struct Offline;

impl HttpsGet for Offline {
    fn get<'a>(&'a self, _url: &'a aws_lambda_events::http::Uri) -> GetFuture<'a> {
        Box::pin(async { Err(VerifyError::CertificateUnavailable("offline".into())) })
    }
}

fn verifier() -> &'static (tokio::runtime::Runtime, SnsVerifier) {
    static VERIFIER: OnceLock<(tokio::runtime::Runtime, SnsVerifier)> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let topics = TopicAllowList::new(vec!["arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events".into()]);
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/sns"));
        (runtime, SnsVerifier::new(topics, Some(dir), Arc::new(Offline)))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(message) = serde_json::from_slice::<SnsHttpMessage>(data) else { return };
    let (runtime, verifier) = verifier();
    let _ = message.canonical_string();
    let _ = runtime.block_on(verifier.verify(&message));
});
