//! The list pages: the suppressed addresses (one page, a link to the next) and the quarantine.

use maud::{html, Markup};
use serde_json::Value;

use super::links::{query_value, recipient_href, segment};
use super::views::layout;
use mailtrail::suppression::Verdict;

/// What the `/suppressed` page shows: one bounded page of the list.
pub struct SuppressedView<'a> {
    /// The suppressed verdicts of this page.
    pub verdicts: &'a [Verdict],
    /// The reason filter.
    pub reason: Option<&'a str>,
    /// The since filter, as typed.
    pub since: Option<&'a str>,
    /// Where this page started (after this address), if not at the start.
    pub after: Option<&'a str>,
    /// Where the next page starts, when the table holds more.
    pub next: Option<&'a str>,
}

/// `/suppressed`: one page of the list, a link to the next.
pub fn suppressed(view: &SuppressedView<'_>) -> Markup {
    let reasons = mailtrail::suppression::Reason::ALL;
    let (reason, since) = (view.reason, view.since);
    let next_href = view.next.map(|next| {
        let mut query = vec![format!("after={}", query_value(next))];
        if let Some(reason) = reason {
            query.push(format!("reason={}", query_value(reason)));
        }
        if let Some(since) = since {
            query.push(format!("since={}", query_value(since)));
        }
        format!("/suppressed?{}", query.join("&"))
    });
    html! {
        (layout("Suppressed", html! {
            h1 { "Suppressed addresses" }
            form.filters method="get" action="/suppressed" {
                label { "reason "
                    select name="reason" {
                        option value="" { "any" }
                        @for r in reasons { option value=(r.as_str()) selected[reason == Some(r.as_str())] { (r.as_str()) } }
                    }
                }
                label { "since " input type="text" name="since" placeholder="2026-01-01" value=(since.unwrap_or("")); }
                button type="submit" { "Filter" }
            }
            p.count {
                (view.verdicts.len()) " addresses on this page"
                @if let Some(after) = view.after { " (after " (after) ")" }
            }
            table.list {
                thead { tr { th { "address" } th { "reasons" } th { "since" } th { "by" } } }
                tbody {
                    @for v in view.verdicts {
                        tr {
                            td { a href=(recipient_href(&v.address)) { (v.address) } }
                            td { @for d in &v.details { span.reason-tag { (d.reason) } " " } }
                            td { (v.details.iter().map(|d| d.evidence.at.as_str()).min().unwrap_or("")) }
                            td { (v.details.iter().filter_map(|d| d.evidence.provider.as_deref()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
            nav.pages {
                @if view.after.is_some() { a href="/suppressed" { "first page" } " " }
                @if let Some(href) = next_href { a #next href=(href) { "next page" } }
            }
        }))
    }
}

/// `/quarantine`: kept bodies with their error and part count.
pub fn quarantine(rows: &[Value]) -> Markup {
    html! {
        (layout("Quarantine", html! {
            h1 { "Quarantine" }
            p { "Authenticated bodies that did not decode, kept for " code { "mailtrail quarantine replay" } "." }
            p.count { (rows.len()) " kept bodies" }
            table.list {
                thead { tr { th { "key" } th { "received" } th { "parts" } th { "bytes" } th { "error" } } }
                tbody {
                    @for row in rows {
                        tr {
                            td { a href={"/quarantine/" (row["key"].as_str().unwrap_or("").split('/').map(segment).collect::<Vec<_>>().join("/"))} { (row["key"].as_str().unwrap_or("")) } }
                            td { (row["received_at"].as_str().unwrap_or("")) }
                            td { (row["parts"]) }
                            td { (row["bytes"]) }
                            td { (row["error"].as_str().unwrap_or("")) }
                        }
                    }
                }
            }
        }))
    }
}

/// `/quarantine/<provider>/<hash>`: one kept body, as received.
pub fn quarantined(key: &str, row: &Value, body: Option<&str>) -> Markup {
    html! {
        (layout(key, html! {
            h1 { "Kept body " code { (key) } }
            p { "received " (row["received_at"].as_str().unwrap_or("")) " · " (row["parts"]) " parts · error: " (row["error"].as_str().unwrap_or("")) }
            @match body {
                Some(body) => { pre.raw #raw-exact { (body) } }
                None => { p { "Some of its parts are missing." } }
            }
        }))
    }
}
