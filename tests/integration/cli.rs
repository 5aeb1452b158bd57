//! The `mailtrail` command against the local DynamoDB-API server, and the suppression list
//! through the real function: sequences sent in shuffled order and replayed, then the verdict
//! read back with `mailtrail suppressed … --output json`.

use std::process::{Command, Output};

use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::app::App;
use mailtrail::store::DynamoStore;
use serde_json::{json, Value};

use crate::support::*;

/// Runs `mailtrail` against the local server.
pub(crate) fn mailtrail(table: &str, suppressions: &str, args: &[&str]) -> Output {
    mailtrail_with(table, suppressions, args, &[])
}

/// The `mailtrail` binary set up for the local server and the two tables.
pub(crate) fn mailtrail_command(table: &str, suppressions: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mailtrail"));
    command
        .env("AWS_ENDPOINT_URL_DYNAMODB", &dynamo().endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("MAILTRAIL_TABLE", table)
        .env("MAILTRAIL_SUPPRESSIONS_TABLE", suppressions)
        .env("MAILTRAIL_OPERATOR", "ops@tests")
        .env_remove("AWS_PROFILE");
    command
}

/// Runs `mailtrail` against the local server with more variables (other services' endpoints).
pub(crate) fn mailtrail_with(table: &str, suppressions: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    mailtrail_command(table, suppressions)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the mailtrail binary runs")
}

/// Runs `mailtrail … --output json` and parses its one document.
pub(crate) fn json_of(table: &str, suppressions: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = mailtrail(table, suppressions, &all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const ADDRESS: &str = "jane@example.com";

/// The requests of one sequence about ADDRESS, across all three providers.
fn sequence() -> Vec<Value> {
    let sg = |event: &str, t: i64, extra: &str| {
        format!(
            r#"[{{"event":"{event}","email":"Jane@Example.com","timestamp":{t},"sg_message_id":"m{t}.filter1"{extra}}}]"#
        )
    };
    let sp = |event: &str, t: i64| {
        format!(r#"[{{"event":"{event}","email":"{ADDRESS}","message_id":{t},"timestamp":{t}}}]"#)
    };
    let ses_bounce = read("fixtures/ses/event-bounce.json").replace("recipient@example.com", ADDRESS);
    vec![
        sendgrid_post(&sg("unsubscribe", 1_700_000_100, "")),
        sendgrid_post(&sg("group_unsubscribe", 1_700_000_200, r#","asm_group_id":7"#)),
        sendgrid_post(&sg("bounce", 1_700_000_300, r#","type":"blocked""#)),
        sendpulse_post(&sp("resubscribed", 1_700_000_400)),
        sendpulse_post(&sp("spam_by_user", 1_700_000_500)),
        sendgrid_post(&sg("delivered", 1_700_000_600, "")),
        sns_event(&ses_bounce),
    ]
}

#[tokio::test]
async fn the_verdict_depends_on_the_events_not_their_order_or_repeats() {
    let mut verdicts = Vec::new();
    for seed in [1_u64, 2, 3] {
        let (app, _client, table, suppressions) = app_with_suppressions().await;
        let mut requests = sequence();
        let mut rng = fastrand::Rng::with_seed(seed);
        rng.shuffle(&mut requests);
        // Providers resend: some requests come again, in any place.
        let again: Vec<Value> = requests.iter().step_by(2).cloned().collect();
        requests.extend(again);
        rng.shuffle(&mut requests);
        for request in &requests {
            invoke(&app, request).await.expect("stored");
        }
        verdicts.push(json_of(&table, &suppressions, &["suppressed", ADDRESS]));
    }
    assert_eq!(verdicts[0], verdicts[1]);
    assert_eq!(verdicts[1], verdicts[2]);
    let verdict = &verdicts[0];
    assert_eq!(verdict["address"], ADDRESS);
    assert_eq!(verdict["suppressed"], true);
    // The resubscribe lifted the older unsubscribe, never the bounce or the complaint.
    assert_eq!(verdict["reasons"], json!(["hard_bounce", "complaint"]));
    let bounce = &verdict["details"][0];
    assert_eq!(
        (bounce["provider"].as_str(), bounce["event"].as_str()),
        (Some("ses"), Some("Bounce"))
    );
    assert_eq!(verdict["scoped_unsubscribes"][0]["scope"], "group:7");
}

#[tokio::test]
async fn a_retry_changes_nothing_and_events_without_evidence_write_nothing() {
    let (app, client, table, suppressions) = app_with_suppressions().await;
    let delivered = sendpulse_post(&read("fixtures/sendpulse/delivered.json"));
    invoke_http(&app, &delivered).await;
    let scan = |client: aws_sdk_dynamodb::Client, name: String| async move { scan_all(&client, &name).await };
    assert!(
        scan(client.clone(), suppressions.clone()).await.is_empty(),
        "a delivery costs no suppression write"
    );
    let bounce = sendpulse_post(
        r#"[{"event":"hard_bounces","email":"a@x.io","message_id":5,"timestamp":1700000000}]"#,
    );
    invoke_http(&app, &bounce).await;
    let before = scan(client.clone(), suppressions.clone()).await;
    invoke_http(&app, &bounce).await;
    assert_eq!(scan(client.clone(), suppressions.clone()).await, before);
    let verdict = json_of(&table, &suppressions, &["suppressed", "A@X.io"]);
    assert_eq!(verdict["reasons"], json!(["hard_bounce"]));
}

#[tokio::test]
async fn a_failing_suppression_write_fails_the_request() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let mut config = test_config(&table);
    config.suppressions_table = Some("no-such-table".into());
    let store = DynamoStore::new(client.clone(), table.clone(), 400)
        .with_suppressions(config.suppressions_table.clone());
    let app = App::with_https(
        config,
        std::sync::Arc::new(store),
        std::sync::Arc::new(NoInternet::default()),
    );
    let bounce = sendpulse_post(
        r#"[{"event":"hard_bounces","email":"a@x.io","message_id":5,"timestamp":1700000000}]"#,
    );
    let (status, body) = invoke_http(&app, &bounce).await;
    assert_eq!((status, body["error"].as_str()), (500, Some("store_failed")));
    assert!(!body.to_string().contains("no-such-table"));
}

#[tokio::test]
async fn every_command_works_against_the_local_server() {
    let (app, client, table, suppressions) = app_with_suppressions().await;
    assert_eq!(
        invoke_http(&app, &sendgrid_post(&read("fixtures/sendgrid/seed-batch.json")))
            .await
            .0,
        200
    );
    for event in [
        "events/ses-event-bounce.json",
        "events/ses-notification-bounce.json",
    ] {
        let event: Value = serde_json::from_str(&read(event)).unwrap();
        invoke(&app, &event).await.unwrap();
    }

    // Timelines.
    let message = json_of(&table, &suppressions, &["message", "14c5d75ce93.dfd.64b469"]);
    assert_eq!(message.as_array().unwrap().len(), 11);
    let jane = json_of(&table, &suppressions, &["recipient", "Jane@Example.com"]);
    assert_eq!(jane[0]["event"], "bounced");
    let none = json_of(
        &table,
        &suppressions,
        &["recipient", "jane@example.com", "--since", "2020-01-01"],
    );
    assert!(none.as_array().unwrap().is_empty());
    // A notification naming two recipients is kept once; both rows show it, in the message's
    // timeline and in each recipient's detail.
    let notification: Value = serde_json::from_str(&read("events/ses-notification-bounce.json")).unwrap();
    let original = notification["Records"][0]["Sns"]["Message"].as_str().unwrap();
    let bounces = json_of(
        &table,
        &suppressions,
        &[
            "message",
            "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        ],
    );
    assert_eq!(bounces.as_array().unwrap().len(), 2);
    assert!(
        bounces
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["raw"] == original),
        "{bounces}"
    );
    for address in ["jane@example.com", "richard@example.com"] {
        let detail = json_of(&table, &suppressions, &["recipient", address, "--detail"]);
        assert_eq!(detail[0]["raw"], original, "{address}: {detail}");
    }

    let text = mailtrail(&table, &suppressions, &["message", "14c5d75ce93.dfd.64b469"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("11 events"));

    // The list, its export, and operator changes.
    let list = json_of(
        &table,
        &suppressions,
        &["suppressed", "list", "--reason", "hard_bounce"],
    );
    let listed: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        vec!["jane@example.com", "recipient@example.com", "richard@example.com"]
    );
    let export = mailtrail(&table, &suppressions, &["suppressed", "export"]);
    let csv = String::from_utf8(export.stdout).unwrap();
    assert_eq!(csv.lines().next(), Some("email,reason,since"));
    assert!(
        csv.contains("\nrichard@example.com,hard_bounce,2016-01-27T14:59:38.237Z"),
        "{csv}"
    );

    let added = json_of(
        &table,
        &suppressions,
        &[
            "suppressed",
            "add",
            "bob@example.com",
            "--reason",
            "manual",
            "--note",
            "asked by phone",
        ],
    );
    assert_eq!(added["reasons"], json!(["manual"]));
    assert_eq!(added["details"][0]["by"], "ops@tests");
    assert_eq!(added["details"][0]["note"], "asked by phone");
    let refused = mailtrail(
        &table,
        &suppressions,
        &[
            "suppressed",
            "remove",
            "bob@example.com",
            "--reason",
            "complaint",
            "--note",
            "x",
        ],
    );
    assert!(!refused.status.success());
    let removed = json_of(
        &table,
        &suppressions,
        &[
            "suppressed",
            "remove",
            "bob@example.com",
            "--reason",
            "manual",
            "--note",
            "mistake",
        ],
    );
    assert_eq!(removed["suppressed"], false);
    let since = json_of(
        &table,
        &suppressions,
        &["suppressed", "list", "--since", "2017-01-01"],
    );
    assert_eq!(since.as_array().unwrap().len(), 1, "{since}");

    // Quarantine: one body a decoder fix now reads, one that still fails.
    let not_json = "the body is not valid JSON";
    keep_sendpulse_body(
        &client,
        &table,
        "aaaaaaaaaaaaaaaa",
        r#"[{"event":"delivered","email":"q@x.io","message_id":77,"timestamp":1700000000}]"#,
        not_json,
    )
    .await;
    keep_sendpulse_body(&client, &table, "bbbbbbbbbbbbbbbb", "still not json", not_json).await;
    let kept = json_of(&table, &suppressions, &["quarantine", "list"]);
    assert_eq!(kept.as_array().unwrap().len(), 2);
    let shown = json_of(
        &table,
        &suppressions,
        &["quarantine", "show", "sendpulse/bbbbbbbbbbbbbbbb"],
    );
    assert_eq!(shown["body"], "still not json");
    let replayed = json_of(
        &table,
        &suppressions,
        &["quarantine", "replay", "--soft-bounce-limit", "0"],
    );
    assert_eq!(replayed[0]["replayed"], true);
    assert_eq!(replayed[1]["replayed"], false);
    let left = json_of(&table, &suppressions, &["quarantine", "list"]);
    assert_eq!(left[0]["key"], "sendpulse/bbbbbbbbbbbbbbbb");
    let replayed_item = json_of(&table, &suppressions, &["message", "77"]);
    assert_eq!(replayed_item.as_array().unwrap().len(), 1);
    assert_eq!(
        replayed_item[0]["expires_at"],
        1_795_521_600_i64 + 400 * 86_400,
        "kept as long as the function keeps events"
    );
    let again = json_of(
        &table,
        &suppressions,
        &["quarantine", "replay", "--soft-bounce-limit", "0"],
    );
    assert_eq!(
        again.as_array().unwrap().len(),
        1,
        "what still fails stays; the rest is gone"
    );

    // create-tables, and errors as one line on stderr with a non-zero exit.
    let created = json_of("cli-new-events", "cli-new-suppressions", &["create-tables"]);
    assert_eq!(created[0]["created"], true);
    let exists = json_of("cli-new-events", "cli-new-suppressions", &["create-tables"]);
    assert_eq!(exists[0]["exists"], true);
    let failed = mailtrail("no-such-table", &suppressions, &["message", "x"]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8(failed.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mailtrail: "), "{stderr}");
    assert!(failed.stdout.is_empty());
}

/// A 200 KB SES notification (headers and all) reaches the function whole and is read back
/// byte for byte: the raw event is compressed first, never cut.
#[tokio::test]
async fn a_200_kb_ses_notification_is_kept_whole() {
    let (app, _client, table, suppressions) = app_with_suppressions().await;
    let headers: Vec<String> = (0..4000)
        .map(|i| format!(r#"{{"name":"X-Header-{i}","value":"value number {i} of a long list of headers"}}"#))
        .collect();
    let message = read("fixtures/ses/event-bounce.json").replacen(
        r#""headersTruncated":false"#,
        &format!(r#""headersTruncated":false,"headers":[{}]"#, headers.join(",")),
        1,
    );
    assert!(message.len() > 200 * 1024, "{}", message.len());
    let summary = invoke(&app, &sns_event(&message)).await.unwrap();
    assert!(matches!(summary, mailtrail::ingress::Reply::Sns(s) if s.stored == 1));
    let items = json_of(
        &table,
        &suppressions,
        &[
            "message",
            "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        ],
    );
    assert_eq!(items[0]["raw"].as_str(), Some(message.as_str()));
    assert!(items[0].get("raw_bytes").is_none(), "not cut");
}

/// With the escalation on, 500 transient bounces for one address in any order leave a small
/// record (the write units of each update stay bounded), and the verdict it records is read
/// with no setting of the reader's own.
#[tokio::test]
async fn five_hundred_soft_bounces_leave_a_record_under_4_kb() {
    let (_app, client, table, suppressions) = app_with_suppressions().await;
    let mut config = test_config(&table);
    config.soft_bounce = Some(mailtrail::suppression::Escalation { limit: 3, days: 7 });
    let app = app_writing_both(&client, &table, &suppressions, config);
    let mut order: Vec<i64> = (0..500).collect();
    fastrand::Rng::with_seed(11).shuffle(&mut order);
    for chunk in order.chunks(50) {
        let events: Vec<Value> = chunk
            .iter()
            .map(|i| json!({"event": "soft_bounces", "email": ADDRESS, "message_id": 4_000_000 + i, "timestamp": 1_700_000_000 + i * 3600}))
            .collect();
        let (status, reply) = invoke_http(&app, &sendpulse_post(&Value::Array(events).to_string())).await;
        assert_eq!(status, 200, "{reply}");
    }
    let item = client
        .get_item()
        .table_name(&suppressions)
        .key("address", AttributeValue::S(ADDRESS.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let bytes: usize = serde_json::to_string(&format!("{item:?}")).unwrap().len();
    assert!(bytes < 4096, "{bytes} bytes");
    // The reader runs without SOFT_BOUNCE_LIMIT: the record says it.
    let verdict = json_of(&table, &suppressions, &["suppressed", ADDRESS]);
    assert_eq!(verdict["reasons"], json!(["soft_bounce_limit"]), "{verdict}");
}

/// An SES unsubscribe on a message with several destinations is honoured for each, and said
/// to be ambiguous in the items and in `mailtrail suppressed`.
#[tokio::test]
async fn an_ambiguous_unsubscribe_is_honoured_and_said_so() {
    let (app, _client, table, suppressions) = app_with_suppressions().await;
    let message = json!({
        "eventType": "Subscription",
        "mail": {"messageId": "ambiguous-1", "timestamp": "2022-01-12T01:00:00Z", "destination": [ADDRESS, "cc@other.org"]},
        "subscription": {"timestamp": "2022-01-12T01:00:17.910Z", "source": "UnsubscribeHeader", "newTopicPreferences": {"unsubscribeAll": true}}
    });
    invoke(&app, &sns_event(&message.to_string())).await.unwrap();
    let verdict = json_of(&table, &suppressions, &["suppressed", ADDRESS]);
    assert_eq!(verdict["reasons"], json!(["unsubscribe"]));
    assert_eq!(verdict["details"][0]["ambiguous"], true);
    let items = json_of(&table, &suppressions, &["message", "ambiguous-1"]);
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["recipient_ambiguous"] == true));
    let table_output = mailtrail(&table, &suppressions, &["suppressed", ADDRESS]);
    assert!(String::from_utf8_lossy(&table_output.stdout).contains("ambiguous"));
}
