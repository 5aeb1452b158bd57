//! What invoked the function: an SNS notification, an EventBridge event or an HTTP request.
//!
//! The shape is told by a few keys (`Records`, `detail-type`, `version`, `requestContext.http`,
//! `httpMethod`);
//! then exactly one concrete type is deserialized, so a malformed event gets that type's
//! precise error rather than "did not match any variant".

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use aws_lambda_events::sns::SnsEvent;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::base::lenient::text;

/// The event source name of SNS records.
pub const SNS_EVENT_SOURCE: &str = "aws:sns";

/// A parsed Lambda event.
#[derive(Debug)]
pub enum Trigger {
    /// SNS records (SES events published to a topic the function subscribes to).
    Sns(SnsEvent),
    /// An EventBridge event (SES events published to the default bus, routed by a rule).
    EventBridge(EventBridgeEvent),
    /// An HTTP request through API Gateway or a function URL.
    Http(HttpRequest),
}

/// An EventBridge event: its envelope, and its `detail` exactly as received.
#[derive(Debug, Deserialize)]
pub struct EventBridgeEvent {
    /// The event's id.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// Who sent it (`aws.ses`).
    #[serde(default, deserialize_with = "text")]
    pub source: Option<String>,
    /// What it is (`Email Bounced`, `Email Delivered`, …).
    #[serde(default, rename = "detail-type", deserialize_with = "text")]
    pub detail_type: Option<String>,
    /// The account it comes from.
    #[serde(default, deserialize_with = "text")]
    pub account: Option<String>,
    /// The event's own record (for SES: the same record SES publishes to SNS).
    pub detail: Box<RawValue>,
}

/// Which API Gateway payload format the request came in, and so which response it expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// REST API (payload 1.0).
    V1,
    /// HTTP API (payload 2.0) and function URLs.
    V2,
}

/// An HTTP request, whichever payload format carried it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The payload format, to answer in the same one.
    pub format: PayloadFormat,
    /// The HTTP method, upper-case.
    pub method: String,
    /// The request path, stage or base-path prefix included.
    pub path: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The query string parameters.
    pub query: QueryMap,
    /// The body as API Gateway passed it: text, or base64 when `body_is_base64`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    pub body_is_base64: bool,
    /// API Gateway's request id, when it gave one.
    pub request_id: Option<String>,
}

/// Why a Lambda event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// Neither SNS records nor an API Gateway / function URL request.
    #[error("unrecognized event: expected SNS records or an API Gateway / function URL request")]
    UnknownShape,
    /// Records from a source other than SNS.
    #[error("unsupported event source {0:?}: only {SNS_EVENT_SOURCE} records are handled")]
    UnsupportedSource(String),
    /// The event has a known shape but does not deserialize as it.
    #[error("malformed {kind} event: {source}")]
    Malformed {
        /// Which shape it was taken for.
        kind: &'static str,
        /// What serde found wrong.
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
struct ShapeProbe<'a> {
    #[serde(rename = "Records", default, borrow)]
    records: Option<Vec<RecordProbe<'a>>>,
    #[serde(rename = "requestContext", default, borrow)]
    request_context: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "text")]
    version: Option<String>,
    #[serde(rename = "httpMethod", default)]
    http_method: Option<IgnoredAny>,
    #[serde(rename = "detail-type", default)]
    detail_type: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RecordProbe<'a> {
    #[serde(rename = "EventSource", alias = "eventSource", default, borrow)]
    event_source: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ContextProbe {
    #[serde(default)]
    http: Option<IgnoredAny>,
}

/// Reads a raw Lambda event.
pub fn parse(raw: &str) -> Result<Trigger, TriggerError> {
    let probe: ShapeProbe = serde_json::from_str(raw).map_err(|_| TriggerError::UnknownShape)?;
    if let Some(records) = probe.records {
        if let Some(other) = records
            .iter()
            .map(|r| r.event_source.as_deref().unwrap_or(""))
            .find(|source| !source.eq_ignore_ascii_case(SNS_EVENT_SOURCE))
        {
            return Err(TriggerError::UnsupportedSource(other.to_owned()));
        }
        let event: SnsEvent =
            serde_json::from_str(raw).map_err(|source| TriggerError::Malformed { kind: "SNS", source })?;
        return Ok(Trigger::Sns(event));
    }
    if probe.detail_type.is_some() {
        let event: EventBridgeEvent =
            serde_json::from_str(raw).map_err(|source| TriggerError::Malformed {
                kind: "EventBridge",
                source,
            })?;
        return Ok(Trigger::EventBridge(event));
    }
    let Some(context) = probe.request_context else {
        return Err(TriggerError::UnknownShape);
    };
    let has_http = serde_json::from_str::<ContextProbe>(context.get()).is_ok_and(|c| c.http.is_some());
    if probe.version.as_deref() == Some("2.0") || has_http {
        let request: ApiGatewayV2httpRequest =
            serde_json::from_str(raw).map_err(|source| TriggerError::Malformed {
                kind: "HTTP API (payload 2.0)",
                source,
            })?;
        return Ok(Trigger::Http(HttpRequest::from_v2(request)));
    }
    if probe.http_method.is_some() {
        let request: ApiGatewayProxyRequest =
            serde_json::from_str(raw).map_err(|source| TriggerError::Malformed {
                kind: "REST API (payload 1.0)",
                source,
            })?;
        return Ok(Trigger::Http(HttpRequest::from_v1(request)));
    }
    Err(TriggerError::UnknownShape)
}

impl HttpRequest {
    /// From an HTTP API / function URL request. The method is read from `requestContext.http`:
    /// the top-level `httpMethod` of some emulators is not the real one.
    fn from_v2(request: ApiGatewayV2httpRequest) -> HttpRequest {
        HttpRequest {
            format: PayloadFormat::V2,
            method: request.request_context.http.method.as_str().to_ascii_uppercase(),
            path: request
                .raw_path
                .or(request.request_context.http.path)
                .unwrap_or_default(),
            headers: request.headers,
            query: request.query_string_parameters,
            body: request.body,
            body_is_base64: request.is_base64_encoded,
            request_id: request.request_context.request_id,
        }
    }

    /// From a REST API request.
    fn from_v1(request: ApiGatewayProxyRequest) -> HttpRequest {
        let mut headers = request.multi_value_headers;
        for (name, value) in request.headers.iter() {
            if !headers.contains_key(name) {
                headers.append(name, value.clone());
            }
        }
        let query = if request.multi_value_query_string_parameters.is_empty() {
            request.query_string_parameters
        } else {
            request.multi_value_query_string_parameters
        };
        HttpRequest {
            format: PayloadFormat::V1,
            method: request.http_method.as_str().to_ascii_uppercase(),
            path: request.path.or(request.request_context.path).unwrap_or_default(),
            headers,
            query,
            body: request.body,
            body_is_base64: request.is_base64_encoded,
            request_id: request.request_context.request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(method: &str, path: &str, body: &str, base64: bool) -> String {
        serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": "token=abc",
            "headers": {"content-type": "application/json"},
            "queryStringParameters": {"token": "abc"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "x", "domainPrefix": "x",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t"},
                "requestId": "req-1", "routeKey": "$default", "stage": "$default",
                "time": "24/Nov/2026:12:00:00 +0000", "timeEpoch": 1_795_000_000_000_i64
            },
            "body": body,
            "isBase64Encoded": base64
        })
        .to_string()
    }

    #[test]
    fn reads_an_http_api_request() {
        let Trigger::Http(request) = parse(&v2("POST", "/prod/webhooks/sendgrid", "[]", false)).unwrap()
        else {
            panic!("not HTTP");
        };
        assert_eq!(request.format, PayloadFormat::V2);
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/prod/webhooks/sendgrid");
        assert_eq!(request.body.as_deref(), Some("[]"));
        assert_eq!(request.query.first("token"), Some("abc"));
        assert_eq!(request.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn takes_the_method_from_the_request_context_not_httpmethod() {
        let mut value: serde_json::Value =
            serde_json::from_str(&v2("POST", "/webhooks/sendpulse", "[]", false)).unwrap();
        value["httpMethod"] = "GET".into();
        value["resource"] = serde_json::Value::Null;
        value["multiValueHeaders"] = serde_json::Value::Null;
        let Trigger::Http(request) = parse(&value.to_string()).unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!(request.method, "POST");
    }

    #[test]
    fn reads_a_rest_api_request() {
        let raw = serde_json::json!({
            "resource": "/webhooks/{provider}",
            "path": "/webhooks/sendpulse",
            "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Content-Type": ["application/json"]},
            "queryStringParameters": {"token": "t"},
            "multiValueQueryStringParameters": {"token": ["t"]},
            "requestContext": {"requestId": "r1", "stage": "prod", "httpMethod": "POST", "path": "/prod/webhooks/sendpulse"},
            "body": "W10=",
            "isBase64Encoded": true
        });
        let Trigger::Http(request) = parse(&raw.to_string()).unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!(request.format, PayloadFormat::V1);
        assert_eq!(request.method, "POST");
        assert!(request.body_is_base64);
        assert_eq!(request.query.first("token"), Some("t"));
        assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
    }

    #[test]
    fn reads_sns_records_and_refuses_other_sources() {
        let sns = include_str!("../../events/ses-event-bounce.json");
        assert!(matches!(parse(sns), Ok(Trigger::Sns(e)) if e.records.len() == 1));
        let sqs = r#"{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}"#;
        assert!(matches!(parse(sqs), Err(TriggerError::UnsupportedSource(s)) if s == "aws:sqs"));
        let broken = r#"{"Records":[{"EventSource":"aws:sns","Sns":{"Message":1}}]}"#;
        assert!(matches!(
            parse(broken),
            Err(TriggerError::Malformed { kind: "SNS", .. })
        ));
    }

    #[test]
    fn reads_eventbridge_events_with_their_detail_as_received() {
        let raw = r#"{"version":"0","id":"e1","detail-type":"Email Bounced","source":"aws.ses","account":"123456789012",
            "time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"eventType": "Bounce"}}"#;
        let Trigger::EventBridge(event) = parse(raw).unwrap() else {
            panic!("not EventBridge")
        };
        assert_eq!(event.source.as_deref(), Some("aws.ses"));
        assert_eq!(event.detail_type.as_deref(), Some("Email Bounced"));
        assert_eq!(event.account.as_deref(), Some("123456789012"));
        assert_eq!(event.detail.get(), r#"{"eventType": "Bounce"}"#);
        assert!(matches!(
            parse(r#"{"detail-type":"x","source":"aws.ses"}"#),
            Err(TriggerError::Malformed {
                kind: "EventBridge",
                ..
            })
        ));
    }

    #[test]
    fn refuses_unknown_shapes() {
        for raw in [
            "{}",
            "[]",
            "\"x\"",
            "{\"hello\":1}",
            "{\"requestContext\":{}}",
            "null",
        ] {
            assert!(matches!(parse(raw), Err(TriggerError::UnknownShape)), "{raw}");
        }
    }
}
