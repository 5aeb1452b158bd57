//! The HTTP pipeline: route → size → verify (the provider's verifier) → bind a signed token to
//! its body where the signature covers less → decode (one provider) → store → JSON response.

use serde_json::Value;

use super::response::{HttpReply, JsonResponse, RequestError};
use super::routes;
use super::trigger::HttpRequest;
use super::Invocation;
use crate::app::App;
use crate::verify::{SignedRequest, VerifyError};

/// Handles a webhook request; every outcome is an HTTP response.
pub async fn handle(app: &App, request: &HttpRequest, invocation: &Invocation<'_>) -> HttpReply {
    let tally = invocation.tally;
    let spec = routes::for_path(&request.path);
    let retry_status = spec.map_or(500, |spec| super::response::retry_status(spec.provider));
    let response = match process(app, request, invocation).await {
        Ok(body) => JsonResponse::ok(body),
        Err(error) => {
            let status = error.status(retry_status);
            // Store failures are counted where they happen (persist), refusals here.
            if !matches!(error, RequestError::Store(_)) {
                tally.rejected(spec.map_or("none", |s| s.name), error.reason());
            }
            let chain = crate::base::logging::chain(&error);
            if status >= 500 || status == 429 {
                tracing::error!(status, reason = error.reason(), error = %chain, "webhook failed");
            } else {
                tracing::warn!(status, reason = error.reason(), error = %chain, "webhook refused");
            }
            let mut response = JsonResponse::error(&error, retry_status);
            // A route that also answers HEAD (Mandrill's check) says so.
            if response.allow.is_some()
                && spec.is_some_and(|s| s.provider.webhook().is_some_and(|c| c.answers_head))
            {
                response.allow = Some("POST, HEAD");
            }
            response
        }
    };
    response.into_reply(request.format)
}

/// A verifier's refusal as the request's error.
fn refused(error: VerifyError) -> RequestError {
    match error {
        VerifyError::UnsupportedFormat(format) => RequestError::UnsupportedFormat(format),
        other => RequestError::Unauthorized(other),
    }
}

async fn process(
    app: &App,
    request: &HttpRequest,
    invocation: &Invocation<'_>,
) -> Result<Value, RequestError> {
    let spec = routes::route(request)?;
    if routes::is_answered_head(spec, request) {
        return Ok(serde_json::json!({ "ok": true }));
    }
    let body = routes::body_bytes(request, routes::max_body_bytes(spec))?;
    if spec.provider.webhook().is_none() {
        return super::sns_https::handle(app, request, &body, invocation).await;
    }
    let verifier = app
        .channels
        .webhooks
        .get(&spec.provider)
        .and_then(|channel| channel.as_ref().ok())
        .ok_or(RequestError::Misconfigured(spec.provider))?;
    let verified = verifier
        .verify(&SignedRequest {
            headers: &request.headers,
            query: &request.query,
            body: &body,
            now: invocation.received_at,
        })
        .map_err(refused)?;
    if let Some(guard) = &verified.replay_guard {
        let fresh = app
            .store
            .bind_token(guard, invocation.deadline)
            .await
            .inspect_err(|e| invocation.tally.store_failed(e))
            .map_err(RequestError::Store)?;
        if !fresh {
            return Err(RequestError::Replayed);
        }
    }
    let mut decoded = crate::providers::decode(spec.provider, &body, invocation.received_at);
    if let (Some(tenant), Ok(decoded)) = (routes::tenant(&request.path), decoded.as_mut()) {
        for event in decoded.events.iter_mut().filter(|e| e.insights.tenant.is_none()) {
            event.insights.tenant = Some(tenant.to_owned());
        }
    }
    super::persist::store_decoded(app, spec.provider, &body, decoded, invocation).await
}
