//! System benchmarks, written to `target/bench/system.json` for `scripts/bench_summary.py`:
//!
//! - end to end: a 1,000-event SendGrid request through the handler into the DynamoDB-API server
//!   on loopback, next to a bare-SDK baseline writing the same items (pre-built) with the same
//!   number of concurrent BatchWriteItem calls;
//! - store efficiency: DynamoDB requests for that batch, and the size and write units of the
//!   item of every seed event;
//! - cold start: the release binary against a minimal Lambda Runtime API on 127.0.0.1 (exec to
//!   first `GET …/invocation/next`, and to the response for an SNS record), next to a
//!   hello-world `lambda_runtime` binary;
//! - memory: peak RSS while handling the 1,000-event SendGrid batch.
//!
//! `MAILTRAIL_BIN`, `NOTIFY_BIN` and `HELLO_BIN` name the release binaries (`make bench` builds
//! them); the cold starts are in `system/cold_start.rs`.

#[path = "../tests/integration/http1.rs"]
mod http1;
#[path = "../tests/integration/runtime_api.rs"]
mod runtime_api;
#[path = "../tests/integration/support.rs"]
mod support;

#[path = "system/cold_start.rs"]
mod cold_start;
#[path = "system/counters.rs"]
mod counters;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use futures_util::stream::{self, StreamExt};
use mailtrail::base::deadline::Deadline;
use mailtrail::store::dynamodb::BATCH_SIZE;
use mailtrail::store::item::Item;
use mailtrail::store::DynamoStore;
use serde_json::{json, Value};

const E2E_RUNS: usize = 15;

/// Counts the HTTP requests the SDK sends.
#[derive(Debug, Clone, Default)]
struct CountRequests(Arc<AtomicUsize>);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "CountRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

pub(crate) fn stats(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    json!({"median": median, "min": samples[0], "max": samples[samples.len() - 1], "runs": samples.len()})
}

pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// DynamoDB's item size: attribute names plus values (numbers approximated by their digits).
fn item_size(attributes: &HashMap<String, AttributeValue>) -> usize {
    fn value_size(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.len().div_ceil(2) + 1,
            AttributeValue::B(b) => b.as_ref().len(),
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| 1 + k.len() + value_size(v))
                    .sum::<usize>()
            }
            _ => 0,
        }
    }
    attributes
        .iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// The texts of every file in a fixtures folder, in name order.
fn fixture_texts(dir: &str) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(support::root().join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

fn seed_items() -> Vec<(String, usize)> {
    use mailtrail::providers::{sendgrid, sendpulse, ses};
    let received = mailtrail::model::Timestamp::now();
    let mut events = sendgrid::decode(
        support::read("fixtures/sendgrid/seed-batch.json").as_bytes(),
        received,
    )
    .unwrap()
    .events;
    for text in fixture_texts("fixtures/ses") {
        events.extend(ses::decode(&text, received).unwrap().events);
    }
    for text in fixture_texts("fixtures/sendpulse") {
        events.extend(sendpulse::decode(text.as_bytes(), received).unwrap().events);
    }
    events
        .iter()
        .map(|e| {
            (
                format!("{}:{}", e.provider.as_str(), e.provider_event),
                item_size(&Item::from_event(e.clone(), 400).attributes),
            )
        })
        .collect()
}

/// Item sizes on the realistic mix (`target/bench/mix-*.json`), per provider, in today's
/// layout and in the layout before compression and the lean index, for the cost model: the
/// mean item and index-item bytes (DynamoDB's size rules, without its 100-byte overhead) and
/// the mean write units of each.
fn mix_sizes() -> Value {
    use mailtrail::model::Provider;
    let received = mailtrail::model::Timestamp::now();
    let read = |name: &str| std::fs::read(support::root().join("target/bench").join(name)).unwrap();
    let ses: Vec<String> = serde_json::from_slice(&read("mix-ses.json")).unwrap();
    let mut by_provider: Vec<(Provider, Vec<mailtrail::model::NormalizedEvent>)> = vec![
        (
            Provider::Ses,
            ses.iter()
                .flat_map(|m| mailtrail::providers::ses::decode(m, received).unwrap().events)
                .collect(),
        ),
        (
            Provider::SendGrid,
            mailtrail::providers::sendgrid::decode(&read("mix-sendgrid.json"), received)
                .unwrap()
                .events,
        ),
        (
            Provider::SendPulse,
            mailtrail::providers::sendpulse::decode(&read("mix-sendpulse.json"), received)
                .unwrap()
                .events,
        ),
    ];
    // The one-event providers: one request body per entry (Mailjet's grouped 100 a request).
    for provider in [
        Provider::Mailgun,
        Provider::Postmark,
        Provider::Resend,
        Provider::Mailjet,
        Provider::Brevo,
    ] {
        let bodies: Vec<String> =
            serde_json::from_slice(&read(&format!("mix-{}.json", provider.as_str()))).unwrap();
        let events = bodies
            .iter()
            .flat_map(|body| {
                mailtrail::providers::decode(provider, body.as_bytes(), received)
                    .unwrap()
                    .events
            })
            .collect();
        by_provider.push((provider, events));
    }
    let mut out = serde_json::Map::new();
    for (provider, events) in by_provider.drain(..) {
        let (mut now_item, mut now_index, mut old_item, mut now_wru, mut old_wru) = (0, 0, 0, 0, 0);
        let (mut raw_bytes, mut raw_stored) = (0, 0);
        let indexed = events.iter().filter(|e| e.recipient.is_some()).count();
        // As the store builds them: a notification naming several recipients keeps its raw
        // event on the first recipient's item only.
        let items = Item::from_events(events.clone(), 400);
        // The archive: the same items as rows of one Parquet file, its bytes per event and the
        // time to make it.
        let archive_started = Instant::now();
        let rows: Vec<_> = items
            .iter()
            .filter_map(|i| mailtrail::archive::row::row_of(&i.attributes, "2026-12-05T10:00:00.000Z"))
            .collect();
        let parquet = mailtrail::archive::file::parquet_bytes(&rows).unwrap();
        let archive_ms = archive_started.elapsed().as_secs_f64() * 1000.0;
        let archive = json!({
            "rows": rows.len(),
            "bytes_per_event": parquet.len() as f64 / rows.len().max(1) as f64,
            "ms_per_1000": archive_ms * 1000.0 / rows.len().max(1) as f64,
        });
        for (event, item) in events.iter().zip(items) {
            let raw_len = event.raw.len().min(mailtrail::store::item::MAX_RAW_BYTES);
            let item = item.attributes;
            let item_bytes = item_size(&item);
            let index: HashMap<String, AttributeValue> = item
                .iter()
                .filter(|(k, _)| {
                    ["pk", "sk", "recipient"].contains(&k.as_str())
                        || mailtrail::store::item::INDEX_ATTRIBUTES.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let index_bytes = if event.recipient.is_some() {
                item_size(&index)
            } else {
                0
            };
            raw_bytes += raw_len;
            raw_stored += match (item.get("raw_z"), item.get("raw")) {
                (Some(z), _) => z.as_b().map_or(0, |b| b.as_ref().len()),
                (None, Some(_)) => raw_len,
                (None, None) => 0,
            };
            // Before: the raw text itself on every item, no summary, `time_source` always, the
            // texts the index once held in full, and every attribute in the index. (The sender,
            // subject, user agent, IP, tags and provider data that layout also copied out of
            // the raw event are no longer decoded at all, so they are left out of it here.)
            let mut before = item.clone();
            for name in ["raw_z", "raw_codec", "summary", "raw_in"] {
                before.remove(name);
            }
            before.insert("raw".into(), AttributeValue::S("x".repeat(raw_len)));
            before.insert(
                "time_source".into(),
                AttributeValue::S(event.time.source.as_str().to_owned()),
            );
            let text = |v: &Option<String>| {
                v.as_ref()
                    .filter(|t| !t.is_empty())
                    .map(|t| AttributeValue::S(t.clone()))
            };
            for (name, value) in [
                ("message_id", text(&event.message_id)),
                ("smtp_response", text(&event.smtp_response)),
                ("reason", text(&event.reason)),
            ] {
                if let Some(value) = value {
                    before.insert(name.into(), value);
                }
            }
            let before_bytes = item_size(&before);
            now_item += item_bytes;
            now_index += index_bytes;
            old_item += before_bytes;
            let has_index = usize::from(event.recipient.is_some());
            now_wru += item_bytes.div_ceil(1024) + has_index * index_bytes.div_ceil(1024);
            old_wru += before_bytes.div_ceil(1024) * (1 + has_index);
        }
        // The suppression list: conditional UpdateItems per event, and the record sizes they
        // write (an UpdateItem costs the item's size after the update, at least 1 write unit).
        let marks: Vec<mailtrail::suppression::Evidence> = events
            .iter()
            .flat_map(|e| mailtrail::suppression::evidence(e, None))
            .collect();
        let suppressing = events
            .iter()
            .filter(|e| !mailtrail::suppression::evidence(e, None).is_empty())
            .count();
        let mut records: HashMap<String, mailtrail::suppression::Record> = HashMap::new();
        let mut suppression_wru = 0;
        for mark in &marks {
            let record = records.entry(mark.address.clone()).or_default();
            record.apply(mark);
            let attributes: HashMap<String, AttributeValue> = record
                .slots
                .iter()
                .map(|(k, v)| (k.clone(), mailtrail::store::suppression::slot_attribute(v)))
                .chain([("address".to_owned(), AttributeValue::S(mark.address.clone()))])
                .collect();
            suppression_wru += item_size(&attributes).div_ceil(1024).max(1);
        }
        let n = events.len().max(1) as f64;
        out.insert(
            provider.as_str().into(),
            json!({
                "events": events.len(),
                "indexed_share": indexed as f64 / n,
                "now": {"item_bytes": now_item as f64 / n, "index_bytes": now_index as f64 / n, "wru": now_wru as f64 / n},
                "before": {"item_bytes": old_item as f64 / n, "index_bytes": old_item as f64 / n * indexed as f64 / n, "wru": old_wru as f64 / n},
                "suppression": {
                    "suppressing_share": suppressing as f64 / n,
                    "updates_per_suppressing_event": marks.len() as f64 / suppressing.max(1) as f64,
                    "wru_per_suppressing_event": suppression_wru as f64 / suppressing.max(1) as f64,
                    "wru_per_event": suppression_wru as f64 / n,
                },
                "raw_bytes": raw_bytes as f64 / n,
                "raw_stored_bytes": raw_stored as f64 / n,
                "archive": archive,
            }),
        );
    }
    Value::Object(out)
}

/// Bytes the function writes to CloudWatch Logs per invocation (its JSON log lines and its EMF
/// lines), per trigger, measured through the handler over the in-memory store.
async fn log_bytes() -> Value {
    use mailtrail::metrics::MetricsSink;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber =
        mailtrail::base::logging::json_subscriber(tracing_subscriber::EnvFilter::new("info"), move || {
            writer.clone()
        });
    let _guard = tracing::subscriber::set_default(subscriber);
    let emf = Arc::new(Mutex::new(Vec::new()));
    let mut config = support::test_config("events");
    config.metrics = true;
    let store = Arc::new(mailtrail::store::MemoryStore::new(400));
    let app = mailtrail::app::App::with_https(config, store, Arc::new(support::NoInternet::default()))
        .with_metrics(MetricsSink::Memory(emf.clone()));
    let sendgrid = std::fs::read_to_string(support::root().join("target/bench/mix-sendgrid.json")).unwrap();
    let sendpulse = std::fs::read_to_string(support::root().join("target/bench/mix-sendpulse.json")).unwrap();
    let ses: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(support::root().join("target/bench/mix-ses.json")).unwrap(),
    )
    .unwrap();
    let first = |name: &str| -> String {
        let bodies: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(support::root().join(format!("target/bench/mix-{name}.json"))).unwrap(),
        )
        .unwrap();
        bodies[1].clone()
    };
    let eventbridge: Value =
        serde_json::from_str(&support::read("fixtures/ses-eventbridge/bounce.json")).unwrap();
    let mut out = serde_json::Map::new();
    for (name, event) in [
        ("ses", support::sns_event(&ses[1])),
        ("ses_eventbridge", eventbridge),
        ("sendgrid", support::sendgrid_post(&sendgrid)),
        ("sendpulse", support::sendpulse_post(&sendpulse)),
        (
            "mailgun",
            support::mailgun_post(&support::mailgun_signed(
                &first("mailgun"),
                "b2f9e1c4d5a6978812345678abcdef0123456789abcdef01",
            )),
        ),
        ("postmark", support::postmark_post(&first("postmark"))),
        ("resend", support::resend_post(&first("resend"))),
        ("mailjet", support::mailjet_post(&first("mailjet"))),
        ("brevo", support::brevo_post(&first("brevo"))),
    ] {
        capture.0.lock().unwrap().clear();
        emf.lock().unwrap().clear();
        let raw = serde_json::value::RawValue::from_string(event.to_string()).unwrap();
        mailtrail::ingress::handle_as(
            &app,
            &raw,
            "bench",
            "arn:aws:lambda:us-east-1:123456789012:function:mailtrail",
            mailtrail::base::deadline::Deadline::after(Duration::from_secs(60)),
        )
        .await
        .unwrap();
        let log = capture.0.lock().unwrap().len();
        let metrics: usize = emf.lock().unwrap().iter().map(|l| l.len() + 1).sum();
        out.insert(name.into(), json!({"log_bytes": log, "emf_bytes": metrics}));
    }
    Value::Object(out)
}

/// The bare-SDK floor: pre-built items written in chunks of 25, `concurrency` at a time.
async fn bare_sdk_write(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: &[HashMap<String, AttributeValue>],
) -> f64 {
    let chunks: Vec<Vec<WriteRequest>> = items
        .chunks(BATCH_SIZE)
        .map(|chunk| {
            chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .unwrap();
                    WriteRequest::builder().put_request(put).build()
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let results: Vec<_> = stream::iter(chunks)
        .map(|chunk| client.batch_write_item().request_items(table, chunk).send())
        .buffer_unordered(DynamoStore::DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let elapsed = ms(started.elapsed());
    for result in results {
        assert!(result.unwrap().unprocessed_items.unwrap_or_default().is_empty());
    }
    elapsed
}

async fn end_to_end(body: &str) -> Value {
    let counter = CountRequests::default();
    let base = support::client().await;
    let client =
        aws_sdk_dynamodb::Client::from_conf(base.config().to_builder().interceptor(counter.clone()).build());
    let table = support::fresh_table(&client).await;
    let app = support::app(&client, &table);
    let store = DynamoStore::new(client.clone(), table.clone(), 400);
    let request = support::sendgrid_post(body);
    let received = mailtrail::model::Timestamp::now();
    let events = mailtrail::providers::sendgrid::decode(body.as_bytes(), received)
        .unwrap()
        .events;
    let items: Vec<HashMap<String, AttributeValue>> = events
        .iter()
        .map(|e| Item::from_event(e.clone(), 400).attributes)
        .collect();

    // Warm the server up (its JIT), then interleave the variants so that none gains from order.
    for _ in 0..5 {
        assert_eq!(support::invoke_http(&app, &request).await.0, 200);
        bare_sdk_write(&client, &table, &items).await;
    }
    let (mut handler_ms, mut store_ms, mut baseline_ms, mut requests) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..E2E_RUNS {
        let before = counter.0.load(Ordering::Relaxed);
        let started = Instant::now();
        let (status, reply) = support::invoke_http(&app, &request).await;
        handler_ms.push(ms(started.elapsed()));
        assert_eq!(status, 200, "{reply}");
        requests.push(counter.0.load(Ordering::Relaxed) - before);

        // mailtrail's batch writer alone on pre-built items: the writer's share of the gap.
        let prebuilt: Vec<Item> = events.iter().map(|e| Item::from_event(e.clone(), 400)).collect();
        let started = Instant::now();
        store.put_items(prebuilt, Deadline::none()).await.unwrap();
        store_ms.push(ms(started.elapsed()));

        baseline_ms.push(bare_sdk_write(&client, &table, &items).await);
    }

    // Warm handler time for the other triggers, for the cost estimate.
    let sendpulse_body =
        std::fs::read_to_string(support::root().join("target/bench/sendpulse-1000.json")).unwrap();
    let sendpulse_request = support::sendpulse_post(&sendpulse_body);
    let mut sendpulse_ms = Vec::new();
    for _ in 0..E2E_RUNS {
        let started = Instant::now();
        assert_eq!(support::invoke_http(&app, &sendpulse_request).await.0, 200);
        sendpulse_ms.push(ms(started.elapsed()));
    }
    let sns = serde_json::from_str::<Value>(&support::read("events/ses-event-bounce.json")).unwrap();
    let mut ses_ms = Vec::new();
    for _ in 0..E2E_RUNS * 4 {
        let started = Instant::now();
        support::invoke(&app, &sns).await.unwrap();
        ses_ms.push(ms(started.elapsed()));
    }
    // One request of each one-event provider (its mix, 40 requests; Mailjet's grouped 100 each).
    let mut one_event_ms = serde_json::Map::new();
    for name in ["mailgun", "postmark", "resend", "mailjet", "brevo"] {
        let bodies: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(support::root().join(format!("target/bench/mix-{name}.json"))).unwrap(),
        )
        .unwrap();
        let mut samples = Vec::new();
        for (i, body) in bodies.iter().take(40).enumerate() {
            let request = match name {
                "mailgun" => support::mailgun_post(&support::mailgun_signed(body, &format!("{i:050x}"))),
                "postmark" => support::postmark_post(body),
                "resend" => support::resend_post(body),
                "mailjet" => support::mailjet_post(body),
                _ => support::brevo_post(body),
            };
            let started = Instant::now();
            let (status, reply) = support::invoke_http(&app, &request).await;
            samples.push(ms(started.elapsed()));
            assert_eq!(status, 200, "{name}: {reply}");
        }
        one_event_ms.insert(name.into(), stats(samples));
    }
    json!({
        "events": events.len(),
        "one_request_handler_ms": one_event_ms,
        "handler_ms": stats(handler_ms),
        "store_only_ms": stats(store_ms),
        "bare_sdk_ms": stats(baseline_ms),
        "sendpulse_1000_handler_ms": stats(sendpulse_ms),
        "ses_record_handler_ms": stats(ses_ms),
        "requests_per_batch": requests.iter().copied().max(),
        "requests_expected": events.len().div_ceil(BATCH_SIZE),
        "concurrency": DynamoStore::DEFAULT_CONCURRENCY,
    })
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let body = std::fs::read_to_string(support::root().join("target/bench/sendgrid-1000.json"))
        .expect("target/bench/sendgrid-1000.json (run `make bench`)");
    let report = runtime.block_on(async {
        let e2e = end_to_end(&body).await;
        let cold = cold_start::cold_starts().await;
        let sizes: Vec<Value> = seed_items()
            .into_iter()
            .map(|(name, bytes)| json!({"event": name, "bytes": bytes, "wcu": bytes.div_ceil(1024)}))
            .collect();
        let counting = counters::counter_cost().await;
        json!({"end_to_end": e2e, "cold_start": cold, "seed_items": sizes, "mix": mix_sizes(), "logs": log_bytes().await, "counters": counting})
    });
    let out = support::root().join("target/bench/system.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
