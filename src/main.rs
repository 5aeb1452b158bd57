//! The Lambda binary (`mailtrail-lambda`): cold-start wiring only.

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::app::App;
use mailtrail::base::deadline::Deadline;
use mailtrail::config::Config;
use mailtrail::ingress;
use mailtrail::store::DynamoStore;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::base::logging::init();
    let config = Config::from_env()?;
    let client = mailtrail::aws_client::dynamodb_client().await?;
    let store = DynamoStore::new(client, config.table_name.clone(), config.retention_days)
        .with_suppressions(config.suppressions_table.clone());
    let app = App::new(config, Arc::new(store));
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        let deadline = Deadline::from_lambda_deadline_ms(event.context.deadline);
        let context = &event.context;
        ingress::handle_as(
            app,
            &event.payload,
            &context.request_id,
            &context.invoked_function_arn,
            deadline,
        )
        .await
    }))
    .await
}
