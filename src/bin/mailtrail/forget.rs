//! `mailtrail forget <address>`: the address removed from everything mailtrail wrote: its
//! events and their index items, the raw events and texts of other recipients' events that
//! named it, its rows in the archive; its suppression record kept under a one-way hash (the
//! opt-out is still honoured); an audit entry without the address.

use anyhow::{anyhow, Context as _};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use mailtrail::store::forget::{audit, forget_events, forget_in_quarantine, forget_record, forgotten_key};

use crate::args::Output;
use crate::tables::Context;

/// Runs `mailtrail forget`.
pub async fn run(
    context: &Context,
    address: &str,
    bucket: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let address = crate::args::normalized(address)?;
    let subject = forgotten_key(&address);
    let events = forget_events(&context.client, context.table()?, &address, dry_run).await?;
    // Kept bodies are rewritten with the retention of the events (the function's RETENTION_DAYS).
    let retention = std::env::var("MAILTRAIL_RETENTION_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(mailtrail::config::DEFAULT_RETENTION_DAYS);
    let quarantined =
        forget_in_quarantine(&context.client, context.table()?, &address, retention, dry_run).await?;
    let record = match context.suppressions_table.as_deref() {
        Some(table) => Some(forget_record(&context.client, table, &address, dry_run).await?),
        None => None,
    };
    let bucket = bucket
        .map(str::to_owned)
        .or_else(|| context.outputs.archive_bucket.clone());
    let archive = match &bucket {
        Some(bucket) => {
            let local = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&context.sdk)
                    .force_path_style(local)
                    .build(),
            );
            Some(
                mailtrail::archive::forget::forget_in_archive(&s3, bucket, &address, &events.days, dry_run)
                    .await
                    .context("forgetting in the archive")?,
            )
        }
        None => None,
    };
    if !dry_run {
        let n = |v: usize| AttributeValue::N(v.to_string());
        let mut entry = vec![
            ("operator", AttributeValue::S(crate::records::operator())),
            ("events_deleted", n(events.events_deleted)),
            ("items_rewritten", n(events.items_rewritten)),
            ("quarantined_bodies_redacted", n(quarantined)),
            (
                "suppression_record_hashed",
                AttributeValue::Bool(record == Some(true)),
            ),
        ];
        if let Some(a) = &archive {
            entry.push(("archive_rows_removed", n(a.rows_removed)));
            entry.push(("archive_files_rewritten", n(a.files_rewritten)));
        }
        audit(&context.client, context.table()?, entry, &subject).await?;
    }
    let document = json!({
        "dry_run": dry_run,
        "subject": subject,
        "events": events,
        "quarantined_bodies_redacted": quarantined,
        "suppression_record_hashed": record,
        "archive": archive,
    });
    match context.output {
        Output::Json => println!("{document}"),
        Output::Table => {
            let verb = if dry_run { "would remove" } else { "removed" };
            println!(
                "{verb} {} events and rewrote {} other items that named the address",
                events.events_deleted, events.items_rewritten
            );
            match record {
                Some(true) => {
                    println!("the suppression record is kept under {subject} (the opt-out still holds)")
                }
                Some(false) => println!("no suppression record"),
                None => println!("no suppression table named: its record was not looked for"),
            }
            match &archive {
                Some(a) => println!(
                    "archive: {} rows removed, {} rows redacted, {} of {} files rewritten",
                    a.rows_removed, a.rows_redacted, a.files_rewritten, a.files_read
                ),
                None => eprintln!("{}", anyhow!("no archive bucket named (--bucket, MAILTRAIL_ARCHIVE_BUCKET or --stack): the archive was not searched")),
            }
            if !dry_run {
                println!("an audit entry without the address is in the events table (audit#forget)");
            }
        }
    }
    Ok(())
}
