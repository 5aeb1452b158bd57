//! `mailtrail suppressed …`: the verdict for an address, the list, its export, and operator
//! changes (recorded on the record with who, when and why).

use anyhow::{bail, Context as _};
use aws_sdk_dynamodb::types::AttributeValue;
use mailtrail::base::deadline::Deadline;
use mailtrail::model::{ItemKey, Timestamp};
use mailtrail::store::suppression::record_from_item;
use mailtrail::suppression::{Evidence, Mark, Reason, Record, Verdict};

use crate::args::{normalized, since_key, Output, SuppressedArgs, SuppressedCommand};
use crate::items::{scan_all, table};
use crate::records::{for_each_suppressed_page, operator, record};
use crate::tables::Context;

/// Runs `suppressed <address>` or one of its subcommands.
pub async fn run(context: &Context, args: &SuppressedArgs) -> anyhow::Result<()> {
    match (&args.address, &args.command) {
        (Some(address), None) => verdict(context, address).await,
        (None, Some(SuppressedCommand::List { reason, since })) => {
            list(context, reason.as_deref(), since.as_deref()).await
        }
        (None, Some(SuppressedCommand::Export)) => export(context).await,
        (
            None,
            Some(SuppressedCommand::Add {
                address,
                reason,
                note,
            }),
        ) => change(context, address, Mark::Suppress(parse_reason(reason)?), note).await,
        (
            None,
            Some(SuppressedCommand::Remove {
                address,
                reason,
                note,
                force,
                at,
            }),
        ) => {
            let reason = parse_reason(reason)?;
            if reason == Reason::Complaint && !force {
                bail!("lifting a complaint needs --force: the recipient reported your mail as spam");
            }
            change(context, address, Mark::Removed(reason), note).await?;
            match at.as_deref() {
                Some("ses") => crate::sync::remove_at_ses(context, &normalized(address)?).await,
                _ => Ok(()),
            }
        }
        (
            None,
            Some(SuppressedCommand::Import {
                from,
                csv,
                format,
                group,
                dry_run,
            }),
        ) => match (from.as_deref(), csv, format) {
            (Some("ses"), _, _) => crate::sync::import_from_ses(context, *dry_run).await,
            (_, Some(path), Some(format)) => {
                crate::sync::import_file(context, path, format, group.clone(), *dry_run).await
            }
            _ => bail!("name a list: --from ses, or --csv FILE --format F"),
        },
        (None, Some(SuppressedCommand::Push { to: _, dry_run, rate })) => {
            crate::sync::push_to_ses(context, *dry_run, *rate).await
        }
        (None, Some(SuppressedCommand::Notify { since, bus, dry_run })) => {
            notify(context, since, bus.as_deref(), *dry_run).await
        }
        _ => bail!("name an address, or one of: list, export, add, remove, import, push, notify (see mailtrail suppressed --help)"),
    }
}

fn parse_reason(name: &str) -> anyhow::Result<Reason> {
    Reason::parse(name).with_context(|| format!("unknown reason {name}"))
}

async fn verdict(context: &Context, address: &str) -> anyhow::Result<()> {
    let address = normalized(address)?;
    let verdict = record(context, &address).await?.verdict();
    match context.output {
        Output::Json => println!("{}", serde_json::to_string(&verdict)?),
        Output::Table => print_verdict(&verdict),
    }
    Ok(())
}

fn print_verdict(verdict: &Verdict) {
    let status = if verdict.suppressed {
        "SUPPRESSED: do not send"
    } else {
        "not suppressed"
    };
    println!("{}: {status}", verdict.address);
    if !verdict.details.is_empty() {
        let mut rows = table(&["reason", "since", "provider", "event", "message", "notes"]);
        for d in &verdict.details {
            let e = &d.evidence;
            let mut notes = Vec::new();
            if e.provider_evidence {
                notes.push("the provider already refuses it".to_owned());
            }
            if e.ambiguous {
                notes.push("ambiguous: it may be another recipient's of the same message".to_owned());
            }
            if let Some(start) = &e.window_start {
                notes.push(format!("transient bounces since {start}"));
            }
            if let Some(note) = &e.note {
                notes.push(format!("{note} ({})", e.by.as_deref().unwrap_or("?")));
            }
            rows.add_row(vec![
                d.reason,
                &e.at,
                e.provider.as_deref().unwrap_or("operator"),
                &e.event,
                e.message_id.as_deref().unwrap_or(""),
                &notes.join("; "),
            ]);
        }
        println!("{rows}");
    }
    for evidence in &verdict.ambiguous_evidence {
        println!(
            "ambiguous {} at {} ({} {}): the provider did not say which recipient; not suppressed for it",
            evidence.reason,
            evidence.evidence.at,
            evidence.evidence.provider.as_deref().unwrap_or("?"),
            evidence.evidence.event
        );
    }
    for scoped in &verdict.scoped_unsubscribes {
        println!(
            "unsubscribed from {} since {} (not a global suppression)",
            scoped.scope, scoped.evidence.at
        );
    }
}

/// The earliest evidence time among a verdict's active reasons.
fn suppressed_since(v: &Verdict) -> &str {
    v.details
        .iter()
        .map(|d| d.evidence.at.as_str())
        .min()
        .unwrap_or("")
}

/// Every suppressed address, read and printed a page at a time (JSON: one array, written as
/// it is read).
async fn list(context: &Context, reason: Option<&str>, since: Option<&str>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut count = 0usize;
    let json = matches!(context.output, Output::Json);
    if json {
        print!("[");
    } else {
        println!("{:<48} {:<40} since", "address", "reasons");
    }
    for_each_suppressed_page(context, reason, since, |page| {
        let mut out = std::io::stdout().lock();
        for v in &page {
            if json {
                let separator = if count == 0 { "" } else { "," };
                write!(out, "{separator}{}", serde_json::to_string(v)?)?;
            } else {
                writeln!(
                    out,
                    "{:<48} {:<40} {}",
                    v.address,
                    v.reasons.join(", "),
                    suppressed_since(v)
                )?;
            }
            count += 1;
        }
        out.flush()?;
        Ok(())
    })
    .await?;
    if json {
        println!("]");
    } else {
        println!("{count} suppressed addresses");
    }
    Ok(())
}

/// A cell as a spreadsheet must read it: text starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) would be a formula, so it gets a leading `'`.
fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// CSV: `email,reason,since`, one line per suppressed address (its earliest active reason),
/// written with the `csv` crate a page at a time; no cell can become a spreadsheet formula.
async fn export(context: &Context) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(std::io::stdout());
    writer.write_record(["email", "reason", "since"])?;
    for_each_suppressed_page(context, None, None, |page| {
        for v in &page {
            let first = v.details.iter().min_by(|a, b| a.evidence.at.cmp(&b.evidence.at));
            if let Some(first) = first {
                writer.write_record([
                    spreadsheet_safe(&v.address).as_ref(),
                    first.reason,
                    &first.evidence.at,
                ])?;
            }
        }
        writer.flush()?;
        Ok(())
    })
    .await?;
    writer.flush()?;
    Ok(())
}

/// An operator's change: recorded like any evidence, at the current time.
async fn change(context: &Context, address: &str, mark: Mark, note: &str) -> anyhow::Result<()> {
    let address = normalized(address)?;
    let now = Timestamp::now();
    let by = operator();
    let evidence = Evidence {
        address: address.clone(),
        key: ItemKey {
            pk: format!("operator#{by}"),
            sk: now.to_rfc3339(),
        }
        .sk,
        at: now,
        provider: None,
        event: match &mark {
            Mark::Removed(_) => "remove".to_owned(),
            _ => "add".to_owned(),
        },
        mark,
        message_id: None,
        provider_evidence: false,
        ambiguous: false,
        note: Some(note.to_owned()),
        by: Some(by),
    };
    mailtrail::store::suppression::record(
        &context.client,
        context.suppressions_table()?,
        vec![evidence],
        Deadline::none(),
    )
    .await
    .context("recording the change")?;
    verdict(context, &address).await
}

/// `suppressed notify --since T`: the current verdict of every record changed since `T`, put on
/// the bus again. Records written before versions (no `updated_at`) are counted, not sent.
async fn notify(context: &Context, since: &str, bus: Option<&str>, dry_run: bool) -> anyhow::Result<()> {
    use mailtrail::notify::publish::{put_all, Entry, EventBridgeSink};
    use mailtrail::store::suppression::UPDATED_AT;
    let since = since_key(since)?;
    let scan = context
        .client
        .scan()
        .table_name(context.suppressions_table()?)
        .filter_expression("#updated >= :since OR attribute_not_exists(#updated)")
        .expression_attribute_names("#updated", UPDATED_AT)
        .expression_attribute_values(":since", AttributeValue::S(since.clone()));
    let records: Vec<Record> = scan_all(scan, "the suppression list")
        .await?
        .iter()
        .map(record_from_item)
        .collect();
    let (dated, undated): (Vec<Record>, Vec<Record>) =
        records.into_iter().partition(|r| r.updated_at.is_some());
    let mut changes: Vec<mailtrail::suppression::change::VerdictChange> = dated
        .iter()
        .map(mailtrail::suppression::change::current_verdict)
        .collect();
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let sent = if dry_run || changes.is_empty() {
        0
    } else {
        let bus = bus
            .map(str::to_owned)
            .or_else(|| context.outputs.event_bus.clone())
            .context("no event bus: pass --bus, or --stack to read its EventBusName")?;
        let sink = EventBridgeSink {
            client: aws_sdk_eventbridge::Client::new(&context.sdk),
            bus,
        };
        let entries = changes
            .iter()
            .map(|change| {
                Ok(Entry {
                    detail_type: change.detail_type(),
                    detail: serde_json::to_string(change)?,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        put_all(&sink, entries).await.context("putting the events")?
    };
    match context.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "since": since,
                "dry_run": dry_run,
                "records": changes.len(),
                "sent": sent,
                "without_updated_at": undated.len(),
                "events": changes,
            })
        ),
        Output::Table => {
            let mut rows = table(&["address", "event", "reasons", "version", "updated at"]);
            for change in &changes {
                rows.add_row(vec![
                    change.address.as_str(),
                    change.detail_type(),
                    &change.reasons.join(", "),
                    &change.version.to_string(),
                    change.updated_at.as_deref().unwrap_or(""),
                ]);
            }
            println!("{rows}");
            let verb = if dry_run { "would send" } else { "sent" };
            println!(
                "{} records changed since {since}: {verb} {} events",
                changes.len(),
                if dry_run { changes.len() } else { sent }
            );
            if !undated.is_empty() {
                println!(
                    "{} records were last written before records carried updated_at: not sent (any later change sends them)",
                    undated.len()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn no_cell_can_become_a_spreadsheet_formula() {
        for hostile in [
            "=HYPERLINK(\"http://x\")@x.io",
            "+1@x.io",
            "-2@x.io",
            "@x.io",
            "\tx@x.io",
        ] {
            assert!(spreadsheet_safe(hostile).starts_with('\''), "{hostile}");
        }
        assert_eq!(spreadsheet_safe("ann@example.com"), "ann@example.com");
    }
}
