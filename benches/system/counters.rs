//! What counting costs: the realistic mix (`target/mix/requests.json`, `scripts/make_mix.py`),
//! decoded and made into items as the function stores them, its event times laid over one hour
//! (a busy sender: 10,400 events an hour), fed to the counter as stream records in tumbling
//! windows of 60, 300 and 900 seconds against the DynamoDB-API server; the write units
//! DynamoDB reports for the counter items, per event counted.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::model::{Provider, Timestamp};
use mailtrail::stats::window::{insert_record, window_event};
use mailtrail::stats::Counter;
use mailtrail::store::item::Item;
use serde_json::{json, Value};

use crate::support;

/// The mix's event items, in event time order, laid over one hour of 2026-12-05 from 10:00.
pub fn mix_items() -> Vec<HashMap<String, AttributeValue>> {
    let text = std::fs::read_to_string(support::root().join("target/mix/requests.json"))
        .expect("target/mix/requests.json (run `make bench`)");
    let requests: Vec<Value> = serde_json::from_str(&text).unwrap();
    let received = Timestamp::now();
    let mut items = Vec::new();
    for request in requests {
        let provider = Provider::parse(request["provider"].as_str().unwrap()).unwrap();
        let body = request["body"].as_str().unwrap();
        let decoded = match provider {
            Provider::Ses => mailtrail::providers::ses::decode(body, received),
            _ => mailtrail::providers::decode(provider, body.as_bytes(), received),
        }
        .expect("the mix decodes");
        items.extend(
            Item::from_events(decoded.events, 400)
                .into_iter()
                .map(|i| i.attributes),
        );
    }
    let time =
        |i: &HashMap<String, AttributeValue>| i.get("occurred_at").and_then(|v| v.as_s().ok()).cloned();
    items.sort_by_key(time);
    let n = items.len() as i64;
    let start = 1_796_464_800; // 2026-12-05T10:00:00Z
    for (i, item) in items.iter_mut().enumerate() {
        let at = chrono::DateTime::from_timestamp(start + i as i64 * 3600 / n, 0).unwrap();
        item.insert(
            "occurred_at".to_owned(),
            AttributeValue::S(at.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()),
        );
    }
    items
}

/// Write units per counted event for each window length.
pub async fn counter_cost() -> Value {
    let items = mix_items();
    let client = support::client().await;
    let mut out = Vec::new();
    for window_seconds in [60usize, 300, 900] {
        let stats = format!("bench-stats-{}-{window_seconds}", std::process::id());
        mailtrail::store::table::create_stats(&client, &stats)
            .await
            .unwrap();
        let counter = Counter::new(client.clone(), stats);
        let per_window = items.len() * window_seconds / 3600;
        let (mut units, mut counted, mut counter_items, mut windows) = (0.0, 0, 0, 0);
        for (w, chunk) in items.chunks(per_window.max(1)).enumerate() {
            windows += 1;
            let records: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, item)| insert_record((w * 100_000 + i) as u64, item))
                .collect();
            let start = chrono::DateTime::from_timestamp(1_796_464_800 + (w * window_seconds) as i64, 0)
                .unwrap()
                .to_rfc3339();
            let mut state = json!({});
            for batch in records.chunks(1_000) {
                let (answer, summary) = counter
                    .handle(&window_event("shardId-0001", &start, batch, &state, false))
                    .await
                    .unwrap();
                counted += summary.counted;
                state = answer["state"].clone();
            }
            let (_, summary) = counter
                .handle(&window_event("shardId-0001", &start, &[], &state, true))
                .await
                .unwrap();
            let written = summary.written.unwrap_or_default();
            units += written.write_units;
            counter_items += written.applied;
        }
        out.push(json!({
            "window_seconds": window_seconds,
            "windows": windows,
            "events_per_window": per_window,
            "events_counted": counted,
            "counter_writes": counter_items,
            "write_units": units,
            "wcu_per_event": units / counted.max(1) as f64,
        }));
    }
    json!({"events": items.len(), "per_window": out})
}
