//! MX lookups of custom recipient domains, end to end: the real handler, the DynamoDB-API
//! server, and a real name server on 127.0.0.1 (`scripts/dns_server.py`, dnslib) serving the
//! domains' MX records.

use std::collections::BTreeMap;

use crate::support::*;
use serde_json::json;

/// A name server for the test domains, and the file it logs each query to.
fn name_server() -> (LocalServer, std::path::PathBuf) {
    let records = [
        "acme.test=10:aspmx.l.google.com",
        "acme.test=20:alt1.aspmx.l.google.com",
        "contoso.test=0:contoso-test.mail.protection.outlook.com",
        "selfhosted.test=10:mx.selfhosted.test",
        "gateway.test=10:mx0a-0001.pphosted.com",
    ];
    crate::support::name_server(&records.map(str::to_owned))
}

/// How many MX queries for `domain` the name server answered.
fn queries(log: &std::path::Path, domain: &str) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.matches(&format!("query {domain} MX\n")).count()
}

/// One delivery per address, as SendGrid batches them.
fn deliveries(addresses: &[&str]) -> String {
    let events: Vec<_> = addresses
        .iter()
        .enumerate()
        .map(|(i, address)| {
            json!({"email": address, "event": "delivered", "timestamp": 1_795_000_000 + i,
                   "sg_message_id": format!("mx-test-{i}.filter0001")})
        })
        .collect();
    serde_json::Value::Array(events).to_string()
}

fn app_asking(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    server: Option<std::net::SocketAddr>,
) -> mailtrail::app::App {
    let mut config = test_config(table);
    config.mx_lookup = true;
    config.mx_name_server = server;
    app_with(client, config)
}

/// Each recipient's mailbox provider, from the stored items.
async fn mailbox_providers(client: &aws_sdk_dynamodb::Client, table: &str) -> BTreeMap<String, String> {
    scan_all(client, table)
        .await
        .iter()
        .filter_map(|item| {
            Some((
                s(item, "recipient")?.to_owned(),
                s(item, "mailbox").unwrap_or("unknown").to_owned(),
            ))
        })
        .collect()
}

#[tokio::test]
async fn custom_domains_are_named_by_their_mail_servers_once_a_day() {
    let (server, log) = name_server();
    let address: std::net::SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let client = client().await;
    let table = fresh_table(&client).await;
    let addresses = [
        "jane@gmail.com",
        "a@acme.test",
        "b@acme.test",
        "c@contoso.test",
        "d@selfhosted.test",
        "e@gateway.test",
        "f@nomx.test",
    ];
    let body = deliveries(&addresses);
    let app = app_asking(&client, &table, Some(address));
    let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    let found = mailbox_providers(&client, &table).await;
    let expected: BTreeMap<String, String> = [
        ("jane@gmail.com", "gmail"),
        ("a@acme.test", "gmail"),
        ("b@acme.test", "gmail"),
        ("c@contoso.test", "microsoft"),
        ("d@selfhosted.test", "other"),
        ("e@gateway.test", "proofpoint"),
        ("f@nomx.test", "unknown"),
    ]
    .into_iter()
    .map(|(a, p)| (a.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(found, expected);
    assert_eq!(
        queries(&log, "gmail.com"),
        0,
        "the table's domains are never looked up"
    );
    assert_eq!(queries(&log, "acme.test"), 1, "two recipients, one lookup");

    // The same batch again (a provider's retry), then a new instance (a cold start): the day's
    // answers come from this instance, then from DynamoDB, never from DNS again.
    let (status, _) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 200);
    let cold = app_asking(&client, &table, Some(address));
    let (status, _) = invoke_http(&cold, &sendgrid_post(&body)).await;
    assert_eq!(status, 200);
    for domain in [
        "acme.test",
        "contoso.test",
        "selfhosted.test",
        "gateway.test",
        "nomx.test",
    ] {
        assert_eq!(queries(&log, domain), 1, "{domain}");
    }
    assert_eq!(mailbox_providers(&client, &table).await, expected);
}

#[tokio::test]
async fn a_name_server_that_does_not_answer_never_fails_an_event() {
    // Nothing listens on this port: each lookup times out.
    let silent: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let client = client().await;
    let table = fresh_table(&client).await;
    let app = app_asking(&client, &table, Some(silent));
    let started = std::time::Instant::now();
    let (status, reply) = invoke_http(
        &app,
        &sendgrid_post(&deliveries(&["a@acme.test", "b@other.test"])),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let items = scan_all(&client, &table).await;
    assert_eq!(items.len(), 2, "the events, and no remembered answer");
    assert!(
        items.iter().all(|item| s(item, "mailbox").is_none()),
        "unknown is no attribute"
    );
}
