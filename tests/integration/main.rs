//! Integration tests: the real handler, a real DynamoDB-API server (dynalite) on 127.0.0.1
//! started by `support`, and the real AWS SDK.

#[cfg(feature = "cli")]
#[cfg(feature = "archive")]
mod archive;
mod cli;
mod faults;
#[cfg(feature = "archive")]
mod forget;
mod hostile;
mod hostile_sns;
mod hot_key;
mod http1;
mod logs;
mod mailbox;
mod metrics;
mod newer_providers;
#[cfg(feature = "cli")]
mod notify;
mod one_address;
mod pipeline;
mod proxy;
#[cfg(feature = "cli")]
mod replay;
mod runtime_api;
#[cfg(feature = "cli")]
mod sesv2_standin;
mod stats;
mod support;
#[cfg(feature = "cli")]
mod sync;
#[cfg(feature = "cli")]
mod ui;
#[cfg(feature = "cli")]
mod ui_overview;
mod ui_reads;
