//! HTTPS GETs to SNS, for signing certificates and subscription confirmations.
//!
//! Only `https://sns.<region>.amazonaws.com[.cn]/…` is ever requested; any other URL is refused
//! before a connection is made. The client is built on first use, not at cold start.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::OnceCell;

use super::VerifyError;

/// The most a response body may hold (a certificate is ~2 KB; a confirmation answer ~1 KB).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The future an [`HttpsGet`] returns.
pub type GetFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, VerifyError>> + Send + 'a>>;

/// Something that can GET an SNS URL (the real client, or a recorder in tests).
pub trait HttpsGet: Send + Sync + std::fmt::Debug {
    /// Fetches the body of an already-checked SNS URL.
    fn get<'a>(&'a self, url: &'a str) -> GetFuture<'a>;
}

/// Checks that a URL is SNS's own: `https`, host `sns.<region>.amazonaws.com` or
/// `sns.<region>.amazonaws.com.cn`, no user, no port, no fragment.
pub fn check_sns_url(url: &str) -> Result<(), VerifyError> {
    let refuse = || VerifyError::RefusedUrl(shown(url));
    let rest = url.strip_prefix("https://").ok_or_else(refuse)?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    if url.contains('#') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| {
            h.strip_suffix(".amazonaws.com")
                .or_else(|| h.strip_suffix(".amazonaws.com.cn"))
        })
        .ok_or_else(refuse)?;
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok || !(path.is_empty() || path.starts_with('/') || path.starts_with('?')) {
        return Err(refuse());
    }
    Ok(())
}

/// A URL as it may appear in logs and answers: no query string (a SubscribeURL carries the
/// subscription token), at most 200 characters.
fn shown(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// Checks a signing certificate URL: an SNS URL whose path is a `.pem` file.
pub fn check_certificate_url(url: &str) -> Result<(), VerifyError> {
    check_sns_url(url)?;
    let path = url.split('?').next().unwrap_or(url);
    if !path.ends_with(".pem") || url.contains('?') {
        return Err(VerifyError::RefusedUrl(shown(url)));
    }
    Ok(())
}

type HttpsClient =
    Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Empty<Bytes>>;

/// The real client: hyper with rustls and the system's root certificates.
#[derive(Debug, Default)]
pub struct SnsHttpsClient {
    client: OnceCell<HttpsClient>,
}

impl SnsHttpsClient {
    async fn client(&self) -> Result<&HttpsClient, VerifyError> {
        self.client
            .get_or_try_init(|| async {
                let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(provider)
                    .map_err(|e| VerifyError::CertificateUnavailable(format!("no root certificates: {e}")))?
                    .https_only()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .await
    }

    async fn fetch(&self, url: &str) -> Result<Bytes, VerifyError> {
        check_sns_url(url)?;
        let unavailable = |e: &dyn std::fmt::Display| VerifyError::CertificateUnavailable(e.to_string());
        let uri: aws_lambda_events::http::Uri = url.parse().map_err(|e| unavailable(&e))?;
        let client = self.client().await?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, client.get(uri))
            .await
            .map_err(|e| unavailable(&e))?
            .map_err(|e| unavailable(&e))?;
        if !response.status().is_success() {
            return Err(VerifyError::CertificateUnavailable(format!(
                "SNS answered {}",
                response.status()
            )));
        }
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES);
        let collected = tokio::time::timeout(REQUEST_TIMEOUT, body.collect())
            .await
            .map_err(|e| unavailable(&e))?
            .map_err(|e| unavailable(&e))?;
        Ok(collected.to_bytes())
    }
}

impl HttpsGet for SnsHttpsClient {
    fn get<'a>(&'a self, url: &'a str) -> GetFuture<'a> {
        Box::pin(self.fetch(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sns_hosts_only() {
        for good in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
            "https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=t",
        ] {
            check_sns_url(good).unwrap();
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://user@sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.a.b.amazonaws.com/x.pem",
            "https://SNS.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.pem#frag",
            "https://sns.us-east-1.amazonaws.com/x .pem",
            "ftp://sns.us-east-1.amazonaws.com/x.pem",
            "",
        ] {
            assert!(check_sns_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn certificate_urls_must_name_a_pem_file() {
        check_certificate_url("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem")
            .unwrap();
        assert!(check_certificate_url("https://sns.us-east-1.amazonaws.com/cert.txt").is_err());
        assert!(check_certificate_url("https://sns.us-east-1.amazonaws.com/x.pem?y=1").is_err());
        assert!(check_certificate_url("https://sns.us-east-1.amazonaws.com").is_err());
    }

    #[tokio::test]
    async fn refuses_before_connecting() {
        let client = SnsHttpsClient::default();
        let result = client.get("https://example.com/cert.pem").await;
        assert!(matches!(result, Err(VerifyError::RefusedUrl(_))));
        assert!(client.client.get().is_none(), "no client was even built");
    }
}
