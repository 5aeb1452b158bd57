//! `mailtrail forget`: an address named by its own events, by another recipient's raw event (one
//! SES notification to both), by a body kept in quarantine and by the suppression list, archived
//! in moto's S3; after forget,
//! nothing anywhere mailtrail wrote holds it (every attribute of every item, raw events
//! decompressed, every archive row), the other recipient's events are whole, the opt-out still
//! holds, and an audit entry says what was removed without the address.

use serde_json::{json, Value};

use crate::archive::{download, fresh_bucket, s3};
use crate::support::*;

const JANE: &str = "jane@example.com";

/// Everything the tables hold, as text: every attribute, binary ones (kept bodies) as text, raw
/// events decompressed.
async fn everything(client: &aws_sdk_dynamodb::Client, tables: &[&str]) -> String {
    let mut text = String::new();
    for table in tables {
        for item in scan_all(client, table).await {
            text.push_str(&format!("{item:?}"));
            for value in item.values() {
                if let Ok(bytes) = value.as_b() {
                    text.push_str(&String::from_utf8_lossy(bytes.as_ref()));
                }
            }
            if let Some(Ok(raw)) = mailtrail::store::item::original_raw(&item) {
                text.push_str(&String::from_utf8_lossy(&raw));
            }
        }
    }
    text.to_ascii_lowercase()
}

/// Every value of every archive row, as text (DuckDB reads the files).
fn archive_text(folder: &std::path::Path) -> String {
    let out = std::process::Command::new(root().join(".venv/bin/python"))
        .args(["-c", "import duckdb, sys; print(duckdb.sql(f\"SELECT * FROM read_parquet('{sys.argv[1]}/events/*/*.parquet', hive_partitioning = true)\").fetchall())"])
        .arg(folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_leaves_nothing_of_the_address_and_keeps_the_opt_out() {
    let (app, client, table, suppressions) = app_with_suppressions().await;
    // One SES bounce notification to Jane and Bob (one raw event, kept once), Jane's own
    // SendGrid events, and Bob's.
    let ses: Value = serde_json::from_str(&read("events/ses-notification-bounce.json")).unwrap();
    let message: Value = serde_json::from_str(ses["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    let mut both = message.clone();
    both["bounce"]["bouncedRecipients"] = json!([
        {"emailAddress": JANE, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User unknown"},
        {"emailAddress": "bob@example.com", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
    ]);
    both["mail"]["destination"] = json!([JANE, "bob@example.com"]);
    invoke(&app, &sns_event(&both.to_string())).await.unwrap();
    let sendgrid = json!([
        {"email": "Jane@Example.com", "event": "delivered", "timestamp": 1_795_000_000, "sg_message_id": "forget1.filter1"},
        {"email": JANE, "event": "open", "timestamp": 1_795_000_100, "sg_message_id": "forget1.filter1"},
        {"email": "bob@example.com", "event": "delivered", "timestamp": 1_795_000_000, "sg_message_id": "forget2.filter1"}
    ]);
    invoke(&app, &sendgrid_post(&sendgrid.to_string())).await.unwrap();
    // A SendPulse body that did not decode, kept in quarantine, naming her.
    keep_sendpulse_body(
        &client,
        &table,
        "0123456789abcdef",
        r#"[{"event":"delivered","email":"jane@example.com","timestamp":"never"}"#,
        "not JSON",
    )
    .await;
    assert!(everything(&client, &[&table, &suppressions]).await.contains(JANE));
    let bob_events = scan_all(&client, &table)
        .await
        .iter()
        .filter(|i| s(i, "recipient") == Some("bob@example.com"))
        .count();

    // The archive, written from the stream.
    let items = scan_all(&client, &table).await;
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(n, i)| mailtrail::stats::window::change_record("INSERT", n as u64, i))
        .collect();
    let s3 = s3().await;
    let bucket = fresh_bucket(&s3).await;
    mailtrail::archive::Archiver::new(s3.clone(), bucket.clone())
        .handle(&json!({ "Records": records }))
        .await
        .unwrap();
    let (before, _) = download(&s3, &bucket, "forget-before").await;
    assert!(archive_text(&before).contains(JANE));

    let run = |args: &[&str]| {
        crate::cli::mailtrail_command(&table, &suppressions)
            .env("AWS_ENDPOINT_URL_S3", &moto().endpoint)
            .args(args)
            .output()
            .unwrap()
    };
    // A dry run counts and changes nothing.
    let out = run(&[
        "forget",
        "JANE@example.com",
        "--bucket",
        &bucket,
        "--dry-run",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dry: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["events"]["events_deleted"], 3, "{dry}");
    assert!(everything(&client, &[&table, &suppressions]).await.contains(JANE));

    let out = run(&[
        "forget",
        "jane@example.com",
        "--bucket",
        &bucket,
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout)
            .to_ascii_lowercase()
            .contains(JANE),
        "the report names no address"
    );
    assert_eq!(done["events"]["events_deleted"], 3);
    assert_eq!(done["suppression_record_hashed"], true);
    assert_eq!(done["quarantined_bodies_redacted"], 1);
    assert!(done["archive"]["rows_removed"].as_u64().unwrap() >= 3);

    // Nothing of Jane anywhere: table (items, index, raw events), suppression table, archive.
    assert!(!everything(&client, &[&table, &suppressions]).await.contains(JANE));
    let (after, _) = download(&s3, &bucket, "forget-after").await;
    assert!(!archive_text(&after).contains(JANE));
    // Bob's events are whole, his raw event readable.
    let items = scan_all(&client, &table).await;
    let bob: Vec<_> = items
        .iter()
        .filter(|i| s(i, "recipient") == Some("bob@example.com"))
        .collect();
    assert_eq!(bob.len(), bob_events);
    for item in bob {
        let raw = match mailtrail::store::item::raw_holder(item) {
            None => mailtrail::store::item::original_raw(item).unwrap().unwrap(),
            Some(holder) => {
                let holder = items
                    .iter()
                    .find(|i| s(i, "pk") == s(item, "pk") && s(i, "sk") == Some(holder))
                    .expect("the holder exists");
                mailtrail::store::item::original_raw(holder).unwrap().unwrap()
            }
        };
        assert!(serde_json::from_slice::<Value>(&raw).is_ok());
    }
    // The opt-out still holds; the audit entry has no address.
    let out = run(&["suppressed", JANE, "--output", "json"]);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["suppressed"], true, "{verdict}");
    let audit: Vec<_> = items
        .iter()
        .filter(|i| s(i, "pk") == Some("audit#forget"))
        .collect();
    assert_eq!(audit.len(), 1);
    assert!(s(audit[0], "subject").unwrap().starts_with("forgotten#"));
    let _ = std::fs::remove_dir_all(before);
    let _ = std::fs::remove_dir_all(after);
}
