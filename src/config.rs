//! Configuration from the environment, read once at cold start.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::Provider;
use crate::verify::ChannelSettings;

/// SNS signature versions accepted when `SNS_SIGNATURE_VERSIONS` is not set.
pub const DEFAULT_SNS_SIGNATURE_VERSIONS: &[&str] = &["1", "2"];

/// Days an item is kept when `RETENTION_DAYS` is not set.
pub use crate::store::DEFAULT_RETENTION_DAYS;

/// The function's settings. `Debug` never shows a secret. Secrets are kept as configured: each
/// channel checks its own when it is built, so one bad secret closes only its channel.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table events are stored in (`TABLE_NAME`).
    pub table_name: String,
    /// Days after receipt an item expires through DynamoDB TTL (`RETENTION_DAYS`).
    pub retention_days: u32,
    /// Each webhook channel's secrets and signature age, read from the variables the provider
    /// registry names (`SENDGRID_WEBHOOK_PUBLIC_KEY`, `SENDPULSE_WEBHOOK_TOKEN`, …; several
    /// separated by commas to rotate).
    pub channels: BTreeMap<Provider, ChannelSettings>,
    /// SNS topics whose messages are accepted (`SNS_TOPIC_ARNS`, comma-separated).
    pub sns_topic_arns: Vec<String>,
    /// Where SNS signing certificates may be found without fetching them (`SNS_CERT_DIR`).
    pub sns_cert_dir: Option<PathBuf>,
    /// SNS signature versions accepted on `/webhooks/ses` (`SNS_SIGNATURE_VERSIONS`, default
    /// `1,2`): as configured, checked when the channel is built.
    pub sns_signature_versions: Vec<String>,
    /// Accounts whose SES events are accepted through EventBridge besides the function's own
    /// (`SES_EVENT_ACCOUNTS`, comma-separated).
    pub ses_event_accounts: Vec<String>,
    /// The suppression table (`SUPPRESSIONS_TABLE_NAME`); unset: no suppression list is kept.
    pub suppressions_table: Option<String>,
    /// The optional soft-bounce escalation (`SOFT_BOUNCE_LIMIT` transient bounces on distinct
    /// messages within `SOFT_BOUNCE_DAYS`, default 7); unset: off.
    pub soft_bounce: Option<crate::suppression::Escalation>,
    /// Whether each invocation writes its CloudWatch EMF lines (`METRICS`, `off` to stop).
    pub metrics: bool,
    /// The CloudWatch namespace of the metrics (`METRICS_NAMESPACE`).
    pub metrics_namespace: String,
    /// Look up the mail servers of recipient domains the table of consumer domains does not
    /// know (`MX_LOOKUP`: `true` to turn on; off by default).
    pub mx_lookup: bool,
    /// The name server to ask instead of the system's (`MX_NAME_SERVER`, `127.0.0.1:5353`).
    pub mx_name_server: Option<std::net::SocketAddr>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field("retention_days", &self.retention_days)
            .field("channels", &self.channels)
            .field("sns_topic_arns", &self.sns_topic_arns)
            .field("sns_cert_dir", &self.sns_cert_dir)
            .field("sns_signature_versions", &self.sns_signature_versions)
            .field("ses_event_accounts", &self.ses_event_accounts)
            .field("suppressions_table", &self.suppressions_table)
            .field("soft_bounce", &self.soft_bounce)
            .field("metrics", &self.metrics)
            .field("metrics_namespace", &self.metrics_namespace)
            .finish()
    }
}

/// A setting that is missing or unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set (or empty).
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable's value is unusable. The value itself is not repeated: it may be a secret.
    #[error("{name} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let value = |name: &str| setting(&lookup, name);
        let list = |name: &str, separators: &[char]| -> Vec<String> {
            value(name)
                .map(|v| {
                    v.split(separators)
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let table_name = value("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let retention_days = match value("RETENTION_DAYS") {
            None => DEFAULT_RETENTION_DAYS,
            Some(text) => match text.parse::<u32>() {
                Ok(days) if (1..=36_500).contains(&days) => days,
                _ => {
                    return Err(invalid(
                        "RETENTION_DAYS",
                        "expected a whole number of days from 1 to 36500",
                    ))
                }
            },
        };
        let mut channels = BTreeMap::new();
        for provider in Provider::ALL {
            let Some(webhook) = provider.webhook() else {
                continue;
            };
            let max_age_seconds = match webhook.max_age {
                None => 0,
                Some(max_age) => match value(max_age.variable) {
                    None => max_age.default_seconds,
                    Some(text) => match text.parse::<i64>() {
                        Ok(seconds) if seconds >= max_age.minimum_seconds => seconds,
                        _ if max_age.minimum_seconds > 0 => {
                            return Err(invalid(
                                max_age.variable,
                                &format!(
                                    "expected a whole number of seconds, at least {}: the token binding must outlive the signature, so the check cannot be turned off",
                                    max_age.minimum_seconds
                                ),
                            ))
                        }
                        _ => {
                            return Err(invalid(
                                max_age.variable,
                                "expected a whole number of seconds, 0 for no limit",
                            ))
                        }
                    },
                },
            };
            let separators = [',', ' ', '\n', '\t'];
            let secrets = list(webhook.secret_variable, &separators);
            let second_factor = webhook
                .second_factor
                .map(|factor| list(factor.variable, &separators))
                .unwrap_or_default();
            let signed_urls = webhook
                .signed_url
                .map(|url| list(url.variable, &[',', ' ', '\n', '\t']))
                .unwrap_or_default();
            channels.insert(
                provider,
                ChannelSettings {
                    secrets,
                    max_age_seconds,
                    second_factor,
                    signed_urls,
                },
            );
        }
        Ok(Config {
            table_name,
            retention_days,
            channels,
            sns_topic_arns: list("SNS_TOPIC_ARNS", &[',', ' ', '\n']),
            sns_cert_dir: value("SNS_CERT_DIR").map(PathBuf::from),
            sns_signature_versions: match list("SNS_SIGNATURE_VERSIONS", &[',', ' ']) {
                versions if versions.is_empty() => DEFAULT_SNS_SIGNATURE_VERSIONS
                    .iter()
                    .map(|v| (*v).to_owned())
                    .collect(),
                versions => versions,
            },
            ses_event_accounts: list("SES_EVENT_ACCOUNTS", &[',', ' ', '\n']),
            suppressions_table: value("SUPPRESSIONS_TABLE_NAME"),
            soft_bounce: soft_bounce(&value)?,
            metrics: !value("METRICS")
                .is_some_and(|v| ["off", "false", "0", "no"].contains(&v.to_ascii_lowercase().as_str())),
            metrics_namespace: value("METRICS_NAMESPACE")
                .map(|v| v.chars().take(255).collect())
                .unwrap_or_else(|| crate::metrics::DEFAULT_NAMESPACE.to_owned()),
            mx_lookup: value("MX_LOOKUP")
                .is_some_and(|v| ["on", "true", "1", "yes"].contains(&v.to_ascii_lowercase().as_str())),
            mx_name_server: match value("MX_NAME_SERVER") {
                Some(server) => Some(server.parse().map_err(|_| ConfigError::Invalid {
                    name: "MX_NAME_SERVER",
                    reason: "expected an address and port such as 127.0.0.1:5353".to_owned(),
                })?),
                None => None,
            },
        })
    }
}

/// A setting through `lookup`, trimmed; `None` when unset or blank.
fn setting(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The soft-bounce escalation of a set of settings (`SOFT_BOUNCE_LIMIT`, `SOFT_BOUNCE_DAYS`),
/// read through `lookup`: for tools that act on the suppression list with a deployment's
/// settings (a function's configuration).
pub fn soft_bounce_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::suppression::Escalation>, ConfigError> {
    soft_bounce(&|name: &str| setting(&lookup, name))
}

/// The soft-bounce escalation: on when `SOFT_BOUNCE_LIMIT` is set to 1 or more (`0`, the
/// template's default, is off).
fn soft_bounce(
    value: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::suppression::Escalation>, ConfigError> {
    let Some(limit) = value("SOFT_BOUNCE_LIMIT") else {
        return Ok(None);
    };
    let limit = limit
        .parse::<u32>()
        .ok()
        .filter(|n| (0..=1000).contains(n))
        .ok_or_else(|| {
            invalid(
                "SOFT_BOUNCE_LIMIT",
                "expected a whole number of bounces from 0 (off) to 1000",
            )
        })?;
    if limit == 0 {
        return Ok(None);
    }
    let days = match value("SOFT_BOUNCE_DAYS") {
        None => 7,
        Some(days) => days
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=365).contains(n))
            .ok_or_else(|| {
                invalid(
                    "SOFT_BOUNCE_DAYS",
                    "expected a whole number of days from 1 to 365",
                )
            })?,
    };
    Ok(Some(crate::suppression::Escalation { limit, days }))
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn reads_every_setting() {
        let config = from(&[
            ("TABLE_NAME", "events"),
            ("RETENTION_DAYS", "30"),
            ("SENDGRID_WEBHOOK_PUBLIC_KEY", "keyA, keyB\nkeyC"),
            ("SENDGRID_MAX_AGE_SECONDS", "0"),
            (
                "SENDPULSE_WEBHOOK_TOKEN",
                "first-token-0123456789,second-token-0123456789",
            ),
            (
                "SNS_TOPIC_ARNS",
                "arn:aws:sns:us-east-1:1:a, arn:aws:sns:us-east-1:1:b",
            ),
            ("SNS_CERT_DIR", "/opt/certs"),
            ("SNS_SIGNATURE_VERSIONS", "2"),
        ])
        .unwrap();
        assert_eq!(config.table_name, "events");
        assert_eq!(config.retention_days, 30);
        let sendgrid = &config.channels[&Provider::SendGrid];
        assert_eq!(sendgrid.secrets, vec!["keyA", "keyB", "keyC"]);
        assert_eq!(sendgrid.max_age_seconds, 0);
        assert_eq!(config.channels[&Provider::SendPulse].secrets.len(), 2);
        assert_eq!(
            config.sns_topic_arns,
            vec!["arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"]
        );
        assert_eq!(config.sns_cert_dir, Some(PathBuf::from("/opt/certs")));
        assert_eq!(config.sns_signature_versions, vec!["2"]);
    }

    #[test]
    fn mailguns_second_factor_is_read_and_its_signature_age_cannot_be_turned_off() {
        let config = from(&[
            ("TABLE_NAME", "events"),
            (
                "MAILGUN_WEBHOOK_TOKEN",
                "first-mailgun-token-0123,second-mailgun-token-0123",
            ),
            ("MAILGUN_MAX_AGE_SECONDS", "3600"),
        ])
        .unwrap();
        let mailgun = &config.channels[&Provider::Mailgun];
        assert_eq!(mailgun.second_factor.len(), 2);
        assert_eq!(mailgun.max_age_seconds, 3600);
        assert!(config.channels[&Provider::Postmark].second_factor.is_empty());
        for refused in ["0", "59", "-1", "soon"] {
            let error = from(&[("TABLE_NAME", "events"), ("MAILGUN_MAX_AGE_SECONDS", refused)]).unwrap_err();
            assert!(
                matches!(&error, ConfigError::Invalid { name: "MAILGUN_MAX_AGE_SECONDS", reason } if reason.contains("outlive")),
                "{refused}: {error}"
            );
        }
        // Other channels may still turn their check off.
        assert!(from(&[("TABLE_NAME", "events"), ("RESEND_MAX_AGE_SECONDS", "0")]).is_ok());
    }

    #[test]
    fn defaults_leave_every_secret_unset() {
        let config = from(&[("TABLE_NAME", "events")]).unwrap();
        assert_eq!(config.retention_days, 400);
        assert_eq!(
            config.channels[&Provider::SendGrid].max_age_seconds,
            crate::verify::sendgrid::DEFAULT_MAX_AGE_SECONDS
        );
        assert!(config.channels.values().all(|c| c.secrets.is_empty()));
        assert_eq!(
            config.channels.len(),
            Provider::ALL.iter().filter(|p| p.webhook().is_some()).count()
        );
        assert!(config.sns_topic_arns.is_empty());
        assert_eq!(config.sns_cert_dir, None);
        assert_eq!(config.sns_signature_versions, vec!["1", "2"]);
        assert!(config.metrics);
        assert_eq!(config.metrics_namespace, "Mailtrail");
        let off = from(&[
            ("TABLE_NAME", "t"),
            ("METRICS", "off"),
            ("METRICS_NAMESPACE", "Ops/Mail"),
        ])
        .unwrap();
        assert!(!off.metrics);
        assert_eq!(off.metrics_namespace, "Ops/Mail");
    }

    #[test]
    fn refuses_missing_table_and_bad_numbers() {
        assert_eq!(from(&[]), Err(ConfigError::Missing("TABLE_NAME")));
        assert_eq!(
            from(&[("TABLE_NAME", " ")]),
            Err(ConfigError::Missing("TABLE_NAME"))
        );
        for (name, value) in [
            ("RETENTION_DAYS", "-1"),
            ("RETENTION_DAYS", "0"),
            ("SENDGRID_MAX_AGE_SECONDS", "-5"),
        ] {
            assert!(matches!(
                from(&[("TABLE_NAME", "t"), (name, value)]),
                Err(ConfigError::Invalid { .. })
            ));
        }
    }

    #[test]
    fn the_escalation_is_off_at_zero_and_on_from_one() {
        let at = |limit: &str| {
            from(&[
                ("TABLE_NAME", "t"),
                ("SOFT_BOUNCE_LIMIT", limit),
                ("SOFT_BOUNCE_DAYS", "3"),
            ])
        };
        assert_eq!(at("0").unwrap().soft_bounce, None);
        assert_eq!(
            at("5").unwrap().soft_bounce,
            Some(crate::suppression::Escalation { limit: 5, days: 3 })
        );
        assert!(at("1001").is_err() && at("-1").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let mut pairs = vec![("TABLE_NAME", "t")];
        for provider in Provider::ALL {
            if let Some(webhook) = provider.webhook() {
                pairs.push((webhook.secret_variable, "super-secret-token-value"));
            }
        }
        let config = from(&pairs).unwrap();
        assert!(config.channels.values().all(|c| c.secrets.len() == 1));
        assert!(!format!("{config:?}").contains("super-secret"));
    }
}
