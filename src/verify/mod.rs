//! Proving requests genuine before anything is decoded or stored.
//!
//! One verifier per channel: SendGrid's ECDSA signature ([`sendgrid`]), SendPulse's secret
//! token in the URL ([`token`]), SNS's topic allow-list and RSA signatures ([`sns`]). A
//! verifier built without its secret refuses every request.

pub mod sendgrid;
pub mod sns;
pub mod token;

use aws_lambda_events::http::HeaderMap;

/// Why a request is not accepted as genuine.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The route's secret is not configured, so it refuses everything.
    #[error("this webhook is not configured ({0} is not set); every request is refused")]
    NotConfigured(&'static str),
    /// A required header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header that must appear once appears several times.
    #[error("header {0} appears more than once")]
    RepeatedHeader(&'static str),
    /// The signature is not base64 of a plausible length.
    #[error("the signature is not well-formed")]
    MalformedSignature,
    /// The signature does not match the body.
    #[error("the signature does not verify")]
    BadSignature,
    /// The signed timestamp is not a number of seconds.
    #[error("the signed timestamp is not a Unix time")]
    BadTimestamp,
    /// The signed timestamp is too old (or too far in the future).
    #[error(
        "the signed timestamp is {age_seconds} s old; accepted: at most {max_seconds} s old, 300 s ahead"
    )]
    Stale {
        /// How far the timestamp is from now (negative: in the future).
        age_seconds: i64,
        /// The accepted window.
        max_seconds: i64,
    },
    /// The token is missing or wrong.
    #[error("missing or wrong token")]
    BadToken,
    /// The SNS topic is not in the allow-list.
    #[error("SNS topic {0} is not allowed")]
    TopicNotAllowed(String),
    /// The SNS message is not signed in a way mailtrail accepts.
    #[error("unsupported SNS signature version {0:?}")]
    UnsupportedSignatureVersion(String),
    /// A URL in the message points somewhere SNS does not serve from.
    #[error("refused URL: {0}")]
    RefusedUrl(String),
    /// The signing certificate is not a usable X.509 certificate.
    #[error("the signing certificate is not usable: {0}")]
    BadCertificate(String),
    /// The signing certificate could not be fetched: worth a retry.
    #[error("the signing certificate could not be fetched: {0}")]
    CertificateUnavailable(String),
}

impl VerifyError {
    /// Whether the failure is worth a retry (a certificate could not be fetched), rather than
    /// a request that is not genuine.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, VerifyError::CertificateUnavailable(_))
    }
}

/// The single value of a header: missing and repeated headers are errors.
pub fn single_header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().ok_or(VerifyError::MissingHeader(name))?;
    if values.next().is_some() {
        return Err(VerifyError::RepeatedHeader(name));
    }
    first
        .to_str()
        .map(str::trim)
        .map_err(|_| VerifyError::MalformedSignature)
}
