//! `mailtrail message` and `mailtrail recipient`: timelines, oldest first.

use anyhow::{bail, Context as _};
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::store::table::BY_RECIPIENT_INDEX;

use crate::args::Output;
use crate::items::{detail, item_json, message_of, query_all, table, text, Item};
use crate::tables::Context;

/// One message's timeline.
pub async fn message(context: &Context, id: &str) -> anyhow::Result<()> {
    let query = context
        .client
        .query()
        .table_name(context.table()?)
        .key_condition_expression("pk = :id")
        .expression_attribute_values(":id", AttributeValue::S(id.to_owned()));
    let items = query_all(query, "the message's timeline").await?;
    print(context, &format!("Message {id}"), items)
}

/// Everything that happened to one address since a time.
pub async fn recipient(
    context: &Context,
    address: &str,
    since: Option<&str>,
    detail: bool,
) -> anyhow::Result<()> {
    let address = address.trim().to_lowercase();
    let mut query = context
        .client
        .query()
        .table_name(context.table()?)
        .index_name(BY_RECIPIENT_INDEX)
        .expression_attribute_values(":r", AttributeValue::S(address.clone()));
    query = match since {
        Some(since) => query
            .key_condition_expression("recipient = :r AND sk >= :since")
            .expression_attribute_values(":since", AttributeValue::S(since_key(since)?)),
        None => query.key_condition_expression("recipient = :r"),
    };
    let items = query_all(query, "the address's timeline").await?;
    let items = if detail {
        full_items(context, items).await?
    } else {
        items
    };
    print(context, &format!("Recipient {address}"), items)
}

/// Each index row's full item: one GetItem each.
async fn full_items(context: &Context, rows: Vec<Item>) -> anyhow::Result<Vec<Item>> {
    let mut full = Vec::with_capacity(rows.len());
    for row in rows {
        let item = context
            .client
            .get_item()
            .table_name(context.table()?)
            .key("pk", row.get("pk").cloned().context("an index row without pk")?)
            .key("sk", row.get("sk").cloned().context("an index row without sk")?)
            .send()
            .await
            .map_err(aws_sdk_dynamodb::Error::from)
            .context("reading an event")?
            .item;
        full.push(item.unwrap_or(row));
    }
    Ok(full)
}

/// A `--since` value as the sort-key prefix it compares with: a date or an RFC 3339 time.
pub fn since_key(since: &str) -> anyhow::Result<String> {
    let since = since.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d") {
        return Ok(format!("{date}T00:00:00.000Z"));
    }
    match mailtrail::model::Timestamp::parse_rfc3339(since) {
        Some(time) => Ok(time.to_rfc3339()),
        None => bail!("--since {since:?} is neither a date (2026-01-01) nor an RFC 3339 time"),
    }
}

fn print(context: &Context, title: &str, mut items: Vec<Item>) -> anyhow::Result<()> {
    items.sort_by(|a, b| (text(a, "sk"), text(a, "pk")).cmp(&(text(b, "sk"), text(b, "pk"))));
    match context.output {
        Output::Json => println!(
            "{}",
            serde_json::Value::Array(items.iter().map(item_json).collect())
        ),
        Output::Table => {
            let mut rows = table(&["time", "provider", "event", "recipient", "message", "detail"]);
            for item in &items {
                rows.add_row(vec![
                    text(item, "occurred_at"),
                    text(item, "provider"),
                    text(item, "event"),
                    text(item, "recipient"),
                    message_of(item),
                    &detail(item),
                ]);
            }
            println!("{title}: {} events\n{rows}", items.len());
        }
    }
    Ok(())
}
