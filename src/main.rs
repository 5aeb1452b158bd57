//! The Lambda binary: cold-start wiring only.

use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::app::App;
use mailtrail::config::Config;
use mailtrail::handler;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::logging::init();
    let config = Config::from_env()?;
    let client = mailtrail::aws_client::dynamodb_client()?;
    let app = App::new(config, client)?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        handler::handle(app, &event.payload, &event.context.request_id).await
    }))
    .await
}
