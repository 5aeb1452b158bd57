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

/// The receive time of the unit tests' events.
pub fn received() -> crate::model::Timestamp {
    crate::model::Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
}

/// One of a provider's examples, `fixtures/<provider>/<name>.json`, read when the test runs.
pub fn fixture(provider: &str, name: &str) -> String {
    let path = format!("{}/fixtures/{provider}/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The demo key's signature of a Postal fixture.
pub fn postal_signature(name: &str) -> String {
    lambda_events::postal_signature(name)
}

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

#[path = "../tests/common/lambda_events.rs"]
pub mod lambda_events;

/// Builders for in-process pipeline tests: an app over the in-memory store, Lambda events, and
/// signed requests.
pub mod pipeline {
    pub use super::lambda_events::*;
    use std::sync::Arc;
    use std::time::Duration;

    use aws_lambda_events::http::Uri;
    use serde_json::value::RawValue;
    use serde_json::Value;

    use crate::app::App;
    use crate::base::deadline::Deadline;
    use crate::config::Config;
    use crate::ingress::{self, InvocationError, Reply};
    use crate::store::MemoryStore;
    use crate::verify::sns::fetch::{GetFuture, HttpsGet};
    use crate::verify::VerifyError;

    /// The test app's settings: the demo secrets, SNS certificates from fixtures/sns.
    pub fn config() -> Config {
        let environment = test_environment("events");
        Config::from_lookup(|name| environment.get(name).cloned()).expect("the test settings are valid")
    }

    /// The settings of one channel in `config`.
    pub fn channel(
        config: &mut Config,
        provider: crate::model::Provider,
    ) -> &mut crate::verify::ChannelSettings {
        config.channels.get_mut(&provider).expect("a webhook channel")
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
}
