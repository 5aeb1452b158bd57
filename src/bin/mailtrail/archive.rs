//! `mailtrail archive backfill|views` and `mailtrail sql`: the archive written from the table,
//! its views created, and SQL run with Athena (`mailtrail::archive` writes the files).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState};
use serde_json::{json, Value};

use crate::args::{ArchiveCommand, Output};
use crate::items::table;
use crate::tables::Context;

/// The views' DDL, from docs/queries.md (the blocks marked `sql view`), so the docs, the tests
/// and the deployed views are one text.
const QUERIES_DOC: &str = include_str!("../../../docs/queries.md");
/// How often a running query is asked about.
const POLL: Duration = Duration::from_millis(500);

/// Runs `mailtrail archive …`.
pub async fn run(context: &Context, command: &ArchiveCommand) -> anyhow::Result<()> {
    match command {
        ArchiveCommand::Backfill { since, bucket } => {
            backfill(context, since.as_deref(), bucket.as_deref()).await
        }
        ArchiveCommand::Views { workgroup, database } => {
            let (workgroup, database) = athena_names(context, workgroup.as_deref(), database.as_deref())?;
            for ddl in view_ddl() {
                let started = Instant::now();
                let (_, scanned) = execute(context, &ddl, &workgroup, &database).await?;
                let name = ddl.split_whitespace().nth(4).unwrap_or("a view");
                eprintln!(
                    "mailtrail archive: {name} created ({:.1} s, {scanned} bytes scanned)",
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
    }
}

/// The `sql view` blocks of docs/queries.md.
pub fn view_ddl() -> Vec<String> {
    QUERIES_DOC
        .split("```sql view\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .map(|sql| sql.trim().to_owned())
        .collect()
}

/// An S3 client: path-style when a local server is named (`AWS_ENDPOINT_URL_S3`).
fn s3(context: &Context) -> aws_sdk_s3::Client {
    let local = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&context.sdk)
            .force_path_style(local)
            .build(),
    )
}

async fn backfill(context: &Context, since: Option<&str>, bucket: Option<&str>) -> anyhow::Result<()> {
    let bucket = bucket
        .map(str::to_owned)
        .or_else(|| context.outputs.archive_bucket.clone())
        .ok_or_else(|| {
            anyhow!("no archive bucket: pass --bucket, set MAILTRAIL_ARCHIVE_BUCKET, or pass --stack")
        })?;
    if let Some(day) = since {
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .with_context(|| format!("--since {day:?} is not a day (2026-01-01)"))?;
    }
    let archiver = mailtrail::archive::Archiver::new(s3(context), bucket.clone());
    let last = std::sync::atomic::AtomicU64::new(0);
    let progress = |items: u64, rows: u64| {
        if items >= last.load(std::sync::atomic::Ordering::Relaxed) + 10_000 {
            last.store(items, std::sync::atomic::Ordering::Relaxed);
            eprintln!("mailtrail archive: {items} items read, {rows} rows written");
        }
    };
    let summary = mailtrail::archive::backfill::backfill(
        &context.client,
        context.table()?,
        &archiver,
        since,
        &progress,
    )
    .await?;
    match context.output {
        Output::Json => println!(
            "{}",
            json!({"bucket": bucket, "items": summary.items, "rows": summary.rows, "objects": summary.objects})
        ),
        Output::Table => println!(
            "{} items read, {} events written to s3://{bucket}/{}/ in {} files.",
            summary.items,
            summary.rows,
            mailtrail::archive::PREFIX,
            summary.objects
        ),
    }
    Ok(())
}

fn athena_names(
    context: &Context,
    workgroup: Option<&str>,
    database: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let workgroup = workgroup
        .map(str::to_owned)
        .or_else(|| context.outputs.athena_workgroup.clone())
        .ok_or_else(|| {
            anyhow!("no Athena workgroup: pass --workgroup, set MAILTRAIL_ATHENA_WORKGROUP, or pass --stack")
        })?;
    let database = database
        .map(str::to_owned)
        .or_else(|| context.outputs.archive_database.clone())
        .ok_or_else(|| {
            anyhow!("no archive database: pass --database, set MAILTRAIL_ARCHIVE_DATABASE, or pass --stack")
        })?;
    Ok((workgroup, database))
}

/// Runs one statement and waits for it; returns its id and the bytes it scanned.
async fn execute(
    context: &Context,
    query: &str,
    workgroup: &str,
    database: &str,
) -> anyhow::Result<(String, i64)> {
    let athena = aws_sdk_athena::Client::new(&context.sdk);
    let started = athena
        .start_query_execution()
        .query_string(query)
        .work_group(workgroup)
        .query_execution_context(QueryExecutionContext::builder().database(database).build())
        .send()
        .await
        .map_err(aws_sdk_athena::Error::from)
        .context("starting the query")?;
    let id = started.query_execution_id().unwrap_or_default().to_owned();
    let begun = Instant::now();
    let mut shown = 0;
    loop {
        let execution = athena
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .map_err(aws_sdk_athena::Error::from)
            .context("reading the query's state")?;
        let execution = execution
            .query_execution()
            .ok_or_else(|| anyhow!("Athena knows no query {id}"))?;
        let scanned = execution
            .statistics()
            .and_then(|s| s.data_scanned_in_bytes())
            .unwrap_or(0);
        let status = execution.status();
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => return Ok((id, scanned)),
            Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                let why = status
                    .and_then(|s| s.state_change_reason())
                    .unwrap_or("no reason given");
                bail!("the query failed: {why}");
            }
            _ => {
                let seconds = begun.elapsed().as_secs();
                if seconds >= shown + 5 {
                    shown = seconds;
                    eprintln!("mailtrail sql: running, {seconds} s, {scanned} bytes scanned");
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// `mailtrail sql "…"`: runs the query and prints its rows.
pub async fn sql(
    context: &Context,
    query: &str,
    workgroup: Option<&str>,
    database: Option<&str>,
) -> anyhow::Result<()> {
    let (workgroup, database) = athena_names(context, workgroup, database)?;
    let begun = Instant::now();
    let (id, scanned) = execute(context, query, &workgroup, &database).await?;
    let athena = aws_sdk_athena::Client::new(&context.sdk);
    let mut pages = athena
        .get_query_results()
        .query_execution_id(&id)
        .into_paginator()
        .send();
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let mut first_page = true;
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(aws_sdk_athena::Error::from)
            .context("reading the results")?;
        let Some(set) = page.result_set() else { continue };
        if columns.is_empty() {
            columns = set
                .result_set_metadata()
                .map(|m| m.column_info().iter().map(|c| c.name().to_owned()).collect())
                .unwrap_or_default();
        }
        for (i, row) in set.rows().iter().enumerate() {
            let values: Vec<Option<String>> = row
                .data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_owned))
                .collect();
            // A SELECT's first row holds the column names.
            if first_page
                && i == 0
                && values
                    .iter()
                    .map(|v| v.as_deref().unwrap_or(""))
                    .eq(columns.iter().map(String::as_str))
            {
                continue;
            }
            rows.push(values);
        }
        first_page = false;
    }
    eprintln!(
        "mailtrail sql: {} rows in {:.1} s, {scanned} bytes scanned ({:.2} MB)",
        rows.len(),
        begun.elapsed().as_secs_f64(),
        scanned as f64 / 1e6
    );
    if context.csv {
        let mut out = csv::Writer::from_writer(std::io::stdout());
        out.write_record(&columns)?;
        for row in &rows {
            out.write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))?;
        }
        out.flush()?;
        return Ok(());
    }
    match context.output {
        Output::Json => {
            let objects: Vec<Value> = rows
                .iter()
                .map(|row| {
                    Value::Object(
                        columns
                            .iter()
                            .cloned()
                            .zip(row.iter().map(|v| json!(v)))
                            .collect(),
                    )
                })
                .collect();
            println!(
                "{}",
                json!({"query_execution_id": id, "bytes_scanned": scanned, "columns": columns, "rows": objects})
            );
        }
        Output::Table => {
            let header: Vec<&str> = columns.iter().map(String::as_str).collect();
            let mut t = table(&header);
            for row in &rows {
                t.add_row(
                    row.iter()
                        .map(|v| v.clone().unwrap_or_default())
                        .collect::<Vec<_>>(),
                );
            }
            println!("{t}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_views_come_from_the_queries_doc() {
        let ddl = super::view_ddl();
        assert_eq!(ddl.len(), 2);
        assert!(ddl[0].starts_with("CREATE OR REPLACE VIEW events AS"));
        assert!(ddl[1].starts_with("CREATE OR REPLACE VIEW latest_status AS"));
    }
}
