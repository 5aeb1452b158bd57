//! The notifier fed the stream records of real changes, putting events that an EventBridge rule
//! in moto routes to an SQS queue; its partial batch answers; and `mailtrail suppressed notify`,
//! the way back from its failure queue.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::notify::publish::EventBridgeSink;
use mailtrail::notify::stream::stream_record;
use mailtrail::notify::Notifier;
use serde_json::{json, Value};

use crate::support::*;
use crate::sync::{run, tables};

/// moto's EventBridge and SQS: a bus, a rule on `source: mailtrail` to a fresh queue.
struct Bus {
    events: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    bus: String,
    queue_url: String,
}

async fn bus() -> Bus {
    let moto = moto();
    let config = local_sdk(&moto.endpoint).load().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("mailtrail-{}-{n}", std::process::id());
    events.create_event_bus().name(&name).send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    // The consumer rule the docs show.
    events
        .put_rule()
        .name(&name)
        .event_bus_name(&name)
        .event_pattern(
            r#"{"source": ["mailtrail"], "detail-type": ["Address Suppressed", "Address Unsuppressed"]}"#,
        )
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&name)
        .event_bus_name(&name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("app")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Bus {
        events,
        sqs,
        bus: name,
        queue_url,
    }
}

impl Bus {
    fn notifier(&self) -> Notifier {
        Notifier::new(
            Box::new(EventBridgeSink {
                client: self.events.clone(),
                bus: self.bus.clone(),
            }),
            None,
        )
    }

    /// Every event the queue holds now.
    async fn received(&self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let messages = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap()
                .messages
                .unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for message in messages {
                out.push(serde_json::from_str(message.body().unwrap()).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_turns_real_changes_into_events_a_rule_delivers_and_sends_nothing_for_the_rest() {
    let (app, client, tables) = tables().await;
    let bus = bus().await;
    let table_arn = format!("arn:aws:dynamodb:us-east-1:123456789012:table/{}", tables.1);
    let address = "nia@example.com";
    let bounce = format!(
        r#"[{{"event":"hard_bounces","email":"{address}","message_id":7001,"timestamp":1795521600,"smtp_answer_code":"550"}}]"#
    );
    let mut records = Vec::new();
    let mut sequence = 0;
    let mut change = |before: Option<HashMap<String, AttributeValue>>,
                      after: Option<HashMap<String, AttributeValue>>| {
        sequence += 1;
        // An update that changes nothing emits no stream record in AWS.
        if before != after {
            records.push(stream_record(
                sequence,
                before.as_ref(),
                after.as_ref(),
                &table_arn,
            ));
        }
    };
    // 1. A hard bounce through the function: suppressed.
    let before = suppression_item(&client, &tables.1, address).await;
    invoke(&app, &sendpulse_post(&bounce)).await.unwrap();
    change(before, suppression_item(&client, &tables.1, address).await);
    // 2. The provider's retry: nothing changes, no record.
    let before = suppression_item(&client, &tables.1, address).await;
    invoke(&app, &sendpulse_post(&bounce)).await.unwrap();
    change(before, suppression_item(&client, &tables.1, address).await);
    // 3. An unsubscribe of the same address: a reason added.
    let before = suppression_item(&client, &tables.1, address).await;
    let unsubscribe = format!(
        r#"[{{"event":"unsubscribed","email":"{address}","message_id":7002,"timestamp":1795525200}}]"#
    );
    invoke(&app, &sendpulse_post(&unsubscribe)).await.unwrap();
    change(before, suppression_item(&client, &tables.1, address).await);
    // 4. A newer hard bounce: the slot moves, the verdict does not.
    let before = suppression_item(&client, &tables.1, address).await;
    let later = bounce.replace("1795521600", "1795530000").replace("7001", "7003");
    invoke(&app, &sendpulse_post(&later)).await.unwrap();
    change(before, suppression_item(&client, &tables.1, address).await);
    // 5. An operator lifts both: unsuppressed.
    for reason in ["hard_bounce", "unsubscribe"] {
        let before = suppression_item(&client, &tables.1, address).await;
        run(
            &tables,
            None,
            &[
                "suppressed",
                "remove",
                address,
                "--reason",
                reason,
                "--note",
                "checked",
            ],
        )
        .await;
        change(before, suppression_item(&client, &tables.1, address).await);
    }
    assert_eq!(records.len(), 5, "the retry made no stream record");
    let batch = json!({ "Records": records });

    let summary = bus.notifier().handle(&batch).await.unwrap();
    assert_eq!(summary.records, 5);
    assert_eq!(summary.events, 4, "the newer bounce changed no verdict");
    let received = bus.received().await;
    assert_eq!(received.len(), 4);
    let kinds: Vec<(&str, Value, Value)> = received
        .iter()
        .map(|e| {
            (
                e["detail-type"].as_str().unwrap(),
                e["detail"]["changed"]["added"].clone(),
                e["detail"]["changed"]["lifted"].clone(),
            )
        })
        .collect();
    let mut kinds = kinds;
    kinds.sort_by_key(|k| k.1.to_string() + &k.2.to_string());
    assert!(
        kinds.contains(&("Address Suppressed", json!(["hard_bounce"]), json!([]))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Address Suppressed", json!(["unsubscribe"]), json!([]))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Address Suppressed", json!([]), json!(["hard_bounce"]))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Address Unsuppressed", json!([]), json!(["unsubscribe"]))),
        "{kinds:?}"
    );
    let first = received
        .iter()
        .find(|e| e["detail"]["changed"]["added"] == json!(["hard_bounce"]))
        .unwrap();
    assert_eq!(first["source"], "mailtrail");
    assert_eq!(first["detail"]["address"], address);
    assert_eq!(first["detail"]["suppressed"], true);
    assert_eq!(first["detail"]["evidence"][0]["provider"], "sendpulse");
    assert_eq!(first["detail"]["evidence"][0]["message_id"], "7001");
    // Each event names the record's version: the latest change has the highest.
    let latest = received
        .iter()
        .max_by_key(|e| e["detail"]["version"].as_u64().unwrap())
        .unwrap();
    assert_eq!(latest["detail-type"], "Address Unsuppressed");
    assert_eq!(
        latest["detail"]["version"], 5,
        "five changes, the retry wrote nothing"
    );
    assert!(latest["detail"]["updated_at"].is_string());

    // The stream delivers the batch again: the same ids.
    bus.notifier().handle(&batch).await.unwrap();
    let again = bus.received().await;
    let ids = |events: &[Value]| {
        let mut ids: Vec<String> = events
            .iter()
            .map(|e| e["detail"]["event_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&again), ids(&received));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_put_events_names_the_record_to_retry_from() {
    let (app, client, tables) = tables().await;
    let bus = bus().await;
    let address = "fay@example.com";
    let body = format!(
        r#"[{{"event":"spam_by_user","email":"{address}","message_id":8001,"timestamp":1795521600}}]"#
    );
    invoke(&app, &sendpulse_post(&body)).await.unwrap();
    let after = suppression_item(&client, &tables.1, address).await;
    let batch = json!({ "Records": [stream_record(1, None, after.as_ref(), "arn:aws:dynamodb:us-east-1:1:table/t")] });
    // A bus that does not exist.
    let missing = Notifier::new(
        Box::new(EventBridgeSink {
            client: bus.events.clone(),
            bus: "no-such-bus".to_owned(),
        }),
        None,
    );
    let failed = missing.handle(&batch).await.unwrap();
    assert_eq!(
        (failed.events, failed.failed_record.as_deref()),
        (0, Some("000000000000000000001"))
    );
    assert_eq!(
        mailtrail::notify::batch_response(&failed).batch_item_failures[0]
            .item_identifier
            .as_deref(),
        Some("000000000000000000001")
    );
    // EventBridge unreachable.
    let config = local_sdk(&format!("http://127.0.0.1:{}", free_port()))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let unreachable = Notifier::new(
        Box::new(EventBridgeSink {
            client: aws_sdk_eventbridge::Client::new(&config),
            bus: bus.bus.clone(),
        }),
        None,
    );
    assert!(unreachable.handle(&batch).await.unwrap().failed_record.is_some());
    assert!(bus.received().await.is_empty());
    // And the same batch to the real bus goes through.
    assert_eq!(bus.notifier().handle(&batch).await.unwrap().events, 1);
    assert_eq!(
        bus.received().await[0]["detail"]["changed"]["added"],
        json!(["complaint"])
    );
}

/// The way back from the failure queue: `mailtrail suppressed notify --since T` sends the
/// current verdict of every record changed since T (a dry run sends nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppressed_notify_sends_the_current_verdicts_of_records_changed_since_a_time() {
    let (app, _client, tables) = tables().await;
    let bus = bus().await;
    for (i, address) in ["ona@example.com", "pia@example.com"].iter().enumerate() {
        let body = format!(
            r#"[{{"event":"hard_bounces","email":"{address}","message_id":{},"timestamp":1795521600}}]"#,
            9000 + i
        );
        invoke(&app, &sendpulse_post(&body)).await.unwrap();
    }
    run(
        &tables,
        None,
        &[
            "suppressed",
            "remove",
            "pia@example.com",
            "--reason",
            "hard_bounce",
            "--note",
            "ok",
        ],
    )
    .await;
    let moto = moto();
    let notify = |extra: &'static [&'static str]| {
        let (table, suppressions) = tables.clone();
        let endpoint = moto.endpoint.clone();
        let bus_name = bus.bus.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "suppressed",
                "notify",
                "--since",
                "2020-01-01",
                "--bus",
                &bus_name,
                "--output",
                "json",
            ];
            args.extend_from_slice(extra);
            crate::cli::mailtrail_with(
                &table,
                &suppressions,
                &args,
                &[("AWS_ENDPOINT_URL_EVENTBRIDGE", &endpoint)],
            )
        })
    };
    let dry = notify(&["--dry-run"]).await.unwrap();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(
        (dry["records"].as_u64(), dry["sent"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(bus.received().await.is_empty(), "a dry run sends nothing");
    let sent = notify(&[]).await.unwrap();
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    let mut received = bus.received().await;
    received.sort_by_key(|e| e["detail"]["address"].as_str().unwrap().to_owned());
    assert_eq!(received.len(), 2);
    assert_eq!(received[0]["detail-type"], "Address Suppressed");
    assert_eq!(received[0]["detail"]["reasons"], json!(["hard_bounce"]));
    assert_eq!(received[0]["detail"]["version"], 1);
    assert_eq!(received[1]["detail-type"], "Address Unsuppressed");
    assert_eq!(received[1]["detail"]["version"], 2);
    // Nothing changed since a later time: nothing to send.
    let (table, suppressions) = tables.clone();
    let bus_name = bus.bus.clone();
    let endpoint = moto.endpoint.clone();
    let none = tokio::task::spawn_blocking(move || {
        crate::cli::mailtrail_with(
            &table,
            &suppressions,
            &[
                "suppressed",
                "notify",
                "--since",
                "2999-01-01",
                "--bus",
                &bus_name,
                "--output",
                "json",
            ],
            &[("AWS_ENDPOINT_URL_EVENTBRIDGE", &endpoint)],
        )
    })
    .await
    .unwrap();
    let none: Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(none["records"], 0);
}
