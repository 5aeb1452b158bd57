//! SNS: the topic allow-list, and the signatures of messages delivered to an HTTPS endpoint.
//!
//! Signature version 1 is SHA1withRSA, version 2 SHA256withRSA, over the canonical
//! `Key\nValue\n` string of Message, MessageId, Subject, SubscribeURL, Timestamp, Token,
//! TopicArn and Type (the keys present, in that order). The signing certificate comes from
//! `SNS_CERT_DIR` when it holds it, else from SNS itself, and is cached across invocations.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::{
    UnparsedPublicKey, VerificationAlgorithm, RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
    RSA_PKCS1_2048_8192_SHA256,
};
use base64::Engine as _;
use serde::Deserialize;

use super::fetch::{check_certificate_url, check_sns_url, HttpsGet};
use super::VerifyError;

/// An RSA signature of a 4096-bit key is 512 bytes; anything longer is not one.
const MAX_SIGNATURE_BYTES: usize = 1024;
/// Certificates kept in memory at most (SNS rotates them rarely).
const MAX_CACHED_CERTIFICATES: usize = 16;

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

/// A message SNS POSTs to an HTTPS subscription.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsHttpMessage {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    #[serde(rename = "Type")]
    pub message_type: String,
    /// SNS's id for the message.
    pub message_id: String,
    /// The topic it was published to.
    pub topic_arn: String,
    /// The subject, when the publisher gave one.
    #[serde(default)]
    pub subject: Option<String>,
    /// The payload: for SES, the event JSON.
    pub message: String,
    /// When SNS published it.
    pub timestamp: String,
    /// The confirmation token (confirmations only).
    #[serde(default)]
    pub token: Option<String>,
    /// The URL that confirms the subscription (confirmations only).
    #[serde(default, rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA).
    pub signature_version: String,
    /// Base64 RSA signature.
    pub signature: String,
    /// Where SNS's signing certificate is.
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
}

impl SnsHttpMessage {
    /// The text SNS signed.
    pub fn canonical_string(&self) -> String {
        let fields: [(&str, Option<&str>); 8] = [
            ("Message", Some(&self.message)),
            ("MessageId", Some(&self.message_id)),
            ("Subject", self.subject.as_deref()),
            ("SubscribeURL", self.subscribe_url.as_deref()),
            ("Timestamp", Some(&self.timestamp)),
            ("Token", self.token.as_deref()),
            ("TopicArn", Some(&self.topic_arn)),
            ("Type", Some(&self.message_type)),
        ];
        let mut text = String::with_capacity(self.message.len() + 512);
        for (key, value) in fields {
            if let Some(value) = value {
                text.push_str(key);
                text.push('\n');
                text.push_str(value);
                text.push('\n');
            }
        }
        text
    }
}

/// Verifies SNS messages delivered over HTTPS and confirms subscriptions.
#[derive(Debug)]
pub struct SnsVerifier {
    topics: TopicAllowList,
    certificate_dir: Option<PathBuf>,
    certificates: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    https: Arc<dyn HttpsGet>,
}

impl SnsVerifier {
    /// A verifier for `topics`, looking for certificates in `certificate_dir` before fetching
    /// them with `https`.
    pub fn new(
        topics: TopicAllowList,
        certificate_dir: Option<PathBuf>,
        https: Arc<dyn HttpsGet>,
    ) -> SnsVerifier {
        SnsVerifier {
            topics,
            certificate_dir,
            certificates: Mutex::new(HashMap::new()),
            https,
        }
    }

    /// The topic allow-list.
    pub fn topics(&self) -> &TopicAllowList {
        &self.topics
    }

    /// Checks the topic, then the signature. Nothing is fetched for a refused topic or URL.
    pub async fn verify(&self, message: &SnsHttpMessage) -> Result<(), VerifyError> {
        self.topics.check(&message.topic_arn)?;
        let algorithm: &'static dyn VerificationAlgorithm = match message.signature_version.as_str() {
            "1" => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "2" => &RSA_PKCS1_2048_8192_SHA256,
            other => {
                return Err(VerifyError::UnsupportedSignatureVersion(
                    other.chars().take(16).collect(),
                ))
            }
        };
        check_certificate_url(&message.signing_cert_url)?;
        if message.signature.len() > MAX_SIGNATURE_BYTES * 2 {
            return Err(VerifyError::MalformedSignature);
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(message.signature.trim())
            .map_err(|_| VerifyError::MalformedSignature)?;
        let public_key = self.public_key(&message.signing_cert_url).await?;
        UnparsedPublicKey::new(algorithm, public_key.as_slice())
            .verify(message.canonical_string().as_bytes(), &signature)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// Confirms a verified subscription by visiting its SubscribeURL (an SNS URL only).
    pub async fn confirm_subscription(&self, message: &SnsHttpMessage) -> Result<(), VerifyError> {
        let url = message
            .subscribe_url
            .as_deref()
            .ok_or(VerifyError::RefusedUrl("no SubscribeURL".into()))?;
        check_sns_url(url)?;
        self.https.get(url).await.map(drop)
    }

    /// The certificate's SubjectPublicKeyInfo: from the cache, `SNS_CERT_DIR`, or SNS.
    async fn public_key(&self, url: &str) -> Result<Arc<Vec<u8>>, VerifyError> {
        if let Some(key) = self.lock().get(url) {
            return Ok(key.clone());
        }
        let pem = match self.local_certificate(url) {
            Some(pem) => pem,
            None => self.https.get(url).await?.to_vec(),
        };
        let key = Arc::new(public_key_of(&pem)?);
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED_CERTIFICATES {
            cache.clear();
        }
        cache.insert(url.to_owned(), key.clone());
        Ok(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<u8>>>> {
        // The map holds only complete entries, so a panic elsewhere cannot leave it half-written.
        self.certificates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `SNS_CERT_DIR/<last path segment of the URL>`, when that file exists.
    fn local_certificate(&self, url: &str) -> Option<Vec<u8>> {
        let dir = self.certificate_dir.as_ref()?;
        let name = url.rsplit('/').next()?;
        let safe = !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !safe {
            return None;
        }
        std::fs::read(dir.join(name)).ok()
    }
}

/// The SubjectPublicKeyInfo of the first certificate in a PEM text.
fn public_key_of(pem: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let bad = |why: &str| VerifyError::BadCertificate(why.to_owned());
    let text = std::str::from_utf8(pem).map_err(|_| bad("not text"))?;
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = text.find(begin).ok_or_else(|| bad("no PEM certificate"))? + begin.len();
    let end = text[start..]
        .find("-----END CERTIFICATE-----")
        .ok_or_else(|| bad("unterminated PEM"))?
        + start;
    let base64_text: String = text[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .map_err(|_| bad("bad base64"))?;
    let der = rustls_pki_types::CertificateDer::from(der);
    let certificate = webpki::EndEntityCert::try_from(&der).map_err(|e| bad(&format!("{e:?}")))?;
    Ok(certificate.subject_public_key_info().as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use bytes::Bytes;

    use super::*;
    use crate::verify::fetch::GetFuture;

    pub(crate) const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events";

    /// Records the URLs asked for and answers from fixtures/sns (or fails).
    #[derive(Debug, Default)]
    struct Recorder {
        asked: StdMutex<Vec<String>>,
    }

    impl HttpsGet for Recorder {
        fn get<'a>(&'a self, url: &'a str) -> GetFuture<'a> {
            self.asked.lock().unwrap().push(url.to_owned());
            Box::pin(async move {
                if url.ends_with(".pem") {
                    Ok(Bytes::from_static(include_bytes!(
                        "../../fixtures/sns/SimpleNotificationService-mailtrail-test.pem"
                    )))
                } else {
                    Ok(Bytes::from_static(b"<ConfirmSubscriptionResponse/>"))
                }
            })
        }
    }

    fn fixture(name: &str) -> SnsHttpMessage {
        let text = match name {
            "notification-v1" => include_str!("../../fixtures/sns/notification-v1.json"),
            "notification-v2" => include_str!("../../fixtures/sns/notification-v2.json"),
            "subscription-confirmation" => include_str!("../../fixtures/sns/subscription-confirmation.json"),
            "unsubscribe-confirmation" => include_str!("../../fixtures/sns/unsubscribe-confirmation.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    fn verifier(dir: Option<PathBuf>) -> (SnsVerifier, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let verifier = SnsVerifier::new(TopicAllowList::new(vec![TOPIC.to_owned()]), dir, recorder.clone());
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
        let (verifier, recorder) = verifier(fixture_dir());
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
        assert!(recorder.asked.lock().unwrap().is_empty(), "nothing fetched");
    }

    #[tokio::test]
    async fn fetches_a_certificate_once_then_caches_it() {
        let (verifier, recorder) = verifier(None);
        verifier.verify(&fixture("notification-v1")).await.unwrap();
        verifier.verify(&fixture("notification-v2")).await.unwrap();
        assert_eq!(recorder.asked.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn any_changed_signed_field_fails() {
        let (verifier, _) = verifier(fixture_dir());
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
    async fn refuses_topics_urls_and_versions_before_fetching() {
        let (verifier, recorder) = verifier(None);
        let mut other_topic = fixture("notification-v1");
        other_topic.topic_arn = "arn:aws:sns:us-east-1:999999999999:attacker".into();
        assert!(matches!(
            verifier.verify(&other_topic).await,
            Err(VerifyError::TopicNotAllowed(_))
        ));
        let mut evil_cert = fixture("notification-v1");
        evil_cert.signing_cert_url = "https://attacker.example/SimpleNotificationService-x.pem".into();
        assert!(matches!(
            verifier.verify(&evil_cert).await,
            Err(VerifyError::RefusedUrl(_))
        ));
        let mut version = fixture("notification-v1");
        version.signature_version = "3".into();
        assert!(matches!(
            verifier.verify(&version).await,
            Err(VerifyError::UnsupportedSignatureVersion(_))
        ));
        assert!(recorder.asked.lock().unwrap().is_empty());

        let nobody = SnsVerifier::new(TopicAllowList::default(), fixture_dir(), recorder.clone());
        assert!(matches!(
            nobody.verify(&fixture("notification-v1")).await,
            Err(VerifyError::TopicNotAllowed(_))
        ));
    }

    #[tokio::test]
    async fn confirms_subscriptions_at_sns_only() {
        let (verifier, recorder) = verifier(fixture_dir());
        let confirmation = fixture("subscription-confirmation");
        verifier.confirm_subscription(&confirmation).await.unwrap();
        assert_eq!(
            recorder.asked.lock().unwrap().as_slice(),
            [confirmation.subscribe_url.clone().unwrap()]
        );
        let mut evil = confirmation.clone();
        evil.subscribe_url = Some("https://attacker.example/?Action=ConfirmSubscription".into());
        assert!(verifier.confirm_subscription(&evil).await.is_err());
        assert_eq!(recorder.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn rejects_what_is_not_a_certificate() {
        assert!(public_key_of(b"hello").is_err());
        assert!(public_key_of(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err());
        let key = public_key_of(include_bytes!(
            "../../fixtures/sns/SimpleNotificationService-mailtrail-test.pem"
        ))
        .unwrap();
        assert!(key.len() > 256);
    }
}
