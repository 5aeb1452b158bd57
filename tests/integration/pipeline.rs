//! The handler end to end, against a real DynamoDB-API server on 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::*;
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::ingress::{InvocationError, Reply};
use serde_json::{json, Value};

const SES_MESSAGE: &str = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";

#[tokio::test]
async fn the_sendgrid_sample_gives_fourteen_items() {
    let (app, client) = fresh_app().await;
    let body = read("fixtures/sendgrid/seed-batch.json");
    let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({"provider": "sendgrid", "events": 14, "stored": 14, "duplicates": 0, "quarantined": 0})
    );

    let items = scan_all(&client, app.config.table_name.as_str()).await;
    assert_eq!(items.len(), 14);
    let per_message: BTreeMap<&str, usize> = items.iter().fold(BTreeMap::new(), |mut m, item| {
        *m.entry(s(item, "pk").unwrap()).or_default() += 1;
        m
    });
    assert_eq!(
        per_message,
        BTreeMap::from([
            ("14c5d75ce93.dfd.64b469", 11),
            ("2KoVJuIYQk-4xff6b8xcMA", 1),
            ("KudqDUo-QX6llQHrmxzMEQ", 2)
        ])
    );
    let bounce = items.iter().find(|i| s(i, "event") == Some("bounced")).unwrap();
    assert_eq!(s(bounce, "bounce_class"), Some("permanent"));
    assert_eq!(s(bounce, "occurred_at"), Some("2021-09-13T23:53:24.000Z"));
    assert!(s(bounce, "sk")
        .unwrap()
        .starts_with("2021-09-13T23:53:24.000Z#bounced#"));
    let bounce_raw: Value =
        serde_json::from_slice(&mailtrail::store::item::original_raw(bounce).unwrap().unwrap()).unwrap();
    assert_eq!(
        bounce_raw["sg_message_id"], "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "the full id is in the raw event"
    );
    assert!(
        bounce.get("recipient").is_none(),
        "an empty email is no recipient"
    );
    let processed = items
        .iter()
        .find(|i| s(i, "pk") == Some("KudqDUo-QX6llQHrmxzMEQ") && s(i, "event") == Some("queued"))
        .unwrap();
    assert!(
        processed.get("raw").is_some(),
        "a short raw event is kept as text"
    );
    let raw_bytes = mailtrail::store::item::original_raw(processed).unwrap().unwrap();
    let raw: Value = serde_json::from_slice(&raw_bytes).unwrap();
    assert_eq!(
        raw["sg_event_id"],
        "cHJvY2Vzc2VkLTEyMDAxNDgyLUt1ZHFEVW8tUVg2bGxRSHJteHpNRVEtMA"
    );
    assert_eq!(raw["send_id"], "30000", "custom arguments are in the raw event");
}

#[tokio::test]
async fn a_retried_request_stores_nothing_new() {
    let (app, client) = fresh_app().await;
    let body = read("fixtures/sendgrid/seed-batch.json");
    let request = sendgrid_post(&body);
    assert_eq!(invoke_http(&app, &request).await.0, 200);
    let first: BTreeSet<(String, String)> = keys(&scan_all(&client, app.config.table_name.as_str()).await);
    assert_eq!(invoke_http(&app, &request).await.0, 200);

    // SendGrid resends with another sg_event_id and reformatted JSON: still the same items.
    let mut events: Vec<Value> = serde_json::from_str(&body).unwrap();
    for (i, event) in events.iter_mut().enumerate() {
        event["sg_event_id"] = format!("resent-{i}").into();
    }
    let resent = serde_json::to_string_pretty(&events).unwrap();
    assert_eq!(invoke_http(&app, &sendgrid_post(&resent)).await.0, 200);

    let after = keys(&scan_all(&client, app.config.table_name.as_str()).await);
    assert_eq!(after, first);
    assert_eq!(after.len(), 14);
}

fn keys(items: &[std::collections::HashMap<String, AttributeValue>]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|i| (s(i, "pk").unwrap().to_owned(), s(i, "sk").unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_thousand_event_sendpulse_batch_is_stored_whole() {
    let (app, client) = fresh_app().await;
    let events: Vec<Value> = (0..1000)
        .map(|i| {
            let name = ["delivered", "opened", "clicked", "undelivered"][i % 4];
            json!({
                "event": name,
                "timestamp": 1_490_954_061 + i / 4,
                "message_id": 1_149_317_311 + i / 4,
                "recipient": format!("user{}@example.com", i / 4),
                "sender": "john.doe@sendpulse.com",
                "subject": "hello world",
                "smtp_server_response_code": "250",
            })
        })
        .collect();
    let body = serde_json::to_string(&events).unwrap();
    let (status, reply) = invoke_http(
        &app,
        &with_query(
            http_post("/prod/webhooks/sendpulse", &body),
            "token",
            SENDPULSE_TOKEN,
        ),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["stored"], 1000);
    assert_eq!(
        scan_all(&client, app.config.table_name.as_str()).await.len(),
        1000
    );
}

#[tokio::test]
async fn a_batch_repeating_an_event_succeeds_with_one_item() {
    let (app, client) = fresh_app().await;
    let event = json!({"event": "opened", "timestamp": 1490962764, "message_id": 1149317311,
                       "recipient": "doe.john@sendpulse.com"});
    let body = serde_json::to_string(&vec![event.clone(), event.clone(), event]).unwrap();
    let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["stored"], 1);
    assert_eq!(reply["duplicates"], 2);
    assert_eq!(scan_all(&client, app.config.table_name.as_str()).await.len(), 1);
}

/// (fixture, normalized event, recipient, message id, sort-key time)
const SES_EXPECTED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "event-bounce",
        "bounced",
        "recipient@example.com",
        SES_MESSAGE,
        "2017-08-05T00:41:02.669Z",
    ),
    (
        "event-complaint",
        "complained",
        "recipient@example.com",
        SES_MESSAGE,
        "2017-08-05T00:41:02.669Z",
    ),
    (
        "event-delivery",
        "delivered",
        "recipient@example.com",
        SES_MESSAGE,
        "2016-10-19T23:21:04.133Z",
    ),
    (
        "event-send",
        "sent",
        "recipient@example.com",
        SES_MESSAGE,
        "2016-10-14T05:02:16.645Z",
    ),
    (
        "event-reject",
        "rejected",
        "sender@example.com",
        SES_MESSAGE,
        "2016-10-14T17:38:15.211Z",
    ),
    (
        "event-open",
        "opened",
        "recipient@example.com",
        SES_MESSAGE,
        "2017-08-09T22:00:19.652Z",
    ),
    (
        "event-click",
        "clicked",
        "recipient@example.com",
        SES_MESSAGE,
        "2017-08-09T23:51:25.570Z",
    ),
    (
        "event-rendering-failure",
        "failed",
        "recipient@example.com",
        SES_MESSAGE,
        "2018-01-22T18:43:06.197Z",
    ),
    (
        "event-delivery-delay",
        "deferred",
        "recipient@example.com",
        SES_MESSAGE,
        "2020-06-16T00:25:40.095Z",
    ),
    (
        "event-subscription",
        "unsubscribed",
        "recipient@example.com",
        "EXAMPLEe4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000",
        "2022-01-12T01:00:17.910Z",
    ),
];

#[tokio::test]
async fn every_ses_example_arrives_through_sns_as_one_item() {
    let (app, client) = fresh_app().await;
    for (fixture, event, recipient, message_id, time) in SES_EXPECTED {
        let lambda_event: Value = serde_json::from_str(&read(&format!("events/ses-{fixture}.json"))).unwrap();
        let reply = invoke(&app, &lambda_event)
            .await
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let Reply::Sns(summary) = reply else {
            panic!("{fixture}: not an SNS reply")
        };
        assert_eq!((summary.events, summary.stored), (1, 1), "{fixture}");

        let found = client
            .query()
            .table_name(app.config.table_name.as_str())
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S((*message_id).into()))
            .expression_attribute_values(":prefix", AttributeValue::S(format!("{time}#{event}#")))
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default();
        assert_eq!(found.len(), 1, "{fixture}");
        assert_eq!(s(&found[0], "recipient"), Some(*recipient), "{fixture}");
        assert_eq!(s(&found[0], "provider"), Some("ses"), "{fixture}");
    }
    assert_eq!(
        scan_all(&client, app.config.table_name.as_str()).await.len(),
        SES_EXPECTED.len()
    );
}

#[tokio::test]
async fn a_two_recipient_bounce_is_two_items_found_by_recipient() {
    let (app, client) = fresh_app().await;
    let event = sns_event(&read("fixtures/ses/notification-bounce.json"));
    let Reply::Sns(summary) = invoke(&app, &event).await.unwrap() else {
        panic!("not SNS")
    };
    assert_eq!(summary.stored, 2);

    let jane = index_rows(&client, &app.config.table_name, "jane@example.com").await;
    assert_eq!(jane.len(), 1);
    assert_eq!(s(&jane[0], "event"), Some("bounced"));
    assert_eq!(s(&jane[0], "bounce_class"), Some("permanent"));

    // The notification is kept once: one item holds it, the other names that item, and both
    // give back the exact message.
    let items = scan_all(&client, app.config.table_name.as_str()).await;
    let (holders, sharing): (Vec<_>, Vec<_>) = items
        .iter()
        .partition(|item| mailtrail::store::item::raw_holder(item).is_none());
    assert_eq!((holders.len(), sharing.len()), (1, 1));
    let sk = mailtrail::store::item::raw_holder(sharing[0]).unwrap();
    let holder = client
        .get_item()
        .table_name(app.config.table_name.as_str())
        .key("pk", sharing[0]["pk"].clone())
        .key("sk", AttributeValue::S(sk.to_owned()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        mailtrail::store::item::original_raw(&holder).unwrap().unwrap(),
        read("fixtures/ses/notification-bounce.json").as_bytes()
    );
    assert!(mailtrail::store::item::original_raw(sharing[0]).is_none());

    // A retry writes the same two items again, nothing more.
    invoke(&app, &event).await.unwrap();
    let layout = |items: &[std::collections::HashMap<String, AttributeValue>]| {
        items
            .iter()
            .map(|i| (s(i, "sk").map(str::to_owned), s(i, "raw_in").map(str::to_owned)))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        layout(&scan_all(&client, app.config.table_name.as_str()).await),
        layout(&items)
    );
}

#[tokio::test]
async fn the_topic_validation_text_is_ignored_not_stored() {
    let (app, client) = fresh_app().await;
    let event: Value = serde_json::from_str(&read("events/ses-topic-validation.json")).unwrap();
    let Reply::Sns(summary) = invoke(&app, &event).await.unwrap() else {
        panic!("not SNS")
    };
    assert_eq!((summary.events, summary.ignored, summary.stored), (0, 1, 0));
    assert!(scan_all(&client, app.config.table_name.as_str()).await.is_empty());
}

#[tokio::test]
async fn every_sendpulse_example_is_stored() {
    let (app, client) = fresh_app().await;
    let fixtures = [
        "format-single",
        "format-batch-trailing-comma",
        "delivered",
        "undelivered",
        "opened",
        "clicked",
        "unsubscribed",
        "spam_by_user",
    ];
    for fixture in fixtures {
        let body = read(&format!("fixtures/sendpulse/{fixture}.json"));
        let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
        assert_eq!(status, 200, "{fixture}: {reply}");
    }
    let items = scan_all(&client, app.config.table_name.as_str()).await;
    // 1 + 3 + 6 events, of which the batch repeats the single example.
    assert_eq!(items.len(), 9);
    let unsubscribed = items
        .iter()
        .find(|i| s(i, "event") == Some("unsubscribed"))
        .unwrap();
    assert_eq!(
        s(unsubscribed, "pk"),
        Some("no-message-id#sendpulse#john.doe@sendpulse.com")
    );
    assert_eq!(s(unsubscribed, "time_source"), Some("received"));
    let undelivered = items
        .iter()
        .find(|i| s(i, "provider_event") == Some("undelivered"))
        .unwrap();
    assert_eq!(s(undelivered, "event"), Some("bounced"));
    assert_eq!(s(undelivered, "bounce_class"), Some("permanent"));
    assert_eq!(s(undelivered, "pk"), Some("1149317311"));
}

#[tokio::test]
async fn rest_api_requests_with_base64_bodies_work() {
    use base64::Engine as _;
    let (app, client) = fresh_app().await;
    let body = read("fixtures/sendpulse/delivered.json");
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let request = with_query(
        rest_request("POST", "/webhooks/sendpulse", &encoded, true),
        "token",
        SENDPULSE_TOKEN,
    );
    let (status, reply) = invoke_http(&app, &request).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(scan_all(&client, app.config.table_name.as_str()).await.len(), 1);
}

#[tokio::test]
async fn unreadable_events_fail_the_invocation() {
    let (app, _client) = fresh_app().await;
    for event in [
        json!({}),
        json!({"Records": [{"eventSource": "aws:sqs"}]}),
        json!([1]),
    ] {
        assert!(
            matches!(invoke(&app, &event).await, Err(InvocationError::Trigger(_))),
            "{event}"
        );
    }
    let mut other_topic = sns_event(&read("fixtures/ses/event-send.json"));
    other_topic["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:other".into();
    assert!(matches!(
        invoke(&app, &other_topic).await,
        Err(InvocationError::Sns(_))
    ));
}

#[tokio::test]
async fn a_failing_store_is_a_500_for_webhooks_and_an_error_for_sns() {
    let client = client().await;
    let app = app(&client, "no-such-table");
    let body = read("fixtures/sendgrid/seed-batch.json");
    let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 500, "{reply}");
    assert_eq!(reply["error"], "store_failed");

    let event: Value = serde_json::from_str(&read("events/ses-event-bounce.json")).unwrap();
    let error = invoke(&app, &event).await.unwrap_err();
    // A table that does not exist is a deployment to fix, not a passing failure.
    assert!(error.to_string().contains("cannot write the table"), "{error}");
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "StoreFailed");
    assert!(!diagnostic.error_message.contains("no-such-table"));
}

#[tokio::test]
async fn ses_events_arrive_over_sns_https_and_subscriptions_are_confirmed() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let internet = std::sync::Arc::new(NoInternet::default());
    let store = mailtrail::store::DynamoStore::new(client.clone(), table.clone(), 400);
    let app =
        mailtrail::app::App::with_https(test_config(&table), std::sync::Arc::new(store), internet.clone());

    for fixture in ["notification-v1", "notification-v2"] {
        let request = http_post("/webhooks/ses", &read(&format!("fixtures/sns/{fixture}.json")));
        let (status, reply) = invoke_http(&app, &request).await;
        assert_eq!(status, 200, "{fixture}: {reply}");
        assert_eq!(reply["stored"], 1);
    }
    // Both notifications carry the same SES bounce: one item.
    let items = scan_all(&client, &table).await;
    assert_eq!(items.len(), 1);
    assert_eq!(s(&items[0], "event"), Some("bounced"));

    let confirmation = read("fixtures/sns/subscription-confirmation.json");
    let (status, reply) = invoke_http(&app, &http_post("/webhooks/ses", &confirmation)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["confirmed"], true);
    let subscribe_url = serde_json::from_str::<Value>(&confirmation).unwrap()["SubscribeURL"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(internet.asked.lock().unwrap().as_slice(), [subscribe_url]);

    let (status, reply) = invoke_http(
        &app,
        &http_post(
            "/webhooks/ses",
            &read("fixtures/sns/unsubscribe-confirmation.json"),
        ),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["confirmed"], false);
    assert_eq!(
        internet.asked.lock().unwrap().len(),
        1,
        "an unsubscribe is never re-confirmed"
    );
}

#[tokio::test]
async fn an_authenticated_body_that_does_not_decode_is_kept_byte_for_byte() {
    let (app, client) = fresh_app().await;
    let event = "{\"event\":\"open\",\"email\":{\"nested\":\"jane@example.com\"}}";
    let body = format!("[{event}]\r\n");
    let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["quarantined"].as_u64(), reply["stored"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(
        !reply.to_string().contains("jane@"),
        "addresses are masked in answers: {reply}"
    );

    let items = scan_all(&client, app.config.table_name.as_str()).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(s(item, "pk"), Some("quarantine#sendgrid"));
    assert_eq!(
        item["body"].as_b().unwrap().as_ref(),
        event.as_bytes(),
        "the event, as received"
    );
    assert_eq!(item["event"].as_n().unwrap(), "0");
    let error = s(item, "error").unwrap();
    assert!(error.contains("event 0"), "{error}");
    assert!(
        !error.contains("jane"),
        "no body content in the kept error: {error}"
    );

    // The provider's retry rewrites the same quarantine item.
    assert_eq!(invoke_http(&app, &sendgrid_post(&body)).await.0, 200);
    assert_eq!(scan_all(&client, app.config.table_name.as_str()).await.len(), 1);
}

#[tokio::test]
async fn the_production_client_stores_through_the_sdk_chain_to_the_local_server() {
    // The production client reads what Lambda (or a laptop) sets: point it at the local server.
    // No other test reads these variables: their clients are configured explicitly.
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &dynamo().endpoint);
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ACCESS_KEY_ID", "local");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "local");
    let client = mailtrail::aws_client::dynamodb_client()
        .await
        .expect("the production client builds");
    let table = fresh_table(&client).await;
    let app = app(&client, &table);
    let (status, reply) =
        invoke_http(&app, &sendpulse_post(&read("fixtures/sendpulse/delivered.json"))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(scan_all(&client, &table).await.len(), 1);
}

#[tokio::test]
async fn items_written_before_compression_stay_readable() {
    let client = client().await;
    let table = fresh_table(&client).await;
    let original = read("fixtures/ses/event-bounce.json");
    client
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S("old".into()))
        .item(
            "sk",
            AttributeValue::S("2017-08-05T00:41:02.669Z#bounced#0000000000000000".into()),
        )
        .item("raw", AttributeValue::S(original.clone()))
        .send()
        .await
        .unwrap();
    let items = scan_all(&client, &table).await;
    let raw = mailtrail::store::item::original_raw(&items[0]).unwrap().unwrap();
    assert_eq!(raw, original.as_bytes());
}

#[tokio::test]
async fn the_lean_index_holds_what_a_timeline_row_shows_and_the_item_the_rest() {
    let (app, client) = fresh_app().await;
    let event: Value = serde_json::from_str(&read("events/ses-notification-bounce.json")).unwrap();
    invoke(&app, &event).await.unwrap();
    let rows = index_rows(&client, &app.config.table_name, "jane@example.com").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(s(row, "event"), Some("bounced"));
    assert!(s(row, "summary").unwrap().starts_with("permanent | 5.1.1"));
    assert!(
        row.get("raw_z").is_none() && row.get("metadata").is_none(),
        "the index is lean"
    );
    let mut names: Vec<&str> = row.keys().map(String::as_str).collect();
    names.sort_unstable();
    for name in names {
        assert!(
            ["pk", "sk", "recipient"].contains(&name)
                || mailtrail::store::item::INDEX_ATTRIBUTES.contains(&name),
            "{name} is not projected"
        );
    }
}

/// The `by_recipient` rows of one address.
async fn index_rows(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    recipient: &str,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    client
        .query()
        .table_name(table)
        .index_name(mailtrail::store::table::BY_RECIPIENT_INDEX)
        .key_condition_expression("recipient = :r")
        .expression_attribute_values(":r", AttributeValue::S(recipient.into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}
