//! A recipient's events grouped by message, each message with its strongest outcome.

use std::collections::HashMap;

use super::event::TimelineEvent;

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
    kinds
        .into_iter()
        .filter_map(|kind| OUTCOMES.iter().position(|o| *o == kind))
        .min()
        .map(|rank| OUTCOMES[rank])
}

/// One message of a recipient's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageGroup {
    /// The message id ("" for events that carry none).
    pub message: String,
    /// The provider that sent it.
    pub provider: String,
    /// Its events shown, newest first.
    pub events: Vec<TimelineEvent>,
    /// Its strongest outcome, from all its events read.
    pub outcome: Option<&'static str>,
    /// Whether it was opened.
    pub opened: bool,
    /// Whether a link in it was clicked.
    pub clicked: bool,
    /// Its newest event's sort key (the group order).
    pub latest: String,
}

/// Groups events (any order) by message, newest message first, each message's events newest
/// first. `shown` keeps the events the filters let through; the badge and marks come from all
/// of the message's events, so a filter never hides what happened.
pub fn group(events: Vec<TimelineEvent>, shown: impl Fn(&TimelineEvent) -> bool) -> Vec<MessageGroup> {
    let mut groups: HashMap<(String, String), MessageGroup> = HashMap::new();
    let mut all_kinds: HashMap<(String, String), Vec<String>> = HashMap::new();
    for event in events {
        // Events without a message id are grouped by their partition (one per address).
        let id = if event.message.is_empty() {
            event.key.0.clone()
        } else {
            event.message.clone()
        };
        let key = (id, event.provider.clone());
        all_kinds
            .entry(key.clone())
            .or_default()
            .push(event.event.clone());
        if !shown(&event) {
            continue;
        }
        groups
            .entry(key)
            .or_insert_with(|| MessageGroup {
                message: event.message.clone(),
                provider: event.provider.clone(),
                events: Vec::new(),
                outcome: None,
                opened: false,
                clicked: false,
                latest: String::new(),
            })
            .events
            .push(event);
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
                .sort_by(|a, b| (&b.key.1, &b.key.0).cmp(&(&a.key.1, &a.key.0)));
            group.latest = group.events.first().map_or_else(String::new, |e| e.key.1.clone());
            group
        })
        .collect();
    groups.sort_by(|a, b| (&b.latest, &b.message).cmp(&(&a.latest, &a.message)));
    groups
}
