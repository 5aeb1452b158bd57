//! `mailtrail ui`: the timelines and the suppression list in a browser, served on 127.0.0.1
//! only, read-only, with the command's own tables and credentials.
//!
//! Who may ask is decided by [`guard`] (Host, session token, safety headers); what a page shows
//! is read here with the index and `BatchGetItem` (never a `Scan` for a search); how it looks
//! is [`views`] (maud, escaped by construction). The same data is served as JSON under `/api/`
//! in the shapes of the command's `--output json`.

mod charts;
mod guard;
mod links;
mod list_views;
mod lists;
mod outcome;
mod overview;
mod views;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use mailtrail::providers::Provider;
use maud::Markup;
use serde_json::Value;

use crate::args::since_key;
use crate::tables::Context;
use guard::form_pairs;
use mailtrail::read::{self, group, MessageGroup, RecipientRows, TimelineEvent};
use outcome::Filters;

/// Messages on one page of a recipient.
const MESSAGES_PER_PAGE: usize = 50;
/// The most index rows one recipient page reads (the newest).
const MAX_ROWS: usize = 10_000;

/// The running UI's state.
pub struct Ui {
    context: Context,
    /// The session token: the cookie's value, and the bearer token scripts send.
    session: String,
    /// The printed link's one-time login code, until it is exchanged.
    login: std::sync::Mutex<Option<String>>,
    port: u16,
}

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");

/// A random session token: 32 bytes from the system's generator, as hex (256 bits).
fn new_token() -> anyhow::Result<String> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system's random generator failed"))?;
    Ok(mailtrail::base::digest::hex(&bytes))
}

/// Opens `url` in the user's browser, quietly; failing is fine (the URL is printed).
fn open_browser(url: &str) {
    let candidates: &[(&str, &[&str])] = if cfg!(target_os = "macos") {
        &[("open", &[])]
    } else if cfg!(windows) {
        &[("cmd", &["/C", "start", ""])]
    } else {
        &[("xdg-open", &[])]
    };
    for (program, args) in candidates {
        let spawned = std::process::Command::new(program)
            .args(*args)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return;
        }
    }
}

/// The router: pages, their JSON, the embedded assets, behind the guard.
fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/", get(overview::overview_page))
        .route("/overview/domains", get(overview::domains_page))
        .route("/overview.csv", get(overview::overview_csv))
        .route("/search", get(search))
        .route("/recipient/{address}", get(recipient_page))
        .route("/message/{id}", get(message_page))
        .route("/event/{pk}/{sk}", get(event_page))
        .route("/suppressed", get(lists::suppressed_page))
        .route("/quarantine", get(lists::quarantine_page))
        .route("/quarantine/{provider}/{hash}", get(lists::quarantined_page))
        .route("/api/recipient/{address}", get(recipient_api))
        .route("/api/message/{id}", get(message_api))
        .route("/api/event/{pk}/{sk}", get(event_api))
        .route("/api/suppressed", get(lists::suppressed_api))
        .route("/api/suppressed/{address}", get(verdict_api))
        .route("/api/quarantine", get(lists::quarantine_api))
        .route("/api/stats", get(overview::stats_api))
        .route(
            "/assets/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS) }),
        )
        .fallback(|| async { page_not_found("There is no such page.") })
        .layer(axum::middleware::from_fn_with_state(ui.clone(), guard::guard))
        .with_state(ui)
}

/// Writes the session token to `path`, readable by its owner only.
fn write_token_file(path: &std::path::Path, token: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing the session token to {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    writeln!(file, "{token}")?;
    Ok(())
}

/// Serves until interrupted (Ctrl-C or SIGTERM), then returns. The printed link carries a
/// one-time login code; `token_file` receives the session token for scripts.
pub async fn run(
    context: Context,
    port: u16,
    open: bool,
    token_file: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    let port = listener.local_addr()?.port();
    let session = new_token()?;
    let login = new_token()?;
    if let Some(path) = token_file {
        write_token_file(path, &session)?;
    }
    let url = format!("http://127.0.0.1:{port}/?{}={login}", guard::LOGIN_PARAMETER);
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "mailtrail ui: {url}")?;
        stdout.flush()?;
    }
    if open {
        open_browser(&url);
    }
    let ui = Arc::new(Ui {
        context,
        session,
        login: std::sync::Mutex::new(Some(login)),
        port,
    });
    axum::serve(listener, router(ui))
        .with_graceful_shutdown(interrupted())
        .await
        .context("serving the UI")
}

/// Resolves at Ctrl-C or SIGTERM.
async fn interrupted() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

fn page_not_found(what: &str) -> Response {
    html(StatusCode::NOT_FOUND, views::not_found(what))
}

fn json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// A failed read: the error on the terminal, nothing of it in the answer.
fn failed(error: &anyhow::Error, api: bool) -> Response {
    eprintln!("mailtrail ui: {}", format!("{error:#}").replace('\n', " "));
    if api {
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"error": "the tables could not be read"}),
        )
    } else {
        html(StatusCode::INTERNAL_SERVER_ERROR, views::failed())
    }
}

/// `/search?q=`: an address, a message id (either may hold `@`), or a quarantine key.
async fn search(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    let q = form_pairs(query.as_deref().unwrap_or(""))
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if q.is_empty() {
        return Redirect::to("/").into_response();
    }
    if let Some((provider, hash)) = q.split_once('/') {
        if Provider::parse(provider).is_some()
            && !hash.is_empty()
            && hash.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Redirect::to(&format!("/quarantine/{provider}/{hash}")).into_response();
        }
    }
    let looks_like_address = q.contains('@') && !q.contains(['<', '>', ' ']);
    if looks_like_address {
        // A Mailgun message id looks like an address: a message with that id wins.
        match message_exists(&ui.context, &q).await {
            Ok(true) => return Redirect::to(&links::message_href(&q)).into_response(),
            Ok(false) => return Redirect::to(&links::recipient_href(&recipient_key(&q))).into_response(),
            Err(error) => return failed(&error, false),
        }
    }
    Redirect::to(&links::message_href(&q)).into_response()
}

async fn message_exists(context: &Context, id: &str) -> anyhow::Result<bool> {
    let output = context
        .client
        .query()
        .table_name(context.table()?)
        .key_condition_expression("pk = :id")
        .expression_attribute_values(":id", aws_sdk_dynamodb::types::AttributeValue::S(id.to_owned()))
        .limit(1)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)
        .context("looking the message up")?;
    Ok(output.count > 0)
}

/// A `since` or `until` filter as the sort-key prefix it compares with.
fn bound(value: Option<&str>, name: &str) -> Result<Option<String>, String> {
    value
        .map(|v| {
            since_key(v)
                .map_err(|_| format!("{name} {v:?} is neither a date (2026-01-01) nor an RFC 3339 time"))
        })
        .transpose()
}

/// What the recipient page and its JSON read.
struct RecipientRead {
    /// The verdict; `None` when no suppression table is known (unknown, not "not suppressed").
    verdict: Option<mailtrail::suppression::Verdict>,
    rows: Vec<TimelineEvent>,
    truncated: bool,
    filter_error: Option<String>,
}

async fn read_recipient(
    context: &Context,
    address: &str,
    filters: &Filters,
) -> anyhow::Result<RecipientRead> {
    let (since, until, filter_error) = match (
        bound(filters.since.as_deref(), "since"),
        bound(filters.until.as_deref(), "until"),
    ) {
        (Ok(since), Ok(until)) => (since, until, None),
        (Err(e), _) | (_, Err(e)) => (None, None, Some(e)),
    };
    let reads = context.reads()?;
    let wanted = RecipientRows {
        address: address.to_owned(),
        since,
        until,
        limit: Some(MAX_ROWS + 1),
        newest_first: true,
    };
    let (verdict, rows) = tokio::try_join!(
        async {
            match context.suppressions_table {
                // No record is a verdict too: not suppressed.
                Some(_) => Ok(Some(
                    read::source::EventReads::record(&reads, address)
                        .await?
                        .unwrap_or_else(|| mailtrail::suppression::Record::new(address))
                        .verdict(),
                )),
                None => Ok(None),
            }
        },
        read::recipient_events(&reads, &wanted),
    )?;
    let mut rows = rows;
    let truncated = rows.len() > MAX_ROWS;
    rows.truncate(MAX_ROWS);
    Ok(RecipientRead {
        verdict,
        rows,
        truncated,
        filter_error,
    })
}

/// The subjects of the messages on a page, read from raw events by each provider's decoder:
/// the newest event of each message first, then, for messages whose newest event carries none
/// (an SES delivery delay has no headers), the oldest. Each round is one batch of reads.
async fn subjects(context: &Context, groups: &[MessageGroup]) -> anyhow::Result<HashMap<String, String>> {
    let reads = context.reads()?;
    let mut found: HashMap<String, String> = HashMap::new();
    for pick in [0, 1] {
        let representatives: Vec<TimelineEvent> = groups
            .iter()
            .filter(|g| !g.message.is_empty() && !found.contains_key(&g.message))
            .filter_map(|g| {
                if pick == 0 {
                    g.events.first()
                } else {
                    g.events.last().filter(|_| g.events.len() > 1)
                }
            })
            .cloned()
            .collect();
        if representatives.is_empty() {
            break;
        }
        for event in read::full_events(&reads, &representatives).await? {
            if let Some(subject) = event.subject() {
                found.insert(event.message.clone(), subject);
            }
        }
    }
    Ok(found)
}

/// An address as the store keeps it (trimmed, lower-cased); empty, so that nothing is found,
/// when it could never be one.
fn recipient_key(address: &str) -> String {
    mailtrail::model::event::normalize_recipient(address).unwrap_or_default()
}

/// The address of a recipient path and the filters of its query.
fn recipient_request(address: &str, query: Option<&str>) -> (String, Filters) {
    (
        recipient_key(address),
        Filters::from_pairs(form_pairs(query.unwrap_or(""))),
    )
}

async fn recipient_page(
    State(ui): State<Arc<Ui>>,
    Path(address): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (address, filters) = recipient_request(&address, query.as_deref());
    if filters.bad_page {
        return bad_page(false);
    }
    let read = match read_recipient(&ui.context, &address, &filters).await {
        Ok(read) => read,
        Err(error) => return failed(&error, false),
    };
    let events_read = read.rows.len();
    let groups = group(read.rows, |row| filters.shows(row));
    let total_messages = groups.len();
    let pages = total_messages.div_ceil(MESSAGES_PER_PAGE).max(1);
    let page: Vec<_> = groups
        .into_iter()
        .skip((filters.page - 1) * MESSAGES_PER_PAGE)
        .take(MESSAGES_PER_PAGE)
        .collect();
    if events_read == 0
        && read
            .verdict
            .as_ref()
            .is_none_or(|v| !v.suppressed && v.details.is_empty())
        && filters
            == (Filters {
                page: 1,
                ..Filters::default()
            })
    {
        return page_not_found(&format!("Nothing is known about {address}."));
    }
    let subjects = match subjects(&ui.context, &page).await {
        Ok(subjects) => subjects,
        Err(error) => return failed(&error, false),
    };
    html(
        StatusCode::OK,
        views::recipient(&views::RecipientPage {
            address: &address,
            verdict: read.verdict.as_ref(),
            groups: &page,
            subjects: &subjects,
            filters: &filters,
            total_messages,
            events_read,
            truncated: read.truncated,
            pages,
            filter_error: read.filter_error,
        }),
    )
}

async fn recipient_api(
    State(ui): State<Arc<Ui>>,
    Path(address): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (address, filters) = recipient_request(&address, query.as_deref());
    if filters.bad_page {
        return bad_page(true);
    }
    match read_recipient(&ui.context, &address, &filters).await {
        Ok(read) => {
            let mut rows: Vec<&TimelineEvent> = read.rows.iter().filter(|r| filters.shows(r)).collect();
            rows.sort_by(|a, b| (&a.key.1, &a.key.0).cmp(&(&b.key.1, &b.key.0)));
            json(
                StatusCode::OK,
                &Value::Array(rows.into_iter().map(|e| e.json.clone()).collect()),
            )
        }
        Err(error) => failed(&error, true),
    }
}

/// A `page=` that is no page number: 400.
fn bad_page(api: bool) -> Response {
    let what = format!("page must be a whole number from 1 to {}", outcome::MAX_PAGE);
    if api {
        json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"error": "bad_request", "message": what}),
        )
    } else {
        html(StatusCode::BAD_REQUEST, views::bad_request(&what))
    }
}

async fn verdict_api(State(ui): State<Arc<Ui>>, Path(address): Path<String>) -> Response {
    let address = recipient_key(&address);
    if ui.context.suppressions_table.is_none() {
        return json(
            StatusCode::OK,
            &serde_json::json!({"address": address, "suppressed": null, "unknown": "no suppression table is configured"}),
        );
    }
    match crate::records::record(&ui.context, &address).await {
        Ok(record) => json(
            StatusCode::OK,
            &serde_json::to_value(record.verdict()).unwrap_or_default(),
        ),
        Err(error) => failed(&error, true),
    }
}

async fn sorted_message(context: &Context, id: &str) -> anyhow::Result<Vec<TimelineEvent>> {
    let mut events = read::message_timeline(&context.reads()?, id).await?;
    events.sort_by(|a, b| (&a.key.1, &a.recipient).cmp(&(&b.key.1, &b.recipient)));
    Ok(events)
}

async fn message_page(State(ui): State<Arc<Ui>>, Path(id): Path<String>) -> Response {
    match sorted_message(&ui.context, &id).await {
        Ok(items) if items.is_empty() => page_not_found(&format!("No events for message {id}.")),
        Ok(items) => {
            let subject = items.iter().find_map(TimelineEvent::subject);
            html(StatusCode::OK, views::message(&id, &items, subject.as_deref()))
        }
        Err(error) => failed(&error, false),
    }
}

async fn message_api(State(ui): State<Arc<Ui>>, Path(id): Path<String>) -> Response {
    match sorted_message(&ui.context, &id).await {
        Ok(items) if items.is_empty() => {
            json(StatusCode::NOT_FOUND, &serde_json::json!({"error": "not_found"}))
        }
        Ok(items) => json(
            StatusCode::OK,
            &Value::Array(items.into_iter().map(|e| e.json).collect()),
        ),
        Err(error) => failed(&error, true),
    }
}

async fn event_page(State(ui): State<Arc<Ui>>, Path((pk, sk)): Path<(String, String)>) -> Response {
    match event_by_key(&ui.context, pk, sk).await {
        Ok(Some(event)) => {
            let raw = event.json["raw"].as_str().map(str::to_owned);
            html(StatusCode::OK, views::event(&event.json, raw.as_deref()))
        }
        Ok(None) => page_not_found("There is no such event."),
        Err(error) => failed(&error, false),
    }
}

async fn event_api(State(ui): State<Arc<Ui>>, Path((pk, sk)): Path<(String, String)>) -> Response {
    match event_by_key(&ui.context, pk, sk).await {
        Ok(Some(event)) => json(StatusCode::OK, &event.json),
        Ok(None) => json(StatusCode::NOT_FOUND, &serde_json::json!({"error": "not_found"})),
        Err(error) => failed(&error, true),
    }
}

async fn event_by_key(context: &Context, pk: String, sk: String) -> anyhow::Result<Option<TimelineEvent>> {
    Ok(read::timeline::event(&context.reads()?, &(pk, sk)).await?)
}
