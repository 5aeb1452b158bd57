//! The SNS signing certificate: read from PEM, trusted only when it chains to a public root,
//! is valid now and is issued to SNS; then its public key checks the signature.
//!
//! SNS serves the leaf certificate alone. When the chain needs an intermediate that the PEM
//! does not carry, it is fetched from the issuer URL the leaf names (its Authority Information
//! Access), and only from Amazon Trust Services (`*.amazontrust.com`). Whatever is fetched
//! counts only if the whole chain then verifies to a root.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::verify::VerifyError;

/// The name SNS signing certificates are issued to.
pub const SNS_CERTIFICATE_NAME: &str = "sns.amazonaws.com";

/// The roots and clock a fetched certificate is judged by.
#[derive(Debug, Clone)]
pub struct CertificateTrust {
    anchors: Vec<TrustAnchor<'static>>,
    now: fn() -> UnixTime,
}

impl Default for CertificateTrust {
    /// The public web roots (Mozilla's list, Amazon's roots among them) and the system clock.
    fn default() -> Self {
        CertificateTrust {
            anchors: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            now: UnixTime::now,
        }
    }
}

impl CertificateTrust {
    /// Trusts only `roots` (DER), judged at the time `now` gives. For tests and private PKI.
    pub fn with_roots(roots: &[CertificateDer<'static>], now: fn() -> UnixTime) -> CertificateTrust {
        let anchors = roots
            .iter()
            .filter_map(|der| webpki::anchor_from_trusted_cert(der).ok().map(|a| a.to_owned()))
            .collect();
        CertificateTrust { anchors, now }
    }

    /// Checks that `leaf` chains through `intermediates` to a trusted root, is valid now, may
    /// be used by a server, and is issued to `sns.amazonaws.com` or `sns.<region>` of the URL.
    pub fn verify(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'static>],
        sns_host: &str,
    ) -> Result<(), TrustError> {
        let cert = EndEntityCert::try_from(leaf).map_err(|e| TrustError::Unusable(format!("{e:?}")))?;
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            intermediates,
            (self.now)(),
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| match e {
            webpki::Error::UnknownIssuer => TrustError::UnknownIssuer,
            other => TrustError::Untrusted(format!("{other:?}")),
        })?;
        let named = |name: &str| {
            ServerName::try_from(name)
                .ok()
                .is_some_and(|server| cert.verify_is_valid_for_subject_name(&server).is_ok())
        };
        if named(SNS_CERTIFICATE_NAME) || named(sns_host) {
            Ok(())
        } else {
            Err(TrustError::Untrusted("not issued to SNS".into()))
        }
    }
}

/// Why a certificate is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The chain does not reach a trusted root with what is known so far.
    #[error("the certificate's issuer is not known")]
    UnknownIssuer,
    /// The certificate is expired, misused, or otherwise untrusted.
    #[error("the certificate is not trusted: {0}")]
    Untrusted(String),
    /// Not an X.509 certificate.
    #[error("the certificate is not usable: {0}")]
    Unusable(String),
}

impl From<TrustError> for VerifyError {
    fn from(error: TrustError) -> Self {
        VerifyError::BadCertificate(error.to_string())
    }
}

/// Every certificate in a PEM text, in order.
pub fn parse_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, VerifyError> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| VerifyError::BadCertificate(format!("bad PEM: {e:?}")))?;
    if certificates.is_empty() {
        return Err(VerifyError::BadCertificate("no PEM certificate".into()));
    }
    Ok(certificates)
}

/// One certificate, from DER or PEM bytes (issuer URLs serve either).
pub fn parse_der_or_pem(bytes: &[u8]) -> Result<CertificateDer<'static>, VerifyError> {
    if bytes.starts_with(b"-----BEGIN") {
        parse_pem(bytes).map(|mut certs| certs.swap_remove(0))
    } else {
        Ok(CertificateDer::from(bytes.to_vec()))
    }
}

/// The certificate's SubjectPublicKeyInfo, for the signature check.
pub fn public_key(der: &CertificateDer<'_>) -> Result<Vec<u8>, VerifyError> {
    let cert = EndEntityCert::try_from(der).map_err(|e| VerifyError::BadCertificate(format!("{e:?}")))?;
    Ok(cert.subject_public_key_info().as_ref().to_vec())
}

/// The DER of `id-ad-caIssuers` (1.3.6.1.5.5.7.48.2), as it stands in an AIA extension.
const CA_ISSUERS_OID: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
/// The tag of a `uniformResourceIdentifier` GeneralName (`[6] IA5String`).
const URI_TAG: u8 = 0x86;

/// The issuer certificate's URL from the certificate's Authority Information Access, when it
/// names one at Amazon Trust Services (`http(s)://<name>.amazontrust.com/<path>`).
pub fn amazon_issuer_url(der: &CertificateDer<'_>) -> Option<String> {
    let bytes = der.as_ref();
    let at = bytes
        .windows(CA_ISSUERS_OID.len())
        .position(|w| w == CA_ISSUERS_OID)?
        + CA_ISSUERS_OID.len();
    let (&tag, rest) = bytes.get(at..)?.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != URI_TAG || len >= 0x80 {
        return None;
    }
    let url = std::str::from_utf8(rest.get(..usize::from(len))?).ok()?;
    let without_scheme = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let (host, path) = without_scheme.split_once('/')?;
    let host_ok = host.ends_with(".amazontrust.com")
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'));
    (host_ok && path_ok).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/fixtures/sns/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn der(name: &str) -> CertificateDer<'static> {
        parse_pem(&pem(name)).unwrap().remove(0)
    }

    /// 2027-01-01: inside every test certificate's validity.
    fn in_2027() -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_798_761_600))
    }

    /// 2060-01-01: after the leaf expired.
    fn in_2060() -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(2_840_140_800))
    }

    fn trust(now: fn() -> UnixTime) -> CertificateTrust {
        CertificateTrust::with_roots(&[der("test-root.pem")], now)
    }

    const HOST: &str = "sns.us-east-1.amazonaws.com";

    #[test]
    fn a_leaf_that_chains_through_its_intermediate_is_trusted() {
        let leaf = der("sns-leaf.pem");
        assert_eq!(
            trust(in_2027).verify(&leaf, &[], HOST),
            Err(TrustError::UnknownIssuer),
            "the leaf alone does not reach the root"
        );
        trust(in_2027)
            .verify(&leaf, &[der("test-intermediate.pem")], HOST)
            .unwrap();
    }

    #[test]
    fn expired_self_signed_and_misnamed_certificates_are_not() {
        let intermediate = [der("test-intermediate.pem")];
        assert!(matches!(
            trust(in_2060).verify(&der("sns-leaf.pem"), &intermediate, HOST),
            Err(TrustError::Untrusted(_))
        ));
        assert!(trust(in_2027)
            .verify(&der("other-name-leaf.pem"), &intermediate, HOST)
            .is_err());
        let self_signed = parse_pem(include_bytes!(
            "../../../fixtures/sns/SimpleNotificationService-6d61696c747261696c2d74657374.pem"
        ))
        .unwrap()
        .remove(0);
        assert!(trust(in_2027).verify(&self_signed, &intermediate, HOST).is_err());
        assert!(CertificateTrust::default()
            .verify(&der("sns-leaf.pem"), &intermediate, HOST)
            .is_err());
    }

    #[test]
    fn finds_the_issuer_url_only_at_amazon_trust_services() {
        assert_eq!(
            amazon_issuer_url(&der("sns-leaf.pem")).as_deref(),
            Some("http://crt.test.amazontrust.com/test-intermediate.cer")
        );
        assert_eq!(amazon_issuer_url(&der("other-name-leaf.pem")), None);
        assert_eq!(amazon_issuer_url(&der("test-root.pem")), None);
    }

    #[test]
    fn reads_der_and_pem() {
        let pem_bytes = pem("test-intermediate.pem");
        let from_pem = parse_der_or_pem(&pem_bytes).unwrap();
        let from_der = parse_der_or_pem(from_pem.as_ref()).unwrap();
        assert_eq!(from_pem, from_der);
        assert!(parse_pem(b"hello").is_err());
        assert!(public_key(&CertificateDer::from(vec![1, 2, 3])).is_err());
    }
}
