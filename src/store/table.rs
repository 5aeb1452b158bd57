//! The table's schema, for local DynamoDB-API servers and tests. `template.yaml` declares the
//! same table for AWS; keep the two in step.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableClass,
};
use aws_sdk_dynamodb::Client;

/// The index answering "everything that happened to this address".
pub const BY_RECIPIENT_INDEX: &str = "by_recipient";

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and type are set")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

/// How long [`create`] waits before the waiter's first poll.
const FIRST_POLL_DELAY: Duration = Duration::from_millis(50);
/// How long [`create`] waits for the table to become active.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the table could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// DynamoDB refused a request.
    #[error("creating the table failed: {0}")]
    Request(#[from] aws_sdk_dynamodb::Error),
    /// The table did not become active in time.
    #[error("table {name} not active: {reason}")]
    NotActive {
        /// The table.
        name: String,
        /// What the waiter said.
        reason: String,
    },
}

/// Creates the events table: `pk` + `sk`, on-demand, with the lean `by_recipient` index
/// (`recipient` + `sk`, projecting only what a timeline row shows), and waits until it is
/// active.
pub async fn create(client: &Client, name: &str) -> Result<(), TableError> {
    let by_recipient = GlobalSecondaryIndex::builder()
        .index_name(BY_RECIPIENT_INDEX)
        .key_schema(key("recipient", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(
                    super::item::INDEX_ATTRIBUTES
                        .iter()
                        .map(|a| (*a).to_owned())
                        .collect(),
                ))
                .build(),
        )
        .build()
        .expect("index name and keys are set");
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .table_class(TableClass::StandardInfrequentAccess)
        .attribute_definitions(string_attribute("pk"))
        .attribute_definitions(string_attribute("sk"))
        .attribute_definitions(string_attribute("recipient"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(by_recipient)
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)?;
    wait_active(client, name).await
}

/// Waits until `name` is active.
async fn wait_active(client: &Client, name: &str) -> Result<(), TableError> {
    // The waiter polls at once, then no sooner than DynamoDB's pacing (20 s). A local server
    // is active within milliseconds: a short pause first spares that wait.
    tokio::time::sleep(FIRST_POLL_DELAY).await;
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(ACTIVE_TIMEOUT)
        .await
        .map_err(|e| TableError::NotActive {
            name: name.to_owned(),
            reason: aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string(),
        })?;
    Ok(())
}

/// Creates the suppression table: `address` (S) as its only key, on-demand, as
/// `template.yaml` declares it, and waits until it is active.
pub async fn create_suppressions(client: &Client, name: &str) -> Result<(), TableError> {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(super::suppression::ADDRESS))
        .key_schema(key(super::suppression::ADDRESS, KeyType::Hash))
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)?;
    wait_active(client, name).await
}

/// Creates the statistics table: `pk` + `sk`, on-demand, as `template.yaml` declares it, and
/// waits until it is active (hour counters expire by TTL on `expires_at` in AWS).
pub async fn create_stats(client: &Client, name: &str) -> Result<(), TableError> {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute("pk"))
        .attribute_definitions(string_attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from)?;
    wait_active(client, name).await
}

#[cfg(test)]
mod tests {
    /// The index `template.yaml` deploys projects what the code reads from it, and the tables
    /// the command and the tests create.
    #[test]
    fn the_template_projects_the_same_index_attributes() {
        let template = include_str!("../../template.yaml");
        let listed: Vec<&str> = template
            .split("NonKeyAttributes:")
            .nth(1)
            .expect("the template has an INCLUDE projection")
            .lines()
            .skip(1)
            .map_while(|line| line.trim().strip_prefix("- "))
            .collect();
        let mut listed = listed;
        listed.sort_unstable();
        let mut expected = super::super::item::INDEX_ATTRIBUTES.to_vec();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }
}
