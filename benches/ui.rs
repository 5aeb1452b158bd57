//! `mailtrail ui` against the local DynamoDB-API server: the recipient page of an address with
//! 1,000 events across 300 messages (index query, grouping, subjects from one batch of full
//! items, the verdict), next to its floor: the bare index query of the same rows with the SDK.
//! Also the message page and the event page. Written to `target/bench/ui.json`.
//!
//! `MAILTRAIL_CLI` names the release `mailtrail` binary (`make bench` builds it).

#[path = "../tests/integration/support.rs"]
mod support;
#[path = "common/ui_server.rs"]
mod ui_server;

use ui_server::stats;

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

const RUNS: usize = 15;
const ADDRESS: &str = "busy@example.com";
const EVENTS: usize = 1_000;
const MESSAGES: usize = 300;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (table, suppressions, client) = runtime.block_on(async {
        let (app, client, table, suppressions) = support::app_with_suppressions().await;
        // 1,000 SendGrid events for one address across 300 messages, in batches of 500.
        let kinds = ["processed", "delivered", "open", "click"];
        let events: Vec<String> = (0..EVENTS)
            .map(|i| {
                let message = i % MESSAGES;
                let kind = kinds[(i / MESSAGES) % kinds.len()];
                let url = if kind == "click" { r#","url":"https://example.com/offer""# } else { "" };
                format!(
                    r#"{{"event":"{kind}","email":"{ADDRESS}","timestamp":{},"sg_message_id":"busy{message:03}.filter1","sg_event_id":"e{i}"{url}}}"#,
                    1_795_000_000 + i as i64
                )
            })
            .collect();
        for chunk in events.chunks(500) {
            support::invoke(&app, &support::sendgrid_post(&format!("[{}]", chunk.join(","))))
                .await
                .expect("stored");
        }
        (table, suppressions, client)
    });

    // The floor: the same index rows, read with the bare SDK.
    let floor: Vec<f64> = (0..RUNS)
        .map(|_| {
            runtime.block_on(async {
                let started = Instant::now();
                let rows: Vec<_> = client
                    .query()
                    .table_name(&table)
                    .index_name(mailtrail::store::table::BY_RECIPIENT_INDEX)
                    .key_condition_expression("recipient = :r")
                    .expression_attribute_values(":r", AttributeValue::S(ADDRESS.to_owned()))
                    .scan_index_forward(false)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .unwrap();
                assert_eq!(rows.len(), EVENTS);
                started.elapsed().as_secs_f64() * 1000.0
            })
        })
        .collect();

    let ui = ui_server::start(&[
        ("MAILTRAIL_TABLE", table.as_str()),
        ("MAILTRAIL_SUPPRESSIONS_TABLE", suppressions.as_str()),
    ]);
    let path = format!("/recipient/{}", ADDRESS.replace('@', "%40"));
    let mut page = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let (status, ms, size) = ui.get(&path);
        assert_eq!(status, 200);
        page.push(ms);
        bytes = size;
    }
    let message: Vec<f64> = (0..RUNS)
        .map(|_| {
            let (status, ms, _) = ui.get("/message/busy007");
            assert_eq!(status, 200);
            ms
        })
        .collect();
    drop(ui);
    let report = json!({
        "recipient_page": {"events": EVENTS, "messages": MESSAGES, "ms": stats(page), "bytes": bytes},
        "index_query_floor": {"ms": stats(floor)},
        "message_page": {"ms": stats(message)},
    });
    let out = support::root().join("target/bench/ui.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
