//! `mailtrail quarantine …`: bodies kept because they did not decode; replay stores what
//! today's decoders read and removes those bodies, leaving what still fails.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::deadline::Deadline;
use mailtrail::model::{Provider, Timestamp};
use mailtrail::store::quarantine::{part_from_item, reassemble, KeptPart, QUARANTINE_PREFIX};
use mailtrail::store::{DynamoStore, EventStore, Kept, SuppressionStore};
use mailtrail::suppression::evidence::evidence_of;
use serde_json::json;

use crate::args::{Output, QuarantineCommand};
use crate::items::{query_all, table as new_table};
use crate::tables::Context;

/// Runs a quarantine command.
pub async fn run(context: &Context, command: &QuarantineCommand) -> anyhow::Result<()> {
    match command {
        QuarantineCommand::List => list(context).await,
        QuarantineCommand::Show { key } => show(context, key).await,
        QuarantineCommand::Replay { retention_days } => replay(context, *retention_days).await,
    }
}

/// Every kept body, by `<provider>/<hash>`.
pub(crate) async fn bodies(context: &Context) -> anyhow::Result<BTreeMap<String, Vec<KeptPart>>> {
    let mut bodies: BTreeMap<String, Vec<KeptPart>> = BTreeMap::new();
    for provider in Provider::ALL {
        let query = context
            .client
            .query()
            .table_name(context.table()?)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("{QUARANTINE_PREFIX}{}", provider.as_str())),
            );
        let items = query_all(query, "the quarantine").await?;
        for part in items.iter().filter_map(part_from_item) {
            bodies
                .entry(format!("{}/{}", part.provider.as_str(), part.hash))
                .or_default()
                .push(part);
        }
    }
    Ok(bodies)
}

/// One kept body as `quarantine list --output json` shows it.
pub(crate) fn row(key: &str, parts: &[KeptPart]) -> serde_json::Value {
    json!({
        "key": key,
        "received_at": parts[0].received_at,
        "parts": parts[0].parts,
        "bytes": parts.iter().map(|p| p.bytes.len()).sum::<usize>(),
        "complete": reassemble(parts).is_some(),
        "error": parts[0].error,
    })
}

async fn list(context: &Context) -> anyhow::Result<()> {
    let bodies = bodies(context).await?;
    let rows: Vec<serde_json::Value> = bodies.iter().map(|(key, parts)| row(key, parts)).collect();
    match context.output {
        Output::Json => println!("{}", serde_json::Value::Array(rows)),
        Output::Table => {
            let mut out = new_table(&["key", "received", "bytes", "error"]);
            for row in &rows {
                out.add_row(vec![
                    row["key"].as_str().unwrap_or(""),
                    row["received_at"].as_str().unwrap_or(""),
                    &row["bytes"].to_string(),
                    row["error"].as_str().unwrap_or(""),
                ]);
            }
            println!("{} kept bodies\n{out}", rows.len());
        }
    }
    Ok(())
}

async fn show(context: &Context, key: &str) -> anyhow::Result<()> {
    let bodies = bodies(context).await?;
    let Some(parts) = bodies.get(key) else {
        bail!("no kept body {key} (see mailtrail quarantine list)");
    };
    let body = reassemble(parts).with_context(|| format!("{key} is missing parts"))?;
    match context.output {
        Output::Json => {
            use base64::Engine as _;
            println!(
                "{}",
                json!({
                    "key": key,
                    "received_at": parts[0].received_at,
                    "error": parts[0].error,
                    "body_base64": base64::engine::general_purpose::STANDARD.encode(&body),
                    "body": std::str::from_utf8(&body).ok(),
                })
            );
        }
        Output::Table => {
            println!("{key}, received {}: {}", parts[0].received_at, parts[0].error);
            match std::str::from_utf8(&body) {
                Ok(text) => println!("{text}"),
                Err(_) => {
                    use base64::Engine as _;
                    println!(
                        "(not UTF-8; base64) {}",
                        base64::engine::general_purpose::STANDARD.encode(&body)
                    );
                }
            }
        }
    }
    Ok(())
}

async fn replay(context: &Context, retention_days: u32) -> anyhow::Result<()> {
    let table = context.table()?;
    let store = DynamoStore::new(context.client.clone(), table, retention_days)
        .with_suppressions(context.suppressions_table.clone());
    let escalation = mailtrail::config::soft_bounce_from_env()?;
    let mut outcomes = Vec::new();
    for (key, parts) in bodies(context).await? {
        let Some(body) = reassemble(&parts) else {
            outcomes.push(json!({"key": key, "replayed": false, "error": "missing parts"}));
            continue;
        };
        let received_at = Timestamp::parse_rfc3339(&parts[0].received_at).unwrap_or_else(Timestamp::now);
        let decoded = match parts[0].kept {
            Kept::Body => mailtrail::providers::decode(parts[0].provider, &body, received_at),
            Kept::Event { .. } => mailtrail::providers::decode_event(parts[0].provider, &body, received_at),
        };
        // A body whose events decode only in part is replayed in part: what still fails stays.
        let decoded = decoded.and_then(|d| match d.bad.first() {
            Some(bad) => Err(bad.error.clone()),
            None => Ok(d),
        });
        match decoded {
            Err(error) => outcomes.push(json!({"key": key, "replayed": false, "error": error.to_string()})),
            Ok(decoded) => {
                let events = decoded.events.len();
                let marks = evidence_of(&decoded.events, escalation);
                let report = store.put_events(decoded.events, Deadline::none()).await?;
                if let Some(refused) = report.refused.first() {
                    outcomes.push(json!({"key": key, "replayed": false, "error": refused.reason}));
                    continue;
                }
                store.record_evidence(marks, Deadline::none()).await?;
                for part in &parts {
                    context
                        .client
                        .delete_item()
                        .table_name(table)
                        .key("pk", AttributeValue::S(part.key.pk.clone()))
                        .key("sk", AttributeValue::S(part.key.sk.clone()))
                        .send()
                        .await
                        .map_err(aws_sdk_dynamodb::Error::from)
                        .context("removing a replayed body")?;
                }
                outcomes
                    .push(json!({"key": key, "replayed": true, "events": events, "stored": report.items}));
            }
        }
    }
    match context.output {
        Output::Json => println!("{}", serde_json::Value::Array(outcomes)),
        Output::Table => {
            let mut out = new_table(&["key", "replayed", "events stored / error"]);
            for o in &outcomes {
                let what = o["error"]
                    .as_str()
                    .map_or_else(|| o["stored"].to_string(), str::to_owned);
                out.add_row(vec![
                    o["key"].as_str().unwrap_or(""),
                    &o["replayed"].to_string(),
                    &what,
                ]);
            }
            println!("{out}");
        }
    }
    Ok(())
}
