//! A recipient's events grouped by message, each message's strongest outcome, and the filters
//! of the recipient page.

use std::collections::HashMap;

use crate::items::{message_of, text, Item};

/// The outcomes a message's badge shows, strongest first.
pub const OUTCOMES: [&str; 8] = [
    "bounced",
    "complained",
    "rejected",
    "failed",
    "deferred",
    "delivered",
    "sent",
    "queued",
];

/// The strongest outcome among `kinds` (normalized event names), if any is an outcome.
pub fn strongest<'a>(kinds: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    let mut best: Option<usize> = None;
    for kind in kinds {
        if let Some(rank) = OUTCOMES.iter().position(|o| *o == kind) {
            best = Some(best.map_or(rank, |b| b.min(rank)));
        }
    }
    best.map(|rank| OUTCOMES[rank])
}

/// One message of a recipient's timeline.
#[derive(Debug, Clone)]
pub struct MessageGroup {
    /// The message id ("" for events that carry none).
    pub message: String,
    /// The provider that sent it.
    pub provider: String,
    /// Its events shown, newest first.
    pub events: Vec<Item>,
    /// Its strongest outcome, from all its events read.
    pub outcome: Option<&'static str>,
    /// Whether it was opened.
    pub opened: bool,
    /// Whether a link in it was clicked.
    pub clicked: bool,
    /// Its newest event's sort key (the group order).
    pub latest: String,
}

/// Groups index rows (any order) by message, newest message first, each message's events
/// newest first. `shown` keeps the events the filters let through; the badge and marks come
/// from all of the message's rows.
pub fn group(rows: Vec<Item>, shown: impl Fn(&Item) -> bool) -> Vec<MessageGroup> {
    let mut groups: HashMap<(String, String), MessageGroup> = HashMap::new();
    let mut all_kinds: HashMap<(String, String), Vec<String>> = HashMap::new();
    for row in rows {
        let message = message_of(&row).to_owned();
        // Events without a message id are grouped by their partition (one per address).
        let key = (
            if message.is_empty() {
                text(&row, "pk").to_owned()
            } else {
                message.clone()
            },
            text(&row, "provider").to_owned(),
        );
        all_kinds
            .entry(key.clone())
            .or_default()
            .push(text(&row, "event").to_owned());
        if !shown(&row) {
            continue;
        }
        let group = groups.entry(key).or_insert_with(|| MessageGroup {
            message,
            provider: text(&row, "provider").to_owned(),
            events: Vec::new(),
            outcome: None,
            opened: false,
            clicked: false,
            latest: String::new(),
        });
        group.events.push(row);
    }
    let mut groups: Vec<MessageGroup> = groups
        .into_iter()
        .map(|(key, mut group)| {
            let kinds = &all_kinds[&key];
            group.outcome = strongest(kinds.iter().map(String::as_str));
            group.opened = kinds.iter().any(|k| k == "opened");
            group.clicked = kinds.iter().any(|k| k == "clicked");
            group
                .events
                .sort_by(|a, b| (text(b, "sk"), text(b, "pk")).cmp(&(text(a, "sk"), text(a, "pk"))));
            group.latest = group
                .events
                .first()
                .map_or_else(String::new, |e| text(e, "sk").to_owned());
            group
        })
        .collect();
    groups.sort_by(|a, b| (&b.latest, &b.message).cmp(&(&a.latest, &a.message)));
    groups
}

/// The recipient page's filters, from its query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this normalized event kind.
    pub kind: Option<String>,
    /// From this day or time (as typed).
    pub since: Option<String>,
    /// Before this day or time (as typed).
    pub until: Option<String>,
    /// The page of messages, from 1.
    pub page: usize,
    /// A `page` that is not a page number from 1 to [`MAX_PAGE`] (answered 400).
    pub bad_page: bool,
}

/// The highest page number a request may name: more than a recipient page ever has (10,000
/// rows, 50 messages a page), far from any overflow.
pub const MAX_PAGE: usize = 10_000;

impl Filters {
    /// From query pairs; blank values are no filter.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Filters {
        let mut filters = Filters {
            page: 1,
            ..Filters::default()
        };
        for (name, value) in pairs {
            let value = value.trim().to_owned();
            let set = (!value.is_empty()).then_some(value.clone());
            match name.as_str() {
                "provider" => filters.provider = set,
                "kind" => filters.kind = set,
                "since" => filters.since = set,
                "until" => filters.until = set,
                "page" if value.is_empty() => {}
                "page" => match value.parse::<usize>() {
                    Ok(page) if (1..=MAX_PAGE).contains(&page) => filters.page = page,
                    _ => filters.bad_page = true,
                },
                _ => {}
            }
        }
        filters
    }

    /// Whether an index row passes the provider and kind filters.
    pub fn shows(&self, row: &Item) -> bool {
        self.provider
            .as_deref()
            .is_none_or(|p| text(row, "provider") == p)
            && self.kind.as_deref().is_none_or(|k| text(row, "event") == k)
    }

    /// The query string of these filters on another page.
    pub fn query_for_page(&self, page: usize) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("provider", &self.provider),
            ("kind", &self.kind),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(value) = value {
                pairs.push(format!("{name}={}", super::views::query_value(value)));
            }
        }
        pairs.push(format!("page={page}"));
        pairs.join("&")
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    fn row(message: &str, sk: &str, event: &str) -> Item {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S(message.to_owned())),
            ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
            ("event".to_owned(), AttributeValue::S(event.to_owned())),
            ("provider".to_owned(), AttributeValue::S("ses".to_owned())),
        ])
    }

    #[test]
    fn the_strongest_outcome_wins_and_opens_are_marks() {
        assert_eq!(strongest(["delivered", "bounced", "opened"]), Some("bounced"));
        assert_eq!(strongest(["sent", "deferred"]), Some("deferred"));
        assert_eq!(strongest(["opened", "clicked"]), None);
        assert_eq!(
            strongest(["queued", "complained", "delivered"]),
            Some("complained")
        );
    }

    #[test]
    fn groups_are_newest_first_and_badges_use_every_event() {
        let rows = vec![
            row("m1", "2026-01-01T00:00:00.000Z#sent#a", "sent"),
            row("m2", "2026-01-03T00:00:00.000Z#delivered#b", "delivered"),
            row("m1", "2026-01-02T00:00:00.000Z#bounced#c", "bounced"),
            row("m2", "2026-01-04T00:00:00.000Z#opened#d", "opened"),
        ];
        let groups = group(rows.clone(), |_| true);
        assert_eq!(groups[0].message, "m2");
        assert_eq!(groups[0].outcome, Some("delivered"));
        assert!(groups[0].opened && !groups[0].clicked);
        assert_eq!(groups[1].outcome, Some("bounced"));
        assert_eq!(text(&groups[1].events[0], "event"), "bounced");
        let only_sent = group(rows, |r| text(r, "event") == "sent");
        assert_eq!(only_sent.len(), 1);
        assert_eq!(
            only_sent[0].outcome,
            Some("bounced"),
            "the badge still says what happened"
        );
    }

    #[test]
    fn filters_read_blank_as_none_and_keep_themselves_across_pages() {
        let filters = Filters::from_pairs([
            ("provider".to_owned(), "ses".to_owned()),
            ("kind".to_owned(), "".to_owned()),
            ("since".to_owned(), "2026-01-01".to_owned()),
            ("page".to_owned(), "".to_owned()),
        ]);
        assert_eq!(filters.kind, None);
        assert_eq!(filters.page, 1);
        assert_eq!(filters.query_for_page(2), "provider=ses&since=2026-01-01&page=2");
    }

    #[test]
    fn a_page_that_is_no_page_number_is_bad_never_an_overflow() {
        for page in [
            "0",
            "x",
            "-1",
            "18446744073709551615",
            "99999999999999999999999",
            "10001",
        ] {
            let filters = Filters::from_pairs([("page".to_owned(), page.to_owned())]);
            assert!(filters.bad_page, "{page}");
        }
        let filters = Filters::from_pairs([("page".to_owned(), "10000".to_owned())]);
        assert_eq!((filters.page, filters.bad_page), (10_000, false));
    }
}
