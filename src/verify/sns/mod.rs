//! SNS: the topic allow-list, and the signatures of messages delivered to an HTTPS endpoint.
//!
//! Signature version 1 is SHA1withRSA, version 2 SHA256withRSA, over the canonical
//! `Key\nValue\n` string of the message ([`message`]). The signing certificate's URL must be
//! SNS's own ([`url`]); the certificate comes from `SNS_CERT_DIR` when it holds it (the
//! operator's own trust decision), else from SNS, and then must chain to a public root, be
//! valid now and be issued to SNS ([`certificate`]). Trusted keys are cached ([`cache`]).

pub mod cache;
pub mod certificate;
pub mod fetch;
pub mod message;
pub mod url;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_lambda_events::http::Uri;
use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
    RSA_PKCS1_2048_8192_SHA256,
};
use base64::Engine as _;
use rustls_pki_types::CertificateDer;

use self::cache::{KeyCache, RefusedUrls, RegionBudgets};
use self::certificate::{CertificateTrust, TrustError};
use self::fetch::HttpsGet;
pub use self::message::SnsHttpMessage;
use self::url::SnsUrl;
use super::VerifyError;

/// An RSA signature of a 4096-bit key is 512 bytes; anything longer is not one.
const MAX_SIGNATURE_BYTES: usize = 1024;
/// Issuer certificates kept at most.
const MAX_ISSUERS: usize = 8;

/// The SNS topics whose messages are accepted (`SNS_TOPIC_ARNS`). Empty refuses every topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicAllowList(Vec<String>);

impl TopicAllowList {
    /// From a list of topic ARNs.
    pub fn new(arns: Vec<String>) -> TopicAllowList {
        TopicAllowList(arns)
    }

    /// Accepts a listed topic; refuses any other (and every topic when the list is empty).
    pub fn check(&self, topic_arn: &str) -> Result<(), VerifyError> {
        if self.0.iter().any(|allowed| allowed == topic_arn) {
            Ok(())
        } else {
            Err(VerifyError::TopicNotAllowed(
                topic_arn.chars().take(256).collect(),
            ))
        }
    }
}

/// The region of a topic ARN (`arn:aws:sns:<region>:<account>:<name>`).
fn topic_region(topic_arn: &str) -> Option<&str> {
    topic_arn.split(':').nth(3)
}

/// The signature versions accepted (`SNS_SIGNATURE_VERSIONS`, default `1,2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureVersions {
    /// Version 1, SHA1withRSA.
    pub sha1: bool,
    /// Version 2, SHA256withRSA.
    pub sha256: bool,
}

impl Default for SignatureVersions {
    fn default() -> Self {
        SignatureVersions {
            sha1: true,
            sha256: true,
        }
    }
}

/// A `SNS_SIGNATURE_VERSIONS` value other than a list of `1` and `2`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SNS_SIGNATURE_VERSIONS must list 1 and/or 2 (comma-separated)")]
pub struct BadSignatureVersions;

impl SignatureVersions {
    /// From a list of version names.
    pub fn parse(versions: &[String]) -> Result<SignatureVersions, BadSignatureVersions> {
        let mut accepted = SignatureVersions {
            sha1: false,
            sha256: false,
        };
        for version in versions {
            match version.trim() {
                "1" => accepted.sha1 = true,
                "2" => accepted.sha256 = true,
                _ => return Err(BadSignatureVersions),
            }
        }
        if accepted.sha1 || accepted.sha256 {
            Ok(accepted)
        } else {
            Err(BadSignatureVersions)
        }
    }

    fn algorithm(self, version: &str) -> Result<&'static dyn VerificationAlgorithm, VerifyError> {
        match version {
            "1" if self.sha1 => Ok(&RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
            "2" if self.sha256 => Ok(&RSA_PKCS1_2048_8192_SHA256),
            other => Err(VerifyError::UnsupportedSignatureVersion(
                other.chars().take(16).collect(),
            )),
        }
    }
}

/// Verifies SNS messages delivered over HTTPS and confirms subscriptions.
#[derive(Debug)]
pub struct SnsVerifier {
    topics: TopicAllowList,
    versions: SignatureVersions,
    certificate_dir: Option<PathBuf>,
    trust: CertificateTrust,
    keys: KeyCache,
    issuers: Mutex<Vec<CertificateDer<'static>>>,
    budgets: RegionBudgets,
    refused: RefusedUrls,
    https: Arc<dyn HttpsGet>,
}

impl SnsVerifier {
    /// A verifier for `topics`, looking for certificates in `certificate_dir` before fetching
    /// them with `https` and judging fetched ones by the public roots.
    pub fn new(
        topics: TopicAllowList,
        certificate_dir: Option<PathBuf>,
        https: Arc<dyn HttpsGet>,
    ) -> SnsVerifier {
        SnsVerifier {
            topics,
            versions: SignatureVersions::default(),
            certificate_dir,
            trust: CertificateTrust::default(),
            keys: KeyCache::default(),
            issuers: Mutex::new(Vec::new()),
            budgets: RegionBudgets::default(),
            refused: RefusedUrls::default(),
            https,
        }
    }

    /// The same verifier accepting only `versions`.
    pub fn with_versions(mut self, versions: SignatureVersions) -> SnsVerifier {
        self.versions = versions;
        self
    }

    /// The same verifier judging fetched certificates by `trust`.
    pub fn with_trust(mut self, trust: CertificateTrust) -> SnsVerifier {
        self.trust = trust;
        self
    }

    /// The topic allow-list.
    pub fn topics(&self) -> &TopicAllowList {
        &self.topics
    }

    /// Checks the topic, the signature version and URL, then the signature. Nothing is
    /// fetched for a refused topic or URL.
    pub async fn verify(&self, message: &SnsHttpMessage) -> Result<(), VerifyError> {
        self.topics.check(&message.topic_arn)?;
        let algorithm = self.versions.algorithm(&message.signature_version)?;
        let url = url::certificate_url(&message.signing_cert_url)?;
        if topic_region(&message.topic_arn) != Some(url.region()) {
            return Err(VerifyError::RefusedUrl(
                "the certificate is not from the topic's region".into(),
            ));
        }
        if message.signature.len() > MAX_SIGNATURE_BYTES * 2 {
            return Err(VerifyError::MalformedSignature);
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(message.signature.trim())
            .map_err(|_| VerifyError::MalformedSignature)?;
        let public_key = self.public_key(&url).await?;
        UnparsedPublicKey::new(algorithm, public_key.as_slice())
            .verify(message.canonical_string().as_bytes(), &signature)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// Confirms a verified subscription by visiting its SubscribeURL (an SNS URL only).
    pub async fn confirm_subscription(&self, message: &SnsHttpMessage) -> Result<(), VerifyError> {
        let text = message
            .subscribe_url
            .as_deref()
            .ok_or(VerifyError::RefusedUrl("no SubscribeURL".into()))?;
        let url = url::subscribe_url(text)?;
        self.https.get(url.uri()).await.map(drop)
    }

    /// The trusted certificate's SubjectPublicKeyInfo: from the cache, `SNS_CERT_DIR`, or SNS.
    async fn public_key(&self, url: &SnsUrl) -> Result<Arc<Vec<u8>>, VerifyError> {
        let cache_key = url.as_str();
        if let Some(key) = self.keys.get(&cache_key) {
            return Ok(key);
        }
        let key = match self.local_certificate(url) {
            Some(pem) => certificate::public_key(&certificate::parse_pem(&pem)?[0])?,
            None => {
                if let Some(status) = self.refused.get(&cache_key) {
                    return Err(VerifyError::CertificateRefused(status));
                }
                let budget = self.budgets.of(url.region());
                if !budget.take() {
                    return Err(VerifyError::CertificateUnavailable(
                        "too many new signing certificates in this region; retry later".into(),
                    ));
                }
                let pem = match self.https.get(url.uri()).await {
                    Err(VerifyError::CertificateRefused(status)) => {
                        budget.refund();
                        self.refused.insert(cache_key, status);
                        return Err(VerifyError::CertificateRefused(status));
                    }
                    other => other?,
                };
                let certificates = certificate::parse_pem(&pem)?;
                self.trusted(&certificates, url).await?;
                certificate::public_key(&certificates[0])?
            }
        };
        let key = Arc::new(key);
        self.keys.insert(cache_key, key.clone());
        Ok(key)
    }

    /// Checks that the first certificate is trusted, with the others as intermediates, those
    /// fetched before, and when needed the issuer its Authority Information Access names.
    async fn trusted(
        &self,
        certificates: &[CertificateDer<'static>],
        url: &SnsUrl,
    ) -> Result<(), VerifyError> {
        let host = url.uri().host().unwrap_or_default();
        let (leaf, given) = certificates
            .split_first()
            .expect("parse_pem returns at least one");
        let mut intermediates: Vec<CertificateDer<'static>> = given.to_vec();
        intermediates.extend(lock(&self.issuers).iter().cloned());
        match self.trust.verify(leaf, &intermediates, host) {
            Err(TrustError::UnknownIssuer) => {}
            other => return other.map_err(VerifyError::from),
        }
        let Some(issuer_url) = certificate::amazon_issuer_url(leaf) else {
            return Err(TrustError::UnknownIssuer.into());
        };
        let uri: Uri = issuer_url
            .parse()
            .map_err(|_| VerifyError::RefusedUrl(url::shown(&issuer_url)))?;
        let issuer = certificate::parse_der_or_pem(&self.https.get(&uri).await?)?;
        intermediates.push(issuer.clone());
        self.trust.verify(leaf, &intermediates, host)?;
        let mut issuers = lock(&self.issuers);
        if issuers.len() >= MAX_ISSUERS {
            issuers.remove(0);
        }
        issuers.push(issuer);
        Ok(())
    }

    /// `SNS_CERT_DIR/<last path segment of the URL>`, when that file exists.
    fn local_certificate(&self, url: &SnsUrl) -> Option<Vec<u8>> {
        let dir = self.certificate_dir.as_ref()?;
        let name = url.uri().path().rsplit('/').next()?;
        std::fs::read(dir.join(name)).ok()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
