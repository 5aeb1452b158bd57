//! GETs for the SNS verifier: signing certificates and subscription confirmations at SNS, and
//! issuer certificates at Amazon Trust Services. Callers pass only URLs already checked by
//! [`super::url`] or [`super::certificate::amazon_issuer_url`]. The client is built on first
//! use, not at cold start.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use aws_lambda_events::http::Uri;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::OnceCell;

use crate::verify::VerifyError;

/// The most a response body may hold (a certificate is ~2 KB; a confirmation answer ~1 KB).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The future an [`HttpsGet`] returns.
pub type GetFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, VerifyError>> + Send + 'a>>;

/// Something that can GET a checked URL (the real client, or a recorder in tests).
pub trait HttpsGet: Send + Sync + std::fmt::Debug {
    /// Fetches the body of an already-checked URL.
    fn get<'a>(&'a self, url: &'a Uri) -> GetFuture<'a>;
}

type HttpClient =
    Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Empty<Bytes>>;

/// The real client: hyper with rustls and the system's root certificates. HTTPS for SNS;
/// plain HTTP is allowed only because issuer certificates are served that way, and they are
/// trusted only by the chain they complete. A client error from the host (4xx) is told apart
/// from a failure to fetch: it means there is no such certificate.
#[derive(Debug, Default)]
pub struct SnsHttpsClient {
    client: OnceCell<HttpClient>,
    origin: Option<Uri>,
}

impl SnsHttpsClient {
    /// The same client sending every request to `origin` (`http://127.0.0.1:<port>`) with the
    /// same path and query: a local server stands in for SNS's hosts in tests.
    pub fn redirected_to(origin: Uri) -> SnsHttpsClient {
        SnsHttpsClient {
            client: OnceCell::new(),
            origin: Some(origin),
        }
    }

    async fn client(&self) -> Result<&HttpClient, VerifyError> {
        self.client
            .get_or_try_init(|| async {
                let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(provider)
                    .map_err(|e| VerifyError::CertificateUnavailable(format!("no root certificates: {e}")))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .await
    }

    async fn fetch(&self, url: &Uri) -> Result<Bytes, VerifyError> {
        let unavailable = |e: &dyn std::fmt::Display| VerifyError::CertificateUnavailable(e.to_string());
        let client = self.client().await?;
        let target = match &self.origin {
            None => url.clone(),
            Some(origin) => {
                let mut parts = origin.clone().into_parts();
                parts.path_and_query = url.path_and_query().cloned();
                Uri::from_parts(parts).map_err(|e| unavailable(&e))?
            }
        };
        let response = tokio::time::timeout(REQUEST_TIMEOUT, client.get(target))
            .await
            .map_err(|e| unavailable(&e))?
            .map_err(|e| unavailable(&e))?;
        if response.status().is_client_error() {
            return Err(VerifyError::CertificateRefused(response.status().as_u16()));
        }
        if !response.status().is_success() {
            return Err(VerifyError::CertificateUnavailable(format!(
                "{} answered {}",
                url.host().unwrap_or(""),
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
    fn get<'a>(&'a self, url: &'a Uri) -> GetFuture<'a> {
        Box::pin(self.fetch(url))
    }
}
