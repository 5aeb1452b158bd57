//! `mailtrail suppressed import | push | remove --at ses`: the list in step with the providers'.
//!
//! SES's account-level list is reached through the SDK (`AWS_ENDPOINT_URL_SESV2` points it
//! elsewhere), with adaptive retries: throttling (`TooManyRequestsException`) slows the client
//! down and is retried.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use aws_config::retry::RetryConfig;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::delete_suppressed_destination::DeleteSuppressedDestinationError;
use aws_sdk_sesv2::types::{SuppressedDestinationSummary, SuppressionListReason};
use mailtrail::base::deadline::Deadline;
use mailtrail::model::Timestamp;
use mailtrail::store::suppression::{read_records, record as record_evidence};
use mailtrail::suppression::import::{
    export_evidence, import_outcome, parse_export, ImportEntry, ImportFormat, ImportOptions, ImportOutcome,
    ParsedExport,
};
use mailtrail::suppression::{Mark, Reason, Record};
use serde::Serialize;

use crate::args::Output;
use crate::items::table;
use crate::records::{all_records, operator};
use crate::tables::Context;

/// Attempts per SES request, throttling included.
const SES_ATTEMPTS: u32 = 8;
/// Addresses per `ListSuppressedDestinations` page (the API's largest).
const SES_PAGE_SIZE: i32 = 1000;

/// The SESv2 client: the command's SDK configuration with adaptive retries.
fn ses_client(context: &Context) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::config::Builder::from(&context.sdk)
        .retry_config(RetryConfig::adaptive().with_max_attempts(SES_ATTEMPTS))
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Default, Serialize)]
pub struct ImportSummary {
    /// `import:<format>`.
    pub origin: String,
    /// Entries read (after those skipped).
    pub entries: usize,
    /// Evidence written: new, or newer than what was known.
    pub added: usize,
    /// Evidence the list already held.
    pub already_known: usize,
    /// Entries older than what is known (newer evidence, a resubscribe or a removal since).
    pub older: usize,
    /// Addresses not suppressed before that are now.
    pub newly_suppressed: usize,
    /// Entries without a readable time of their own (dated by the import; written only when
    /// nothing of their reason was known).
    pub undated: usize,
    /// Entries left out, by why.
    pub skipped: BTreeMap<String, usize>,
    /// Nothing was written.
    pub dry_run: bool,
}

/// `import --csv FILE --format F`.
pub async fn import_file(
    context: &Context,
    path: &Path,
    format: &str,
    group: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let format = ImportFormat::parse(format).with_context(|| format!("unknown format {format}"))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = parse_export(format, &bytes, &ImportOptions { group })
        .with_context(|| format!("reading {} as {}", path.display(), format.name()))?;
    let summary = import(context, format, parsed, dry_run).await?;
    print_import(context.output, &summary)
}

/// `import --from ses`: every page of SES's account-level list.
pub async fn import_from_ses(context: &Context, dry_run: bool) -> anyhow::Result<()> {
    let mut parsed = ParsedExport::default();
    for (index, summary) in ses_list(&ses_client(context)).await?.iter().enumerate() {
        let line = index + 1;
        let Some(address) = mailtrail::suppression::import::import_address(summary.email_address()) else {
            parsed
                .skipped
                .push((line, mailtrail::suppression::import::Skip::NotAnAddress));
            continue;
        };
        let mark = match summary.reason() {
            SuppressionListReason::Bounce => Mark::Suppress(Reason::HardBounce),
            SuppressionListReason::Complaint => Mark::Suppress(Reason::Complaint),
            other => {
                parsed.skipped.push((
                    line,
                    mailtrail::suppression::import::Skip::UnknownReason(other.as_str().to_owned()),
                ));
                continue;
            }
        };
        let at = summary
            .last_update_time()
            .to_millis()
            .ok()
            .and_then(Timestamp::from_millis);
        parsed.entries.push(ImportEntry {
            address,
            mark,
            at,
            note: None,
        });
    }
    let summary = import(context, ImportFormat::Ses, parsed, dry_run).await?;
    print_import(context.output, &summary)
}

/// Classifies each entry against the records it touches, writes what is new (conditional
/// writes, so a concurrent newer event still wins), and counts.
async fn import(
    context: &Context,
    format: ImportFormat,
    parsed: ParsedExport,
    dry_run: bool,
) -> anyhow::Result<ImportSummary> {
    let table = context.suppressions_table()?;
    let by = operator();
    let evidence = export_evidence(format, &parsed, &by);
    let mut records = read_records(
        &context.client,
        table,
        evidence.iter().map(|(e, _)| e.address.clone()),
    )
    .await
    .context("reading the suppression records")?;
    let mut summary = ImportSummary {
        origin: format.origin(),
        entries: parsed.entries.len(),
        dry_run,
        ..ImportSummary::default()
    };
    for (_, skip) in &parsed.skipped {
        *summary.skipped.entry(skip.describe()).or_default() += 1;
    }
    let mut to_write = Vec::new();
    let mut touched: BTreeMap<String, bool> = BTreeMap::new();
    for (e, dated) in evidence {
        summary.undated += usize::from(!dated);
        let record = records
            .entry(e.address.clone())
            .or_insert_with(|| Record::new(&e.address));
        match import_outcome(record, &e, dated) {
            ImportOutcome::Added => {
                touched
                    .entry(e.address.clone())
                    .or_insert(record.verdict().suppressed);
                record.apply(&e);
                to_write.push(e);
            }
            ImportOutcome::AlreadyKnown => summary.already_known += 1,
            ImportOutcome::Older => summary.older += 1,
        }
    }
    summary.newly_suppressed = touched
        .iter()
        .filter(|(address, before)| !**before && records[*address].verdict().suppressed)
        .count();
    if dry_run {
        summary.added = to_write.len();
        return Ok(summary);
    }
    let report = record_evidence(&context.client, table, to_write, Deadline::none())
        .await
        .context("writing the imported evidence")?;
    summary.added = report.applied.values().sum();
    // Overtaken between the read and the write by newer evidence: known, not added.
    summary.already_known += report.unchanged;
    Ok(summary)
}

fn print_import(output: Output, summary: &ImportSummary) -> anyhow::Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string(summary)?),
        Output::Table => {
            let verb = if summary.dry_run { "would add" } else { "added" };
            println!(
                "{}: {} entries; {verb} {}, already known {}, older than what is known {}; {} addresses newly suppressed",
                summary.origin,
                summary.entries,
                summary.added,
                summary.already_known,
                summary.older,
                summary.newly_suppressed
            );
            if summary.undated > 0 {
                println!(
                    "{} entries had no time of their own: dated now, added only where nothing of their reason was known",
                    summary.undated
                );
            }
            for (why, count) in &summary.skipped {
                println!("skipped {count}: {why}");
            }
            if summary.dry_run {
                println!("dry run: nothing written");
            }
        }
    }
    Ok(())
}

/// Every entry of SES's account-level list, every page.
async fn ses_list(client: &aws_sdk_sesv2::Client) -> anyhow::Result<Vec<SuppressedDestinationSummary>> {
    let mut pages = client
        .list_suppressed_destinations()
        .page_size(SES_PAGE_SIZE)
        .into_paginator()
        .send();
    let mut entries = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(aws_sdk_sesv2::Error::from)
            .context("reading SES's suppression list (ListSuppressedDestinations)")?;
        entries.extend(page.suppressed_destination_summaries().iter().cloned());
    }
    Ok(entries)
}

/// What a push did (or would do).
#[derive(Debug, Default, Serialize)]
pub struct PushSummary {
    /// Addresses sent to SES.
    pub sent: usize,
    /// Addresses SES already lists with that reason.
    pub already_at_ses: usize,
    /// Suppressed addresses SES's list cannot hold (unsubscribes, manual, soft-bounce limit),
    /// by reason: they stay with mailtrail.
    pub stay_with_mailtrail: BTreeMap<String, usize>,
    /// Nothing was sent.
    pub dry_run: bool,
}

/// `push --to ses`.
pub async fn push_to_ses(context: &Context, dry_run: bool, rate: u32) -> anyhow::Result<()> {
    let records = all_records(context).await?;
    let client = ses_client(context);
    let listed: HashMap<String, SuppressionListReason> = ses_list(&client)
        .await?
        .into_iter()
        .map(|summary| (summary.email_address().to_lowercase(), summary.reason().clone()))
        .collect();
    let mut summary = PushSummary {
        dry_run,
        ..PushSummary::default()
    };
    let mut to_send = Vec::new();
    for verdict in records.iter().map(Record::verdict).filter(|v| v.suppressed) {
        match mailtrail::notify::ses_reason(&verdict.reasons) {
            Some(reason) if listed.get(&verdict.address) == Some(&reason) => summary.already_at_ses += 1,
            Some(reason) => to_send.push((verdict.address.clone(), reason)),
            None => {
                for reason in &verdict.reasons {
                    *summary
                        .stay_with_mailtrail
                        .entry((*reason).to_owned())
                        .or_default() += 1;
                }
            }
        }
    }
    if !dry_run {
        let mut pace = tokio::time::interval(Duration::from_secs(1) / rate);
        for (address, reason) in &to_send {
            pace.tick().await;
            client
                .put_suppressed_destination()
                .email_address(address)
                .reason(reason.clone())
                .send()
                .await
                .map_err(aws_sdk_sesv2::Error::from)
                .with_context(|| {
                    format!(
                        "adding an address to SES's list (PutSuppressedDestination) after {} sent",
                        summary.sent
                    )
                })?;
            summary.sent += 1;
        }
    } else {
        summary.sent = to_send.len();
    }
    match context.output {
        Output::Json => println!("{}", serde_json::to_string(&summary)?),
        Output::Table => {
            let verb = if dry_run { "would send" } else { "sent" };
            println!(
                "SES account-level list: {verb} {}, already listed {}",
                summary.sent, summary.already_at_ses
            );
            if !summary.stay_with_mailtrail.is_empty() {
                let mut rows = table(&["reason", "addresses", "why"]);
                for (reason, count) in &summary.stay_with_mailtrail {
                    rows.add_row(vec![
                        reason.as_str(),
                        &count.to_string(),
                        "SES's list holds only BOUNCE and COMPLAINT: kept by mailtrail only",
                    ]);
                }
                println!("{rows}");
            }
            if dry_run {
                println!("dry run: nothing sent");
            }
        }
    }
    Ok(())
}

/// After `remove … --at ses`: deletes SES's entry once no bounce or complaint keeps the address
/// suppressed here. An entry SES does not hold is not an error.
pub async fn remove_at_ses(context: &Context, address: &str) -> anyhow::Result<()> {
    let verdict = crate::records::record(context, address).await?.verdict();
    if let Some(reason) = mailtrail::notify::ses_reason(&verdict.reasons) {
        println!(
            "SES keeps {address}: it is still suppressed here for {}",
            match reason {
                SuppressionListReason::Complaint => "a complaint",
                _ => "a hard bounce",
            }
        );
        return Ok(());
    }
    let client = ses_client(context);
    match client
        .delete_suppressed_destination()
        .email_address(address)
        .send()
        .await
    {
        Ok(_) => println!("deleted {address} from SES's account-level suppression list"),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), DeleteSuppressedDestinationError::NotFoundException(_)) =>
        {
            println!("SES's account-level suppression list held no entry for {address}")
        }
        Err(error) => {
            return Err(aws_sdk_sesv2::Error::from(error))
                .context("deleting the address from SES's list (DeleteSuppressedDestination)")
        }
    }
    Ok(())
}
