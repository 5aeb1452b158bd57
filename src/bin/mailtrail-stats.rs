//! The counter binary (`mailtrail-stats`): the events table's stream → exact counts in the
//! statistics table (`STATS_TABLE`), per tumbling window; writes EMF metrics of deliveries and
//! complaints per mailbox provider (`ALARM_MAILBOX_PROVIDERS`, `METRICS_NAMESPACE`,
//! `METRICS=off`). Cold-start wiring only; see `mailtrail::stats`.

use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::metrics::MetricsSink;
use mailtrail::stats::{Counter, DEFAULT_ALARM_MAILBOXES};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::base::logging::init();
    let table = std::env::var("STATS_TABLE")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or("STATS_TABLE is not set")?;
    let mailboxes: Vec<String> = match std::env::var("ALARM_MAILBOX_PROVIDERS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty())
            .take(10)
            .collect(),
        _ => DEFAULT_ALARM_MAILBOXES.iter().map(|m| (*m).to_owned()).collect(),
    };
    let (metrics, namespace) = MetricsSink::from_env();
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let counter = Counter::new(aws_sdk_dynamodb::Client::new(&config), table)
        .with_metrics(metrics, &namespace, mailboxes);
    let counter = &counter;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        match counter.handle(&event.payload).await {
            Ok((answer, summary)) => {
                tracing::info!(
                    records = summary.records,
                    counted = summary.counted,
                    repeated = summary.repeated,
                    unreadable = summary.unreadable,
                    written = summary.written.as_ref().map_or(0, |w| w.applied),
                    already = summary.written.as_ref().map_or(0, |w| w.already),
                    "batch counted"
                );
                Ok(answer)
            }
            Err(error) => {
                tracing::error!(error = %mailtrail::base::logging::chain(&error), "the batch fails and is retried");
                Err(lambda_runtime::Error::from(error))
            }
        }
    }))
    .await
}
