//! CloudWatch metrics in Embedded Metric Format: what one invocation received, counted, and
//! written to stdout as JSON lines that CloudWatch Logs turns into metrics.
//!
//! EMF takes one value per dimension in a line, so an invocation writes one line per
//! (provider, event kind) it saw, each publishing `Events` under both `[Provider, Event]` and
//! `[Provider]` (CloudWatch sums the lines), one line per provider for its other counts, one
//! per refusal, and one for the store. `Rejected` and `Quarantined` are also published without
//! dimensions, so one alarm covers them all.
//! Dimensions are bounded: provider, event kind, channel and reason names, never an address,
//! an id or free text.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use crate::model::key::Identity;
use crate::model::{BounceClass, EventKind, NormalizedEvent, Provider};

/// The namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "Mailtrail";

/// Every metric name the function emits (the dashboard and alarms name only these).
pub const METRIC_NAMES: &[&str] = &[
    EVENTS,
    HARD_BOUNCES,
    COMPLAINTS,
    DELIVERED,
    REJECTED,
    QUARANTINED,
    DUPLICATES,
    STORE_RETRIES,
    STORE_FAILURES,
    STORE_MISCONFIGURED,
    STORE_REFUSED,
    SUPPRESSIONS_ADDED,
    SKIPPED,
    NOTIFY_EVENTS_PUT,
    NOTIFY_FAILED_RECORDS,
    NOTIFY_PUSHED_TO_SES,
    NOTIFY_PUSH_FAILURES,
    MAILBOX_DELIVERED,
    MAILBOX_COMPLAINTS,
];

/// Normalized events received, after de-duplication within the request.
pub const EVENTS: &str = "Events";
/// Permanent bounces.
pub const HARD_BOUNCES: &str = "HardBounces";
/// Complaints (`not_spam` reports are not complaints).
pub const COMPLAINTS: &str = "Complaints";
/// Deliveries: the denominator of the rates, with hard bounces.
pub const DELIVERED: &str = "Delivered";
/// Requests refused, by channel and reason.
pub const REJECTED: &str = "Rejected";
/// Bodies kept in quarantine.
pub const QUARANTINED: &str = "Quarantined";
/// Events that repeated another of the same request.
pub const DUPLICATES: &str = "Duplicates";
/// Write requests sent again (throttling, unprocessed items).
pub const STORE_RETRIES: &str = "StoreRetries";
/// Invocations that could not store everything.
pub const STORE_FAILURES: &str = "StoreFailures";
/// Store failures only a fix of the deployment cures (no table, no permission, expired
/// credentials): a subset of `StoreFailures`, with an alarm of its own.
pub const STORE_MISCONFIGURED: &str = "StoreMisconfigured";
/// Items DynamoDB refused for themselves (`ValidationException`); their events were kept in
/// quarantine and the others stored.
pub const STORE_REFUSED: &str = "StoreRefused";
/// Metric: authenticated messages that carry no email event (SES's tenant and advisor events
/// through EventBridge), skipped.
pub const SKIPPED: &str = "Skipped";
/// The counter's: deliveries per mailbox provider (dimension `MailboxProvider`: the alarmed
/// ones by name, the rest as `other`), all sending providers together.
pub const MAILBOX_DELIVERED: &str = "MailboxDelivered";
/// The counter's: complaints per mailbox provider.
pub const MAILBOX_COMPLAINTS: &str = "MailboxComplaints";
/// The notifier's: events put on the bus.
pub const NOTIFY_EVENTS_PUT: &str = "NotifyEventsPut";
/// The notifier's: stream records answered as failed (the stream retries them).
pub const NOTIFY_FAILED_RECORDS: &str = "NotifyFailedRecords";
/// The notifier's: addresses put on SES's suppression list.
pub const NOTIFY_PUSHED_TO_SES: &str = "NotifyPushedToSes";
/// The notifier's: pushes to SES's suppression list that failed.
pub const NOTIFY_PUSH_FAILURES: &str = "NotifyPushFailures";
/// Suppression slots set or moved forward, by reason.
pub const SUPPRESSIONS_ADDED: &str = "SuppressionsAdded";

/// One EMF line of counts without dimensions (the notifier's).
pub fn counts_line(namespace: &str, timestamp_ms: i64, counts: &[(&str, u64)]) -> String {
    let names: Vec<&str> = counts.iter().map(|(name, _)| *name).collect();
    let mut root = Map::new();
    for (name, value) in counts {
        root.insert((*name).to_owned(), (*value).into());
    }
    line(namespace, timestamp_ms, vec![directive(&[&[]], &names)], root)
}

/// Where metric lines go.
#[derive(Debug, Clone)]
pub enum MetricsSink {
    /// Not written (`METRICS=off`).
    Off,
    /// Standard output, one line each, as Lambda forwards it to CloudWatch Logs.
    Stdout,
    /// Kept in memory, for tests.
    #[cfg(any(test, feature = "test-util"))]
    Memory(std::sync::Arc<Mutex<Vec<String>>>),
}

impl MetricsSink {
    /// The sink and namespace the stream functions' environment asks for: `METRICS` (`off`,
    /// `false`, `0` or `no` stop the lines) and `METRICS_NAMESPACE` (else [`DEFAULT_NAMESPACE`]).
    pub fn from_env() -> (MetricsSink, String) {
        let sink = match std::env::var("METRICS").ok().as_deref().map(str::trim) {
            Some("off" | "false" | "0" | "no") => MetricsSink::Off,
            _ => MetricsSink::Stdout,
        };
        let namespace = std::env::var("METRICS_NAMESPACE")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        (sink, namespace)
    }

    /// Writes the lines. Never fails and never waits on anything but stdout itself.
    pub fn write(&self, lines: &[String]) {
        match self {
            MetricsSink::Off => {}
            MetricsSink::Stdout => {
                let mut out = std::io::stdout().lock();
                for line in lines {
                    // A closed stdout must not fail an invocation: the metrics are lost, not the events.
                    let _ = writeln!(out, "{line}");
                }
                let _ = out.flush();
            }
            #[cfg(any(test, feature = "test-util"))]
            MetricsSink::Memory(kept) => kept
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend_from_slice(lines),
        }
    }
}

/// Per-provider counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ProviderCounts {
    hard_bounces: u64,
    complaints: u64,
    delivered: u64,
    quarantined: u64,
    duplicates: u64,
    refused: u64,
    skipped: u64,
}

/// What one invocation counted.
#[derive(Debug, Default)]
pub struct Tally {
    inner: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    events: BTreeMap<(Provider, EventKind), u64>,
    providers: BTreeMap<Provider, ProviderCounts>,
    rejected: BTreeMap<(&'static str, &'static str), u64>,
    suppressions: BTreeMap<String, u64>,
    store_retries: u64,
    store_failures: u64,
    store_misconfigured: u64,
}

impl Tally {
    fn with<T>(&self, f: impl FnOnce(&mut Counts) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Counts the events of one request, once per item they name.
    pub fn events(&self, events: &[NormalizedEvent]) {
        let mut seen = HashSet::with_capacity(events.len());
        self.with(|c| {
            for event in events {
                if !seen.insert(Identity::of(event)) {
                    continue;
                }
                *c.events.entry((event.provider, event.kind)).or_default() += 1;
                let p = c.providers.entry(event.provider).or_default();
                match event.kind {
                    EventKind::Bounced if event.bounce_class == Some(BounceClass::Permanent) => {
                        p.hard_bounces += 1
                    }
                    EventKind::Complained => p.complaints += 1,
                    EventKind::Delivered => p.delivered += 1,
                    _ => {}
                }
            }
        });
    }

    /// Counts a refused request.
    pub fn rejected(&self, channel: &'static str, reason: &'static str) {
        self.with(|c| *c.rejected.entry((channel, reason)).or_default() += 1);
    }

    /// Counts a body kept in quarantine.
    pub fn quarantined(&self, provider: Provider) {
        self.with(|c| {
            let p = c.providers.entry(provider).or_default();
            p.quarantined += 1;
        });
    }

    /// Counts a successful write: its duplicates and retries.
    pub fn stored(&self, provider: Provider, duplicates: usize, retries: usize) {
        self.with(|c| {
            let p = c.providers.entry(provider).or_default();
            p.duplicates += duplicates as u64;
            c.store_retries += retries as u64;
        });
    }

    /// Counts suppression slots that moved forward, by global reason.
    pub fn suppressions(&self, report: &crate::store::SuppressionReport) {
        self.with(|c| {
            for (kind, n) in &report.applied {
                if crate::suppression::Reason::parse(kind).is_some() {
                    *c.suppressions.entry(kind.clone()).or_default() += *n as u64;
                }
            }
        });
    }

    /// Counts a failure to store (and, apart, one only a fix of the deployment cures).
    pub fn store_failed(&self, error: &crate::store::StoreError) {
        self.with(|c| {
            c.store_failures += 1;
            if error.is_misconfiguration() {
                c.store_misconfigured += 1;
            }
        });
    }

    /// Counts an authenticated message that carries no email event.
    pub fn skipped(&self, provider: Provider) {
        self.with(|c| c.providers.entry(provider).or_default().skipped += 1);
    }

    /// Counts an item DynamoDB refused for itself.
    pub fn refused(&self, provider: Provider) {
        self.with(|c| c.providers.entry(provider).or_default().refused += 1);
    }

    /// The EMF lines of the invocation, stamped `timestamp_ms`.
    pub fn emf_lines(&self, namespace: &str, timestamp_ms: i64) -> Vec<String> {
        self.with(|c| {
            let mut lines = Vec::new();
            for ((provider, kind), count) in &c.events {
                let mut root = Map::new();
                root.insert("Provider".into(), provider.as_str().into());
                root.insert("Event".into(), kind.as_str().into());
                root.insert(EVENTS.into(), (*count).into());
                lines.push(line(
                    namespace,
                    timestamp_ms,
                    vec![directive(&[&["Provider", "Event"], &["Provider"]], &[EVENTS])],
                    root,
                ));
            }
            for (provider, p) in &c.providers {
                let mut root = Map::new();
                root.insert("Provider".into(), provider.as_str().into());
                for (name, value) in [
                    (HARD_BOUNCES, p.hard_bounces),
                    (COMPLAINTS, p.complaints),
                    (DELIVERED, p.delivered),
                    (QUARANTINED, p.quarantined),
                    (DUPLICATES, p.duplicates),
                    (STORE_REFUSED, p.refused),
                    (SKIPPED, p.skipped),
                ] {
                    root.insert(name.into(), value.into());
                }
                // Quarantined is also published without dimensions: one alarm covers every provider.
                lines.push(line(
                    namespace,
                    timestamp_ms,
                    vec![
                        directive(
                            &[&["Provider"]],
                            &[HARD_BOUNCES, COMPLAINTS, DELIVERED, DUPLICATES, SKIPPED],
                        ),
                        directive(&[&["Provider"], &[]], &[QUARANTINED, STORE_REFUSED]),
                    ],
                    root,
                ));
            }
            for ((channel, reason), count) in &c.rejected {
                let mut root = Map::new();
                root.insert("Channel".into(), (*channel).into());
                root.insert("Reason".into(), (*reason).into());
                root.insert(REJECTED.into(), (*count).into());
                lines.push(line(
                    namespace,
                    timestamp_ms,
                    vec![directive(
                        &[&["Channel", "Reason"], &["Channel"], &[]],
                        &[REJECTED],
                    )],
                    root,
                ));
            }
            for (reason, count) in &c.suppressions {
                let mut root = Map::new();
                root.insert("Reason".into(), reason.clone().into());
                root.insert(SUPPRESSIONS_ADDED.into(), (*count).into());
                lines.push(line(
                    namespace,
                    timestamp_ms,
                    vec![directive(&[&["Reason"]], &[SUPPRESSIONS_ADDED])],
                    root,
                ));
            }
            let mut root = Map::new();
            root.insert(STORE_RETRIES.into(), c.store_retries.into());
            root.insert(STORE_FAILURES.into(), c.store_failures.into());
            root.insert(STORE_MISCONFIGURED.into(), c.store_misconfigured.into());
            lines.push(line(
                namespace,
                timestamp_ms,
                vec![directive(
                    &[&[]],
                    &[STORE_RETRIES, STORE_FAILURES, STORE_MISCONFIGURED],
                )],
                root,
            ));
            lines
        })
    }
}

/// One `CloudWatchMetrics` directive: dimension sets and metrics, all `Count`.
fn directive(dimension_sets: &[&[&str]], metrics: &[&str]) -> (Vec<Vec<String>>, Vec<String>) {
    (
        dimension_sets
            .iter()
            .map(|set| set.iter().map(|d| (*d).to_owned()).collect())
            .collect(),
        metrics.iter().map(|m| (*m).to_owned()).collect(),
    )
}

/// One EMF line: `_aws` metadata and the values at the top level.
fn line(
    namespace: &str,
    timestamp_ms: i64,
    directives: Vec<(Vec<Vec<String>>, Vec<String>)>,
    mut root: Map<String, Value>,
) -> String {
    let metrics: Vec<Value> = directives
        .into_iter()
        .map(|(dimensions, metrics)| {
            json!({
                "Namespace": namespace,
                "Dimensions": dimensions,
                "Metrics": metrics.iter().map(|name| json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            })
        })
        .collect();
    root.insert(
        "_aws".into(),
        json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": metrics}),
    );
    Value::Object(root).to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::model::Timestamp;
    use crate::providers::sendgrid;

    fn parse(lines: &[String]) -> Vec<Value> {
        lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// Checks a line against the EMF specification: `_aws.Timestamp`, directives with a
    /// namespace, dimension sets and metrics, every referenced name present at the top level,
    /// and EMF's limits.
    pub(crate) fn assert_valid_emf(line: &str) {
        assert!(line.len() < 256 * 1024);
        let value: Value = serde_json::from_str(line).unwrap();
        let aws = &value["_aws"];
        assert!(aws["Timestamp"].as_i64().is_some_and(|t| t > 0), "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
        assert!(!directives.is_empty());
        for directive in directives {
            assert!(directive["Namespace"].as_str().is_some_and(|n| !n.is_empty()));
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for metric in metrics {
                let name = metric["Name"].as_str().unwrap();
                assert!(METRIC_NAMES.contains(&name), "{name}");
                assert_eq!(metric["Unit"], "Count");
                assert!(value[name].is_u64(), "{name} missing in {line}");
            }
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30);
                for dimension in set {
                    assert!(value[dimension.as_str().unwrap()].is_string(), "{line}");
                }
            }
        }
    }

    fn seed_tally() -> Tally {
        let received = Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap();
        let mut events = sendgrid::decode(crate::test_support::seed_sendgrid_body().as_bytes(), received)
            .unwrap()
            .events;
        // A repeat within the request counts once.
        events.push(events[1].clone());
        for event in &mut events {
            event.recipient = Some("jane.doe@example.com".into());
        }
        let tally = Tally::default();
        tally.events(&events);
        tally.stored(Provider::SendGrid, 1, 2);
        tally.rejected("sendpulse", "unauthorized");
        tally.quarantined(Provider::Ses);
        tally
    }

    #[test]
    fn counts_a_known_batch_exactly() {
        let lines = seed_tally().emf_lines(DEFAULT_NAMESPACE, 1_795_521_600_000);
        let values = parse(&lines);
        let by_kind: BTreeMap<String, u64> = values
            .iter()
            .filter(|v| v["Event"].is_string())
            .map(|v| {
                (
                    v["Event"].as_str().unwrap().to_owned(),
                    v["Events"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected: BTreeMap<String, u64> = [
            ("queued", 2),
            ("delivered", 2),
            ("opened", 2),
            ("deferred", 1),
            ("clicked", 1),
            ("bounced", 1),
            ("rejected", 1),
            ("complained", 1),
            ("unsubscribed", 2),
            ("subscribed", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(by_kind, expected);
        let sendgrid = values
            .iter()
            .find(|v| v["Provider"] == "sendgrid" && v.get("Event").is_none())
            .unwrap();
        assert_eq!(sendgrid["HardBounces"], 1);
        assert_eq!(sendgrid["Complaints"], 1);
        assert_eq!(sendgrid["Delivered"], 2);
        assert_eq!(sendgrid["Duplicates"], 1);
        let ses = values
            .iter()
            .find(|v| v["Provider"] == "ses" && v.get("Event").is_none())
            .unwrap();
        assert_eq!(ses["Quarantined"], 1);
        let rejected = values.iter().find(|v| v["Rejected"].is_u64()).unwrap();
        assert_eq!(
            (
                rejected["Channel"].as_str(),
                rejected["Reason"].as_str(),
                rejected["Rejected"].as_u64()
            ),
            (Some("sendpulse"), Some("unauthorized"), Some(1))
        );
        let store = values.last().unwrap();
        assert_eq!(
            (store["StoreRetries"].as_u64(), store["StoreFailures"].as_u64()),
            (Some(2), Some(0))
        );
    }

    #[test]
    fn every_line_follows_the_specification_and_names_no_address_or_id() {
        for line in seed_tally().emf_lines("Custom/Namespace", 1_795_521_600_000) {
            assert_valid_emf(&line);
            assert!(line.contains("\"Namespace\":\"Custom/Namespace\""));
            for private in ["jane", "example.com", "14c5d75ce93", "KudqDUo", "@"] {
                assert!(!line.contains(private), "{private} in {line}");
            }
        }
    }

    #[test]
    fn not_spam_is_no_complaint_and_transient_bounces_are_not_hard() {
        let message =
            crate::test_support::ses_fixture("event-complaint").replace("\"abuse\"", "\"not-spam\"");
        let received = Timestamp::now();
        let mut events = crate::providers::ses::decode(&message, received).unwrap().events;
        let soft =
            r#"[{"event":"bounce","type":"blocked","email":"a@x.io","timestamp":1,"sg_message_id":"m"}]"#;
        events.extend(sendgrid::decode(soft.as_bytes(), received).unwrap().events);
        let tally = Tally::default();
        tally.events(&events);
        let values = parse(&tally.emf_lines(DEFAULT_NAMESPACE, 1));
        for provider in ["ses", "sendgrid"] {
            let line = values
                .iter()
                .find(|v| v["Provider"] == provider && v.get("Event").is_none())
                .unwrap();
            assert_eq!(
                (line["Complaints"].as_u64(), line["HardBounces"].as_u64()),
                (Some(0), Some(0))
            );
        }
    }
}
