//! The archive binary (`mailtrail-archive`): the events table's stream → Parquet files in the
//! archive bucket (`ARCHIVE_BUCKET`), one per day and batch. Cold-start wiring only; see
//! `mailtrail::archive`.

use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use mailtrail::archive::Archiver;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    mailtrail::base::logging::init();
    let bucket = std::env::var("ARCHIVE_BUCKET")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .ok_or("ARCHIVE_BUCKET is not set")?;
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    // A local S3 server (AWS_ENDPOINT_URL_S3) is addressed by path, as moto's is.
    let local = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(local)
            .build(),
    );
    let archiver = Archiver::new(s3, bucket);
    let archiver = &archiver;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        match archiver.handle(&event.payload).await {
            Ok((answer, summary)) => {
                tracing::info!(
                    records = summary.records,
                    rows = summary.rows,
                    skipped = summary.skipped,
                    objects = summary.objects.len(),
                    "batch archived"
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
