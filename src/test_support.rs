//! Fixtures for unit tests: the provider documents' examples, as shipped in `fixtures/`.

/// The SES event-publishing examples, one per event type.
pub const SES_EVENT_FIXTURES: &[&str] = &[
    "event-bounce",
    "event-complaint",
    "event-delivery",
    "event-send",
    "event-reject",
    "event-open",
    "event-click",
    "event-rendering-failure",
    "event-delivery-delay",
    "event-subscription",
];

/// Every SendPulse example.
pub const SENDPULSE_FIXTURES: &[&str] = &[
    "format-single",
    "format-batch-trailing-comma",
    "delivered",
    "undelivered",
    "opened",
    "clicked",
    "unsubscribed",
    "spam_by_user",
];

/// SendGrid's sample payload: 14 events.
pub fn seed_sendgrid_body() -> &'static str {
    include_str!("../fixtures/sendgrid/seed-batch.json")
}

/// One SES example by name (without `.json`; `topic-validation` is the plain-text message).
pub fn ses_fixture(name: &str) -> &'static str {
    match name {
        "event-bounce" => include_str!("../fixtures/ses/event-bounce.json"),
        "event-complaint" => include_str!("../fixtures/ses/event-complaint.json"),
        "event-delivery" => include_str!("../fixtures/ses/event-delivery.json"),
        "event-send" => include_str!("../fixtures/ses/event-send.json"),
        "event-reject" => include_str!("../fixtures/ses/event-reject.json"),
        "event-open" => include_str!("../fixtures/ses/event-open.json"),
        "event-click" => include_str!("../fixtures/ses/event-click.json"),
        "event-rendering-failure" => include_str!("../fixtures/ses/event-rendering-failure.json"),
        "event-delivery-delay" => include_str!("../fixtures/ses/event-delivery-delay.json"),
        "event-subscription" => include_str!("../fixtures/ses/event-subscription.json"),
        "notification-bounce" => include_str!("../fixtures/ses/notification-bounce.json"),
        "notification-complaint" => include_str!("../fixtures/ses/notification-complaint.json"),
        "notification-delivery" => include_str!("../fixtures/ses/notification-delivery.json"),
        "topic-validation" => include_str!("../fixtures/ses/topic-validation.txt"),
        other => panic!("no SES fixture {other}"),
    }
}

/// One SendPulse example by name (without `.json`).
pub fn sendpulse_fixture(name: &str) -> &'static str {
    match name {
        "format-single" => include_str!("../fixtures/sendpulse/format-single.json"),
        "format-batch-trailing-comma" => {
            include_str!("../fixtures/sendpulse/format-batch-trailing-comma.json")
        }
        "delivered" => include_str!("../fixtures/sendpulse/delivered.json"),
        "undelivered" => include_str!("../fixtures/sendpulse/undelivered.json"),
        "opened" => include_str!("../fixtures/sendpulse/opened.json"),
        "clicked" => include_str!("../fixtures/sendpulse/clicked.json"),
        "unsubscribed" => include_str!("../fixtures/sendpulse/unsubscribed.json"),
        "spam_by_user" => include_str!("../fixtures/sendpulse/spam_by_user.json"),
        other => panic!("no SendPulse fixture {other}"),
    }
}

/// Builders for in-process pipeline tests: an app over the in-memory store, Lambda events, and
/// signed requests.
pub mod pipeline {
    use std::sync::Arc;
    use std::time::Duration;

    use aws_lambda_events::http::Uri;
    use base64::Engine as _;
    use serde_json::value::RawValue;
    use serde_json::{json, Value};

    use crate::app::App;
    use crate::config::Config;
    use crate::deadline::Deadline;
    use crate::ingress::{self, InvocationError, Reply};
    use crate::store::MemoryStore;
    use crate::verify::sns::fetch::{GetFuture, HttpsGet};
    use crate::verify::VerifyError;

    /// The SendPulse token the test app accepts.
    pub const SENDPULSE_TOKEN: &str = "demo-sendpulse-token-change-me";
    /// The SNS topic the test app accepts.
    pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events";

    /// The test app's settings: the demo secrets, SNS certificates from fixtures/sns.
    pub fn config() -> Config {
        Config {
            table_name: "events".into(),
            retention_days: 400,
            sendgrid_public_keys: vec![include_str!("../events/demo-sendgrid-public-key.txt")
                .trim()
                .to_owned()],
            sendgrid_max_age_seconds: 25 * 3600,
            sendpulse_tokens: vec![SENDPULSE_TOKEN.to_owned()],
            sns_topic_arns: vec![TOPIC.to_owned()],
            sns_cert_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sns").into()),
            sns_signature_versions: vec!["1".into(), "2".into()],
            suppressions_table: None,
            soft_bounce: None,
            metrics: false,
            metrics_namespace: "Mailtrail".into(),
        }
    }

    /// No internet: confirmations succeed, certificates cannot be fetched.
    #[derive(Debug, Default)]
    pub struct NoInternet;

    impl HttpsGet for NoInternet {
        fn get<'a>(&'a self, url: &'a Uri) -> GetFuture<'a> {
            let confirm = url
                .query()
                .is_some_and(|q| q.contains("Action=ConfirmSubscription"));
            Box::pin(async move {
                if confirm {
                    Ok(bytes::Bytes::from_static(b"<ConfirmSubscriptionResponse/>"))
                } else {
                    Err(VerifyError::CertificateUnavailable("no internet in tests".into()))
                }
            })
        }
    }

    /// An app over a fresh in-memory store, with `config`.
    pub fn app_with(config: Config) -> (App, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::new(config.retention_days));
        let app = App::with_https(config, store.clone(), Arc::new(NoInternet));
        (app, store)
    }

    /// An app over a fresh in-memory store, with the test settings.
    pub fn app() -> (App, Arc<MemoryStore>) {
        app_with(config())
    }

    /// Invokes the handler with a Lambda event, a minute before the deadline.
    pub async fn invoke(app: &App, event: &Value) -> Result<Reply, InvocationError> {
        invoke_by(app, event, Deadline::after(Duration::from_secs(60))).await
    }

    /// Invokes the handler with a Lambda event and a deadline.
    pub async fn invoke_by(app: &App, event: &Value, deadline: Deadline) -> Result<Reply, InvocationError> {
        let raw = RawValue::from_string(event.to_string()).expect("valid JSON");
        ingress::handle(app, &raw, "test-invocation", deadline).await
    }

    /// Invokes the handler with an HTTP event: the status and the JSON body.
    pub async fn invoke_http(app: &App, event: &Value) -> (u16, Value) {
        match invoke(app, event)
            .await
            .expect("HTTP requests always get a response")
        {
            Reply::Http(reply) => (
                reply.status(),
                serde_json::from_str(reply.body_text()).expect("the body is JSON"),
            ),
            Reply::Sns(_) => panic!("an HTTP request got an SNS reply"),
        }
    }

    /// An HTTP API (payload 2.0) request.
    pub fn http_request(method: &str, path: &str, body: &str, base64: bool) -> Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"},
                "requestId": "test-request",
                "routeKey": "$default",
                "stage": "$default",
                "timeEpoch": 0
            },
            "body": body,
            "isBase64Encoded": base64
        })
    }

    /// An HTTP API POST.
    pub fn http_post(path: &str, body: &str) -> Value {
        http_request("POST", path, body, false)
    }

    /// A SendGrid request signed now with the demo key.
    pub fn sendgrid_post(body: &str) -> Value {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let der = include_bytes!("../events/demo-sendgrid-signing-key.p8");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der).unwrap();
        let timestamp = crate::model::Timestamp::now().unix_seconds().to_string();
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body.as_bytes());
        let signature = key.sign(&SystemRandom::new(), &message).unwrap();
        let mut request = http_post("/webhooks/sendgrid", body);
        request["headers"]["x-twilio-email-event-webhook-signature"] =
            base64::engine::general_purpose::STANDARD
                .encode(signature.as_ref())
                .into();
        request["headers"]["x-twilio-email-event-webhook-timestamp"] = timestamp.into();
        request
    }

    /// A SendPulse request carrying `token`.
    pub fn sendpulse_post_with(body: &str, token: &str) -> Value {
        let mut request = http_post("/webhooks/sendpulse", body);
        request["queryStringParameters"] = json!({ "token": token });
        request
    }

    /// A SendPulse request carrying the test token.
    pub fn sendpulse_post(body: &str) -> Value {
        sendpulse_post_with(body, SENDPULSE_TOKEN)
    }

    /// An SNS Lambda event from `topic` carrying `message`.
    pub fn sns_event_from(topic: &str, message: &str) -> Value {
        json!({"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{topic}:sub"),
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": topic,
                "Subject": null,
                "Message": message,
                "Timestamp": "2026-11-24T12:00:00.000Z",
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
                "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {}
            }
        }]})
    }

    /// An SNS Lambda event from the allowed topic carrying `message`.
    pub fn sns_event(message: &str) -> Value {
        sns_event_from(TOPIC, message)
    }
}
