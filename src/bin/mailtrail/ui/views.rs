//! The pages, as maud templates: every value is escaped by construction; what a provider sent
//! (addresses, reasons, subjects, URLs, raw JSON) is only ever text. A click's URL becomes a
//! link only when it is `http` or `https`.

use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use mailtrail::read::{MessageGroup, TimelineEvent};

use super::links::{event_href, message_href, recipient_href};
use super::outcome::Filters;
use mailtrail::suppression::record::{ActiveReason, Verdict};

/// The event an evidence key (`<pk>#<time>#<kind>#<hash>`) names, when it names one.
pub fn evidence_event(key: &str) -> Option<(String, String)> {
    let mut parts = key.rsplitn(4, '#');
    let (hash, kind, time, pk) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let is_event = mailtrail::model::Timestamp::parse_rfc3339(time).is_some()
        && mailtrail::model::EventKind::ALL
            .iter()
            .any(|k| k.as_str() == kind)
        && !hash.is_empty()
        && !pk.is_empty();
    is_event.then(|| (pk.to_owned(), format!("{time}#{kind}#{hash}")))
}

/// A URL from an event, as text with a copy button, never a live link: a clicked URL is the
/// recipient's own (a password reset, a one-click unsubscribe), and following it from here would
/// act on their behalf.
fn url(url: &str) -> Markup {
    html! {
        span.url-box {
            code.url { (url) }
            " "
            button.copy type="button" data-copy=(url) title="copy the link" { "copy" }
        }
    }
}

fn badge(outcome: &str) -> Markup {
    html! { span class={"badge " (outcome)} { (outcome) } }
}

/// The frame of every page.
pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · mailtrail" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "mailtrail" }
                    form.search method="get" action="/search" {
                        input type="search" name="q" placeholder="address, message id or quarantine key" aria-label="search" required;
                        button type="submit" { "Search" }
                    }
                    nav {
                        a href="/suppressed" { "Suppressed" }
                        a href="/quarantine" { "Quarantine" }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn verdict_box(verdict: Option<&Verdict>) -> Markup {
    let Some(verdict) = verdict else {
        return html! {
            section #verdict.verdict.unknown {
                h2 { "Suppression: unknown" }
                p { "No suppression table is configured (pass --suppressions-table or --stack): whether this address may be sent to is not known here." }
            }
        };
    };
    let reason_row = |d: &ActiveReason| {
        let e = &d.evidence;
        html! {
            li.reason {
                strong { (d.reason) }
                " since " time { (e.at) }
                " · " (e.provider.as_deref().unwrap_or("operator")) " " code { (e.event) }
                @if let Some((pk, sk)) = evidence_event(&e.key) {
                    " · " a.evidence href=(event_href(&pk, &sk)) { "the event" }
                }
                @if e.provider_evidence { " · " span.flag { "provider evidence" } }
                @if e.ambiguous { " · " span.flag.ambiguous { "ambiguous: may be another recipient's" } }
                @if let Some(note) = &e.note { " · " span.note { (note) } }
            }
        }
    };
    html! {
        section #verdict class={"verdict " (if verdict.suppressed { "suppressed" } else { "clear" })} {
            @if verdict.suppressed {
                h2 { "Suppressed: do not send" }
            } @else {
                h2 { "Not suppressed" }
            }
            @if !verdict.details.is_empty() {
                ul { @for d in &verdict.details { (reason_row(d)) } }
            }
            @for d in &verdict.ambiguous_evidence {
                p.ambiguous { "Ambiguous " (d.reason) " at " (d.evidence.at) ": the provider did not say which recipient; nobody is suppressed for it." }
            }
            @for scoped in &verdict.scoped_unsubscribes {
                p.scoped { "Unsubscribed from " code { (scoped.scope) } " since " (scoped.evidence.at) " (not a global suppression)." }
            }
        }
    }
}

fn event_row(event: &TimelineEvent) -> Markup {
    let kind = &event.event;
    let link = Some(event.attribute("url")).filter(|link| !link.is_empty());
    html! {
        tr {
            td { time { (event.occurred_at) } }
            td { span class={"kind " (kind)} { (kind) } }
            td { (event.recipient) }
            td.detail {
                (event.detail.split(" | ").filter(|p| Some(*p) != link).collect::<Vec<_>>().join(" | "))
                @if let Some(link) = link { " " (url(link)) }
            }
            td { a.raw href=(event_href(&event.key.0, &event.key.1)) { "raw" } }
        }
    }
}

/// The recipient page's filter form.
fn filter_form(address: &str, filters: &Filters, providers: &[&str]) -> Markup {
    let kinds = mailtrail::model::EventKind::ALL;
    html! {
        form.filters method="get" action=(recipient_href(address)) {
            label { "provider "
                select name="provider" {
                    option value="" { "any" }
                    @for p in providers {
                        option value=(p) selected[filters.provider.as_deref() == Some(*p)] { (p) }
                    }
                }
            }
            label { "event "
                select name="kind" {
                    option value="" { "any" }
                    @for k in kinds {
                        option value=(k.as_str()) selected[filters.kind.as_deref() == Some(k.as_str())] { (k.as_str()) }
                    }
                }
            }
            label { "since " input type="text" name="since" placeholder="2026-01-01" value=(filters.since.as_deref().unwrap_or("")); }
            label { "until " input type="text" name="until" placeholder="2026-12-31" value=(filters.until.as_deref().unwrap_or("")); }
            button type="submit" { "Filter" }
        }
    }
}

/// What the recipient page shows.
pub struct RecipientPage<'a> {
    /// The address.
    pub address: &'a str,
    /// Its verdict.
    pub verdict: Option<&'a Verdict>,
    /// The messages of this page.
    pub groups: &'a [MessageGroup],
    /// Subjects by message id, where the provider sent one.
    pub subjects: &'a std::collections::HashMap<String, String>,
    /// The filters.
    pub filters: &'a Filters,
    /// Messages in all pages.
    pub total_messages: usize,
    /// Events read (all pages, before the provider and kind filters).
    pub events_read: usize,
    /// Whether the read stopped at its bound (older events exist).
    pub truncated: bool,
    /// Pages.
    pub pages: usize,
    /// Why the filters could not be read, if so.
    pub filter_error: Option<String>,
}

/// `/recipient/<address>`.
pub fn recipient(page: &RecipientPage<'_>) -> Markup {
    let providers: Vec<&str> = mailtrail::providers::Provider::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    let filters = page.filters;
    let filtered = filters.provider.is_some()
        || filters.kind.is_some()
        || filters.since.is_some()
        || filters.until.is_some();
    html! {
        (layout(page.address, html! {
            h1.address { (page.address) }
            (verdict_box(page.verdict))
            (filter_form(page.address, filters, &providers))
            @if let Some(error) = &page.filter_error { p.error { (error) } }
            p.count #count {
                (page.total_messages) " messages, " (page.events_read) " events"
                @if page.truncated { " (the newest only: narrow with since and until)" }
            }
            @if page.groups.is_empty() {
                p.empty { "No events for this address" @if filtered { " with these filters" } "." }
            }
            @for group in page.groups {
                article.message {
                    header {
                        @if let Some(outcome) = group.outcome { (badge(outcome)) }
                        @if group.opened { span.mark.opened title="opened" { "opened" } }
                        @if group.clicked { span.mark.clicked title="clicked" { "clicked" } }
                        span.provider { (group.provider) }
                        @if group.message.is_empty() {
                            span.subject { "(no message id)" }
                        } @else {
                            a.message-id href=(message_href(&group.message)) { (group.message) }
                            @if let Some(subject) = page.subjects.get(&group.message) {
                                span.subject { (subject) }
                            }
                        }
                    }
                    table.events {
                        tbody { @for event in &group.events { (event_row(event)) } }
                    }
                }
            }
            @if page.pages > 1 {
                nav.pages {
                    @if filters.page > 1 {
                        a.prev href={(recipient_href(page.address)) "?" (filters.query_for_page(filters.page - 1))} { "← newer" }
                    }
                    span { "page " (filters.page) " of " (page.pages) }
                    @if filters.page < page.pages {
                        a.next href={(recipient_href(page.address)) "?" (filters.query_for_page(filters.page + 1))} { "older →" }
                    }
                }
            }
        }))
    }
}

/// `/message/<id>`.
pub fn message(id: &str, items: &[TimelineEvent], subject: Option<&str>) -> Markup {
    let outcome = mailtrail::read::strongest(items.iter().map(|i| i.event.as_str()));
    html! {
        (layout(id, html! {
            h1.message-id { (id) }
            p {
                @if let Some(outcome) = outcome { (badge(outcome)) " " }
                @if let Some(subject) = subject { span.subject { (subject) } }
            }
            p.count { (items.len()) " events" }
            table.events {
                thead { tr { th { "time" } th { "event" } th { "recipient" } th { "detail" } th {} } }
                tbody {
                    @for item in items {
                        tr {
                            td { time { (item.occurred_at) } }
                            td { span class={"kind " (item.event)} { (item.event) } " " span.provider { (item.provider) } }
                            td { a href=(recipient_href(&item.recipient)) { (item.recipient) } }
                            td.detail { (item.detail) }
                            td { a.raw href=(event_href(&item.key.0, &item.key.1)) { "raw" } }
                        }
                    }
                }
            }
        }))
    }
}

/// `raw` indented, when it is JSON: its own keys, order and number digits kept (the text is
/// re-indented, never re-encoded).
pub fn pretty_json(raw: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(raw).ok()?;
    let mut out = String::with_capacity(raw.len() + raw.len() / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(' '));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// `/event/<pk>/<sk>`: every attribute, and the raw event as the provider sent it.
pub fn event(item: &Value, raw: Option<&str>) -> Markup {
    let pretty = raw.and_then(pretty_json);
    let attributes = item.as_object().cloned().unwrap_or_default();
    html! {
        (layout("event", html! {
            h1 { "Event " code { (item["event"].as_str().unwrap_or("")) } }
            p {
                @if let Some(m) = item["pk"].as_str() { "message " a href=(message_href(m)) { (m) } }
                @if let Some(r) = item["recipient"].as_str() { " · recipient " a href=(recipient_href(r)) { (r) } }
            }
            table.attributes #attributes {
                tbody {
                    @for (name, value) in &attributes {
                        @if name != "raw" {
                            tr { th { (name) } td { code { (match value { Value::String(s) => s.clone(), other => other.to_string() }) } } }
                        }
                    }
                }
            }
            h2 { "Raw event" }
            @match (&pretty, raw) {
                (Some(pretty), Some(raw)) => {
                    pre.raw #raw-pretty { (pretty) }
                    details { summary { "exactly as received (" (raw.len()) " bytes)" } pre.raw #raw-exact { (raw) } }
                }
                (None, Some(raw)) => { pre.raw #raw-exact { (raw) } }
                _ => { p { "No raw event is stored with this item." } }
            }
        }))
    }
}

/// A 404 page: what was not found.
pub fn not_found(what: &str) -> Markup {
    layout(
        "Not found",
        html! {
            section.notfound {
                h1 { "Not found" }
                p { (what) }
                p { a href="/" { "Search again" } }
            }
        },
    )
}

/// A 400 page: what is wrong with the request.
pub fn bad_request(what: &str) -> Markup {
    layout(
        "Bad request",
        html! { section.notfound { h1 { "Bad request" } p { (what) } } },
    )
}

/// A 500 page: nothing of the error itself (it is on the terminal).
pub fn failed() -> Markup {
    layout(
        "Error",
        html! { section.notfound { h1 { "Could not read the tables" } p { "The error is printed where mailtrail ui runs." } } },
    )
}

/// The 401 page: says nothing about the data or the configuration.
pub fn unauthorized() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "mailtrail" } }
            body { h1 { "Open the link mailtrail ui printed" } p { "This page needs the session's token." } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_no_clicked_url_is_a_link() {
        let markup = url("javascript:alert(1)").into_string();
        assert!(!markup.contains("href"), "{markup}");
        let markup = url("https://example.com/reset?token=<b>&c=\"d\"").into_string();
        assert!(!markup.contains("href"), "a recipient's link is text: {markup}");
        assert!(
            markup.contains("data-copy=\"https://example.com/reset?token=&lt;b&gt;&amp;c=&quot;d&quot;\""),
            "{markup}"
        );
        let page = not_found("<script>alert(1)</script>").into_string();
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn json_is_reindented_with_its_order_and_digits_kept() {
        let raw = r#"{"z":1,"a":[1,{"big":93249324932493249324,"f":0.10000000000000001}],"s":"a,{b}:\"c\"","e":{},"l":[ ]}"#;
        let pretty = pretty_json(raw).unwrap();
        assert!(pretty.starts_with("{\n  \"z\": 1,\n  \"a\": ["), "{pretty}");
        assert!(pretty.contains("93249324932493249324") && pretty.contains("0.10000000000000001"));
        assert!(pretty.contains(r#""s": "a,{b}:\"c\"""#), "{pretty}");
        assert!(
            pretty.contains(r#""e": {}"#) && pretty.contains(r#""l": []"#),
            "{pretty}"
        );
        let back: Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(raw).unwrap());
        assert_eq!(pretty_json("not json"), None);
    }

    #[test]
    fn evidence_keys_name_their_event_or_nothing() {
        assert_eq!(
            evidence_event("no-message-id#sendpulse#a@b.c#2026-01-01T00:00:00.000Z#unsubscribed#ff"),
            Some((
                "no-message-id#sendpulse#a@b.c".to_owned(),
                "2026-01-01T00:00:00.000Z#unsubscribed#ff".to_owned()
            ))
        );
        assert_eq!(evidence_event("import:ses#a@b.c"), None);
        assert_eq!(evidence_event("operator#ops"), None);
    }
}
