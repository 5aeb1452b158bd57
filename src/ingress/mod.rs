//! Ingress: what invoked the function ([`trigger`]), and its pipeline. HTTP requests are
//! routed ([`routes`]) through the webhook pipeline ([`webhook`], [`sns_https`]) and always
//! get a response ([`response`]); SNS records go through [`sns_trigger`], EventBridge events
//! through [`eventbridge`].

pub mod eventbridge;
pub mod persist;
pub mod response;
pub mod routes;
pub mod sns_https;
pub mod sns_trigger;
pub mod trigger;
pub mod webhook;

use serde::Serialize;
use serde_json::value::RawValue;
use tracing::Instrument;

use self::response::HttpReply;
use self::sns_trigger::{SnsError, SnsSummary};
use self::trigger::{Trigger, TriggerError};
use crate::app::App;
use crate::base::deadline::Deadline;
use crate::metrics::Tally;
use crate::model::Timestamp;

/// What an invocation returns.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// An HTTP response, in the request's payload format.
    Http(Box<HttpReply>),
    /// What an SNS (or EventBridge) invocation stored.
    Sns(SnsSummary),
}

/// Why an invocation failed as a whole (Lambda retries it, then sends it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event is neither SNS nor HTTP, or is malformed.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// An SNS record could not be handled.
    #[error(transparent)]
    Sns(#[from] SnsError),
    /// An EventBridge event could not be handled.
    #[error(transparent)]
    EventBridge(#[from] eventbridge::EventBridgeError),
}

/// Handles one invocation. HTTP requests always get a response (errors included); SNS and
/// EventBridge invocations fail as a whole when anything could not be stored. Storing gives up
/// at `deadline`, early enough to answer.
pub async fn handle(
    app: &App,
    raw: &RawValue,
    request_id: &str,
    deadline: Deadline,
) -> Result<Reply, InvocationError> {
    handle_as(app, raw, request_id, "", deadline).await
}

/// [`handle`] for the function `function_arn` (the invocation context's): EventBridge events
/// from its own account are accepted.
pub async fn handle_as(
    app: &App,
    raw: &RawValue,
    request_id: &str,
    function_arn: &str,
    deadline: Deadline,
) -> Result<Reply, InvocationError> {
    let received_at = Timestamp::now();
    let tally = Tally::default();
    let invocation = Invocation {
        received_at,
        deadline,
        tally: &tally,
    };
    let result = dispatch(app, raw, request_id, function_arn, &invocation).await;
    app.metrics
        .write(&tally.emf_lines(&app.config.metrics_namespace, received_at.millis()));
    result
}

/// What every step of one invocation shares: when it arrived, when storing must give up, and
/// the metric counts.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// When the request was received.
    pub received_at: Timestamp,
    /// When storing gives up.
    pub deadline: Deadline,
    /// The invocation's metric counts.
    pub tally: &'a Tally,
}

async fn dispatch(
    app: &App,
    raw: &RawValue,
    request_id: &str,
    function_arn: &str,
    invocation: &Invocation<'_>,
) -> Result<Reply, InvocationError> {
    let trigger = trigger::parse(raw.get()).inspect_err(|error| {
        invocation.tally.rejected("none", "bad_event");
        tracing::error!(request_id, error = %crate::base::logging::chain(error), "unreadable event");
    })?;
    match trigger {
        Trigger::Http(request) => {
            let span = tracing::info_span!("webhook", request_id, path = %request.path);
            let reply = webhook::handle(app, &request, invocation).instrument(span).await;
            Ok(Reply::Http(Box::new(reply)))
        }
        Trigger::Sns(event) => {
            let span = tracing::info_span!("sns", request_id, records = event.records.len());
            let summary = sns_trigger::handle(app, &event, invocation)
                .instrument(span)
                .await
                .inspect_err(|error| {
                    tracing::error!(request_id, error = %crate::base::logging::chain(error), "SNS invocation failed");
                })?;
            Ok(Reply::Sns(summary))
        }
        Trigger::EventBridge(event) => {
            let span = tracing::info_span!(
                "eventbridge",
                request_id,
                detail_type = event.detail_type.as_deref().unwrap_or("")
            );
            let summary = eventbridge::handle(app, &event, function_arn, invocation)
                .instrument(span)
                .await
                .inspect_err(|error| {
                    tracing::error!(request_id, error = %crate::base::logging::chain(error), "EventBridge invocation failed");
                })?;
            Ok(Reply::Sns(summary))
        }
    }
}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(error: InvocationError) -> Self {
        use eventbridge::EventBridgeError;
        let error_type = match &error {
            InvocationError::Trigger(_) => "UnreadableEvent",
            InvocationError::Sns(SnsError::TopicNotAllowed { .. }) => "TopicNotAllowed",
            InvocationError::EventBridge(
                EventBridgeError::WrongSource(_) | EventBridgeError::AccountNotAllowed,
            ) => "EventNotAllowed",
            InvocationError::Sns(SnsError::Store(_))
            | InvocationError::EventBridge(EventBridgeError::Store(_)) => "StoreFailed",
        };
        // What the Lambda service records; the detail (with DynamoDB's text) is in the log.
        let error_message = match &error {
            InvocationError::Trigger(e) => crate::base::logging::chain(e),
            InvocationError::Sns(SnsError::TopicNotAllowed { record }) => {
                format!("SNS record {record} comes from a topic that is not allowed")
            }
            InvocationError::EventBridge(EventBridgeError::Store(_))
            | InvocationError::Sns(SnsError::Store(_)) => "events could not be stored".to_owned(),
            InvocationError::EventBridge(e) => e.to_string(),
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message,
        }
    }
}

#[cfg(test)]
mod eventbridge_tests;
#[cfg(test)]
mod pipeline_tests;
#[cfg(test)]
mod provider_tests;
