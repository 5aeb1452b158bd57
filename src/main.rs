//! The Lambda binary: cold-start wiring only.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::app::App;
use mailtrail::config::Config;
use mailtrail::handler;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::logging::init();
    let config = Config::from_env()?;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .load()
        .await;
    let app = App::new(config, aws_sdk_dynamodb::Client::new(&sdk_config))?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        handler::handle(app, &event.payload, &event.context.request_id).await
    }))
    .await
}
