//! The EMF lines the real handler writes while it stores into the DynamoDB-API server: a
//! batch, a forged request and an undecodable body, counted exactly.

use std::sync::{Arc, Mutex};

use mailtrail::metrics::MetricsSink;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn the_function_counts_what_it_received_in_emf() {
    let (app, client) = fresh_app().await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let app = app.with_metrics(MetricsSink::Memory(lines.clone()));

    let batch = r#"[
        {"event":"delivered","email":"a@x.io","message_id":1,"timestamp":1700000000},
        {"event":"delivered","email":"b@x.io","message_id":1,"timestamp":1700000000},
        {"event":"delivered","email":"b@x.io","message_id":1,"timestamp":1700000000},
        {"event":"hard_bounces","email":"c@x.io","message_id":1,"timestamp":1700000001},
        {"event":"soft_bounces","email":"d@x.io","message_id":1,"timestamp":1700000001},
        {"event":"spam_by_user","email":"a@x.io","message_id":1,"timestamp":1700000002}
    ]"#;
    assert_eq!(invoke_http(&app, &sendpulse_post(batch)).await.0, 200);
    assert_eq!(
        invoke_http(
            &app,
            &with_query(
                http_post("/webhooks/sendpulse", "[]"),
                "token",
                "forged-token-0000000"
            )
        )
        .await
        .0,
        401
    );
    assert_eq!(
        invoke_http(&app, &sendpulse_post("{\"not\":\"a batch\"}"))
            .await
            .0,
        200
    );
    assert_eq!(scan_all(&client, &app.config.table_name).await.len(), 6);

    let values: Vec<Value> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    let sum = |metric: &str, filter: &dyn Fn(&Value) -> bool| -> u64 {
        values
            .iter()
            .filter(|v| filter(v))
            .filter_map(|v| v[metric].as_u64())
            .sum()
    };
    let kind = |k: &'static str| move |v: &Value| v["Provider"] == "sendpulse" && v["Event"] == k;
    assert_eq!(sum("Events", &kind("delivered")), 2, "the repeat counts once");
    assert_eq!(sum("Events", &kind("bounced")), 2);
    assert_eq!(sum("Events", &kind("complained")), 1);
    let provider = |v: &Value| v["Provider"] == "sendpulse" && v.get("Event").is_none();
    assert_eq!(sum("HardBounces", &provider), 1);
    assert_eq!(sum("Complaints", &provider), 1);
    assert_eq!(sum("Delivered", &provider), 2);
    assert_eq!(sum("Duplicates", &provider), 1);
    assert_eq!(sum("Quarantined", &provider), 1);
    let rejected = |v: &Value| v["Channel"] == "sendpulse" && v["Reason"] == "unauthorized";
    assert_eq!(sum("Rejected", &rejected), 1);
    assert_eq!(sum("StoreFailures", &|_| true), 0);
    for value in &values {
        assert!(value["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Mailtrail");
        let text = value.to_string();
        assert!(!text.contains("x.io") && !text.contains('@'), "{text}");
    }
}

/// The deployed binary, run as Lambda runs it: its EMF lines are on stdout, one JSON object per
/// line among the JSON log lines, and count what it received.
#[tokio::test]
async fn the_lambda_binary_prints_its_emf_lines_on_stdout() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let endpoint = dynamo().endpoint.clone();
    let key = test_config(&table).channels[&mailtrail::model::Provider::SendGrid].secrets[0].clone();
    let env = crate::runtime_api::lambda_env(&[
        ("TABLE_NAME", &table),
        ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
        ("SENDGRID_WEBHOOK_PUBLIC_KEY", &key),
        ("SENDPULSE_WEBHOOK_TOKEN", SENDPULSE_TOKEN),
        ("SNS_TOPIC_ARNS", TOPIC),
    ]);
    let events = [
        sendgrid_post(&read("fixtures/sendgrid/seed-batch.json")),
        with_query(
            http_post("/webhooks/sendpulse", "[]"),
            "token",
            "forged-token-0000000",
        ),
        sendgrid_post("{\"not\":\"a batch\"}"),
        sns_event(&read("fixtures/ses/notification-bounce.json")),
    ];
    let (answers, stdout) = crate::runtime_api::run(
        env!("CARGO_BIN_EXE_mailtrail-lambda"),
        &env,
        events.iter().map(|e| e.to_string().into_bytes()).collect(),
    )
    .await;
    let ids: Vec<&str> = answers.iter().map(|a| a.request_id.as_str()).collect();
    assert_eq!(ids, ["request-0", "request-1", "request-2", "request-3"]);
    let statuses: Vec<(String, Value)> = answers
        .iter()
        .map(|a| (a.outcome.clone(), a.body["statusCode"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("response".to_owned(), Value::from(200)),
            ("response".to_owned(), Value::from(401)),
            ("response".to_owned(), Value::from(200)),
            ("response".to_owned(), Value::Null),
        ],
        "{stdout}"
    );

    let emf: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|value| value.get("_aws").is_some())
        .collect();
    let sum = |metric: &str, filter: &dyn Fn(&Value) -> bool| -> u64 {
        emf.iter()
            .filter(|v| filter(v))
            .filter_map(|v| v[metric].as_u64())
            .sum()
    };
    // `Events` lines carry `Provider` and `Event`, and publish under `Provider` alone too.
    let provider = |p: &'static str| move |v: &Value| v["Provider"] == p;
    assert_eq!(sum("Events", &provider("sendgrid")), 14, "{stdout}");
    assert_eq!(sum("Quarantined", &provider("sendgrid")), 1);
    assert_eq!(sum("Events", &provider("ses")), 2);
    assert_eq!(sum("HardBounces", &provider("ses")), 2);
    let rejected = |v: &Value| v["Channel"] == "sendpulse" && v["Reason"] == "unauthorized";
    assert_eq!(sum("Rejected", &rejected), 1);
    assert_eq!(sum("StoreFailures", &|_| true), 0);
    for value in &emf {
        assert_eq!(value["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Mailtrail");
        assert!(value["_aws"]["Timestamp"].is_u64());
    }
    assert!(!stdout.contains("jane@example.com") && !stdout.contains(SENDPULSE_TOKEN));
}
