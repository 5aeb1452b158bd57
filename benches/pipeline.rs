//! Throughput of the pipeline (decode + normalize + build the DynamoDB items) per provider, next
//! to two floors on the same bytes: serde_json into a `Value`, and simd-json's borrowed value;
//! and next to the item maps alone (the SDK's `HashMap<String, AttributeValue>` of the same
//! items, copied from ready ones: what building them costs with nothing decoded):
//! batches for SendGrid and SendPulse, every documented sample for SES and the one-event
//! providers (Mailgun, Postmark, Resend, Mailjet, Brevo, SparkPost, MailerSend, Mandrill,
//! Postal, SMTP2GO, AhaSend; the floors parse Mandrill's form field, its JSON).
//! Also the worst case of masking addresses in an error text (a 256 KB SNS message full of
//! them). Inputs come from `scripts/bench_data.py` (run by `make bench`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mailtrail::model::{NormalizedEvent, Provider, Timestamp};
use mailtrail::store::item::Item;

fn input(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run `make bench`)", path.display()))
}

fn received() -> Timestamp {
    Timestamp::from_millis(1_795_521_600_000).unwrap()
}

/// The items the store would write, as it builds them.
fn items_of(events: Vec<NormalizedEvent>) -> usize {
    Item::from_events(events, 400)
        .into_iter()
        .map(|item| item.attributes.len())
        .sum()
}

/// The JSON a body carries: itself, or the form field holding Mandrill's events.
fn json_of(provider: Provider, body: &[u8]) -> Vec<u8> {
    match provider {
        Provider::Mandrill => mailtrail::providers::form::field(body, "mandrill_events")
            .unwrap()
            .into_bytes(),
        _ => body.to_vec(),
    }
}

/// One group: the pipeline over `bodies` (one request each, as `provider` sends them) next to
/// the two parsing floors on the same bytes (on the JSON a form carries).
fn bodies_group(c: &mut Criterion, name: &str, provider: Provider, bodies: &[Vec<u8>]) {
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let json: Vec<Vec<u8>> = bodies.iter().map(|body| json_of(provider, body)).collect();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            bodies
                .iter()
                .map(|body| {
                    items_of(
                        mailtrail::providers::decode(provider, black_box(body), received())
                            .unwrap()
                            .events,
                    )
                })
                .sum::<usize>()
        })
    });
    // The SDK's attribute maps of the same items, copied from ready ones: the allocations and
    // hashing that any pipeline writing these items must pay, with no decoding at all.
    let ready: Vec<Item> = bodies
        .iter()
        .flat_map(|body| {
            let events = mailtrail::providers::decode(provider, body, received())
                .unwrap()
                .events;
            Item::from_events(events, 400)
        })
        .collect();
    group.bench_function("item_maps_alone", |b| {
        b.iter(|| {
            ready
                .iter()
                .map(|item| black_box(item.attributes.clone()).len())
                .sum::<usize>()
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for body in &json {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap());
            }
        })
    });
    group.bench_function("simd_json_borrowed", |b| {
        b.iter_batched_ref(
            || json.clone(),
            |copies| {
                for copy in copies.iter_mut() {
                    let value = simd_json::to_borrowed_value(copy).unwrap();
                    black_box(&value);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn sendgrid_batch(c: &mut Criterion) {
    let body = input("target/bench/sendgrid-1000.json");
    bodies_group(c, "sendgrid_1000", Provider::SendGrid, &[body]);
}

fn sendpulse_batch(c: &mut Criterion) {
    let body = input("target/bench/sendpulse-1000.json");
    bodies_group(c, "sendpulse_1000", Provider::SendPulse, &[body]);
}

const SES_TYPES: &[&str] = &[
    "bounce",
    "complaint",
    "delivery",
    "send",
    "reject",
    "open",
    "click",
    "rendering-failure",
    "delivery-delay",
    "subscription",
];

/// One SNS message of each SES event type.
fn ses_records(c: &mut Criterion) {
    let messages: Vec<Vec<u8>> = SES_TYPES
        .iter()
        .map(|t| input(&format!("fixtures/ses/event-{t}.json")))
        .collect();
    bodies_group(c, "ses_each_type", Provider::Ses, &messages);
}

/// Each one-event provider's documented samples (`target/bench/each/<name>/`), one request
/// each: the same bytes django-anymail's `parse_events` reads in `benches/peer_anymail.py`.
fn one_event_providers(c: &mut Criterion) {
    for (name, provider) in [
        ("mailgun", Provider::Mailgun),
        ("postmark", Provider::Postmark),
        ("resend", Provider::Resend),
        ("mailjet", Provider::Mailjet),
        ("brevo", Provider::Brevo),
        ("sparkpost", Provider::SparkPost),
        ("mailersend", Provider::MailerSend),
        ("mandrill", Provider::Mandrill),
        ("postal", Provider::Postal),
        ("smtp2go", Provider::Smtp2go),
        ("ahasend", Provider::AhaSend),
    ] {
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/bench/each")
            .join(name);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e} (run `make bench`)", folder.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        let bodies: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
        bodies_group(c, &format!("{name}_each"), provider, &bodies);
    }
}

/// The worst case for masking: 256 KB of addresses and bare `@`s, as one SNS message could be.
fn masking(c: &mut Criterion) {
    let mut worst = String::with_capacity(256 * 1024);
    while worst.len() < 256 * 1024 - 16 {
        worst.push_str("jane.doe@example.com@@");
    }
    let mut group = c.benchmark_group("masking_256k");
    group.throughput(Throughput::Bytes(worst.len() as u64));
    group.bench_function("mask_emails", |b| {
        b.iter(|| mailtrail::base::mask::mask_emails(black_box(&worst)).len())
    });
    group.bench_function("copy_floor", |b| {
        b.iter(|| black_box(black_box(&worst).to_owned()).len())
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = sendgrid_batch, sendpulse_batch, ses_records, one_event_providers, masking }
criterion_main!(benches);
