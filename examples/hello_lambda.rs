//! The reference for cold-start benchmarks: a hello-world `lambda_runtime` function that echoes
//! its event. Built with the same profile as mailtrail by `make bench`.

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
