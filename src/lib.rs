//! mailtrail: one timeline for every email a company sends.
//!
//! The pipeline, one folder per step:
//! [`ingress`] (trigger shapes, routes, status codes, the webhook and SNS pipelines)
//! → [`verify`] (is it genuine) → [`providers`] (one decoder per provider)
//! → [`model`] (the normalized event, its time and its key) → [`store`] (the storage traits,
//! DynamoDB, quarantine); [`mailbox`] looks up the mail servers of recipient domains no table
//! names, before the events are stored. `notify` (feature `notify`) is the second binary's: the suppression
//! table's stream → EventBridge events for the sending app; [`stats`] is the third's: the events
//! table's stream → exact counts per day, mailbox provider and sending provider.

pub mod app;
/// The archive (feature `archive`): events as Parquet on S3.
#[cfg(feature = "archive")]
pub mod archive;
pub mod aws_client;
pub mod base;
pub mod config;
pub mod ingress;
pub mod mailbox;
pub mod metrics;
pub mod model;
#[cfg(feature = "notify")]
pub mod notify;
pub mod providers;
/// The read side (feature `cli`): timelines, verdicts and groups as types.
#[cfg(feature = "cli")]
pub mod read;
pub mod stats;
pub mod store;
pub mod suppression;
pub mod verify;

#[cfg(test)]
mod template_sections;
#[cfg(test)]
pub(crate) mod test_support;
