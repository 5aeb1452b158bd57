//! The ways back: `mailtrail quarantine replay` (a body that decodes in part, the deployment's
//! soft-bounce rule) and `mailtrail dlq replay` (moto's SQS, `cargo lambda watch`'s Invoke API).

use std::process::Command;

use serde_json::{json, Value};

use crate::cli::{json_of, mailtrail, mailtrail_with};
use crate::support::*;

/// `quarantine replay` of a body that decodes only in part stores the good events, keeps each
/// bad one alone and removes the body; the soft-bounce rule is the deployed function's (read
/// from its configuration), not the operator's shell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_replay_keeps_bad_events_alone_with_the_deployments_soft_bounce_rule() {
    let (_app, client, table, suppressions) = app_with_suppressions().await;
    let address = "replayed-soft@example.com";
    let soft = |i: i64| {
        format!(
            r#"{{"event":"soft_bounces","email":"{address}","message_id":{},"timestamp":{}}}"#,
            5_000 + i,
            1_700_000_000 + i * 60
        )
    };
    let body = format!("[{},{},null,{}]", soft(1), soft(2), soft(3));
    keep_sendpulse_body(
        &client,
        &table,
        "cccccccccccccccc",
        &body,
        "kept before a decoder fix",
    )
    .await;
    // The deployment: a function whose configuration says the escalation is on (moto's Lambda).
    let moto = moto();
    let function = format!("mailtrail-{}", std::process::id());
    let created = Command::new(root().join(".venv/bin/python"))
        .args(["-c", r#"
import io, sys, zipfile, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
role = boto3.client("iam", **kw).create_role(RoleName=sys.argv[2], AssumeRolePolicyDocument="{}")["Role"]["Arn"]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("bootstrap", "")
boto3.client("lambda", **kw).create_function(FunctionName=sys.argv[2], Runtime="provided.al2023", Role=role,
    Handler="bootstrap", Code={"ZipFile": buf.getvalue()},
    Environment={"Variables": {"SOFT_BOUNCE_LIMIT": "3", "SOFT_BOUNCE_DAYS": "7"}})
"#, &moto.endpoint, &function])
        .output()
        .expect("the tools' Python (make tools) runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    // Without the deployment's rule the command refuses to guess.
    let refused = mailtrail(&table, &suppressions, &["quarantine", "replay"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("deployment"));
    // The operator's shell says "off"; the deployment says 3 in 7 days: the deployment wins.
    let out = mailtrail_with(
        &table,
        &suppressions,
        &[
            "quarantine",
            "replay",
            "--function",
            &function,
            "--output",
            "json",
        ],
        &[
            ("AWS_ENDPOINT_URL_LAMBDA", &moto.endpoint),
            ("SOFT_BOUNCE_LIMIT", "0"),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replayed[0]["replayed"], true, "{replayed}");
    assert_eq!(
        (replayed[0]["stored"].as_u64(), replayed[0]["kept_alone"].as_u64()),
        (Some(3), Some(1))
    );
    let verdict = json_of(&table, &suppressions, &["suppressed", address]);
    assert_eq!(verdict["reasons"], json!(["soft_bounce_limit"]), "{verdict}");
    // The bad event is kept alone; the body is gone.
    let kept = json_of(&table, &suppressions, &["quarantine", "list"]);
    let kept = kept.as_array().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["kept"], "event");
    let shown = json_of(
        &table,
        &suppressions,
        &["quarantine", "show", kept[0]["key"].as_str().unwrap()],
    );
    assert_eq!(shown["body"], "null");
}

/// The dead-letter queue has a way back: each message goes to the function again (through
/// `cargo lambda watch`'s Invoke API) and is deleted only when that invocation succeeded; a
/// dry run lists and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlq_replay_sends_messages_back_and_keeps_what_still_fails() {
    let (_app, client, table, suppressions) = app_with_suppressions().await;
    let moto = moto();
    let sqs_config = local_sdk(&moto.endpoint).load().await;
    let sqs = aws_sdk_sqs::Client::new(&sqs_config);
    let queue = sqs
        .create_queue()
        .queue_name(format!("dlq-{}", std::process::id()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    // What Lambda puts in a dead-letter queue: the original event, with the error's name.
    let good = read("events/ses-event-bounce.json");
    let mut refused_topic: Value = serde_json::from_str(&good).unwrap();
    refused_topic["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:unknown".into();
    // Lambda's asynchronous dead-letter queue names the error `ErrorCode`; EventBridge's
    // (the SES channel) `ERROR_CODE`.
    for (body, attribute) in [
        (good.clone(), "ErrorCode"),
        (refused_topic.to_string(), "ErrorCode"),
        (read("events/ses-event-delivery.json"), "ERROR_CODE"),
    ] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .message_attributes(
                attribute,
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("StoreFailed")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let environment = test_environment(&table);
    let mut env: Vec<(&str, String)> = environment
        .iter()
        .filter(|(k, _)| !["SNS_CERT_DIR", "METRICS"].contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    env.extend([
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo().endpoint.clone()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
        ("SUPPRESSIONS_TABLE_NAME", suppressions.clone()),
    ]);
    let watch = lambda_watch(&env);
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "dlq",
            "replay",
            "--queue-url",
            queue.as_str(),
            "--function",
            "mailtrail-lambda",
        ];
        args.extend_from_slice(extra);
        args.extend(["--output", "json"]);
        let out = Command::new(env!("CARGO_BIN_EXE_mailtrail"))
            .args(&args)
            .env("AWS_ENDPOINT_URL_SQS", &moto.endpoint)
            .env("AWS_ENDPOINT_URL_LAMBDA", &watch.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("mailtrail runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let listed = replay(&["--dry-run"]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["replayed"] == false && m["error_code"] == "StoreFailed"),
        "ErrorCode and ERROR_CODE alike: {listed}"
    );
    assert!(
        scan_all(&client, &table).await.is_empty(),
        "a dry run invokes nothing"
    );
    let replayed = replay(&[]);
    let outcomes = replayed.as_array().unwrap();
    assert_eq!(outcomes.len(), 3, "{replayed}");
    assert_eq!(
        outcomes.iter().filter(|m| m["replayed"] == true).count(),
        2,
        "{replayed}"
    );
    let failed: Vec<&Value> = outcomes.iter().filter(|m| m["replayed"] == false).collect();
    assert!(
        failed[0]["error"].as_str().unwrap().contains("not allowed"),
        "{replayed}"
    );
    let items = scan_all(&client, &table).await;
    assert_eq!(items.len(), 2, "the bounce and the delivery are stored");
    // The refused one stays in the queue for the next attempt.
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
        attributes
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    assert_eq!(
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        1
    );
    assert_eq!(
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages),
        1,
        "visible again for the next attempt, not hidden for the replay's long visibility"
    );
}
