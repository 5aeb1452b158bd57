//! `mailtrail ui` against the local DynamoDB-API server: the recipient page of an address with
//! 1,000 events across 300 messages (index query, grouping, subjects from one batch of full
//! items, the verdict), next to its floor: the bare index query of the same rows with the SDK.
//! Also the message page and the event page. Written to `target/bench/ui.json`.
//!
//! `MAILTRAIL_CLI` names the release `mailtrail` binary (`make bench` builds it).

#[path = "../tests/integration/support.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

const RUNS: usize = 15;
const ADDRESS: &str = "busy@example.com";
const EVENTS: usize = 1_000;
const MESSAGES: usize = 300;

fn stats(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    json!({"median": samples[samples.len() / 2], "min": samples[0], "max": samples[samples.len() - 1], "runs": samples.len()})
}

/// One GET with the session cookie: (status, milliseconds, bytes).
fn get(port: u16, path: &str, cookie: &str) -> (u16, f64, usize) {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (status, elapsed, response.len())
}

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

    let binary = std::env::var("MAILTRAIL_CLI").unwrap_or_else(|_| "target/release/mailtrail".to_owned());
    let token_file = std::env::temp_dir().join(format!("mailtrail-ui-bench-{}.token", std::process::id()));
    let mut child = Command::new(support::root().join(&binary))
        .args(["ui", "--no-open", "--token-file"])
        .arg(&token_file)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &support::dynamo().endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("MAILTRAIL_TABLE", &table)
        .env("MAILTRAIL_SUPPRESSIONS_TABLE", &suppressions)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the release mailtrail binary (make bench builds it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().trim_start_matches("mailtrail ui: ").to_owned();
    let port: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    let _ = std::fs::remove_file(&token_file);
    let cookie = format!("mailtrail_ui_{port}={token}");
    let path = format!("/recipient/{}", ADDRESS.replace('@', "%40"));
    let mut page = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let (status, ms, size) = get(port, &path, &cookie);
        assert_eq!(status, 200);
        page.push(ms);
        bytes = size;
    }
    let message: Vec<f64> = (0..RUNS)
        .map(|_| {
            let (status, ms, _) = get(port, "/message/busy007", &cookie);
            assert_eq!(status, 200);
            ms
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
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
