//! SparkPost, MailerSend, Mandrill, Postal, SMTP2GO and AhaSend end to end: the real handler, the
//! real SDK and a DynamoDB-API server on 127.0.0.1. Their sample batches repeat one id and one
//! second across events, and each event is still its own item, found by its recipient; every
//! sample is stored once however often it comes.

use std::collections::BTreeSet;

use crate::support::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

fn keys(items: &[std::collections::HashMap<String, AttributeValue>]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|i| (s(i, "pk").unwrap().to_owned(), s(i, "sk").unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn batches_that_repeat_one_id_and_second_keep_every_event() {
    let (app, client) = fresh_app().await;
    let table = app.config.table_name.clone();
    let (status, reply) = invoke_http(
        &app,
        &sparkpost_post(&read("fixtures/sparkpost/sample-batch.json")),
    )
    .await;
    assert_eq!((status, reply["stored"].as_u64()), (200, Some(18)), "{reply}");
    let (status, reply) = invoke_http(&app, &mandrill_post(&read("fixtures/mandrill/test-batch.json"))).await;
    assert_eq!((status, reply["stored"].as_u64()), (200, Some(9)), "{reply}");
    let items = scan_all(&client, &table).await;
    assert_eq!(items.len(), 27);
    let sparkpost = items
        .iter()
        .filter(|i| s(i, "pk") == Some("65832150921904138"))
        .count();
    assert_eq!(sparkpost, 18, "one transmission, eighteen events");
    // Every Mandrill event of the batch is found by its recipient.
    let rows = client
        .query()
        .table_name(&table)
        .index_name(mailtrail::store::table::BY_RECIPIENT_INDEX)
        .key_condition_expression("recipient = :r")
        .expression_attribute_values(":r", AttributeValue::S("example.webhook@mandrillapp.com".into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(rows.len(), 9);
    // The same batches again (the providers' retries): the same items.
    invoke_http(
        &app,
        &sparkpost_post(&read("fixtures/sparkpost/sample-batch.json")),
    )
    .await;
    invoke_http(&app, &mandrill_post(&read("fixtures/mandrill/test-batch.json"))).await;
    assert_eq!(keys(&scan_all(&client, &table).await), keys(&items));
}

#[tokio::test]
async fn every_sample_of_the_newer_providers_is_stored_once() {
    let (app, client) = fresh_app().await;
    let table = app.config.table_name.clone();
    let mut requests: Vec<Value> = Vec::new();
    for provider in [
        "sparkpost",
        "mailersend",
        "mandrill",
        "postal",
        "smtp2go",
        "ahasend",
    ] {
        let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures").join(provider))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        for name in names {
            let body = read(&format!("fixtures/{provider}/{name}"));
            requests.push(match provider {
                "sparkpost" => sparkpost_post(&body),
                "mailersend" => mailersend_post(&body),
                "mandrill" => mandrill_post(&body),
                "postal" => postal_post(name.trim_end_matches(".json")),
                "smtp2go" => smtp2go_post(&body),
                _ => ahasend_post(&body),
            });
        }
    }
    for request in &requests {
        let (status, reply) = invoke_http(&app, request).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["quarantined"], 0, "{reply}");
    }
    let first = scan_all(&client, &table).await;
    let providers: BTreeSet<&str> = first.iter().filter_map(|i| s(i, "provider")).collect();
    assert_eq!(
        providers,
        BTreeSet::from([
            "ahasend",
            "mailersend",
            "mandrill",
            "postal",
            "smtp2go",
            "sparkpost"
        ])
    );
    for request in requests.iter().rev() {
        assert_eq!(invoke_http(&app, request).await.0, 200);
    }
    assert_eq!(
        keys(&scan_all(&client, &table).await),
        keys(&first),
        "retries, in another order"
    );
}
