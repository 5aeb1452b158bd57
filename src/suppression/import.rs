//! Providers' suppression-list exports, read into evidence (`mailtrail suppressed import`).
//!
//! Columns are found by their header's name (case-insensitive; spaces, `_` and `-` ignored; a
//! UTF-8 BOM and quotes stripped), never by position: no provider documents its dashboard's
//! column order. Each entry becomes evidence like an event's: its reason mapped to the list's
//! reasons, `provider_evidence`, dated by the export's own time (else by the import), and keyed
//! `import:<format>#<address>`, so importing the same file again changes nothing and another
//! provider's list adds to what is known.

use std::collections::BTreeMap;

use serde_json::Value;

use super::evidence::{Mark, Reason};
use crate::model::{Provider, Scope, Timestamp};

/// An export format: which provider's file, and which of its lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportFormat {
    /// SendGrid Bounces (`email`, `created`, `reason`, `status`): hard bounces.
    SendgridBounces,
    /// SendGrid Blocks: the receiving server's refusals, not a suppression (every row skipped).
    SendgridBlocks,
    /// SendGrid Spam Reports (`email`, `created`, `ip`): complaints.
    SendgridSpamReports,
    /// SendGrid Invalid Emails (`email`, `created`, `reason`): hard bounces.
    SendgridInvalidEmails,
    /// SendGrid Global Unsubscribes (`email`, `created`).
    SendgridGlobalUnsubscribes,
    /// SendGrid Group Unsubscribes (`email`, `group_id` or `--group`, `created`).
    SendgridGroupUnsubscribes,
    /// Mailgun Bounces (`address`, `code`, `error`, `created_at`, RFC 2822 times).
    MailgunBounces,
    /// Mailgun Complaints (`address`, `created_at`).
    MailgunComplaints,
    /// Mailgun Unsubscribes (`address`, `tags`, `created_at`; tag `*` is every mail).
    MailgunUnsubscribes,
    /// Postmark suppressions dump (`EmailAddress`, `SuppressionReason`, `Origin`, `CreatedAt`),
    /// as CSV or as the API's JSON.
    Postmark,
    /// SES account-level suppression list: `email,BOUNCE|COMPLAINT` rows (its bulk format),
    /// a header of `EmailAddress`, `Reason`, `LastUpdateTime`, or `ListSuppressedDestinations`
    /// JSON.
    Ses,
    /// Brevo blocked transactional contacts (`email`, `reason` code, `blockedAt`), as CSV or as
    /// the API's JSON.
    Brevo,
    /// `email,reason[,created_at]`, with or without a header row.
    Generic,
}

impl ImportFormat {
    /// Every format.
    pub const ALL: [ImportFormat; 13] = [
        ImportFormat::SendgridBounces,
        ImportFormat::SendgridBlocks,
        ImportFormat::SendgridSpamReports,
        ImportFormat::SendgridInvalidEmails,
        ImportFormat::SendgridGlobalUnsubscribes,
        ImportFormat::SendgridGroupUnsubscribes,
        ImportFormat::MailgunBounces,
        ImportFormat::MailgunComplaints,
        ImportFormat::MailgunUnsubscribes,
        ImportFormat::Postmark,
        ImportFormat::Ses,
        ImportFormat::Brevo,
        ImportFormat::Generic,
    ];

    /// The name the command takes (`--format`) and the origin recorded (`import:<name>`).
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::SendgridBounces => "sendgrid-bounces",
            ImportFormat::SendgridBlocks => "sendgrid-blocks",
            ImportFormat::SendgridSpamReports => "sendgrid-spam-reports",
            ImportFormat::SendgridInvalidEmails => "sendgrid-invalid-emails",
            ImportFormat::SendgridGlobalUnsubscribes => "sendgrid-global-unsubscribes",
            ImportFormat::SendgridGroupUnsubscribes => "sendgrid-group-unsubscribes",
            ImportFormat::MailgunBounces => "mailgun-bounces",
            ImportFormat::MailgunComplaints => "mailgun-complaints",
            ImportFormat::MailgunUnsubscribes => "mailgun-unsubscribes",
            ImportFormat::Postmark => "postmark",
            ImportFormat::Ses => "ses",
            ImportFormat::Brevo => "brevo",
            ImportFormat::Generic => "generic",
        }
    }

    /// From its name.
    pub fn parse(name: &str) -> Option<ImportFormat> {
        ImportFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The provider whose list it is (`None`: generic).
    pub fn provider(self) -> Option<Provider> {
        match self {
            ImportFormat::SendgridBounces
            | ImportFormat::SendgridBlocks
            | ImportFormat::SendgridSpamReports
            | ImportFormat::SendgridInvalidEmails
            | ImportFormat::SendgridGlobalUnsubscribes
            | ImportFormat::SendgridGroupUnsubscribes => Some(Provider::SendGrid),
            ImportFormat::MailgunBounces
            | ImportFormat::MailgunComplaints
            | ImportFormat::MailgunUnsubscribes => Some(Provider::Mailgun),
            ImportFormat::Postmark => Some(Provider::Postmark),
            ImportFormat::Ses => Some(Provider::Ses),
            ImportFormat::Brevo => Some(Provider::Brevo),
            ImportFormat::Generic => None,
        }
    }

    /// The origin recorded as the evidence's event: `import:<name>`.
    pub fn origin(self) -> String {
        format!("import:{}", self.name())
    }
}

/// Why an entry was left out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// The address column holds no address.
    NotAnAddress,
    /// A reason no list reason stands for (the text, shortened).
    UnknownReason(String),
    /// The list is not one of suppressions (a SendGrid block; a transient bounce).
    NotASuppression(&'static str),
    /// A group unsubscribe without a group.
    NoGroup,
}

impl Skip {
    /// A short explanation, for the command's output.
    pub fn describe(&self) -> String {
        match self {
            Skip::NotAnAddress => "not an address".to_owned(),
            Skip::UnknownReason(reason) => format!("unknown reason {reason:?}"),
            Skip::NotASuppression(why) => format!("not a suppression: {why}"),
            Skip::NoGroup => "no group id (pass --group)".to_owned(),
        }
    }
}

/// One entry of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEntry {
    /// The address, lower-cased.
    pub address: String,
    /// What it sets.
    pub mark: Mark,
    /// The export's own time for it, when it has a readable one.
    pub at: Option<Timestamp>,
    /// The export's reason or error text, shortened.
    pub note: Option<String>,
}

/// An export, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedExport {
    /// The entries kept, in file order.
    pub entries: Vec<ImportEntry>,
    /// The entries left out, each with its line (1 is the first line of the file).
    pub skipped: Vec<(usize, Skip)>,
}

/// Options some formats need.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The unsubscribe group of a SendGrid group-unsubscribes file without a group column.
    pub group: Option<String>,
}

/// Why an export could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not UTF-8 text.
    #[error("the file is not UTF-8 text")]
    NotText,
    /// No column of addresses among the headers.
    #[error("no column of addresses for {format}: the header row has {headers:?}")]
    NoAddressColumn {
        /// The format asked for.
        format: &'static str,
        /// The headers found (normalized).
        headers: Vec<String>,
    },
    /// A format that needs a reason column has none.
    #[error("no reason column for {format}: the header row has {headers:?}")]
    NoReasonColumn {
        /// The format asked for.
        format: &'static str,
        /// The headers found (normalized).
        headers: Vec<String>,
    },
    /// The CSV could not be read.
    #[error("the CSV could not be read: {0}")]
    Csv(#[from] csv::Error),
    /// JSON that is not the API's shape.
    #[error("the JSON is not {0}")]
    Json(&'static str),
}

/// A header or key as compared: lower-case, without BOM, quotes, spaces, `_` and `-`.
pub(super) fn normalized_header(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '"' | '\'' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

const ADDRESS_COLUMNS: &[&str] = &["email", "emailaddress", "address", "recipient", "contactemail"];
const TIME_COLUMNS: &[&str] = &[
    "created",
    "createdat",
    "lastupdatetime",
    "blockedat",
    "suppressedat",
    "date",
    "timestamp",
    "time",
    "updatedat",
];
const REASON_COLUMNS: &[&str] = &["reason", "suppressionreason", "reasoncode", "type"];
const GROUP_COLUMNS: &[&str] = &["groupid", "asmgroupid", "group", "unsubscribegroupid"];

/// An address as imports accept it: one `@` between a local part and a dotless-or-dotted
/// domain, no spaces or angle brackets; lower-cased.
pub fn import_address(text: &str) -> Option<String> {
    let address = text.trim().trim_matches('"').trim();
    let (local, domain) = address.rsplit_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','))
        && !local.contains('@');
    valid
        .then(|| crate::model::event::normalize_recipient(address))
        .flatten()
}

/// A time as exports write it: Unix seconds or milliseconds, RFC 3339, RFC 2822 (Mailgun),
/// `YYYY-MM-DD HH:MM:SS` (UTC) or a bare date.
pub fn import_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(at) = Timestamp::parse_lenient(text) {
        return Some(at);
    }
    // Mailgun writes RFC 2822 with a `UTC` zone, which RFC 2822 spells `+0000`.
    let rfc2822 = match text.strip_suffix(" UTC") {
        Some(head) => format!("{head} +0000"),
        None => text.to_owned(),
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc2822(&rfc2822) {
        return Timestamp::from_millis(at.timestamp_millis());
    }
    let bare = text.trim_end_matches(" UTC").trim_end_matches('Z');
    for pattern in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(bare, pattern) {
            return Timestamp::from_millis(at.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(bare, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|at| Timestamp::from_millis(at.and_utc().timestamp_millis()))
}

/// One row, by normalized column name.
struct Row<'a> {
    columns: &'a BTreeMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|name| self.columns.get(*name))
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// Reads an export of `format`.
pub fn parse_export(
    format: ImportFormat,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ParsedExport, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotText)?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with(['{', '[']) {
        return parse_json(format, text, options);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let Some(first) = records.next().transpose()? else {
        return Ok(ParsedExport::default());
    };
    // SES's bulk format and the generic one may come without a header row.
    let headerless = matches!(format, ImportFormat::Ses | ImportFormat::Generic)
        && first.get(0).is_some_and(|cell| cell.contains('@'));
    let mut columns = BTreeMap::new();
    if headerless {
        columns.insert("email".to_owned(), 0);
        columns.insert("reason".to_owned(), 1);
        columns.insert("created".to_owned(), 2);
    } else {
        for (i, header) in first.iter().enumerate() {
            columns.entry(normalized_header(header)).or_insert(i);
        }
    }
    let headers = || columns.keys().cloned().collect::<Vec<_>>();
    if !ADDRESS_COLUMNS.iter().any(|c| columns.contains_key(*c)) {
        return Err(ImportError::NoAddressColumn {
            format: format.name(),
            headers: headers(),
        });
    }
    let needs_reason = matches!(
        format,
        ImportFormat::Postmark | ImportFormat::Ses | ImportFormat::Brevo | ImportFormat::Generic
    );
    if needs_reason && !REASON_COLUMNS.iter().any(|c| columns.contains_key(*c)) {
        return Err(ImportError::NoReasonColumn {
            format: format.name(),
            headers: headers(),
        });
    }
    let mut parsed = ParsedExport::default();
    let mut push_row = |line: usize, record: &csv::StringRecord| {
        let row = Row {
            columns: &columns,
            record,
        };
        if record.iter().all(|cell| cell.is_empty()) {
            return;
        }
        match csv_entry(format, &row, options) {
            Ok(entries) => parsed.entries.extend(entries),
            Err(skip) => parsed.skipped.push((line, skip)),
        }
    };
    if headerless {
        push_row(1, &first);
    }
    for record in records {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        push_row(line, &record);
    }
    Ok(parsed)
}

/// The entries of one CSV row (several for a Mailgun unsubscribe from several tags).
fn csv_entry(format: ImportFormat, row: &Row<'_>, options: &ImportOptions) -> Result<Vec<ImportEntry>, Skip> {
    let address = row
        .get(ADDRESS_COLUMNS)
        .and_then(import_address)
        .ok_or(Skip::NotAnAddress)?;
    let at = row.get(TIME_COLUMNS).and_then(import_time);
    let reason = row.get(REASON_COLUMNS).unwrap_or("");
    let entry = |mark: Mark, note_text: Option<&str>| ImportEntry {
        address: address.clone(),
        mark,
        at,
        note: note_text.and_then(note),
    };
    let one = |mark: Mark, note_text: Option<&str>| Ok(vec![entry(mark, note_text)]);
    match format {
        ImportFormat::SendgridBounces => {
            let status = row.get(&["status"]).unwrap_or("");
            if transient_status(status) {
                return Err(Skip::NotASuppression("a transient (4.x.x) bounce"));
            }
            one(Mark::Suppress(Reason::HardBounce), Some(reason))
        }
        ImportFormat::SendgridBlocks => Err(Skip::NotASuppression(
            "a SendGrid block is a receiving server's refusal, not a bad address",
        )),
        ImportFormat::SendgridSpamReports => one(Mark::Suppress(Reason::Complaint), None),
        ImportFormat::SendgridInvalidEmails => one(Mark::Suppress(Reason::HardBounce), Some(reason)),
        ImportFormat::SendgridGlobalUnsubscribes => one(Mark::Unsubscribe(Scope::Global), None),
        ImportFormat::SendgridGroupUnsubscribes => {
            let group = row
                .get(GROUP_COLUMNS)
                .map(str::to_owned)
                .or_else(|| options.group.clone())
                .ok_or(Skip::NoGroup)?;
            one(Mark::Unsubscribe(Scope::Group(group)), None)
        }
        ImportFormat::MailgunBounces => {
            let code = row.get(&["code"]).unwrap_or("");
            if transient_status(code) {
                return Err(Skip::NotASuppression("a transient (4xx) bounce"));
            }
            one(Mark::Suppress(Reason::HardBounce), row.get(&["error"]))
        }
        ImportFormat::MailgunComplaints => one(Mark::Suppress(Reason::Complaint), None),
        ImportFormat::MailgunUnsubscribes => {
            let tags: Vec<&str> = row
                .get(&["tags", "tag"])
                .unwrap_or("*")
                .split([',', ';', ' '])
                .map(|t| t.trim().trim_matches(['[', ']', '"', '\'']))
                .filter(|t| !t.is_empty())
                .collect();
            if tags.is_empty() || tags.contains(&"*") {
                return one(Mark::Unsubscribe(Scope::Global), None);
            }
            Ok(tags
                .into_iter()
                .map(|tag| entry(Mark::Unsubscribe(Scope::Topic(tag.to_owned())), None))
                .collect())
        }
        ImportFormat::Postmark => one(postmark_reason(reason, row.get(&["origin"]).unwrap_or(""))?, None),
        ImportFormat::Ses => one(ses_reason(reason)?, None),
        ImportFormat::Brevo => one(brevo_reason(reason)?, Some(reason)),
        ImportFormat::Generic => one(generic_reason(reason)?, None),
    }
}

/// The JSON the providers' APIs answer, read as rows of the same columns: SendGrid's arrays
/// (`[{"email", "created", …}]`), Postmark's dump (`Suppressions`), SES's
/// `ListSuppressedDestinations` (`SuppressedDestinationSummaries`, or JSON lines of
/// `emailAddress`/`reason`), Brevo's blocked contacts (`contacts`, `reason` an object whose
/// `code` is read), Mailgun's lists (`items`).
fn parse_json(
    format: ImportFormat,
    text: &str,
    options: &ImportOptions,
) -> Result<ParsedExport, ImportError> {
    let items = match format {
        ImportFormat::Postmark => list(text, "Postmark's {\"Suppressions\": [...]}", "Suppressions")?,
        ImportFormat::Ses => list(
            text,
            "SES's {\"SuppressedDestinationSummaries\": [...]}",
            "SuppressedDestinationSummaries",
        )
        .or_else(|_| json_lines(text))?,
        ImportFormat::Brevo => list(text, "Brevo's {\"contacts\": [...]}", "contacts")?,
        ImportFormat::MailgunBounces
        | ImportFormat::MailgunComplaints
        | ImportFormat::MailgunUnsubscribes => list(text, "Mailgun's {\"items\": [...]}", "items")?,
        ImportFormat::Generic => return Err(ImportError::Json("accepted for the generic format (use CSV)")),
        _ => list(text, "SendGrid's array of suppressions", "result")?,
    };
    let mut parsed = ParsedExport::default();
    for (i, item) in items.iter().enumerate() {
        let Some(object) = item.as_object() else {
            parsed.skipped.push((i + 1, Skip::NotAnAddress));
            continue;
        };
        let mut columns = BTreeMap::new();
        let mut cells = Vec::with_capacity(object.len());
        for (key, value) in object {
            let cell = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(tags) => tags
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::Object(o) => o.get("code").and_then(Value::as_str).unwrap_or("").to_owned(),
                Value::Null => String::new(),
            };
            columns.entry(normalized_header(key)).or_insert(cells.len());
            cells.push(cell);
        }
        let record = csv::StringRecord::from(cells);
        let row = Row {
            columns: &columns,
            record: &record,
        };
        match csv_entry(format, &row, options) {
            Ok(entries) => parsed.entries.extend(entries),
            Err(skip) => parsed.skipped.push((i + 1, skip)),
        }
    }
    Ok(parsed)
}

fn list(text: &str, shape: &'static str, key: &str) -> Result<Vec<Value>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|_| ImportError::Json(shape))?;
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut object) => match object.remove(key) {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(ImportError::Json(shape)),
        },
        _ => Err(ImportError::Json(shape)),
    }
}

fn json_lines(text: &str) -> Result<Vec<Value>, ImportError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|_| ImportError::Json("one JSON object per line")))
        .collect()
}

mod outcome;
mod reasons;

pub use outcome::{entry_evidence, export_evidence, import_outcome, undated, ImportOutcome};
use reasons::{brevo_reason, generic_reason, note, postmark_reason, ses_reason, transient_status};

#[cfg(test)]
mod tests;
