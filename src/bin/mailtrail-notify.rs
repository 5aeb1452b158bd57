//! The notifier binary (`mailtrail-notify`): the suppression table's DynamoDB stream →
//! EventBridge events (`EVENT_BUS_NAME`), and, opt-in, SES's suppression list
//! (`PUSH_SUPPRESSIONS_TO_SES=true`); answers with partial batch failures and writes EMF
//! metrics (`METRICS_NAMESPACE`, `METRICS=off`). Cold-start wiring only; see
//! `mailtrail::notify`.

use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::metrics::MetricsSink;
use mailtrail::notify::publish::EventBridgeSink;
use mailtrail::notify::{batch_response, push_to_ses_from, Notifier, NotifyError};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::base::logging::init();
    let bus = std::env::var("EVENT_BUS_NAME")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| NotifyError::Config("EVENT_BUS_NAME is not set".to_owned()))?;
    let push = push_to_ses_from(std::env::var("PUSH_SUPPRESSIONS_TO_SES").ok().as_deref())?;
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let sink = EventBridgeSink {
        client: aws_sdk_eventbridge::Client::new(&config),
        bus,
    };
    let ses = push.then(|| aws_sdk_sesv2::Client::new(&config));
    let (metrics, namespace) = MetricsSink::from_env();
    let notifier = Notifier::new(Box::new(sink), ses).with_metrics(metrics, &namespace);
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        match notifier.handle(&event.payload).await {
            Ok(summary) => Ok(batch_response(&summary)),
            Err(error) => {
                tracing::error!(error = %mailtrail::base::logging::chain(&error), "not a stream batch; the invocation fails");
                Err(lambda_runtime::Error::from(error))
            }
        }
    }))
    .await
}
