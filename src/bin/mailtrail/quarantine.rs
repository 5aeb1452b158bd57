//! `mailtrail quarantine …`: bodies kept because they did not decode; replay stores what
//! today's decoders read and removes those bodies, leaving what still fails. The listing reads
//! keys and errors only (never the bodies); one body is read by its key.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::base::deadline::Deadline;
use mailtrail::model::{Provider, Timestamp};
use mailtrail::store::quarantine::{part_from_item, reassemble, KeptPart, QUARANTINE_PREFIX};
use mailtrail::store::{DynamoStore, EventStore, Kept, QuarantineStore, QuarantinedBody, SuppressionStore};
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
        QuarantineCommand::Replay {
            retention_days,
            function,
            soft_bounce_limit,
            soft_bounce_days,
        } => {
            let escalation = match soft_bounce_limit {
                Some(0) => None,
                Some(limit) => Some(mailtrail::suppression::Escalation {
                    limit: *limit,
                    days: *soft_bounce_days,
                }),
                None => deployed_escalation(context, function.as_deref()).await?,
            };
            replay(context, *retention_days, escalation).await
        }
    }
}

/// The soft-bounce rule the deployed function runs with, read from its configuration (its
/// `SOFT_BOUNCE_LIMIT` and `SOFT_BOUNCE_DAYS`), never from this shell.
async fn deployed_escalation(
    context: &Context,
    function: Option<&str>,
) -> anyhow::Result<Option<mailtrail::suppression::Escalation>> {
    let Some(function) = function.or(context.outputs.function_name.as_deref()) else {
        bail!("the soft-bounce rule is the deployment's: pass --function (or --stack) to read it, or --soft-bounce-limit N (0: off) --soft-bounce-days D");
    };
    let configuration = aws_sdk_lambda::Client::new(&context.sdk)
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .map_err(aws_sdk_lambda::Error::from)
        .with_context(|| format!("reading {function}'s configuration for its soft-bounce rule"))?;
    let variables = configuration
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    mailtrail::config::soft_bounce_from(|name| variables.get(name).cloned())
        .with_context(|| format!("{function}'s soft-bounce settings"))
}

/// Every kept body, by `<provider>/<hash>`, bodies included (for replay).
pub(crate) async fn bodies(context: &Context) -> anyhow::Result<BTreeMap<String, Vec<KeptPart>>> {
    let mut bodies: BTreeMap<String, Vec<KeptPart>> = BTreeMap::new();
    for provider in Provider::ALL {
        for part in query_parts(context, provider, None, Read::Bodies)
            .await?
            .iter()
            .filter_map(part_from_item)
        {
            bodies
                .entry(format!("{}/{}", part.provider.as_str(), part.hash))
                .or_default()
                .push(part);
        }
    }
    Ok(bodies)
}

/// What a read of the quarantine asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Every attribute, the bodies' bytes included (replay, one body shown).
    Bodies,
    /// Keys, errors, times and sizes, never the bodies (the listing).
    Listing,
}

/// The items of one provider's quarantine partition: every part, or those of one body (its
/// hash).
async fn query_parts(
    context: &Context,
    provider: Provider,
    hash: Option<&str>,
    read: Read,
) -> anyhow::Result<Vec<crate::items::Item>> {
    let mut query = context
        .client
        .query()
        .table_name(context.table()?)
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("{QUARANTINE_PREFIX}{}", provider.as_str())),
        );
    query = match hash {
        Some(hash) => query
            .key_condition_expression("pk = :pk AND begins_with(sk, :hash)")
            .expression_attribute_values(":hash", AttributeValue::S(format!("{hash}#"))),
        None => query.key_condition_expression("pk = :pk"),
    };
    if read == Read::Listing {
        query = query
            .projection_expression("sk, #error, received_at, parts, body_bytes, kept")
            .expression_attribute_names("#error", "error");
    }
    query_all(query, "the quarantine").await
}

/// One kept body's parts, read by its key (`<provider>/<hash>`); empty when there is none.
pub(crate) async fn body(context: &Context, key: &str) -> anyhow::Result<Vec<KeptPart>> {
    let Some((provider, hash)) = key.split_once('/') else {
        return Ok(Vec::new());
    };
    let (Some(provider), true) = (
        Provider::parse(provider),
        !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()),
    ) else {
        return Ok(Vec::new());
    };
    Ok(query_parts(context, provider, Some(hash), Read::Bodies)
        .await?
        .iter()
        .filter_map(part_from_item)
        .collect())
}

/// One kept body's row, from its parts.
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

/// Every kept body as `quarantine list` shows it (the read library's listing), as JSON rows.
pub(crate) async fn listing(context: &Context) -> anyhow::Result<Vec<serde_json::Value>> {
    let rows = mailtrail::read::quarantine::listing(&context.reads()?)
        .await
        .context("reading the quarantine")?;
    Ok(rows
        .iter()
        .map(|row| serde_json::to_value(row).unwrap_or_default())
        .collect())
}

async fn list(context: &Context) -> anyhow::Result<()> {
    let rows = listing(context).await?;
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
    let parts = body(context, key).await?;
    if parts.is_empty() {
        bail!("no kept body {key} (see mailtrail quarantine list)");
    }
    let body = reassemble(&parts).with_context(|| format!("{key} is missing parts"))?;
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

async fn replay(
    context: &Context,
    retention_days: u32,
    escalation: Option<mailtrail::suppression::Escalation>,
) -> anyhow::Result<()> {
    let table = context.table()?;
    let store = DynamoStore::new(context.client.clone(), table, retention_days)
        .with_suppressions(context.suppressions_table.clone());
    let mut outcomes = Vec::new();
    for (key, parts) in bodies(context).await? {
        let Some(body) = reassemble(&parts) else {
            outcomes.push(json!({"key": key, "replayed": false, "error": "missing parts"}));
            continue;
        };
        let received_at = Timestamp::parse_rfc3339(&parts[0].received_at).unwrap_or_else(Timestamp::now);
        let provider = parts[0].provider;
        let decoded = match parts[0].kept {
            Kept::Body => mailtrail::providers::decode(provider, &body, received_at),
            Kept::Event { .. } => mailtrail::providers::decode_event(provider, &body, received_at),
        };
        let decoded = match decoded {
            Err(error) => {
                outcomes.push(json!({"key": key, "replayed": false, "error": error.to_string()}));
                continue;
            }
            // An event kept alone that still does not decode stays as it is.
            Ok(d) if matches!(parts[0].kept, Kept::Event { .. }) && !d.bad.is_empty() => {
                outcomes.push(json!({"key": key, "replayed": false, "error": d.bad[0].error.to_string()}));
                continue;
            }
            Ok(d) => d,
        };
        // What decodes is stored; each event of the body that still fails is kept alone,
        // as the function keeps them; then the body goes.
        let events = decoded.events.len();
        let marks = evidence_of(&decoded.events, escalation);
        let report = store.put_events(decoded.events, Deadline::none()).await?;
        if let Some(refused) = report.refused.first() {
            outcomes.push(json!({"key": key, "replayed": false, "error": refused.reason}));
            continue;
        }
        store.record_evidence(marks, Deadline::none()).await?;
        let errors: Vec<String> = decoded.bad.iter().map(|bad| bad.error.to_string()).collect();
        let kept_alone = decoded
            .bad
            .iter()
            .zip(&errors)
            .map(|(bad, error)| QuarantinedBody {
                provider,
                body: bad.raw.as_bytes(),
                error,
                received_at,
                kept: Kept::Event {
                    index: Some(bad.index),
                },
            })
            .collect();
        store.quarantine(kept_alone, Deadline::none()).await?;
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
        outcomes.push(json!({
            "key": key,
            "replayed": true,
            "events": events,
            "stored": report.items,
            "kept_alone": decoded.bad.len(),
        }));
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
