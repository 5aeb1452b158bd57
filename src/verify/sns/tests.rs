//! Tests of SNS signature verification: topics, versions, certificates and their cache.

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

/// A local HTTP server standing in for SNS's and Amazon Trust Services' hosts: it serves the
/// test PKI at the fixture's paths, answers 404 to any other path, and counts what it was asked.
struct StandIn {
    origin: Uri,
    asked: Arc<StdMutex<Vec<String>>>,
}

async fn stand_in_for_sns() -> StandIn {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin: Uri = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let asked = Arc::new(StdMutex::new(Vec::new()));
    let log = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                log.lock().unwrap().push(path.clone());
                let (status, body): (&str, &[u8]) = if path.ends_with(FIXTURE_CERT) {
                    ("200 OK", LEAF)
                } else if path.ends_with("test-intermediate.cer") {
                    (
                        "200 OK",
                        include_bytes!("../../../fixtures/sns/pki/test-intermediate.cer"),
                    )
                } else {
                    ("404 Not Found", b"<Error><Code>NotFound</Code></Error>")
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body).await;
            });
        }
    });
    StandIn { origin, asked }
}

/// A stranger who knows an allowed topic sends messages naming certificate URLs SNS does not
/// have: each is fetched once for real, answered 404 by the SNS host, refused as forged (not
/// "unavailable"), remembered, and spends none of the budget, so the genuine certificate is
/// still fetched when SNS rotates to it.
#[tokio::test]
async fn certificate_urls_sns_does_not_know_are_forged_and_spend_no_budget() {
    let stand_in = stand_in_for_sns().await;
    let https = Arc::new(fetch::SnsHttpsClient::redirected_to(stand_in.origin.clone()));
    let verifier =
        SnsVerifier::new(TopicAllowList::new(vec![TOPIC.to_owned()]), None, https).with_trust(test_trust());
    for i in 0..20 {
        let mut message = fixture("notification-v1");
        message.signing_cert_url = format!(
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{:032x}.pem",
            i % 10
        );
        assert!(
            matches!(
                verifier.verify(&message).await,
                Err(VerifyError::CertificateRefused(404))
            ),
            "message {i}"
        );
    }
    assert_eq!(
        stand_in.asked.lock().unwrap().len(),
        10,
        "each unknown URL fetched once"
    );
    // The budget is whole: the genuine certificate is fetched, chained and used.
    verifier.verify(&fixture("notification-v1")).await.unwrap();
    verifier.verify(&fixture("notification-v2")).await.unwrap();
    let asked = stand_in.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 12, "{asked:?}");
    assert!(asked[10].ends_with(FIXTURE_CERT));
}
