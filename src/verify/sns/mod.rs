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

use self::cache::{FetchBudget, KeyCache};
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
    budget: FetchBudget,
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
            budget: FetchBudget::default(),
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
                if !self.budget.take() {
                    return Err(VerifyError::CertificateUnavailable(
                        "too many new signing certificates; retry later".into(),
                    ));
                }
                let pem = self.https.get(url.uri()).await?;
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
mod tests {
    use std::sync::Mutex as StdMutex;

    use bytes::Bytes;
    use rustls_pki_types::UnixTime;

    use super::fetch::GetFuture;
    use super::*;

    pub(crate) const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events";
    const FIXTURE_CERT: &str = "SimpleNotificationService-6d61696c747261696c2d74657374.pem";

    /// Stands in for SNS and Amazon Trust Services: records the URLs asked for and serves the
    /// test PKI (a leaf issued to sns.amazonaws.com, its intermediate at the AIA URL).
    #[derive(Debug)]
    struct Recorder {
        asked: StdMutex<Vec<String>>,
        leaf: &'static [u8],
    }

    impl Recorder {
        fn serving(leaf: &'static [u8]) -> Arc<Recorder> {
            Arc::new(Recorder {
                asked: StdMutex::new(Vec::new()),
                leaf,
            })
        }

        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl HttpsGet for Recorder {
        fn get<'a>(&'a self, url: &'a Uri) -> GetFuture<'a> {
            let url = url.to_string();
            self.asked.lock().unwrap().push(url.clone());
            Box::pin(async move {
                if url.ends_with(".pem") {
                    Ok(Bytes::from_static(self.leaf))
                } else if url.ends_with("test-intermediate.cer") {
                    Ok(Bytes::from_static(include_bytes!(
                        "../../../fixtures/sns/pki/test-intermediate.cer"
                    )))
                } else {
                    Ok(Bytes::from_static(b"<ConfirmSubscriptionResponse/>"))
                }
            })
        }
    }

    const LEAF: &[u8] = include_bytes!("../../../fixtures/sns/pki/sns-leaf.pem");
    const SELF_SIGNED: &[u8] =
        include_bytes!("../../../fixtures/sns/SimpleNotificationService-6d61696c747261696c2d74657374.pem");

    fn fixture(name: &str) -> SnsHttpMessage {
        let text = match name {
            "notification-v1" => include_str!("../../../fixtures/sns/notification-v1.json"),
            "notification-v2" => include_str!("../../../fixtures/sns/notification-v2.json"),
            "subscription-confirmation" => {
                include_str!("../../../fixtures/sns/subscription-confirmation.json")
            }
            "unsubscribe-confirmation" => include_str!("../../../fixtures/sns/unsubscribe-confirmation.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    fn test_trust() -> CertificateTrust {
        let root = certificate::parse_pem(include_bytes!("../../../fixtures/sns/pki/test-root.pem"))
            .unwrap()
            .remove(0);
        CertificateTrust::with_roots(&[root], UnixTime::now)
    }

    fn verifier(dir: Option<PathBuf>, leaf: &'static [u8]) -> (SnsVerifier, Arc<Recorder>) {
        let recorder = Recorder::serving(leaf);
        let verifier = SnsVerifier::new(TopicAllowList::new(vec![TOPIC.to_owned()]), dir, recorder.clone())
            .with_trust(test_trust());
        (verifier, recorder)
    }

    fn fixture_dir() -> Option<PathBuf> {
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/sns"
        )))
    }

    #[tokio::test]
    async fn verifies_both_signature_versions_from_the_certificate_directory() {
        let (verifier, recorder) = verifier(fixture_dir(), LEAF);
        for name in [
            "notification-v1",
            "notification-v2",
            "subscription-confirmation",
            "unsubscribe-confirmation",
        ] {
            verifier
                .verify(&fixture(name))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(recorder.asked().is_empty(), "nothing fetched");
    }

    #[tokio::test]
    async fn a_fetched_certificate_is_trusted_through_its_issuer_then_cached() {
        let (verifier, recorder) = verifier(None, LEAF);
        verifier.verify(&fixture("notification-v1")).await.unwrap();
        verifier.verify(&fixture("notification-v2")).await.unwrap();
        let asked = recorder.asked();
        assert_eq!(asked.len(), 2, "{asked:?}");
        assert!(asked[0].ends_with(FIXTURE_CERT));
        assert_eq!(asked[1], "http://crt.test.amazontrust.com/test-intermediate.cer");
    }

    #[tokio::test]
    async fn a_fetched_certificate_that_does_not_chain_is_refused_and_not_cached() {
        let (verifier, recorder) = verifier(None, SELF_SIGNED);
        for _ in 0..2 {
            assert!(matches!(
                verifier.verify(&fixture("notification-v1")).await,
                Err(VerifyError::BadCertificate(_))
            ));
        }
        assert_eq!(recorder.asked().len(), 2, "refused twice, fetched twice");
        let (public_roots, _) = verifier_with_public_roots();
        assert!(matches!(
            public_roots.verify(&fixture("notification-v2")).await,
            Err(VerifyError::BadCertificate(_))
        ));
    }

    fn verifier_with_public_roots() -> (SnsVerifier, Arc<Recorder>) {
        let recorder = Recorder::serving(LEAF);
        let verifier = SnsVerifier::new(
            TopicAllowList::new(vec![TOPIC.to_owned()]),
            None,
            recorder.clone(),
        );
        (verifier, recorder)
    }

    #[tokio::test]
    async fn a_flood_of_new_certificate_urls_is_rationed() {
        let (verifier, recorder) = verifier(None, SELF_SIGNED);
        let mut unavailable = 0;
        for i in 0..50 {
            let mut message = fixture("notification-v1");
            message.signing_cert_url =
                format!("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{i:032x}.pem");
            if let Err(VerifyError::CertificateUnavailable(_)) = verifier.verify(&message).await {
                unavailable += 1;
            }
        }
        assert_eq!(recorder.asked().len(), cache::FETCHES_PER_WINDOW as usize);
        assert_eq!(unavailable, 50 - cache::FETCHES_PER_WINDOW as usize);
    }

    #[tokio::test]
    async fn any_changed_signed_field_fails() {
        let (verifier, _) = verifier(fixture_dir(), LEAF);
        let original = fixture("notification-v2");
        let mut changes: Vec<SnsHttpMessage> = Vec::new();
        let mut m = original.clone();
        m.message.push(' ');
        changes.push(m);
        let mut m = original.clone();
        m.message_id.push('0');
        changes.push(m);
        let mut m = original.clone();
        m.subject = None;
        changes.push(m);
        let mut m = original.clone();
        m.timestamp = "2026-11-24T12:00:02.000Z".into();
        changes.push(m);
        let mut m = original.clone();
        m.signature_version = "1".into();
        changes.push(m);
        let mut m = original.clone();
        m.message_type = "SubscriptionConfirmation".into();
        changes.push(m);
        for changed in changes {
            assert!(
                matches!(verifier.verify(&changed).await, Err(VerifyError::BadSignature)),
                "{changed:?}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_topics_urls_regions_and_versions_before_fetching() {
        let (verifier, recorder) = verifier(None, LEAF);
        let mut other_topic = fixture("notification-v1");
        other_topic.topic_arn = "arn:aws:sns:us-east-1:999999999999:attacker".into();
        assert!(matches!(
            verifier.verify(&other_topic).await,
            Err(VerifyError::TopicNotAllowed(_))
        ));
        let mut evil_cert = fixture("notification-v1");
        evil_cert.signing_cert_url =
            "https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-abc.pem".into();
        assert!(matches!(
            verifier.verify(&evil_cert).await,
            Err(VerifyError::RefusedUrl(_))
        ));
        let mut other_region = fixture("notification-v1");
        other_region.signing_cert_url =
            "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem".into();
        assert!(matches!(
            verifier.verify(&other_region).await,
            Err(VerifyError::RefusedUrl(_))
        ));
        let mut version = fixture("notification-v1");
        version.signature_version = "3".into();
        assert!(matches!(
            verifier.verify(&version).await,
            Err(VerifyError::UnsupportedSignatureVersion(_))
        ));
        assert!(recorder.asked().is_empty());

        let nobody = SnsVerifier::new(TopicAllowList::default(), fixture_dir(), recorder.clone());
        assert!(matches!(
            nobody.verify(&fixture("notification-v1")).await,
            Err(VerifyError::TopicNotAllowed(_))
        ));
    }

    #[tokio::test]
    async fn an_operator_can_refuse_sha1_signatures() {
        let versions = SignatureVersions::parse(&["2".to_owned()]).unwrap();
        let (verifier, _) = verifier(fixture_dir(), LEAF);
        let verifier = verifier.with_versions(versions);
        assert!(matches!(
            verifier.verify(&fixture("notification-v1")).await,
            Err(VerifyError::UnsupportedSignatureVersion(_))
        ));
        verifier.verify(&fixture("notification-v2")).await.unwrap();
        assert!(SignatureVersions::parse(&["3".to_owned()]).is_err());
        assert!(SignatureVersions::parse(&[]).is_err());
        assert_eq!(
            SignatureVersions::parse(&["1".to_owned(), " 2".to_owned()]).unwrap(),
            SignatureVersions::default()
        );
    }

    #[tokio::test]
    async fn confirms_subscriptions_at_sns_only() {
        let (verifier, recorder) = verifier(fixture_dir(), LEAF);
        let confirmation = fixture("subscription-confirmation");
        verifier.confirm_subscription(&confirmation).await.unwrap();
        assert_eq!(recorder.asked(), [confirmation.subscribe_url.clone().unwrap()]);
        let mut evil = confirmation.clone();
        evil.subscribe_url = Some("https://attacker.example/?Action=ConfirmSubscription".into());
        assert!(verifier.confirm_subscription(&evil).await.is_err());
        assert_eq!(recorder.asked().len(), 1);
    }
}
