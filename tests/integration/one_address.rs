//! Many events for one address in one request: SendPulse batches of soft bounces and SNS
//! invocations of many SES bounces for one recipient, against the real DynamoDB-API server.
//! All the evidence for one address is one read and one conditional update, so a request is
//! stored in one go every time, and concurrent requests for the same address both succeed.

use serde_json::{json, Value};

use crate::support::*;

const ADDRESS: &str = "one-busy-address@example.com";

async fn record(client: &aws_sdk_dynamodb::Client, suppressions: &str) -> mailtrail::suppression::Record {
    let item = suppression_item(client, suppressions, ADDRESS).await.unwrap();
    mailtrail::store::suppression::record_from_item(&item)
}

fn soft_bounces(first_message: i64, count: i64) -> String {
    let events: Vec<Value> = (0..count)
        .map(|i| {
            json!({"event": "soft_bounces", "email": ADDRESS, "message_id": first_message + i,
                   "timestamp": 1_700_000_000 + (first_message + i) % 100_000})
        })
        .collect();
    Value::Array(events).to_string()
}

/// SendPulse batches of 100, 300 and 1,000 transient bounces for one address, with the
/// escalation on, again and again: 200 every time, and the record counts them.
#[tokio::test]
async fn a_batch_of_many_bounces_for_one_address_is_stored_in_one_go_every_time() {
    let (_app, client, table, suppressions) = app_with_suppressions().await;
    let mut config = test_config(&table);
    config.soft_bounce = Some(mailtrail::suppression::Escalation { limit: 3, days: 7 });
    let app = app_writing_both(&client, &table, &suppressions, config);
    let mut first = 10_000;
    for round in 0..4 {
        for size in [100, 300, 1_000] {
            let body = soft_bounces(first, size);
            first += size;
            let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
            assert_eq!(status, 200, "round {round}, {size} events: {reply}");
            assert_eq!(reply["stored"], size, "{reply}");
            // The provider's retry of the same batch changes nothing and succeeds too.
            let version = record(&client, &suppressions).await.version;
            let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
            assert_eq!(status, 200, "retry: {reply}");
            assert_eq!(
                record(&client, &suppressions).await.version,
                version,
                "a retry writes nothing"
            );
        }
    }
    let stored = record(&client, &suppressions).await;
    assert_eq!(stored.verdict().reasons, vec!["soft_bounce_limit"]);
    assert!(
        stored.soft_bounces.len() <= 9,
        "bounded: {}",
        stored.soft_bounces.len()
    );
    assert_eq!(
        stored.version, 12,
        "one write per request that changed the record"
    );
    assert!(stored.updated_at.is_some());
}

/// Two requests for the same address at once: one writer's update fails its version check,
/// reads again and succeeds; nothing is lost.
#[tokio::test]
async fn concurrent_requests_for_one_address_both_succeed() {
    let (app, client, _table, suppressions) = app_with_suppressions().await;
    for round in 0..5 {
        let hard = format!(
            r#"[{{"event":"hard_bounces","email":"{ADDRESS}","message_id":{},"timestamp":{}}}]"#,
            round * 2,
            1_700_000_000 + round * 10
        );
        let unsubscribe = format!(
            r#"[{{"event":"unsubscribed","email":"{ADDRESS}","message_id":{},"timestamp":{}}}]"#,
            round * 2 + 1,
            1_700_000_001 + round * 10
        );
        let (hard, unsubscribe) = (sendpulse_post(&hard), sendpulse_post(&unsubscribe));
        let (a, b) = tokio::join!(invoke_http(&app, &hard), invoke_http(&app, &unsubscribe));
        assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    }
    let stored = record(&client, &suppressions).await;
    assert_eq!(stored.verdict().reasons, vec!["hard_bounce", "unsubscribe"]);
    assert_eq!(stored.version, 10);
    assert_eq!(
        stored.slots["unsubscribe"].at, "2023-11-14T22:14:01.000Z",
        "the latest of each"
    );
}

/// One SNS invocation with many SES bounces for the same recipient (SES delivers one record per
/// invocation to Lambda, the HTTPS endpoint and EventBridge one each, but the trigger accepts
/// several): one update.
#[tokio::test]
async fn an_sns_invocation_of_many_bounces_for_one_address_is_stored_in_one_go() {
    let (_app, client, table, suppressions) = app_with_suppressions().await;
    let mut config = test_config(&table);
    config.soft_bounce = Some(mailtrail::suppression::Escalation { limit: 3, days: 7 });
    let app = app_writing_both(&client, &table, &suppressions, config);
    let template: Value = serde_json::from_str(&read("events/ses-event-bounce.json")).unwrap();
    let message = template["Records"][0]["Sns"]["Message"]
        .as_str()
        .unwrap()
        .to_owned();
    for round in 0..3 {
        let records: Vec<Value> = (0..100)
            .map(|i| {
                let id = format!("round-{round}-message-{i}");
                let mut record = template["Records"][0].clone();
                record["Sns"]["MessageId"] = format!("sns-{round}-{i}").into();
                record["Sns"]["Message"] = message
                    .replace("recipient@example.com", ADDRESS)
                    .replace(
                        "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
                        &id,
                    )
                    .replace("\"Permanent\"", "\"Transient\"")
                    .into();
                record
            })
            .collect();
        let event = json!({"Records": records});
        let reply = invoke(&app, &event).await;
        assert!(reply.is_ok(), "round {round}: {:?}", reply.err());
    }
    let stored = record(&client, &suppressions).await;
    assert_eq!(stored.version, 3, "one update per invocation");
    assert_eq!(stored.verdict().reasons, vec!["soft_bounce_limit"]);
}
