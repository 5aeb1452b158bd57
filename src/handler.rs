//! The Lambda entry point: read the trigger, run its pipeline, answer in its format.

use serde::Serialize;
use serde_json::value::RawValue;
use tracing::Instrument;

use crate::app::App;
use crate::http::HttpReply;
use crate::sns::{SnsError, SnsSummary};
use crate::timestamp::Timestamp;
use crate::trigger::{self, Trigger, TriggerError};

/// What an invocation returns.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// An HTTP response, in the request's payload format.
    Http(Box<HttpReply>),
    /// What an SNS invocation stored.
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
}

/// Handles one invocation. HTTP requests always get a response (errors included); SNS
/// invocations fail as a whole when anything could not be stored.
pub async fn handle(app: &App, raw: &RawValue, request_id: &str) -> Result<Reply, InvocationError> {
    let received_at = Timestamp::now();
    let trigger = trigger::parse(raw.get()).inspect_err(|error| {
        tracing::error!(request_id, error = %crate::logging::chain(error), "unreadable event");
    })?;
    match trigger {
        Trigger::Http(request) => {
            let span = tracing::info_span!("webhook", request_id, path = %request.path);
            let reply = crate::webhook::handle(app, &request, received_at)
                .instrument(span)
                .await;
            Ok(Reply::Http(Box::new(reply)))
        }
        Trigger::Sns(event) => {
            let span = tracing::info_span!("sns", request_id, records = event.records.len());
            let summary = crate::sns::handle(app, &event, received_at)
                .instrument(span)
                .await?;
            Ok(Reply::Sns(summary))
        }
    }
}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(error: InvocationError) -> Self {
        let error_type = match &error {
            InvocationError::Trigger(_) => "UnreadableEvent",
            InvocationError::Sns(SnsError::TopicNotAllowed { .. }) => "TopicNotAllowed",
            InvocationError::Sns(SnsError::Store(_)) => "StoreFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: crate::logging::chain(&error),
        }
    }
}
