//! mailtrail: one timeline for every email a company sends.
//!
//! The pipeline, one module per step:
//! [`trigger`] (SNS or HTTP) → [`http`] / [`webhook`] and [`sns`] (routes and status codes)
//! → [`providers`] (one decoder per provider) → [`event`] (the normalized event)
//! → [`key`] and [`item`] (the data contract) → [`store`] (DynamoDB).

pub mod app;
pub mod aws_client;
pub mod config;
pub mod event;
pub mod handler;
pub mod http;
pub mod ingest;
pub mod item;
pub mod key;
pub mod lenient;
pub mod logging;
pub mod providers;
pub mod quarantine;
pub mod sns;
pub mod store;
pub mod table;
pub mod timestamp;
pub mod trigger;
pub mod verify;
pub mod webhook;

#[cfg(test)]
pub(crate) mod test_support;
