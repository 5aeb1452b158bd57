//! Status codes and JSON responses, in the payload format the request came in.
//!
//! What a caller reads is fixed per status: the detail of a failure (which secret, which
//! topic, DynamoDB's message) goes to the log only.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::header::{ALLOW, CONTENT_TYPE};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use serde::Serialize;

use super::trigger::PayloadFormat;
use crate::model::Provider;
use crate::providers::DecodeError;
use crate::store::StoreError;
use crate::verify::VerifyError;

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
    /// A webhook request that is not genuine (or its channel has no secret).
    #[error("unauthenticated: {0}")]
    Unauthorized(#[source] VerifyError),
    /// A signed token that already came with another body: a replay under a captured
    /// signature.
    #[error("the signed token already came with another body")]
    Replayed,
    /// A body in a format mailtrail does not take (Mailgun's legacy form-encoded webhooks),
    /// answered so that the provider stops sending it.
    #[error("unsupported body format: {0}")]
    UnsupportedFormat(&'static str),
    /// An SNS HTTPS message that is not genuine or not from an allowed topic: one answer for
    /// both, so a stranger learns nothing about the allow-list.
    #[error("refused SNS message: {0}")]
    Forbidden(#[source] VerifyError),
    /// The SNS signing certificate could not be had now: worth a retry.
    #[error("verification unavailable: {0}")]
    Unavailable(#[source] VerifyError),
    /// The channel's secret is configured but unusable (logged at cold start).
    #[error("the {} channel is misconfigured", .0.as_str())]
    Misconfigured(Provider),
    /// An unauthenticated body that is not SNS's JSON (nothing is kept).
    #[error("not an SNS HTTPS message: {0}")]
    BadPayload(#[source] DecodeError),
    /// An authenticated SNS message of a type mailtrail does not handle.
    #[error("unsupported SNS message type {0:?}")]
    UnknownSnsType(String),
    /// Storing failed; the provider should retry.
    #[error("events could not be stored")]
    Store(#[source] StoreError),
}

/// The status that asks `provider` to send a request again (a store failure, a closed channel):
/// 500 for most; Brevo discards a 5xx and retries a 429.
pub fn retry_status(provider: Provider) -> u16 {
    match provider {
        Provider::Brevo => 429,
        _ => 500,
    }
}

impl RequestError {
    /// The HTTP status for this error, for a provider that is asked to retry with
    /// `retry_status` (500 for most; Brevo discards a 5xx and retries a 429).
    pub fn status(&self, retry_status: u16) -> u16 {
        let retry = |usual: u16| if retry_status == 429 { 429 } else { usual };
        match self {
            RequestError::NotFound => 404,
            RequestError::MethodNotAllowed(_) => 405,
            RequestError::TooLarge { .. } => 413,
            RequestError::BadBase64(_) | RequestError::BadPayload(_) | RequestError::UnknownSnsType(_) => 400,
            RequestError::Unauthorized(_) | RequestError::Replayed => 401,
            RequestError::Forbidden(_) => 403,
            RequestError::UnsupportedFormat(_) => 406,
            RequestError::Unavailable(_) | RequestError::Misconfigured(_) => retry(503),
            RequestError::Store(_) => retry(500),
        }
    }

    /// The `error` code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::NotFound => "not_found",
            RequestError::MethodNotAllowed(_) => "method_not_allowed",
            RequestError::TooLarge { .. } => "too_large",
            RequestError::BadBase64(_) => "bad_base64",
            RequestError::Unauthorized(_) | RequestError::Replayed => "unauthorized",
            RequestError::UnsupportedFormat(_) => "unsupported_format",
            RequestError::Forbidden(_) => "forbidden",
            RequestError::Unavailable(_) => "unavailable",
            RequestError::Misconfigured(_) => "misconfigured",
            RequestError::BadPayload(_) | RequestError::UnknownSnsType(_) => "bad_payload",
            RequestError::Store(_) => "store_failed",
        }
    }

    /// The `message` of the JSON body: fixed per code.
    pub fn public_message(&self) -> &'static str {
        match self {
            RequestError::NotFound => "no webhook at this path",
            RequestError::MethodNotAllowed(_) => "use POST",
            RequestError::TooLarge { .. } => "the body is too large",
            RequestError::BadBase64(_) => "the body is marked base64 but does not decode",
            RequestError::Unauthorized(_) | RequestError::Replayed => {
                "the request could not be authenticated"
            }
            RequestError::UnsupportedFormat(_) => "this body format is not accepted; send JSON webhooks",
            RequestError::Forbidden(_) => "the message could not be verified",
            RequestError::Unavailable(_) => "verification is unavailable; retry later",
            RequestError::Misconfigured(_) => "this webhook is not available; retry later",
            RequestError::BadPayload(_) => "the body is not an SNS HTTPS message",
            RequestError::UnknownSnsType(_) => "unsupported SNS message type",
            RequestError::Store(_) => "events could not be stored; retry later",
        }
    }

    /// The reason a refused request is counted under (bounded; for metrics and logs).
    pub fn reason(&self) -> &'static str {
        match self {
            RequestError::Store(_) => "store_failed",
            other => other.code(),
        }
    }
}

/// A JSON response before it is put in API Gateway's format.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
    /// The `Allow` header of a 405: the methods the route takes.
    pub allow: Option<&'static str>,
}

impl JsonResponse {
    /// A 200 with a JSON body.
    pub fn ok(body: impl Serialize) -> JsonResponse {
        JsonResponse {
            status: 200,
            body: serde_json::to_value(body).unwrap_or_default(),
            allow: None,
        }
    }

    /// The response for an error: its status and `{"error": code, "message": text}`. The
    /// text is fixed per code: it says nothing about configuration, secrets or storage.
    pub fn error(error: &RequestError, retry_status: u16) -> JsonResponse {
        JsonResponse {
            status: error.status(retry_status),
            body: serde_json::json!({
                "error": error.code(),
                "message": error.public_message(),
            }),
            allow: matches!(error, RequestError::MethodNotAllowed(_)).then_some("POST"),
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(methods) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(methods));
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
        let reply = JsonResponse::error(&error, 500).into_reply(PayloadFormat::V1);
        assert_eq!(reply.status(), 405);
        let value = serde_json::to_value(&reply).unwrap();
        assert_eq!(value["headers"]["allow"], "POST");
        let body: serde_json::Value = serde_json::from_str(reply.body_text()).unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }

    #[test]
    fn bodies_say_nothing_about_configuration_or_storage() {
        let errors = [
            RequestError::Unauthorized(VerifyError::NotConfigured("SENDGRID_WEBHOOK_PUBLIC_KEY")),
            RequestError::Forbidden(VerifyError::TopicNotAllowed(
                "arn:aws:sns:us-east-1:1:secret-topic".into(),
            )),
            RequestError::Misconfigured(Provider::SendPulse),
            RequestError::Store(StoreError::Unavailable("table mailtrail-events-XYZ is gone")),
            RequestError::Store(StoreError::Misconfigured {
                message: "ResourceNotFoundException: table mailtrail-events-XYZ".into(),
            }),
        ];
        for error in errors {
            let reply = JsonResponse::error(&error, 500).into_reply(PayloadFormat::V2);
            let body = reply.body_text();
            assert!(!body.contains("ResourceNotFound"), "{body}");
            for secret in [
                "SENDGRID",
                "secret-topic",
                "arn:",
                "mailtrail-events",
                "table",
                "SENDPULSE",
            ] {
                assert!(!body.contains(secret), "{body}");
            }
        }
    }
}
