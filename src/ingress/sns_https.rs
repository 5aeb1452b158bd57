//! SNS delivering SES events to an HTTPS subscription (`/webhooks/ses`): the envelope is
//! verified (topic, certificate, signature), then a notification's message goes through the
//! SES decoder like an SNS trigger's.

use serde_json::{json, Value};

use super::response::RequestError;
use super::trigger::HttpRequest;
use super::webhook::store_decoded;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::{ses, DecodeError, JsonFault};
use crate::verify::sns::SnsHttpMessage;
use crate::verify::VerifyError;

/// The header SNS sets to the message's type.
const SNS_TYPE_HEADER: &str = "x-amz-sns-message-type";

/// Verifies an SNS HTTPS message and acts on its type.
pub async fn handle(
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
    verifier.verify(&message).await.map_err(refusal)?;
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
            verifier.confirm_subscription(&message).await.map_err(refusal)?;
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
/// one 403 for every reason, so an unknown topic reads like a bad signature.
fn refusal(error: VerifyError) -> RequestError {
    if error.is_unavailable() {
        RequestError::Unavailable(error)
    } else {
        RequestError::Forbidden(error)
    }
}
