//! The HTTP pipeline: route → size → verify → decode (one provider) → store → JSON response.

use serde_json::{json, Value};

use super::response::{HttpReply, JsonResponse, RequestError};
use super::routes::{self, Route};
use super::trigger::HttpRequest;
use crate::app::App;
use crate::deadline::Deadline;
use crate::model::{Provider, Timestamp};
use crate::providers::{sendgrid, sendpulse, DecodeError, Decoded};
use crate::store::QuarantinedBody;

/// Handles a webhook request; every outcome is an HTTP response.
pub async fn handle(
    app: &App,
    request: &HttpRequest,
    received_at: Timestamp,
    deadline: Deadline,
) -> HttpReply {
    let response = match process(app, request, received_at, deadline).await {
        Ok(body) => JsonResponse::ok(body),
        Err(error) => {
            let status = error.status();
            let chain = crate::logging::chain(&error);
            if status >= 500 {
                tracing::error!(status, reason = error.reason(), error = %chain, "webhook failed");
            } else {
                tracing::warn!(status, reason = error.reason(), error = %chain, "webhook refused");
            }
            JsonResponse::error(&error)
        }
    };
    response.into_reply(request.format)
}

async fn process(
    app: &App,
    request: &HttpRequest,
    received_at: Timestamp,
    deadline: Deadline,
) -> Result<Value, RequestError> {
    let route = routes::route(request)?;
    let body = routes::body_bytes(request, route.max_body_bytes())?;
    match route {
        Route::SendGrid => {
            let verifier = app
                .channels
                .sendgrid
                .as_ref()
                .map_err(|_| RequestError::Misconfigured(Provider::SendGrid))?;
            verifier
                .verify(&request.headers, &body, received_at)
                .map_err(RequestError::Unauthorized)?;
            let decoded = sendgrid::decode(&body, received_at);
            store_decoded(app, Provider::SendGrid, &body, decoded, received_at, deadline).await
        }
        Route::SendPulse => {
            let verifier = app
                .channels
                .sendpulse
                .as_ref()
                .map_err(|_| RequestError::Misconfigured(Provider::SendPulse))?;
            verifier
                .verify(&request.query)
                .map_err(RequestError::Unauthorized)?;
            let decoded = sendpulse::decode(&body, received_at);
            store_decoded(app, Provider::SendPulse, &body, decoded, received_at, deadline).await
        }
        Route::SesHttps => super::sns_https::handle(app, request, &body, received_at, deadline).await,
    }
}

/// Stores what an authenticated body decoded to. A body that did not decode is kept in
/// quarantine and acknowledged with `200 {"kept": true}`: the provider must not retry it.
pub(super) async fn store_decoded(
    app: &App,
    provider: Provider,
    body: &[u8],
    decoded: Result<Decoded, DecodeError>,
    received_at: Timestamp,
    deadline: Deadline,
) -> Result<Value, RequestError> {
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(error) => {
            let text = crate::logging::chain(&error);
            let kept = QuarantinedBody {
                provider,
                body,
                error: &text,
                received_at,
            };
            let items = app
                .store
                .quarantine(kept, deadline)
                .await
                .map_err(RequestError::Store)?;
            tracing::warn!(
                provider = provider.as_str(),
                bytes = body.len(),
                items,
                error = %text,
                "undecodable body kept in quarantine"
            );
            return Ok(json!({
                "provider": provider.as_str(),
                "kept": true,
                "reason": "bad_payload",
                "events": 0,
                "stored": 0,
            }));
        }
    };
    let events = decoded.events.len();
    let report = app
        .store
        .put_events(decoded.events, deadline)
        .await
        .map_err(RequestError::Store)?;
    tracing::info!(
        provider = provider.as_str(),
        events,
        stored = report.items,
        duplicates = report.duplicates,
        "webhook stored"
    );
    Ok(json!({
        "provider": provider.as_str(),
        "events": events,
        "stored": report.items,
        "duplicates": report.duplicates,
    }))
}
