//! The DynamoDB client, built for a Lambda in well under a millisecond.
//!
//! `aws_config::load_defaults` spends about 3 ms of a cold start on things a Lambda does not
//! need, most of it loading and parsing the system's whole trust store for the HTTPS client.
//! Here the region and credentials come from the variables Lambda sets, the SDK's own
//! `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` are honored, and TLS trusts the Amazon
//! Trust Services roots that DynamoDB's endpoints chain to. Nothing touches the network.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{SharedAsyncSleep, SharedCredentialsProvider};
use aws_sdk_dynamodb::Client;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

/// Amazon Root CA 1–4 and Starfield Services Root G2 (public certificates).
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("amazon-trust-services-roots.pem");

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set (Lambda always sets `AWS_REGION`).
    #[error("AWS_REGION is not set")]
    NoRegion,
    /// The trust store did not build.
    #[error("the TLS trust store could not be built: {0}")]
    Tls(String),
}

/// Builds the DynamoDB client from the environment.
pub fn dynamodb_client() -> Result<Client, ClientError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .ok_or(ClientError::NoRegion)?;
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS);
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https();
    let mut sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(http)
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        );
    if let Some(endpoint) = env("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| env("AWS_ENDPOINT_URL")) {
        sdk = sdk.endpoint_url(endpoint);
    }
    Ok(Client::new(&sdk.build()))
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    use super::*;

    #[test]
    fn the_embedded_roots_parse_as_the_sdk_parses_them() {
        let roots: Vec<CertificateDer> = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES_ROOTS)
            .collect::<Result<_, _>>()
            .expect("valid PEM");
        assert_eq!(roots.len(), 5);
        for root in &roots {
            webpki::anchor_from_trusted_cert(root).expect("a usable trust anchor");
        }
    }
}
