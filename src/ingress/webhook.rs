//! The HTTP pipeline: route → size → verify → decode (one provider) → store → JSON response.

use serde_json::{json, Value};

use super::response::{HttpReply, JsonResponse, RequestError};
use super::routes::{self, Route};
use super::trigger::HttpRequest;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::providers::{sendgrid, sendpulse, DecodeError, Decoded};

/// Handles a webhook request; every outcome is an HTTP response.
pub async fn handle(app: &App, request: &HttpRequest, invocation: &Invocation<'_>) -> HttpReply {
    let tally = invocation.tally;
    let response = match process(app, request, invocation).await {
        Ok(body) => JsonResponse::ok(body),
        Err(error) => {
            let status = error.status();
            // Store failures are counted where they happen (persist), refusals here.
            if !matches!(error, RequestError::Store(_)) {
                let channel = Route::for_path(&request.path).map_or("none", Route::name);
                tally.rejected(channel, error.reason());
            }
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
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let received_at = invocation.received_at;
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
            store_decoded(app, Provider::SendGrid, &body, decoded, invocation).await
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
            store_decoded(app, Provider::SendPulse, &body, decoded, invocation).await
        }
        Route::SesHttps => super::sns_https::handle(app, request, &body, invocation).await,
    }
}

/// Stores what an authenticated body decoded to. A body that did not decode is kept in
/// quarantine and acknowledged with `200 {"kept": true}`: the provider must not retry it.
pub(super) async fn store_decoded(
    app: &App,
    provider: Provider,
    body: &[u8],
    decoded: Result<Decoded, DecodeError>,
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(error) => {
            super::persist::quarantine(app, provider, body, &error, invocation)
                .await
                .map_err(RequestError::Store)?;
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
    let (report, suppression) = super::persist::persist(app, provider, decoded.events, invocation)
        .await
        .map_err(RequestError::Store)?;
    tracing::info!(
        provider = provider.as_str(),
        events,
        stored = report.items,
        duplicates = report.duplicates,
        suppression_updates = suppression.applied.values().sum::<usize>(),
        "webhook stored"
    );
    Ok(json!({
        "provider": provider.as_str(),
        "events": events,
        "stored": report.items,
        "duplicates": report.duplicates,
    }))
}
