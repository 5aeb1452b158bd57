//! SNS delivering SES events to an HTTPS subscription (`/webhooks/ses`): the envelope is
//! verified (topic, certificate, signature), then a notification's message goes through the
//! SES decoder like an SNS trigger's.
//!
//! SNS waits about 15 s for an answer before it counts the attempt as failed and sends again,
//! so the whole of this work (a certificate fetch, the writes) is bounded by
//! [`SNS_HTTPS_BUDGET`], not by the function's longer timeout: SNS never resends while the first
//! attempt is still writing.

use std::time::Duration;

use serde_json::{json, Value};

use super::persist::store_decoded;
use super::response::RequestError;
use super::trigger::HttpRequest;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::{ses, DecodeError, JsonFault};
use crate::verify::sns::SnsHttpMessage;
use crate::verify::VerifyError;

/// The header SNS sets to the message's type.
const SNS_TYPE_HEADER: &str = "x-amz-sns-message-type";

/// How long an SNS HTTPS delivery may take here: SNS gives up on an answer after about 15 s,
/// less a margin for the answer to travel.
pub const SNS_HTTPS_BUDGET: Duration = Duration::from_secs(12);

/// Verifies an SNS HTTPS message and acts on its type, within [`SNS_HTTPS_BUDGET`].
pub async fn handle(
    app: &App,
    request: &HttpRequest,
    body: &[u8],
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let bounded = Invocation {
        deadline: invocation
            .deadline
            .earliest(crate::base::deadline::Deadline::after(SNS_HTTPS_BUDGET)),
        ..*invocation
    };
    handle_within(app, request, body, &bounded).await
}

async fn handle_within(
    app: &App,
    request: &HttpRequest,
    body: &[u8],
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let verifier = app
        .channels
        .sns_https
        .as_ref()
        .map_err(|_| RequestError::Misconfigured(Provider::Ses))?;
    let message: SnsHttpMessage = serde_json::from_slice(body)
        .map_err(|e| RequestError::BadPayload(DecodeError::NotJson(JsonFault::from(&e))))?;
    if let Some(declared) = request.headers.get(SNS_TYPE_HEADER) {
        if declared.as_bytes() != message.message_type.as_bytes() {
            return Err(RequestError::BadPayload(DecodeError::NotSes(
                "x-amz-sns-message-type does not match the message's Type",
            )));
        }
    }
    invocation
        .deadline
        .run(verifier.verify(&message))
        .await
        .unwrap_or_else(|| {
            Err(VerifyError::CertificateUnavailable(
                "no answer within SNS's wait".into(),
            ))
        })
        .map_err(refusal)?;
    match message.message_type.as_str() {
        "Notification" => {
            let decoded = ses::decode(&message.message, invocation.received_at);
            store_decoded(
                app,
                Provider::Ses,
                message.message.as_bytes(),
                decoded,
                invocation,
            )
            .await
        }
        "SubscriptionConfirmation" => {
            invocation
                .deadline
                .run(verifier.confirm_subscription(&message))
                .await
                .unwrap_or_else(|| Err(VerifyError::CertificateUnavailable("no answer in time".into())))
                .map_err(refusal)?;
            tracing::info!(topic = %message.topic_arn, "SNS subscription confirmed");
            Ok(json!({"provider": "ses", "sns": "SubscriptionConfirmation", "confirmed": true}))
        }
        "UnsubscribeConfirmation" => {
            tracing::warn!(topic = %message.topic_arn, "SNS subscription ended; not re-confirming");
            Ok(json!({"provider": "ses", "sns": "UnsubscribeConfirmation", "confirmed": false}))
        }
        other => Err(RequestError::UnknownSnsType(other.chars().take(64).collect())),
    }
}

/// A verification failure: 503 when a certificate could not be had (SNS retries), otherwise
/// one 403 for every reason (a certificate URL SNS does not know among them), so an unknown
/// topic reads like a bad signature and like a forged certificate URL.
fn refusal(error: VerifyError) -> RequestError {
    if error.is_unavailable() {
        RequestError::Unavailable(error)
    } else {
        RequestError::Forbidden(error)
    }
}
