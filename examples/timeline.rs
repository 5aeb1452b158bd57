//! Prints stored timelines as a readable table: every message, or one recipient's events.
//!
//! Usage: TABLE_NAME=... cargo run --example timeline [-- --recipient ADDRESS | --message ID]

use std::collections::{BTreeMap, HashMap};

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

type Item = HashMap<String, AttributeValue>;

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or("")
}

/// The most telling detail of an event, on one short line.
fn detail(item: &Item) -> String {
    let mut parts = Vec::new();
    for name in ["bounce_class", "smtp_status", "reason", "url", "smtp_response"] {
        let value = text(item, name);
        if !value.is_empty() && !parts.iter().any(|p: &String| p.contains(value)) {
            parts.push(value.to_owned());
        }
    }
    let line = parts.join(" | ");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line
    }
}

async fn all_items(client: &Client, table: &str) -> anyhow::Result<Vec<Item>> {
    Ok(client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?)
}

async fn query(
    client: &Client,
    table: &str,
    index: Option<&str>,
    key: &str,
    value: &str,
) -> anyhow::Result<Vec<Item>> {
    let pages = client
        .query()
        .table_name(table)
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression("#k = :v")
        .expression_attribute_names("#k", key)
        .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
        .into_paginator();
    Ok(pages.items().send().try_collect().await?)
}

fn print_rows(items: &[Item]) {
    println!(
        "  {:<24}  {:<9}  {:<12}  {:<17}  {:<24}  detail",
        "time", "provider", "event", "provider event", "recipient"
    );
    for item in items {
        println!(
            "  {:<24}  {:<9}  {:<12}  {:<17}  {:<24}  {}",
            text(item, "occurred_at"),
            text(item, "provider"),
            text(item, "event"),
            text(item, "provider_event"),
            text(item, "recipient"),
            detail(item)
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "mailtrail-demo".to_owned());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = Client::new(&config);

    match args.as_slice() {
        [flag, address] if flag == "--recipient" => {
            let items = query(
                &client,
                &table,
                Some(mailtrail::store::table::BY_RECIPIENT_INDEX),
                "recipient",
                address,
            )
            .await?;
            println!("\nRecipient {address}: {} events", items.len());
            print_rows(&items);
        }
        [flag, id] if flag == "--message" => {
            let items = query(&client, &table, None, "pk", id).await?;
            println!("\nMessage {id}: {} events", items.len());
            print_rows(&items);
        }
        [] => {
            let mut messages: BTreeMap<String, Vec<Item>> = BTreeMap::new();
            let items = all_items(&client, &table).await?;
            let total = items.len();
            for item in items {
                messages
                    .entry(text(&item, "pk").to_owned())
                    .or_default()
                    .push(item);
            }
            for (pk, mut events) in messages {
                events.sort_by(|a, b| text(a, "sk").cmp(text(b, "sk")));
                println!("\nMessage {pk}: {} events", events.len());
                print_rows(&events);
            }
            println!("\n{total} items in table {table}");
        }
        _ => anyhow::bail!("usage: timeline [--recipient ADDRESS | --message ID]"),
    }
    Ok(())
}
