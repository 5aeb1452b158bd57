//! The DynamoDB client: the SDK's own configuration chain with a fast HTTPS client.
//!
//! `aws_config::defaults` gives the standard credential chain (environment, profiles, SSO, web
//! identity, container and instance credentials) and the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`
//! / `AWS_ENDPOINT_URL`. The HTTPS client is built here, as the SDK's default one is: rustls
//! with aws-lc, and `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (and their lower-case forms) read
//! from the environment. Most of what a plain `load_defaults` spends at cold start is loading
//! the system's whole trust store; here TLS trusts the Amazon Trust Services roots that AWS
//! endpoints chain to, and adds the system's roots only when the endpoint is an HTTPS URL
//! outside AWS (LocalStack with TLS) or an HTTPS proxy is configured (a TLS-inspecting proxy
//! presents certificates from a CA the system trusts, not Amazon's).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::ConnectorBuilder;

/// Amazon Root CA 1–4 and Starfield Services Root G2 (public certificates).
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("amazon-trust-services-roots.pem");

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The trust store did not build.
    #[error("the TLS trust store could not be built: {0}")]
    Tls(String),
}

/// Reads an environment variable, treating blank as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether `endpoint` is an HTTPS URL whose host is not an AWS one, so that its certificate
/// may chain to a root other than Amazon's.
pub fn needs_public_roots(endpoint: &str) -> bool {
    let Some(rest) = endpoint.trim().strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    !["amazonaws.com", "amazonaws.com.cn", "api.aws"]
        .iter()
        .any(|aws| host == *aws || host.ends_with(&format!(".{aws}")))
}

/// Whether an HTTPS proxy is configured (`HTTPS_PROXY` or `https_proxy`, non-blank): the
/// certificates seen through it may be the proxy's own, from a CA in the system's store.
pub fn https_proxy_configured(lookup: impl Fn(&str) -> Option<String>) -> bool {
    ["HTTPS_PROXY", "https_proxy"]
        .iter()
        .any(|name| lookup(name).is_some_and(|v| !v.trim().is_empty()))
}

/// What the client takes from its surroundings; everything else (retries, timeouts, TLS,
/// proxies) is the same for every caller.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// The endpoint, when not AWS's (`AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// The region (`AWS_REGION`, else `AWS_DEFAULT_REGION`, else the SDK's chain).
    pub region: Option<String>,
    /// Fixed credentials instead of the SDK's chain (tests against a local server).
    pub credentials: Option<aws_sdk_dynamodb::config::Credentials>,
}

impl ClientSettings {
    /// From the environment, as Lambda (or a laptop) sets it.
    pub fn from_env() -> ClientSettings {
        ClientSettings {
            endpoint: env("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| env("AWS_ENDPOINT_URL")),
            region: env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")),
            credentials: None,
        }
    }
}

/// Builds the DynamoDB client from the environment and the SDK's configuration chain.
pub async fn dynamodb_client() -> Result<Client, ClientError> {
    dynamodb_client_with(ClientSettings::from_env()).await
}

/// Builds the DynamoDB client the function uses, with `settings` for what it would otherwise
/// read from the environment.
pub async fn dynamodb_client_with(settings: ClientSettings) -> Result<Client, ClientError> {
    let endpoint = settings.endpoint;
    let public_roots = endpoint.as_deref().is_some_and(needs_public_roots)
        || https_proxy_configured(|name| std::env::var(name).ok());
    let trust = TrustStore::empty()
        .with_native_roots(public_roots)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS);
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    // Built the way the SDK builds its default client (one connector per settings, cached),
    // with the trust store above.
    let http = aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(tls.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        );
    // Lambda always sets AWS_REGION; taking it directly skips the region provider chain.
    if let Some(region) = settings.region {
        loader = loader.region(Region::new(region));
    }
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(credentials) = settings.credentials {
        loader = loader.credentials_provider(credentials);
    }
    Ok(Client::new(&loader.load().await))
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

    #[test]
    fn an_https_proxy_brings_the_systems_roots() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(https_proxy_configured(env(&[(
            "HTTPS_PROXY",
            "http://proxy:3128"
        )])));
        assert!(https_proxy_configured(env(&[(
            "https_proxy",
            "http://proxy:3128"
        )])));
        assert!(!https_proxy_configured(env(&[("HTTPS_PROXY", " ")])));
        assert!(!https_proxy_configured(env(&[(
            "HTTP_PROXY",
            "http://proxy:3128"
        )])));
    }

    #[test]
    fn public_roots_only_for_https_endpoints_outside_aws() {
        assert!(needs_public_roots("https://localstack.internal:4566"));
        assert!(needs_public_roots("https://dynamodb.proxy.example.com/"));
        assert!(!needs_public_roots("https://dynamodb.us-east-1.amazonaws.com"));
        assert!(!needs_public_roots(
            "https://dynamodb.cn-north-1.amazonaws.com.cn"
        ));
        assert!(!needs_public_roots("https://123.ddb.us-east-1.api.aws"));
        assert!(!needs_public_roots("http://127.0.0.1:8000"));
        assert!(needs_public_roots("https://amazonaws.com.evil.example"));
    }
}
