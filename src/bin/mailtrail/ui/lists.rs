//! The list pages and their JSON: the suppressed addresses, one bounded page per request, and
//! the quarantine (keys and errors; one kept body read by its key).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::guard::form_pairs;
use super::{failed, html, json, links, list_views, page_not_found, views, Ui};
use crate::args::since_key;
use crate::tables::Context;

/// The `reason`, `since` and `after` (the last address of the previous page) of the
/// suppressed page.
fn list_filters(query: Option<&str>) -> (Option<String>, Option<String>, Option<String>) {
    let mut reason = None;
    let mut since = None;
    let mut after = None;
    for (name, value) in form_pairs(query.unwrap_or("")) {
        let value = value.trim().to_owned();
        match name.as_str() {
            "reason" if !value.is_empty() => reason = Some(value),
            "since" if !value.is_empty() => since = Some(value),
            "after" if !value.is_empty() => after = Some(value),
            _ => {}
        }
    }
    (reason, since, after)
}

/// Records read per page of the suppressed list: one bounded Scan page per request.
const SUPPRESSED_PAGE_RECORDS: usize = 200;

async fn read_suppressed(context: &Context, query: Option<&str>) -> anyhow::Result<SuppressedRead> {
    let (reason, since, after) = list_filters(query);
    let since_ok = since.as_deref().filter(|s| since_key(s).is_ok());
    let page = crate::records::suppressed_page(
        context,
        reason.as_deref(),
        since_ok,
        after.as_deref(),
        SUPPRESSED_PAGE_RECORDS,
    )
    .await?;
    Ok(SuppressedRead {
        page,
        reason,
        since,
        after,
    })
}

/// One page of the suppressed list and the filters it was read with.
struct SuppressedRead {
    page: mailtrail::read::VerdictPage,
    reason: Option<String>,
    since: Option<String>,
    after: Option<String>,
}

pub(super) async fn suppressed_page(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    if ui.context.suppressions_table.is_none() {
        return html(
            StatusCode::OK,
            views::not_found("No suppression table is configured: the verdicts are unknown."),
        );
    }
    match read_suppressed(&ui.context, query.as_deref()).await {
        Ok(read) => html(
            StatusCode::OK,
            list_views::suppressed(&list_views::SuppressedView {
                verdicts: &read.page.verdicts,
                reason: read.reason.as_deref(),
                since: read.since.as_deref(),
                after: read.after.as_deref(),
                next: read.page.next.as_deref(),
            }),
        ),
        Err(error) => failed(&error, false),
    }
}

pub(super) async fn suppressed_api(State(ui): State<Arc<Ui>>, RawQuery(query): RawQuery) -> Response {
    if ui.context.suppressions_table.is_none() {
        return json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": "not_found", "message": "no suppression table is configured"}),
        );
    }
    // The shape of `suppressed list --output json`, one bounded page of it; the next page is
    // named by a `Link: <…>; rel="next"` header.
    match read_suppressed(&ui.context, query.as_deref()).await {
        Ok(read) => {
            let mut response = json(
                StatusCode::OK,
                &serde_json::to_value(&read.page.verdicts).unwrap_or_default(),
            );
            if let Some(next) = &read.page.next {
                let mut query = vec![format!("after={}", links::query_value(next))];
                for (name, value) in [("reason", &read.reason), ("since", &read.since)] {
                    if let Some(value) = value {
                        query.push(format!("{name}={}", links::query_value(value)));
                    }
                }
                let link = format!("</api/suppressed?{}>; rel=\"next\"", query.join("&"));
                if let Ok(value) = axum::http::HeaderValue::from_str(&link) {
                    response.headers_mut().insert(header::LINK, value);
                }
            }
            response
        }
        Err(error) => failed(&error, true),
    }
}

pub(super) async fn quarantine_page(State(ui): State<Arc<Ui>>) -> Response {
    match crate::quarantine::listing(&ui.context).await {
        Ok(rows) => html(StatusCode::OK, list_views::quarantine(&rows)),
        Err(error) => failed(&error, false),
    }
}

pub(super) async fn quarantine_api(State(ui): State<Arc<Ui>>) -> Response {
    match crate::quarantine::listing(&ui.context).await {
        Ok(rows) => json(StatusCode::OK, &Value::Array(rows)),
        Err(error) => failed(&error, true),
    }
}

pub(super) async fn quarantined_page(
    State(ui): State<Arc<Ui>>,
    Path((provider, hash)): Path<(String, String)>,
) -> Response {
    let key = format!("{provider}/{hash}");
    let parts = match crate::quarantine::body(&ui.context, &key).await {
        Ok(parts) => parts,
        Err(error) => return failed(&error, false),
    };
    if parts.is_empty() {
        return page_not_found(&format!("No kept body {key}."));
    }
    let body =
        mailtrail::store::quarantine::reassemble(&parts).map(|b| String::from_utf8_lossy(&b).into_owned());
    html(
        StatusCode::OK,
        list_views::quarantined(&key, &crate::quarantine::row(&key, &parts), body.as_deref()),
    )
}
