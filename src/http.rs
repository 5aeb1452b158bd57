//! HTTP routes, status codes and JSON responses in the payload format the request came in.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::header::{ALLOW, CONTENT_TYPE};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use serde::Serialize;

use crate::providers::DecodeError;
use crate::trigger::{HttpRequest, PayloadFormat};
use crate::verify::VerifyError;

/// The largest webhook body accepted: the largest that still fits Lambda's 6 MB request
/// payload once API Gateway has base64-encoded it (4 MiB × 4/3 ≈ 5.6 MB).
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest SNS HTTPS body accepted: SNS messages are at most 256 KB, plus the envelope.
pub const MAX_SNS_BODY_BYTES: usize = 512 * 1024;

/// The webhook a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST …/webhooks/sendgrid`
    SendGrid,
    /// `POST …/webhooks/sendpulse`
    SendPulse,
    /// `POST …/webhooks/ses`: SNS's HTTPS delivery of SES events.
    SesHttps,
}

impl Route {
    /// The provider name used in logs and responses.
    pub fn name(self) -> &'static str {
        match self {
            Route::SendGrid => "sendgrid",
            Route::SendPulse => "sendpulse",
            Route::SesHttps => "ses",
        }
    }

    /// The largest body this route accepts.
    pub fn max_body_bytes(self) -> usize {
        match self {
            Route::SendGrid | Route::SendPulse => MAX_WEBHOOK_BODY_BYTES,
            Route::SesHttps => MAX_SNS_BODY_BYTES,
        }
    }

    /// Finds the route for a path. Any stage or base-path prefix may come first
    /// (`/prod/webhooks/sendgrid`); a trailing slash is ignored.
    pub fn for_path(path: &str) -> Option<Route> {
        let mut segments = path.trim_end_matches('/').rsplit('/');
        let provider = segments.next()?;
        if segments.next()? != "webhooks" {
            return None;
        }
        match provider {
            "sendgrid" => Some(Route::SendGrid),
            "sendpulse" => Some(Route::SendPulse),
            "ses" => Some(Route::SesHttps),
            _ => None,
        }
    }
}

/// Why a request was not accepted, and so its status code.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No webhook at this path.
    #[error("no webhook at this path")]
    NotFound,
    /// The webhook takes POST only.
    #[error("method {0} not allowed; use POST")]
    MethodNotAllowed(String),
    /// The body is over the route's limit.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The route's limit.
        limit: usize,
    },
    /// A base64 body that does not decode.
    #[error("the body is marked base64 but does not decode: {0}")]
    BadBase64(#[source] base64::DecodeError),
    /// The request is not genuine (or its topic is not allowed).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The body is not the provider's JSON (before authentication: nothing is kept).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An authenticated body that is not the provider's JSON: kept in quarantine.
    #[error("{0}; the body was kept for replay")]
    Quarantined(#[source] DecodeError),
    /// An authenticated SNS message of a type mailtrail does not handle.
    #[error("unsupported SNS message type {0:?}")]
    UnknownSnsType(String),
    /// Storing failed; the provider should retry.
    #[error("events could not be stored; retry later")]
    Store(#[source] crate::store::StoreError),
}

impl RequestError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::NotFound => 404,
            RequestError::MethodNotAllowed(_) => 405,
            RequestError::TooLarge { .. } => 413,
            RequestError::Verify(error) => error.status(),
            RequestError::BadBase64(_)
            | RequestError::Decode(_)
            | RequestError::Quarantined(_)
            | RequestError::UnknownSnsType(_) => 400,
            RequestError::Store(_) => 500,
        }
    }

    /// A short machine-readable code for the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::NotFound => "not_found",
            RequestError::MethodNotAllowed(_) => "method_not_allowed",
            RequestError::TooLarge { .. } => "too_large",
            RequestError::BadBase64(_) => "bad_base64",
            RequestError::Verify(error) => match error.status() {
                403 => "forbidden",
                503 => "unavailable",
                _ => "unauthorized",
            },
            RequestError::Decode(_) | RequestError::UnknownSnsType(_) => "bad_payload",
            RequestError::Quarantined(_) => "bad_payload_kept",
            RequestError::Store(_) => "store_failed",
        }
    }
}

/// Finds the route for a request, checking the method.
pub fn route(request: &HttpRequest) -> Result<Route, RequestError> {
    let route = Route::for_path(&request.path).ok_or(RequestError::NotFound)?;
    if request.method != "POST" {
        return Err(RequestError::MethodNotAllowed(request.method.clone()));
    }
    Ok(route)
}

/// The request body as bytes, base64-decoded when API Gateway encoded it, refused past `limit`.
pub fn body_bytes(request: &HttpRequest, limit: usize) -> Result<Vec<u8>, RequestError> {
    let body = request.body.as_deref().unwrap_or("");
    let size = if request.body_is_base64 {
        body.len() / 4 * 3
    } else {
        body.len()
    };
    if size > limit {
        return Err(RequestError::TooLarge { limit });
    }
    if request.body_is_base64 {
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(RequestError::BadBase64)
    } else {
        Ok(body.as_bytes().to_vec())
    }
}

/// A JSON response before it is put in API Gateway's format.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
    /// Whether to send `Allow: POST` (for 405).
    pub allow_post: bool,
}

impl JsonResponse {
    /// A 200 with a JSON body.
    pub fn ok(body: impl Serialize) -> JsonResponse {
        JsonResponse {
            status: 200,
            body: serde_json::to_value(body).unwrap_or_default(),
            allow_post: false,
        }
    }

    /// The response for an error: its status and `{"error": code, "message": text}`.
    pub fn error(error: &RequestError) -> JsonResponse {
        JsonResponse {
            status: error.status(),
            body: serde_json::json!({
                "error": error.code(),
                "message": crate::logging::chain(error),
            }),
            allow_post: matches!(error, RequestError::MethodNotAllowed(_)),
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.allow_post {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        headers
    }

    /// In the format API Gateway expects for the request's payload format.
    pub fn into_reply(self, format: PayloadFormat) -> HttpReply {
        let headers = self.headers();
        let body = Some(Body::Text(self.body.to_string()));
        match format {
            PayloadFormat::V2 => {
                let mut response = ApiGatewayV2httpResponse::default();
                response.status_code = i64::from(self.status);
                response.headers = headers;
                response.body = body;
                HttpReply::V2(response)
            }
            PayloadFormat::V1 => {
                let mut response = ApiGatewayProxyResponse::default();
                response.status_code = i64::from(self.status);
                response.headers = headers;
                response.body = body;
                HttpReply::V1(response)
            }
        }
    }
}

/// An HTTP response in API Gateway's format.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum HttpReply {
    /// For REST APIs.
    V1(ApiGatewayProxyResponse),
    /// For HTTP APIs and function URLs.
    V2(ApiGatewayV2httpResponse),
}

impl HttpReply {
    /// The status code.
    pub fn status(&self) -> u16 {
        let code = match self {
            HttpReply::V1(r) => r.status_code,
            HttpReply::V2(r) => r.status_code,
        };
        u16::try_from(code).unwrap_or(500)
    }

    /// The body text.
    pub fn body_text(&self) -> &str {
        let body = match self {
            HttpReply::V1(r) => &r.body,
            HttpReply::V2(r) => &r.body,
        };
        match body {
            Some(Body::Text(text)) => text,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_the_last_two_path_segments() {
        assert_eq!(Route::for_path("/webhooks/sendgrid"), Some(Route::SendGrid));
        assert_eq!(
            Route::for_path("/prod/webhooks/sendpulse/"),
            Some(Route::SendPulse)
        );
        assert_eq!(Route::for_path("/a/b/webhooks/ses"), Some(Route::SesHttps));
        assert_eq!(Route::for_path("/webhooks/mailgun"), None);
        assert_eq!(Route::for_path("/sendgrid"), None);
        assert_eq!(Route::for_path("webhooks/sendgrid"), Some(Route::SendGrid));
        assert_eq!(Route::for_path(""), None);
        assert_eq!(Route::for_path("/hooks/sendgrid"), None);
    }

    #[test]
    fn v2_replies_carry_cookies_and_json() {
        let reply = JsonResponse::ok(serde_json::json!({"stored": 1})).into_reply(PayloadFormat::V2);
        let value = serde_json::to_value(&reply).unwrap();
        assert_eq!(value["statusCode"], 200);
        assert_eq!(value["cookies"], serde_json::json!([]));
        assert_eq!(value["headers"]["content-type"], "application/json");
        assert_eq!(value["body"], r#"{"stored":1}"#);
    }

    #[test]
    fn errors_have_status_and_json_body() {
        let error = RequestError::MethodNotAllowed("GET".into());
        let reply = JsonResponse::error(&error).into_reply(PayloadFormat::V1);
        assert_eq!(reply.status(), 405);
        let value = serde_json::to_value(&reply).unwrap();
        assert_eq!(value["headers"]["allow"], "POST");
        let body: serde_json::Value = serde_json::from_str(reply.body_text()).unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }
}
