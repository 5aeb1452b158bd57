//! Creates the events table on the DynamoDB endpoint the AWS SDK is configured for
//! (`AWS_ENDPOINT_URL_DYNAMODB` for a local server). Used by `make demo`.
//!
//! Usage: TABLE_NAME=mailtrail-demo cargo run --example create_table

use aws_config::BehaviorVersion;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "mailtrail-demo".to_owned());
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    mailtrail::store::table::create(&client, &table).await?;
    println!("created table {table}");
    Ok(())
}
