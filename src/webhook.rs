//! The HTTP pipeline: route → size → verify → decode (one provider) → store → JSON response.

use serde_json::{json, Value};

use crate::app::App;
use crate::http::{self, HttpReply, JsonResponse, RequestError, Route};
use crate::providers::{sendgrid, sendpulse, ses, DecodeError, Decoded};
use crate::timestamp::Timestamp;
use crate::trigger::HttpRequest;
use crate::verify::sns::SnsHttpMessage;

/// The header SNS sets to the message's type.
const SNS_TYPE_HEADER: &str = "x-amz-sns-message-type";

/// Handles a webhook request; every outcome is an HTTP response.
pub async fn handle(app: &App, request: &HttpRequest, received_at: Timestamp) -> HttpReply {
    let response = match process(app, request, received_at).await {
        Ok(body) => JsonResponse::ok(body),
        Err(error) => {
            let status = error.status();
            let chain = crate::logging::chain(&error);
            if status >= 500 {
                tracing::error!(status, error = %chain, "webhook failed");
            } else {
                tracing::warn!(status, error = %chain, "webhook refused");
            }
            JsonResponse::error(&error)
        }
    };
    response.into_reply(request.format)
}

async fn process(app: &App, request: &HttpRequest, received_at: Timestamp) -> Result<Value, RequestError> {
    let route = http::route(request)?;
    let body = http::body_bytes(request, route.max_body_bytes())?;
    match route {
        Route::SendGrid => {
            app.verifiers
                .sendgrid
                .verify(&request.headers, &body, received_at)?;
            let decoded = sendgrid::decode(&body, received_at);
            store_decoded(app, route, &body, decoded, received_at).await
        }
        Route::SendPulse => {
            app.verifiers.sendpulse.verify(&request.query)?;
            let decoded = sendpulse::decode(&body, received_at);
            store_decoded(app, route, &body, decoded, received_at).await
        }
        Route::SesHttps => ses_over_https(app, request, &body, received_at).await,
    }
}

/// Stores what an authenticated body decoded to; a body that did not decode is quarantined.
async fn store_decoded(
    app: &App,
    route: Route,
    body: &[u8],
    decoded: Result<Decoded, DecodeError>,
    received_at: Timestamp,
) -> Result<Value, RequestError> {
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(error) => {
            let text = crate::logging::chain(&error);
            crate::quarantine::keep(
                &app.store,
                route.name(),
                body,
                &text,
                received_at,
                app.config.retention_days,
            )
            .await
            .map_err(RequestError::Store)?;
            return Err(RequestError::Quarantined(error));
        }
    };
    let events = decoded.events.len();
    let report = crate::ingest::store_events(&app.store, decoded.events, app.config.retention_days)
        .await
        .map_err(RequestError::Store)?;
    tracing::info!(
        provider = route.name(),
        events,
        stored = report.items,
        duplicates = report.duplicates,
        "webhook stored"
    );
    Ok(json!({
        "provider": route.name(),
        "events": events,
        "stored": report.items,
        "duplicates": report.duplicates,
    }))
}

/// SNS delivering SES events to an HTTPS subscription.
async fn ses_over_https(
    app: &App,
    request: &HttpRequest,
    body: &[u8],
    received_at: Timestamp,
) -> Result<Value, RequestError> {
    let message: SnsHttpMessage = serde_json::from_slice(body)
        .map_err(|e| RequestError::Decode(DecodeError::NotSes(format!("not an SNS HTTPS message: {e}"))))?;
    if let Some(declared) = request.headers.get(SNS_TYPE_HEADER) {
        if declared.as_bytes() != message.message_type.as_bytes() {
            return Err(RequestError::Decode(DecodeError::NotSes(format!(
                "{SNS_TYPE_HEADER} does not match the message's Type"
            ))));
        }
    }
    app.verifiers.sns.verify(&message).await?;
    match message.message_type.as_str() {
        "Notification" => {
            let decoded = ses::decode(&message.message, received_at);
            store_decoded(
                app,
                Route::SesHttps,
                message.message.as_bytes(),
                decoded,
                received_at,
            )
            .await
        }
        "SubscriptionConfirmation" => {
            app.verifiers.sns.confirm_subscription(&message).await?;
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
