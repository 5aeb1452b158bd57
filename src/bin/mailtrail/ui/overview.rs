//! The overview (`/`): how the mail of a period did, across sending providers and mailbox
//! providers, from the counters; each chart's figures as a table beside it and as CSV
//! (`/overview.csv?chart=…`); a matrix cell's breakdown by recipient domain
//! (`/overview/domains`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{html, Markup};

use mailtrail::read::overview::{overview, Overview};
use mailtrail::read::stats::{
    self as read_stats, By, StatsFilters, StatsQuery, StatsRow, DEFAULT_MIN_VOLUME,
};
use mailtrail::stats::count::Column;

use super::charts::{rate_line, stacked_bars, swatch};
use super::guard::form_pairs;
use super::links::query_value;
use super::views::layout;
use super::{failed, html, Ui};

/// Days the overview shows when no period is asked for.
const DEFAULT_DAYS: i64 = 30;

/// The overview's filters, as the form and the links carry them.
#[derive(Debug, Clone, Default)]
pub struct OverviewQuery {
    since: Option<String>,
    until: Option<String>,
    filters: StatsFilters,
}

impl OverviewQuery {
    fn parse(query: Option<&str>) -> OverviewQuery {
        let mut q = OverviewQuery::default();
        for (name, value) in form_pairs(query.unwrap_or("")) {
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "since" => q.since = Some(value),
                "until" => q.until = Some(value),
                "tenant" => q.filters.tenant = Some(value),
                "config_set" => q.filters.config_set = Some(value),
                "sending_domain" => q.filters.sending_domain = Some(value),
                "tag" => q.filters.tag = Some(value),
                "provider" => q.filters.provider = Some(value),
                "mailbox" => q.filters.mailbox = Some(value),
                _ => {}
            }
        }
        q
    }

    /// The period, or why it cannot be read.
    fn period(&self) -> Result<(NaiveDate, NaiveDate), String> {
        crate::stats::period(
            self.since.as_deref(),
            Some(self.until.as_deref().unwrap_or("today")),
        )
        .map(|(since, until)| {
            if self.since.is_none() {
                (until - chrono::Duration::days(DEFAULT_DAYS - 1), until)
            } else {
                (since, until)
            }
        })
        .map_err(|e| e.to_string())
    }

    /// This query as URL parameters, with `extra` added.
    fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let f = &self.filters;
        let pairs: Vec<String> = [
            ("since", &self.since),
            ("until", &self.until),
            ("tenant", &f.tenant),
            ("config_set", &f.config_set),
            ("sending_domain", &f.sending_domain),
            ("tag", &f.tag),
            ("provider", &f.provider),
            ("mailbox", &f.mailbox),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", query_value(v))))
        .chain(extra.iter().map(|(k, v)| format!("{k}={}", query_value(v))))
        .collect();
        if pairs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", pairs.join("&"))
        }
    }
}

fn percent(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.digits$} %", v * 100.0))
}

/// A rate cell: the rate, marked when it passed a line.
fn rate_cell(row: &StatsRow, rate: &str, digits: usize) -> Markup {
    let flagged = row.flags(DEFAULT_MIN_VOLUME).into_iter().find(|f| f.rate == rate);
    html! {
        @match flagged {
            Some(flag) => span.over title=(flag.line) { (percent(row.rate(rate), digits)) " ⚠" },
            None => span { (percent(row.rate(rate), digits)) },
        }
    }
}

/// Why the overview could not be shown.
enum Failure {
    /// A filter or period the user can fix.
    Request(String),
    /// No statistics table is known.
    NoTable,
    /// A read failed.
    Read(anyhow::Error),
}

async fn read(ui: &Ui, q: &OverviewQuery) -> Result<Overview, Failure> {
    let table = ui.context.stats_table.as_deref().ok_or(Failure::NoTable)?;
    let (since, until) = q.period().map_err(Failure::Request)?;
    overview(&ui.context.client, table, since, until, &q.filters)
        .await
        .map_err(|e| match e {
            read_stats::StatsQueryError::Read(e) => Failure::Read(e.into()),
            other => Failure::Request(other.to_string()),
        })
}

/// `/`: the overview.
pub async fn overview_page(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    let q = OverviewQuery::parse(query.as_deref());
    match read(&ui, &q).await {
        Ok(o) => html(StatusCode::OK, page(&q, Some(&o), None)),
        Err(Failure::Request(message)) => html(StatusCode::BAD_REQUEST, page(&q, None, Some(&message))),
        Err(Failure::NoTable) => html(
            StatusCode::OK,
            page(
                &q,
                None,
                Some("No statistics table is known: pass --stats-table, set MAILTRAIL_STATS_TABLE, or pass --stack."),
            ),
        ),
        Err(Failure::Read(error)) => failed(&error, false),
    }
}

fn filters_form(q: &OverviewQuery, since: &str, until: &str) -> Markup {
    let f = &q.filters;
    html! {
        form.filters method="get" action="/" {
            label { "From " input type="date" name="since" value=(since); }
            label { "to " input type="date" name="until" value=(until); }
            label { "Tenant " input type="text" name="tenant" value=[f.tenant.as_deref()]; }
            label { "Config set " input type="text" name="config_set" value=[f.config_set.as_deref()]; }
            label { "Sending domain " input type="text" name="sending_domain" value=[f.sending_domain.as_deref()]; }
            label { "Tag " input type="text" name="tag" value=[f.tag.as_deref()]; }
            button type="submit" { "Apply" }
            a href="/" { "Last 30 days" }
        }
    }
}

fn page(q: &OverviewQuery, o: Option<&Overview>, notice: Option<&str>) -> Markup {
    let (since, until) = q
        .period()
        .map(|(s, u)| (s.to_string(), u.to_string()))
        .unwrap_or_else(|_| {
            (
                q.since.clone().unwrap_or_default(),
                q.until.clone().unwrap_or_default(),
            )
        });
    layout(
        "Overview",
        html! {
            section.overview-head {
                h1 { "How is our email doing?" }
                form.search.big method="get" action="/search" {
                    input #q type="search" name="q" placeholder="What happened to… jane@example.com or a message id" aria-label="search" required;
                    button type="submit" { "Search" }
                }
            }
            (filters_form(q, &since, &until))
            @if let Some(notice) = notice {
                p.notice role="alert" { (notice) }
            }
            @if let Some(o) = o {
                (body(q, o))
            }
        },
    )
}

fn kpi(name: &str, value: String, note: Option<String>) -> Markup {
    html! {
        div.kpi {
            div.kpi-name { (name) }
            div.kpi-value { (value) }
            @if let Some(note) = note { div.kpi-note { (note) } }
        }
    }
}

fn body(q: &OverviewQuery, o: &Overview) -> Markup {
    let t = &o.total;
    let csv = |chart: &str| q.href("/overview.csv", &[("chart", chart)]);
    let flags = t.flags(DEFAULT_MIN_VOLUME);
    html! {
        section.kpis {
            (kpi("Volume", t.volume().to_string(), Some(format!("{} delivered", t.count(Column::Delivered)))))
            (kpi("Delivered", percent(t.rate("delivered"), 1), None))
            (kpi("Hard bounces", percent(t.rate("hard_bounce"), 2), Some(format!("{} · SES reviews at 5 %", t.count(Column::HardBounce)))))
            (kpi("Complaints", percent(t.rate("complaint"), 3), Some(format!("{} · lines at 0.1 % and 0.3 %", t.count(Column::Complaint)))))
            (kpi("Opens", t.count(Column::Open).to_string(), Some(format!("+{} by machines", t.count(Column::MachineOpen)))))
            (kpi("Clicks", t.count(Column::Click).to_string(), Some(format!("+{} by machines", t.count(Column::MachineClick)))))
        }
        @for flag in &flags {
            p.flagged role="alert" { "⚠ " (flag.rate.replace('_', " ")) " rate " (percent(Some(flag.value), 3)) ": " (flag.line) }
        }
        p.count {
            (t.count(Column::Simulator)) " to SES's mailbox simulator and " (t.count(Column::ProviderSuppressed))
            " refused by a provider's own suppression list are left out of every rate."
        }

        section.chart-box #volume {
            h2 { "Volume per day, by sending provider" }
            ul.legend {
                @for (i, p) in o.providers.iter().enumerate() {
                    li { (swatch(i)) " " (p) }
                }
            }
            (stacked_bars("Volume per day, by sending provider", &o.days, &volume_series(o)))
            details {
                summary { "The figures" }
                (volume_table(o))
            }
            a.csv href=(csv("volume")) download="volume.csv" { "CSV" }
        }
        section.chart-box #bounce-rate {
            h2 { "Hard-bounce rate per day" }
            (rate_line("Hard-bounce rate per day", &o.days, &o.by_day.iter().map(|r| r.rate("hard_bounce")).collect::<Vec<_>>(),
                &[(0.05, "SES review"), (0.10, "SES pause")]))
            p.count { a href="#complaint-rate" { "The figures" } " are with the complaint rate, below." }
        }
        section.chart-box #complaint-rate {
            h2 { "Complaint rate per day" }
            (rate_line("Complaint rate per day", &o.days, &o.by_day.iter().map(|r| r.rate("complaint")).collect::<Vec<_>>(),
                &[(0.001, "SES review"), (0.003, "Gmail and Yahoo"), (0.005, "SES pause")]))
            details {
                summary { "The figures (hard bounces and complaints)" }
                (rates_table(o))
            }
            a.csv href=(csv("rates")) download="rates.csv" { "CSV" }
        }
        section.chart-box #matrix {
            h2 { "Mailbox providers × sending providers" }
            p.count { "Each cell: volume, delivered, hard-bounce and complaint rates. A cell opens its recipient domains." }
            (matrix(q, o))
            a.csv href=(csv("matrix")) download="matrix.csv" { "CSV" }
        }
        div.two {
            section.chart-box #reasons {
                h2 { "Top bounce reasons" }
                (top_table("SMTP status and reason", &o.reasons))
                a.csv href=(csv("reasons")) download="reasons.csv" { "CSV" }
            }
            section.chart-box #bouncing-domains {
                h2 { "Recipient domains that bounce most" }
                (top_table("Recipient domain", &o.bouncing_domains))
                a.csv href=(csv("domains")) download="domains.csv" { "CSV" }
            }
        }
        @if o.reasons_unfiltered {
            p.count { "Bounce reasons and recipient domains are counted without tenant, config set, sending domain or tag: they cover all traffic of the period." }
        }
    }
}

fn volume_series(o: &Overview) -> Vec<(String, Vec<i64>)> {
    o.providers
        .iter()
        .map(|p| {
            let values = o
                .days
                .iter()
                .map(|d| {
                    o.by_day_provider
                        .get(&(d.clone(), p.clone()))
                        .map_or(0, StatsRow::volume)
                })
                .collect();
            (p.clone(), values)
        })
        .collect()
}

fn volume_table(o: &Overview) -> Markup {
    html! {
        table.data {
            thead { tr { th { "day" } @for p in &o.providers { th { (p) } } th { "total" } } }
            tbody {
                @for (d, day) in o.days.iter().enumerate() {
                    tr {
                        td { (day) }
                        @for p in &o.providers {
                            td.num { (o.by_day_provider.get(&(day.clone(), p.clone())).map_or(0, StatsRow::volume)) }
                        }
                        td.num { (o.by_day[d].volume()) }
                    }
                }
            }
        }
    }
}

fn rates_table(o: &Overview) -> Markup {
    html! {
        table.data {
            thead { tr { th { "day" } th { "volume" } th { "delivered" } th { "hard bounces" } th { "hard-bounce rate" } th { "complaints" } th { "complaint rate" } } }
            tbody {
                @for r in &o.by_day {
                    tr {
                        td { (r.group) }
                        td.num { (r.volume()) }
                        td.num { (r.count(Column::Delivered)) }
                        td.num { (r.count(Column::HardBounce)) }
                        td.num { (rate_cell(r, "hard_bounce", 2)) }
                        td.num { (r.count(Column::Complaint)) }
                        td.num { (rate_cell(r, "complaint", 3)) }
                    }
                }
            }
        }
    }
}

fn matrix(q: &OverviewQuery, o: &Overview) -> Markup {
    html! {
        table.data.matrix {
            thead { tr { th { "mailbox provider" } @for p in &o.providers { th { (p) } } th { "all" } } }
            tbody {
                @for m in &o.mailboxes {
                    tr {
                        th scope="row" { (m) }
                        @for p in &o.providers {
                            td {
                                @if let Some(cell) = o.matrix.get(&(m.clone(), p.clone())) {
                                    a href=(q.href("/overview/domains", &[("cell_mailbox", m), ("cell_provider", p)])) {
                                        (matrix_cell(cell))
                                    }
                                }
                            }
                        }
                        td {
                            @if let Some(cell) = o.by_mailbox.get(m) {
                                a href=(q.href("/overview/domains", &[("cell_mailbox", m)])) { (matrix_cell(cell)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn matrix_cell(cell: &StatsRow) -> Markup {
    html! {
        span.cell-volume { (cell.volume()) }
        span.cell-rates {
            (percent(cell.rate("delivered"), 1)) " ✓ · "
            (rate_cell(cell, "hard_bounce", 1)) " ✗ · "
            (rate_cell(cell, "complaint", 2)) " ⚑"
        }
    }
}

fn top_table(what: &str, rows: &[StatsRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p.count { "No bounce in this period." }
        } @else {
            table.data {
                thead { tr { th { (what) } th { "hard" } th { "soft" } th { "rejected" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { code { (r.group) } }
                            td.num { (r.count(Column::HardBounce)) }
                            td.num { (r.count(Column::SoftBounce)) }
                            td.num { (r.count(Column::Rejected)) }
                        }
                    }
                }
            }
        }
    }
}

/// A query parameter's value, when it has one.
fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_pairs(query.unwrap_or(""))
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v)
}

/// One matrix cell (or a mailbox provider's row) by recipient domain.
fn domains_query(
    since: NaiveDate,
    until: NaiveDate,
    mailbox: Option<String>,
    provider: Option<String>,
) -> StatsQuery {
    StatsQuery {
        since,
        until,
        by: Some(By::Domain),
        filters: StatsFilters {
            mailbox,
            provider,
            ..StatsFilters::default()
        },
    }
}

/// `/overview/domains?cell_mailbox=…&cell_provider=…`: one matrix cell by recipient domain.
pub async fn domains_page(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    let q = OverviewQuery::parse(query.as_deref());
    let value = |name: &str| param(query.as_deref(), name);
    let (mailbox, provider) = (value("cell_mailbox"), value("cell_provider"));
    let Some(table) = ui.context.stats_table.as_deref() else {
        return html(
            StatusCode::OK,
            page(&q, None, Some("No statistics table is known.")),
        );
    };
    let (since, until) = match q.period() {
        Ok(p) => p,
        Err(message) => return html(StatusCode::BAD_REQUEST, page(&q, None, Some(&message))),
    };
    let query = domains_query(since, until, mailbox.clone(), provider.clone());
    let rows = match read_stats::stats(&ui.context.client, table, &query).await {
        Ok(rows) => rows,
        Err(error) => return failed(&anyhow::Error::from(error), false),
    };
    let title = format!(
        "{} via {}",
        mailbox.as_deref().unwrap_or("every mailbox provider"),
        provider.as_deref().unwrap_or("every sending provider")
    );
    let mut extra = vec![("chart", "domains-of")];
    if let Some(m) = &mailbox {
        extra.push(("cell_mailbox", m));
    }
    if let Some(p) = &provider {
        extra.push(("cell_provider", p));
    }
    let csv = q.href("/overview.csv", &extra);
    html(
        StatusCode::OK,
        layout(
            &title,
            html! {
                p { a href=(q.href("/", &[])) { "← Overview" } }
                h1 { (title) ": recipient domains" }
                p.count { (since) " to " (until) ". Tenant, config set, sending domain and tag are not kept per recipient domain." }
                (stats_table(&rows))
                a.csv href=(csv) download="domains.csv" { "CSV" }
            },
        ),
    )
}

fn stats_table(rows: &[StatsRow]) -> Markup {
    html! {
        table.data {
            thead { tr { th { "recipient domain" } th { "volume" } th { "delivered" } th { "hard" } th { "soft" } th { "complaints" } th { "delivered %" } th { "hard %" } th { "complaint %" } } }
            tbody {
                @for r in rows {
                    tr {
                        td { (r.group) }
                        td.num { (r.volume()) }
                        td.num { (r.count(Column::Delivered)) }
                        td.num { (r.count(Column::HardBounce)) }
                        td.num { (r.count(Column::SoftBounce)) }
                        td.num { (r.count(Column::Complaint)) }
                        td.num { (percent(r.rate("delivered"), 1)) }
                        td.num { (rate_cell(r, "hard_bounce", 2)) }
                        td.num { (rate_cell(r, "complaint", 3)) }
                    }
                }
            }
        }
    }
}

/// `/overview.csv?chart=volume|rates|matrix|reasons|domains|domains-of`: a chart's figures.
pub async fn overview_csv(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    let q = OverviewQuery::parse(query.as_deref());
    let value = |name: &str| param(query.as_deref(), name);
    let chart = value("chart").unwrap_or_default();
    let mut out = csv::Writer::from_writer(Vec::new());
    let rows: Vec<Vec<String>> = if chart == "domains-of" {
        let Some(table) = ui.context.stats_table.as_deref() else {
            return (StatusCode::NOT_FOUND, "no statistics table\n").into_response();
        };
        let Ok((since, until)) = q.period() else {
            return (StatusCode::BAD_REQUEST, "the period cannot be read\n").into_response();
        };
        let query = domains_query(since, until, value("cell_mailbox"), value("cell_provider"));
        match read_stats::stats(&ui.context.client, table, &query).await {
            Ok(rows) => counts_rows("recipient_domain", &rows),
            Err(error) => return failed(&anyhow::Error::from(error), true),
        }
    } else {
        let o = match read(&ui, &q).await {
            Ok(o) => o,
            Err(Failure::Read(error)) => return failed(&error, true),
            Err(Failure::NoTable) => return (StatusCode::NOT_FOUND, "no statistics table\n").into_response(),
            Err(Failure::Request(message)) => {
                return (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
            }
        };
        match chart.as_str() {
            "volume" => {
                let mut rows = vec![["day".to_owned()]
                    .into_iter()
                    .chain(o.providers.iter().cloned())
                    .collect()];
                for day in &o.days {
                    rows.push(
                        [day.clone()]
                            .into_iter()
                            .chain(o.providers.iter().map(|p| {
                                o.by_day_provider
                                    .get(&(day.clone(), p.clone()))
                                    .map_or(0, StatsRow::volume)
                                    .to_string()
                            }))
                            .collect(),
                    );
                }
                rows
            }
            "rates" => counts_rows("day", &o.by_day),
            "matrix" => {
                let cells: Vec<StatsRow> = o
                    .matrix
                    .iter()
                    .map(|((m, p), r)| StatsRow {
                        group: format!("{m}|{p}"),
                        counts: r.counts,
                    })
                    .collect();
                let mut rows = counts_rows("mailbox|provider", &cells);
                rows[0][0] = "mailbox".to_owned();
                rows[0].insert(1, "provider".to_owned());
                for row in rows.iter_mut().skip(1) {
                    let (m, p) = row[0]
                        .split_once('|')
                        .map(|(m, p)| (m.to_owned(), p.to_owned()))
                        .unwrap_or_default();
                    row[0] = m;
                    row.insert(1, p);
                }
                rows
            }
            "reasons" => counts_rows("reason", &o.reasons),
            "domains" => counts_rows("recipient_domain", &o.bouncing_domains),
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    "chart is one of volume, rates, matrix, reasons, domains, domains-of\n",
                )
                    .into_response()
            }
        }
    };
    for row in rows {
        if out.write_record(&row).is_err() {
            return failed(&anyhow::anyhow!("writing CSV"), true);
        }
    }
    let body = out.into_inner().unwrap_or_default();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment"),
        ],
        body,
    )
        .into_response()
}

/// Rows as CSV records: the group, volume, every count, every rate.
fn counts_rows(first: &str, rows: &[StatsRow]) -> Vec<Vec<String>> {
    let mut header = vec![first.to_owned(), "volume".to_owned()];
    header.extend(Column::ALL.iter().map(|c| c.as_str().to_owned()));
    header.extend(
        [
            "delivered_rate",
            "hard_bounce_rate",
            "soft_bounce_rate",
            "complaint_rate",
            "unsubscribe_rate",
            "open_rate",
            "click_rate",
        ]
        .map(str::to_owned),
    );
    let mut out = vec![header];
    for r in rows {
        let mut record = vec![r.group.clone(), r.volume().to_string()];
        record.extend(Column::ALL.iter().map(|c| r.count(*c).to_string()));
        record.extend(
            r.rates()
                .into_iter()
                .map(|(_, v)| v.map(|v| format!("{v:.6}")).unwrap_or_default()),
        );
        out.push(record);
    }
    out
}

/// `/api/stats?since=…&until=…&by=…&<filters>`: what `mailtrail stats --output json` prints.
pub async fn stats_api(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    let q = OverviewQuery::parse(query.as_deref());
    let by = match param(query.as_deref(), "by") {
        None => None,
        Some(name) => match By::from_name(&name) {
            Some(by) => Some(by),
            None => {
                return super::json(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": "by is one of provider, mailbox, domain, sending-domain, tenant, config-set, tag, day, hour, reason"}),
                )
            }
        },
    };
    let Some(table) = ui.context.stats_table.as_deref() else {
        return super::json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": "no statistics table"}),
        );
    };
    let (since, until) = match q.period() {
        Ok(p) => p,
        Err(message) => return super::json(StatusCode::BAD_REQUEST, &serde_json::json!({"error": message})),
    };
    let query = StatsQuery {
        since,
        until,
        by,
        filters: q.filters.clone(),
    };
    match read_stats::stats(&ui.context.client, table, &query).await {
        Ok(rows) => super::json(
            StatusCode::OK,
            &crate::stats::document(&query, &rows, DEFAULT_MIN_VOLUME),
        ),
        Err(read_stats::StatsQueryError::Read(error)) => failed(&anyhow::Error::from(error), true),
        Err(other) => super::json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"error": other.to_string()}),
        ),
    }
}
