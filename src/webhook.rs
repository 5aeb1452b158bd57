//! The HTTP pipeline: route → body → decode (one provider) → store → JSON response.

use serde::Serialize;

use crate::handler::App;
use crate::http::{self, HttpReply, JsonResponse, RequestError, Route};
use crate::providers::{sendgrid, sendpulse, Decoded};
use crate::timestamp::Timestamp;
use crate::trigger::HttpRequest;

/// The body of a 200: what the request carried and what was stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebhookSummary {
    /// The provider of the route.
    pub provider: &'static str,
    /// Normalized events decoded from the body.
    pub events: usize,
    /// Distinct items written.
    pub stored: usize,
    /// Events that named an item already in the same request.
    pub duplicates: usize,
}

/// Handles a webhook request; every outcome is an HTTP response.
pub async fn handle(app: &App, request: &HttpRequest, received_at: Timestamp) -> HttpReply {
    let response = match process(app, request, received_at).await {
        Ok(summary) => {
            tracing::info!(
                provider = summary.provider,
                events = summary.events,
                stored = summary.stored,
                duplicates = summary.duplicates,
                "webhook stored"
            );
            JsonResponse::ok(summary)
        }
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

async fn process(
    app: &App,
    request: &HttpRequest,
    received_at: Timestamp,
) -> Result<WebhookSummary, RequestError> {
    let route = http::route(request)?;
    let body = http::body_bytes(request)?;
    let decoded: Decoded = match route {
        Route::SendGrid => sendgrid::decode(&body, received_at)?,
        Route::SendPulse => sendpulse::decode(&body, received_at)?,
        Route::SesHttps => {
            return Err(RequestError::Unavailable(
                "SNS HTTPS delivery is refused until its signature verification is configured",
            ))
        }
    };
    let report = crate::ingest::store_events(&app.store, &decoded.events, app.config.retention_days)
        .await
        .map_err(RequestError::Store)?;
    Ok(WebhookSummary {
        provider: route.name(),
        events: decoded.events.len(),
        stored: report.items,
        duplicates: report.duplicates,
    })
}
