//! What one stored event counts, and where: the column it adds one to and the counter items
//! (one per family) that keep that column. Read from the item's attributes, so the stream's
//! images and a recount from the table give the same answer.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use chrono::{Datelike, Duration, NaiveDate};

use crate::model::mailbox::{domain_of, UNKNOWN};

/// A count a counter item keeps; its name is the item attribute and the JSON key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// Accepted for sending (SES `Send`, SendGrid `processed`, Mailgun `accepted`), where the
    /// provider reports it.
    Sent,
    /// Accepted by the recipient's mail server.
    Delivered,
    /// A permanent bounce.
    HardBounce,
    /// A transient or undetermined bounce (the provider gave up for now).
    SoftBounce,
    /// Refused by the provider before any attempt (not because the address was listed).
    Rejected,
    /// Delayed, to be retried.
    Deferred,
    /// Reported as spam.
    Complaint,
    /// Unsubscribed.
    Unsubscribe,
    /// Opened by a person (as far as the provider can tell).
    Open,
    /// Clicked by a person.
    Click,
    /// Opened by a machine (a privacy proxy or a security scanner, as the provider marks it).
    MachineOpen,
    /// Clicked by a machine.
    MachineClick,
    /// Refused by the provider because the address is on its suppression list.
    ProviderSuppressed,
    /// Any event of mail to SES's mailbox simulator.
    Simulator,
}

impl Column {
    /// Every column, in the order tables show them.
    pub const ALL: [Column; 14] = [
        Column::Sent,
        Column::Delivered,
        Column::HardBounce,
        Column::SoftBounce,
        Column::Rejected,
        Column::Deferred,
        Column::Complaint,
        Column::Unsubscribe,
        Column::Open,
        Column::Click,
        Column::MachineOpen,
        Column::MachineClick,
        Column::ProviderSuppressed,
        Column::Simulator,
    ];

    /// Its name: the counter item's attribute and the key in `--output json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Sent => "sent",
            Column::Delivered => "delivered",
            Column::HardBounce => "hard_bounce",
            Column::SoftBounce => "soft_bounce",
            Column::Rejected => "rejected",
            Column::Deferred => "deferred",
            Column::Complaint => "complaint",
            Column::Unsubscribe => "unsubscribe",
            Column::Open => "open",
            Column::Click => "click",
            Column::MachineOpen => "machine_open",
            Column::MachineClick => "machine_click",
            Column::ProviderSuppressed => "provider_suppressed",
            Column::Simulator => "simulator",
        }
    }

    /// The column of a name.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Its place in [`Column::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The families of counter items, each a partition prefix in the statistics table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Day × mailbox provider × sending domain × config set × tenant
    /// (`c#<month>`, sort key `<day>|<mailbox>|<sending domain>|<config set>|<tenant>`).
    Cell,
    /// Hour × mailbox provider, kept for [`HOUR_KEEP_DAYS`] (`h#<day>`, sort key
    /// `<hour>|<mailbox>`).
    Hour,
    /// Day × mailbox provider × recipient domain (`r#<month>`, sort key
    /// `<day>|<mailbox>|<recipient domain>`).
    Domain,
    /// Day × mailbox provider × tag, once per tag of the event (`t#<month>`, sort key
    /// `<day>|<mailbox>|<tag>`).
    Tag,
    /// Bounces and rejections by day × mailbox provider × SMTP status × reason (`b#<month>`,
    /// sort key `<day>|<mailbox>|<status>|<reason>`).
    Reason,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 5] = [
        Family::Cell,
        Family::Hour,
        Family::Domain,
        Family::Tag,
        Family::Reason,
    ];

    /// The partition prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Cell => "c#",
            Family::Hour => "h#",
            Family::Domain => "r#",
            Family::Tag => "t#",
            Family::Reason => "b#",
        }
    }

    /// The partition of a day's counters (a month's, or the day's for hours).
    pub fn partition(self, day: &str) -> String {
        match self {
            Family::Hour => format!("{}{day}", self.prefix()),
            _ => format!("{}{}", self.prefix(), &day[..7]),
        }
    }

    /// The family of a partition key.
    pub fn of_partition(pk: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| pk.starts_with(f.prefix()))
    }
}

/// Days the hourly counters are kept (DynamoDB's TTL removes them after).
pub const HOUR_KEEP_DAYS: i64 = 14;
/// What stands for an absent value in a counter key.
pub const NONE: &str = "-";
/// The separator of a counter key's parts.
pub const SEPARATOR: char = '|';
/// The longest reason text a counter key keeps.
const MAX_REASON_CHARS: usize = 80;

/// The attribute of a counter item that counts `column` for `provider`: every family keeps the
/// sending provider in its attribute names (`ses.delivered`), so one item holds what every
/// provider sent there and a window writes it once.
pub fn attribute(provider: &str, column: Column) -> String {
    format!("{provider}.{}", column.as_str())
}

/// The provider and column an attribute counts.
pub fn split_attribute(name: &str) -> Option<(&str, Column)> {
    let (provider, column) = name.split_once('.')?;
    Some((provider, Column::from_name(column)?))
}

/// One counter item's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterKey {
    /// `<family prefix><month or day>`.
    pub pk: String,
    /// The day (or hour) and the dimensions, joined by [`SEPARATOR`].
    pub sk: String,
}

impl CounterKey {
    /// The key of `family` for `day` (and `hour`) and these dimension values.
    pub fn new(family: Family, day: &str, first: &str, rest: &[&str]) -> CounterKey {
        let mut sk = String::with_capacity(64);
        sk.push_str(first);
        for part in rest {
            sk.push(SEPARATOR);
            sk.push_str(&part_text(part));
        }
        CounterKey {
            pk: family.partition(day),
            sk,
        }
    }

    /// The family it belongs to.
    pub fn family(&self) -> Option<Family> {
        Family::of_partition(&self.pk)
    }

    /// The sort key's parts: the day (or hour) first, then the dimensions.
    pub fn parts(&self) -> Vec<&str> {
        self.sk.split(SEPARATOR).collect()
    }
}

/// A value as a key part: never empty, never holding the separator or a line break.
fn part_text(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return NONE.to_owned();
    }
    value
        .chars()
        .map(|c| match c {
            SEPARATOR => '¦',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// What an event item counts: its provider and column, and the keys of the counter items that
/// keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The sending provider.
    pub provider: String,
    /// The column the event adds one to.
    pub column: Column,
    /// Every counter item that column is kept in (one per family the event reaches).
    pub keys: Vec<CounterKey>,
}

/// Whether an item of the events table is an event (not a looked-up domain, a replay token
/// or a quarantined body).
pub fn is_event_item(item: &HashMap<String, AttributeValue>) -> bool {
    let pk = text(item, "pk").unwrap_or_default();
    item.contains_key("event")
        && item.contains_key("provider")
        && ![
            crate::store::domains::DOMAIN_PREFIX,
            crate::store::dynamodb::TOKEN_PREFIX,
            crate::store::quarantine::QUARANTINE_PREFIX,
        ]
        .iter()
        .any(|p| pk.starts_with(p))
}

/// What the event item `item` counts, if anything (an item that is no event, or an event kind
/// no column counts, counts nothing).
pub fn counted(item: &HashMap<String, AttributeValue>) -> Option<Counted> {
    if !is_event_item(item) {
        return None;
    }
    let column = column_of(item)?;
    let provider = text(item, "provider")?;
    let at = [text(item, "occurred_at"), text(item, "received_at")]
        .into_iter()
        .flatten()
        .find(|t| looks_like_time(t))?;
    let day = &at[..10];
    let hour = &at[11..13];
    let mailbox = text(item, "mailbox").unwrap_or(UNKNOWN);
    let of = |name| text(item, name).unwrap_or(NONE);
    let mut keys = vec![CounterKey::new(
        Family::Cell,
        day,
        day,
        &[mailbox, of("sending_domain"), of("config_set"), of("tenant")],
    )];
    let provider = part_text(provider).replace('.', "_");
    if matches!(column, Column::Simulator | Column::ProviderSuppressed) {
        // Kept apart and out of every rate: only the cell counts them.
        return Some(Counted {
            provider,
            column,
            keys,
        });
    }
    keys.push(CounterKey::new(Family::Hour, day, hour, &[mailbox]));
    let domain = text(item, "recipient").and_then(domain_of);
    keys.push(CounterKey::new(
        Family::Domain,
        day,
        day,
        &[mailbox, domain.as_deref().unwrap_or(NONE)],
    ));
    if let Some(AttributeValue::Ss(tags)) = item.get("tags") {
        let mut tags: Vec<&String> = tags.iter().collect();
        tags.sort();
        tags.dedup();
        for tag in tags {
            keys.push(CounterKey::new(Family::Tag, day, day, &[mailbox, tag]));
        }
    }
    if matches!(column, Column::HardBounce | Column::SoftBounce | Column::Rejected) {
        let status = text(item, "smtp_status").unwrap_or(NONE);
        let reason = text(item, "reason").map(reason_label);
        keys.push(CounterKey::new(
            Family::Reason,
            day,
            day,
            &[mailbox, status, reason.as_deref().unwrap_or(NONE)],
        ));
    }
    Some(Counted {
        provider,
        column,
        keys,
    })
}

/// The column an event item adds one to.
fn column_of(item: &HashMap<String, AttributeValue>) -> Option<Column> {
    if flag(item, "simulator") {
        return Some(Column::Simulator);
    }
    if flag(item, "provider_suppressed") {
        return Some(Column::ProviderSuppressed);
    }
    let machine = flag(item, "machine");
    Some(match text(item, "event")? {
        "queued" | "sent" => Column::Sent,
        "delivered" => Column::Delivered,
        "bounced" => match text(item, "bounce_class") {
            Some("permanent") => Column::HardBounce,
            _ => Column::SoftBounce,
        },
        "rejected" => Column::Rejected,
        "deferred" => Column::Deferred,
        "complained" => Column::Complaint,
        "unsubscribed" => Column::Unsubscribe,
        "opened" if machine => Column::MachineOpen,
        "opened" => Column::Open,
        "clicked" if machine => Column::MachineClick,
        "clicked" => Column::Click,
        _ => return None,
    })
}

/// A reason as a counter key part: lower case, addresses and numbers masked, cut short, so
/// that one reason given to many recipients is one key.
pub fn reason_label(reason: &str) -> String {
    let mut label = String::with_capacity(MAX_REASON_CHARS);
    for word in reason.split_whitespace() {
        if label.chars().count() >= MAX_REASON_CHARS {
            break;
        }
        if !label.is_empty() {
            label.push(' ');
        }
        if word.contains('@') {
            label.push_str("<address>");
            continue;
        }
        for c in word.chars() {
            label.push(if c.is_ascii_digit() {
                '#'
            } else {
                c.to_ascii_lowercase()
            });
        }
    }
    label.chars().take(MAX_REASON_CHARS).collect()
}

/// `YYYY-MM-DDTHH…`.
fn looks_like_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 13
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

fn flag(item: &HashMap<String, AttributeValue>, name: &str) -> bool {
    matches!(item.get(name), Some(AttributeValue::Bool(true)))
}

impl Family {
    /// The partitions and sort-key ranges holding this family's counters of the days
    /// `since..=until`: `(pk, first sk, last sk)`.
    pub fn ranges(self, since: NaiveDate, until: NaiveDate) -> Vec<(String, String, String)> {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut out = Vec::new();
        if self == Family::Hour {
            let mut d = since;
            while d <= until {
                out.push((self.partition(&day(d)), String::new(), "~".to_owned()));
                d += Duration::days(1);
            }
            return out;
        }
        let mut month = NaiveDate::from_ymd_opt(since.year(), since.month(), 1).unwrap_or(since);
        while month <= until {
            out.push((
                self.partition(&day(month)),
                day(since),
                format!("{}~", day(until)),
            ));
            month = month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(until + Duration::days(1));
        }
        out
    }
}

impl CounterKey {
    /// The day it counts (`YYYY-MM-DD`).
    pub fn day(&self) -> &str {
        match self.family() {
            Some(Family::Hour) => self.pk.get(2..12).unwrap_or(""),
            _ => self.sk.get(..10).unwrap_or(""),
        }
    }
}
