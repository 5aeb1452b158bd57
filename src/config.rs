//! Configuration from the environment, read once at cold start.

/// Days an item is kept when `RETENTION_DAYS` is not set.
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table events are stored in (`TABLE_NAME`).
    pub table_name: String,
    /// Days after receipt an item expires through DynamoDB TTL (`RETENTION_DAYS`).
    pub retention_days: u32,
}

/// A setting that is missing or unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set (or empty).
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable's value is unusable.
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let table_name = value("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let retention_days = match value("RETENTION_DAYS") {
            None => DEFAULT_RETENTION_DAYS,
            Some(text) => match text.parse::<u32>() {
                Ok(days) if (1..=36_500).contains(&days) => days,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "RETENTION_DAYS",
                        value: text,
                        reason: "expected a whole number of days from 1 to 36500",
                    })
                }
            },
        };
        Ok(Config {
            table_name,
            retention_days,
        })
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
    fn reads_table_and_retention() {
        assert_eq!(
            from(&[("TABLE_NAME", "events"), ("RETENTION_DAYS", "30")]),
            Ok(Config {
                table_name: "events".into(),
                retention_days: 30
            })
        );
        assert_eq!(from(&[("TABLE_NAME", "events")]).unwrap().retention_days, 400);
    }

    #[test]
    fn refuses_missing_table_and_bad_retention() {
        assert_eq!(from(&[]), Err(ConfigError::Missing("TABLE_NAME")));
        assert_eq!(
            from(&[("TABLE_NAME", " ")]),
            Err(ConfigError::Missing("TABLE_NAME"))
        );
        assert!(matches!(
            from(&[("TABLE_NAME", "t"), ("RETENTION_DAYS", "-1")]),
            Err(ConfigError::Invalid {
                name: "RETENTION_DAYS",
                ..
            })
        ));
        assert!(from(&[("TABLE_NAME", "t"), ("RETENTION_DAYS", "0")]).is_err());
    }
}
