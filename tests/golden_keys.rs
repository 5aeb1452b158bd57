//! The idempotency contract with stored items: the (pk, sk) of every event of every fixture and
//! sample, decoded as the function decodes them, equal the golden list recorded before any
//! change to the hot path (`fixtures/golden-keys.json`). A retry of an event stored last year
//! must name the same item; a change that moves a key fails here.
//!
//! `MAILTRAIL_WRITE_GOLDEN=1 cargo test --test golden_keys` records the list anew, for a fixture
//! added on purpose (never to make a changed key pass).

use std::collections::BTreeMap;
use std::path::Path;

use mailtrail::model::{ItemKey, Provider, Timestamp};
use serde_json::Value;

/// The receive time every sample is decoded at (events without a time of their own are keyed
/// by their receive day).
fn received() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
}

/// The keys of a body's events; none for a body that holds no event (an SNS message that is
/// not an SES event).
fn keys(provider: Provider, body: &str) -> Vec<(String, String)> {
    let Ok(decoded) = mailtrail::providers::decode(provider, body.as_bytes(), received()) else {
        return Vec::new();
    };
    decoded
        .events
        .iter()
        .map(|event| {
            let ItemKey { pk, sk } = ItemKey::of(event);
            (pk, sk)
        })
        .collect()
}

/// Every sample: its path, and the keys of its events.
fn every_sample() -> BTreeMap<String, Vec<(String, String)>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeMap::new();
    let read_dir = |dir: &str| -> Vec<(String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                (
                    format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    };
    for (dir, provider) in [
        ("fixtures/brevo", Provider::Brevo),
        ("fixtures/mailgun", Provider::Mailgun),
        ("fixtures/mailjet", Provider::Mailjet),
        ("fixtures/postmark", Provider::Postmark),
        ("fixtures/resend", Provider::Resend),
        ("fixtures/sendgrid", Provider::SendGrid),
        ("fixtures/sendpulse", Provider::SendPulse),
        ("fixtures/ses", Provider::Ses),
    ] {
        for (name, body) in read_dir(dir) {
            out.insert(name, keys(provider, &body));
        }
    }
    for (name, body) in read_dir("fixtures/ses-eventbridge") {
        let event: Value = serde_json::from_str(&body).unwrap();
        out.insert(name, keys(Provider::Ses, &event["detail"].to_string()));
    }
    for (name, body) in read_dir("events") {
        let file = name.trim_start_matches("events/");
        let request: Value = serde_json::from_str(&body).unwrap();
        let found = if let Some(body) = request["body"].as_str() {
            // An HTTP request: the provider is the route's last segment.
            let route = request["rawPath"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let provider = Provider::parse(route).unwrap_or_else(|| panic!("{name}: {route}"));
            keys(provider, body)
        } else if file.starts_with("ses-event-") || file.starts_with("ses-notification-") {
            let event: Value = serde_json::from_str(&body).unwrap();
            event["Records"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| keys(Provider::Ses, r["Sns"]["Message"].as_str().unwrap()))
                .collect()
        } else if file.starts_with("sns-https-notification-") {
            let event: Value = serde_json::from_str(&body).unwrap();
            keys(Provider::Ses, event["Message"].as_str().unwrap())
        } else {
            continue;
        };
        out.insert(name, found);
    }
    out
}

#[test]
fn every_samples_keys_are_the_golden_ones() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden-keys.json");
    let now = every_sample();
    assert!(
        now.values().map(Vec::len).sum::<usize>() > 100,
        "the samples hold events"
    );
    if std::env::var_os("MAILTRAIL_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
        return;
    }
    let golden: BTreeMap<String, Vec<(String, String)>> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (name, keys) in &golden {
        assert_eq!(now.get(name), Some(keys), "{name}: a key changed");
    }
    for name in now.keys() {
        assert!(
            golden.contains_key(name),
            "{name} is not in the golden list: record it (MAILTRAIL_WRITE_GOLDEN=1)"
        );
    }
}
