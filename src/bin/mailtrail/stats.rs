//! `mailtrail stats`: counts and rates from the counters (`mailtrail::read::stats`), and
//! `stats verify` / `stats rebuild`, which recount from the events (`mailtrail::stats::recount`).

use anyhow::{bail, Context as _};
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use mailtrail::read::stats::{self as read_stats, By, StatsFilters, StatsQuery, StatsRow};
use mailtrail::stats::count::{Column, HOUR_KEEP_DAYS};
use mailtrail::stats::recount::{self, Period};

use crate::args::{Output, StatsArgs, StatsCommand};
use crate::items::table;
use crate::tables::Context;

/// Runs `mailtrail stats …`.
pub async fn run(context: &Context, args: &StatsArgs) -> anyhow::Result<()> {
    match &args.command {
        None => show(context, args).await,
        Some(StatsCommand::Verify { since, until }) => {
            verify(context, since.as_deref(), until.as_deref()).await
        }
        Some(StatsCommand::Rebuild { since, until }) => {
            rebuild(context, since.as_deref(), until.as_deref()).await
        }
    }
}

/// A day from the command line: `YYYY-MM-DD`, an RFC 3339 time (its UTC day) or `today`.
pub fn day_arg(flag: &str, value: &str) -> anyhow::Result<NaiveDate> {
    let value = value.trim();
    if value == "today" {
        return Ok(Utc::now().date_naive());
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day);
    }
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(time) => Ok(time.with_timezone(&Utc).date_naive()),
        Err(_) => bail!("{flag} {value:?} is neither a day (2026-01-01) nor an RFC 3339 time"),
    }
}

/// The period of `--since` and `--until` (default: the 30 days up to today).
pub fn period(since: Option<&str>, until: Option<&str>) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let until = match until {
        Some(u) => day_arg("--until", u)?,
        None => Utc::now().date_naive(),
    };
    let since = match since {
        Some(s) => day_arg("--since", s)?,
        None => until - Duration::days(29),
    };
    if since > until {
        bail!("--since {since} is after --until {until}");
    }
    Ok((since, until))
}

async fn show(context: &Context, args: &StatsArgs) -> anyhow::Result<()> {
    let (since, until) = period(args.since.as_deref(), args.until.as_deref())?;
    let by = args.by.as_deref().and_then(By::from_name);
    let query = StatsQuery {
        since,
        until,
        by,
        filters: StatsFilters {
            provider: args.provider.clone(),
            mailbox: args.mailbox.clone(),
            sending_domain: args.sending_domain.clone(),
            tenant: args.tenant.clone(),
            config_set: args.config_set.clone(),
            tag: args.tag.clone(),
            domain: args.domain.clone(),
        },
    };
    let rows = read_stats::stats(&context.client, context.stats_table()?, &query).await?;
    if context.csv {
        print!("{}", csv(&query, &rows)?);
        return Ok(());
    }
    match context.output {
        Output::Json => println!("{}", document(&query, &rows, args.min_volume)),
        Output::Table => print_table(&query, &rows, args.min_volume),
    }
    Ok(())
}

/// The dimension's name for the group column.
fn by_name(query: &StatsQuery) -> &'static str {
    query.by.map_or("total", By::as_str)
}

/// A row as JSON: `{"group", "counts", "rates", "flags"}`.
fn row_json(query: &StatsQuery, row: &StatsRow, min_volume: i64) -> Value {
    let mut group = Map::new();
    if let Some(by) = query.by {
        group.insert(by.as_str().to_owned(), Value::String(row.group.clone()));
    }
    let counts: Map<String, Value> = Column::ALL
        .into_iter()
        .map(|c| (c.as_str().to_owned(), json!(row.count(c))))
        .chain([("volume".to_owned(), json!(row.volume()))])
        .collect();
    let rates: Map<String, Value> = row
        .rates()
        .into_iter()
        .map(|(name, r)| (name.to_owned(), json!(r)))
        .collect();
    json!({ "group": group, "counts": counts, "rates": rates, "flags": row.flags(min_volume) })
}

/// The whole answer as one JSON document.
pub fn document(query: &StatsQuery, rows: &[StatsRow], min_volume: i64) -> Value {
    json!({
        "since": query.since.to_string(),
        "until": query.until.to_string(),
        "by": query.by.map(By::as_str),
        "rows": rows.iter().map(|r| row_json(query, r, min_volume)).collect::<Vec<_>>(),
        "total": row_json(&StatsQuery { by: None, ..query.clone() }, &read_stats::total(rows), min_volume),
    })
}

/// The answer as CSV: the group, every count, every rate.
fn csv(query: &StatsQuery, rows: &[StatsRow]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let rate_names: Vec<&str> = read_stats::total(rows)
        .rates()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut header = vec![by_name(query).to_owned(), "volume".to_owned()];
    header.extend(Column::ALL.iter().map(|c| c.as_str().to_owned()));
    header.extend(rate_names.iter().map(|n| format!("{n}_rate")));
    out.write_record(&header)?;
    for row in rows {
        let mut record = vec![row.group.clone(), row.volume().to_string()];
        record.extend(Column::ALL.iter().map(|c| row.count(*c).to_string()));
        record.extend(
            row.rates()
                .into_iter()
                .map(|(_, r)| r.map(|r| format!("{r:.6}")).unwrap_or_default()),
        );
        out.write_record(&record)?;
    }
    Ok(String::from_utf8(out.into_inner().context("writing CSV")?)?)
}

/// A rate in percent, with a mark when it passed a line.
fn percent(row: &StatsRow, rate: &str, digits: usize, min_volume: i64) -> String {
    match row.rate(rate) {
        None => "–".to_owned(),
        Some(r) => {
            let flagged = row.flags(min_volume).iter().any(|f| f.rate == rate);
            format!("{:.digits$} %{}", r * 100.0, if flagged { " !" } else { "" })
        }
    }
}

fn print_table(query: &StatsQuery, rows: &[StatsRow], min_volume: i64) {
    let mut t = table(&[
        by_name(query),
        "volume",
        "delivered",
        "hard bounce",
        "soft bounce",
        "complaint",
        "unsub",
        "open (machine)",
        "click (machine)",
        "delivered %",
        "hard %",
        "soft %",
        "complaint %",
    ]);
    let total = read_stats::total(rows);
    let shown: Vec<&StatsRow> = if query.by.is_some() {
        rows.iter().chain([&total]).collect()
    } else {
        vec![&total]
    };
    for row in &shown {
        t.add_row(vec![
            if query.by.is_some() {
                row.group.clone()
            } else {
                "total".to_owned()
            },
            row.volume().to_string(),
            row.count(Column::Delivered).to_string(),
            row.count(Column::HardBounce).to_string(),
            row.count(Column::SoftBounce).to_string(),
            row.count(Column::Complaint).to_string(),
            row.count(Column::Unsubscribe).to_string(),
            format!("{} ({})", row.count(Column::Open), row.count(Column::MachineOpen)),
            format!(
                "{} ({})",
                row.count(Column::Click),
                row.count(Column::MachineClick)
            ),
            percent(row, "delivered", 1, min_volume),
            percent(row, "hard_bounce", 2, min_volume),
            percent(row, "soft_bounce", 2, min_volume),
            percent(row, "complaint", 3, min_volume),
        ]);
    }
    println!(
        "Email {} to {}{}\n{t}",
        query.since,
        query.until,
        filters_text(&query.filters)
    );
    let mut flagged = false;
    for row in &shown {
        for flag in row.flags(min_volume) {
            flagged = true;
            let name = if row.group.is_empty() { "total" } else { &row.group };
            println!(
                "! {name}: {} {:.3} % — {}",
                flag.rate.replace('_', " "),
                flag.value * 100.0,
                flag.line
            );
        }
    }
    if !flagged {
        println!("No rate past a line (flags need {min_volume} or more in the denominator).");
    }
    println!(
        "Outside the rates: {} to SES's simulator, {} refused by a provider's own suppression list.",
        total.count(Column::Simulator),
        total.count(Column::ProviderSuppressed)
    );
}

fn filters_text(f: &StatsFilters) -> String {
    let parts: Vec<String> = [
        ("provider", &f.provider),
        ("mailbox", &f.mailbox),
        ("domain", &f.domain),
        ("sending domain", &f.sending_domain),
        ("tenant", &f.tenant),
        ("config set", &f.config_set),
        ("tag", &f.tag),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} {v}")))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Recounts the events of a period (default: every day they hold), showing progress on stderr.
async fn recount_period(
    context: &Context,
    since: Option<&str>,
    until: Option<&str>,
) -> anyhow::Result<(Period, mailtrail::stats::tally::Tally)> {
    let until = match until {
        Some(u) => day_arg("--until", u)?,
        None => Utc::now().date_naive(),
    };
    let given_since = since.map(|s| day_arg("--since", s)).transpose()?;
    let today = Utc::now().date_naive();
    let mut period = Period {
        since: given_since.unwrap_or(NaiveDate::MIN),
        until,
        hours_since: today - Duration::days(HOUR_KEEP_DAYS - 1),
    };
    let last_shown = std::sync::atomic::AtomicU64::new(0);
    let progress = |read: u64| {
        if read >= last_shown.load(std::sync::atomic::Ordering::Relaxed) + 10_000 {
            last_shown.store(read, std::sync::atomic::Ordering::Relaxed);
            eprintln!("mailtrail stats: {read} items read");
        }
    };
    let tally = recount::recount(&context.client, context.table()?, period, &progress).await?;
    if given_since.is_none() {
        period.since = recount::days(&tally)
            .first()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(until);
    }
    Ok((period, tally))
}

async fn verify(context: &Context, since: Option<&str>, until: Option<&str>) -> anyhow::Result<()> {
    let stats_table = context.stats_table()?.to_owned();
    let (period, recounted) = recount_period(context, since, until).await?;
    let stored = recount::stored(&context.client, &stats_table, period).await?;
    let differences = recount::differences(&stored, &recounted);
    match context.output {
        Output::Json => println!(
            "{}",
            json!({"since": period.since.to_string(), "until": period.until.to_string(),
                   "counter_items": recounted.len(), "differences": differences})
        ),
        Output::Table => {
            if differences.is_empty() {
                println!(
                    "The counters equal a recount of the events from {} to {}: {} counter items, no difference.",
                    period.since,
                    period.until,
                    recounted.len()
                );
            } else {
                let mut t = table(&["counter", "column", "counted", "recounted"]);
                for d in &differences {
                    t.add_row(vec![
                        format!("{} {}", d.pk, d.sk),
                        d.column.to_owned(),
                        d.counted.to_string(),
                        d.recounted.to_string(),
                    ]);
                }
                println!(
                    "{} differences from {} to {}\n{t}",
                    differences.len(),
                    period.since,
                    period.until
                );
            }
        }
    }
    if !differences.is_empty() {
        bail!(
            "{} counters differ from a recount (`mailtrail stats rebuild` replaces them)",
            differences.len()
        );
    }
    Ok(())
}

async fn rebuild(context: &Context, since: Option<&str>, until: Option<&str>) -> anyhow::Result<()> {
    let stats_table = context.stats_table()?.to_owned();
    let (period, recounted) = recount_period(context, since, until).await?;
    let mut day = period.since;
    let mut days = 0;
    let mut items = 0;
    while day <= period.until {
        let written = recount::replace_day(&context.client, &stats_table, day, &recounted)
            .await
            .with_context(|| {
                format!("rebuilding {day}; resume with `mailtrail stats rebuild --since {day}`")
            })?;
        eprintln!("mailtrail stats: {day} rebuilt, {written} counter items");
        items += written;
        days += 1;
        day += Duration::days(1);
    }
    match context.output {
        Output::Json => println!(
            "{}",
            json!({"since": period.since.to_string(), "until": period.until.to_string(), "days": days, "counter_items": items})
        ),
        Output::Table => println!(
            "Rebuilt {days} days ({} to {}): {items} counter items.",
            period.since, period.until
        ),
    }
    Ok(())
}
