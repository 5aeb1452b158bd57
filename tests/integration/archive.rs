//! The archive end to end: part of the realistic mix through the real function, the writer fed
//! stream records made from the stored items (an `INSERT` per item, some `MODIFY`s, which are no
//! new rows), Parquet files in moto's S3, copied to a folder and read by DuckDB with Hive
//! partitioning; every query of docs/queries.md answers, and batches delivered again (the same
//! batch, and one overlapping two others) change no answer.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::archive::Archiver;
use mailtrail::stats::window::change_record;
use serde_json::{json, Value};

use crate::support::*;

/// An S3 client for moto's server (path-style addressing).
pub(crate) async fn s3() -> aws_sdk_s3::Client {
    let config = local_sdk(&moto().endpoint).load().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .endpoint_url(&moto().endpoint)
            .force_path_style(true)
            .build(),
    )
}

/// A new, empty bucket.
pub(crate) async fn fresh_bucket(s3: &aws_sdk_s3::Client) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "archive-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("the bucket is created");
    name
}

/// Copies every object of the bucket into a fresh folder; returns it and the object count.
pub(crate) async fn download(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tag: &str,
) -> (std::path::PathBuf, usize) {
    let folder = root()
        .join("target")
        .join(format!("archive-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let mut objects = 0;
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            let key = object.key().unwrap();
            let body = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap();
            let path = folder.join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body.into_bytes()).unwrap();
            objects += 1;
        }
    }
    (folder, objects)
}

/// Every answer of docs/queries.md over a folder, by DuckDB.
pub(crate) fn answers(folder: &std::path::Path) -> serde_json::Map<String, Value> {
    let out = std::process::Command::new(root().join(".venv/bin/python"))
        .arg(root().join("scripts/archive_queries.py"))
        .arg(folder)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn is_event(item: &HashMap<String, AttributeValue>) -> bool {
    mailtrail::stats::count::is_event_item(item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_answers_over_the_archive_and_a_redelivered_batch_changes_no_answer() {
    let (requests, _) = crate::stats::mix();
    let client = client().await;
    let table = fresh_table(&client).await;
    let app = app(&client, &table);
    for (n, (provider, body)) in requests.iter().enumerate().take(600) {
        crate::stats::post(&app, provider, body, n).await;
    }
    // SES's samples: one message sent, delivered, opened and clicked (tags and times), and
    // jane@example.com's bounce, for the audit query.
    for file in [
        "events/ses-event-send.json",
        "events/ses-event-delivery.json",
        "events/ses-event-open.json",
        "events/ses-event-click.json",
        "events/ses-notification-bounce.json",
    ] {
        invoke(&app, &serde_json::from_str(&read(file)).unwrap())
            .await
            .unwrap();
    }

    let items = scan_all(&client, &table).await;
    let mut records: Vec<Value> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        records.push(change_record("INSERT", n as u64 * 2, item));
        if n % 50 == 0 {
            records.push(change_record("MODIFY", n as u64 * 2 + 1, item));
        }
    }
    let s3 = s3().await;
    let bucket = fresh_bucket(&s3).await;
    let archiver = Archiver::new(s3.clone(), bucket.clone());
    let batches: Vec<&[Value]> = records.chunks(300).collect();
    let mut rows = 0;
    for batch in &batches {
        let (answer, summary) = archiver.handle(&json!({ "Records": batch })).await.unwrap();
        assert_eq!(answer, json!({"batchItemFailures": []}));
        rows += summary.rows;
    }
    let events = items.iter().filter(|i| is_event(i)).count();
    assert_eq!(
        rows, events,
        "one row per event item; MODIFY records and other items are none"
    );

    let (folder, objects) = download(&s3, &bucket, "first").await;
    let first = answers(&folder);
    let count: i64 = first["How many events, per provider and kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[2].as_i64().unwrap())
        .sum();
    assert_eq!(count as usize, events);
    for (question, rows) in &first {
        assert!(rows.is_array(), "{question}");
    }
    assert!(!first
        ["How is our email doing, per mailbox provider and sending provider (the overview's matrix)"]
        .as_array()
        .unwrap()
        .is_empty());
    let audit = first["Everything that happened to one address (an audit)"]
        .as_array()
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let sources = first["A field of the provider's own JSON (SES's sending source)"]
        .as_array()
        .unwrap();
    assert!(
        sources
            .iter()
            .any(|r| r[0].as_str().is_some_and(|s| s.contains("shop.example.com"))),
        "{sources:?}"
    );

    // The same batch again (its objects are rewritten), and a batch overlapping two others (its
    // rows repeat in new objects): no answer changes.
    archiver.handle(&json!({ "Records": batches[1] })).await.unwrap();
    let overlap: Vec<Value> = records[150..450].to_vec();
    archiver.handle(&json!({ "Records": overlap })).await.unwrap();
    let (again, more) = download(&s3, &bucket, "again").await;
    assert!(more > objects, "the overlapping batch wrote files of its own");
    assert_eq!(answers(&again), first);
    let _ = std::fs::remove_dir_all(folder);
    let _ = std::fs::remove_dir_all(again);
}

#[tokio::test]
async fn a_put_that_fails_fails_the_batch() {
    let s3 = s3().await;
    let archiver = Archiver::new(s3, "no-such-bucket-anywhere");
    let mut item = HashMap::new();
    for (k, v) in [
        ("pk", "m"),
        ("sk", "2026-12-05T10:00:00.000Z#delivered#x"),
        ("provider", "ses"),
        ("event", "delivered"),
        ("occurred_at", "2026-12-05T10:00:00.000Z"),
    ] {
        item.insert(k.to_owned(), AttributeValue::S(v.to_owned()));
    }
    let event = json!({ "Records": [change_record("INSERT", 1, &item)] });
    assert!(archiver.handle(&event).await.is_err());
    assert!(
        archiver.handle(&json!({"nope": 1})).await.is_err(),
        "not a stream batch"
    );
}

/// `mailtrail …` against the local servers, with S3 and Athena at moto's.
fn mailtrail_archive(table: &str, args: &[&str]) -> std::process::Output {
    crate::cli::mailtrail_command(table, "no-suppressions")
        .env("AWS_ENDPOINT_URL_S3", &moto().endpoint)
        .env("AWS_ENDPOINT_URL_ATHENA", &moto().endpoint)
        .args(args)
        .output()
        .expect("the mailtrail binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_gives_the_streams_answers_and_adds_nothing_to_them() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let app = app(&client, &table);
    for file in [
        "events/ses-event-send.json",
        "events/ses-event-delivery.json",
        "events/ses-event-bounce.json",
        "events/ses-notification-bounce.json",
    ] {
        invoke(&app, &serde_json::from_str(&read(file)).unwrap())
            .await
            .unwrap();
    }
    invoke(&app, &sendgrid_post(&read("fixtures/sendgrid/seed-batch.json")))
        .await
        .unwrap();
    let items = scan_all(&client, &table).await;
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(n, i)| change_record("INSERT", n as u64, i))
        .collect();
    let s3 = s3().await;
    let streamed = fresh_bucket(&s3).await;
    Archiver::new(s3.clone(), streamed.clone())
        .handle(&json!({ "Records": records }))
        .await
        .unwrap();
    let (folder, _) = download(&s3, &streamed, "streamed").await;
    let from_stream = answers(&folder);

    let backfilled = fresh_bucket(&s3).await;
    let out = mailtrail_archive(
        &table,
        &["archive", "backfill", "--bucket", &backfilled, "--output", "json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["rows"].as_u64().unwrap() as usize,
        items.iter().filter(|i| is_event(i)).count()
    );
    let (only, _) = download(&s3, &backfilled, "backfilled").await;
    assert_eq!(
        answers(&only),
        from_stream,
        "a backfill answers as the stream does"
    );
    // Backfilled over what the stream wrote, twice: the same answers.
    for _ in 0..2 {
        let out = mailtrail_archive(&table, &["archive", "backfill", "--bucket", &streamed]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (both, _) = download(&s3, &streamed, "both").await;
    assert_eq!(answers(&both), from_stream);
    let out = mailtrail_archive(
        &table,
        &[
            "archive",
            "backfill",
            "--bucket",
            &streamed,
            "--since",
            "yesterday",
        ],
    );
    assert!(!out.status.success());
    for folder in [folder, only, both] {
        let _ = std::fs::remove_dir_all(folder);
    }
}

#[tokio::test]
async fn mailtrail_sql_runs_a_query_in_the_workgroup_and_prints_its_rows() {
    // moto's Athena answers every query with the results queued through its API.
    let results = json!({"results": [{
        "rows": [
            {"Data": [{"VarCharValue": "provider"}, {"VarCharValue": "events"}]},
            {"Data": [{"VarCharValue": "ses"}, {"VarCharValue": "3"}]},
            {"Data": [{"VarCharValue": "sendgrid"}, {}]}
        ],
        "column_info": [
            {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": "provider", "Label": "provider", "Type": "varchar", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true},
            {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": "events", "Label": "events", "Type": "bigint", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": false}
        ]
    }]});
    for _ in 0..2 {
        let status = std::process::Command::new(root().join(".venv/bin/python"))
            .args(["-c", "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={'content-type': 'application/json'}))"])
            .arg(format!("{}/moto-api/static/athena/query-results", moto().endpoint))
            .arg(results.to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let query = "SELECT provider, count(*) AS events FROM events GROUP BY 1";
    let out = mailtrail_archive(
        "t",
        &[
            "sql",
            query,
            "--workgroup",
            "primary",
            "--database",
            "mailtrail_archive",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["columns"], json!(["provider", "events"]));
    assert_eq!(
        doc["rows"],
        json!([{"provider": "ses", "events": "3"}, {"provider": "sendgrid", "events": null}])
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("bytes scanned"));
    let out = mailtrail_archive(
        "t",
        &[
            "sql",
            query,
            "--workgroup",
            "primary",
            "--database",
            "mailtrail_archive",
            "--output",
            "csv",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "provider,events\nses,3\nsendgrid,\n"
    );
    let out = mailtrail_archive(
        "t",
        &[
            "archive",
            "views",
            "--workgroup",
            "primary",
            "--database",
            "mailtrail_archive",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("events created") && said.contains("latest_status created"),
        "{said}"
    );
    let out = mailtrail_archive("t", &["sql", query]);
    assert!(!out.status.success(), "no workgroup named");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workgroup"));
}
