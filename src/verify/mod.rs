//! Proving requests genuine before anything is decoded or stored.
//!
//! One verifier per channel: SendGrid's ECDSA signature ([`sendgrid`]), Mailgun's HMAC over
//! a timestamp and token ([`mailgun`]), Standard Webhooks' (Svix's) HMAC over an id, a time and
//! the body (Resend, AhaSend, [`svix`]), an HMAC of the body in a header (MailerSend,
//! [`body_hmac`]), Mandrill's HMAC over its URL and form fields ([`mandrill`]), Postal's RSA
//! signature ([`postal`]), secret tokens in the URL or a header ([`token`]), SNS's topic
//! allow-list and RSA signatures ([`sns`]). Every webhook verifier implements [`Verifier`]; the provider registry says which
//! one a channel uses. A verifier built without its secret refuses every request.

pub mod body_hmac;
pub mod channels;
pub mod hmac_tags;
pub mod mailgun;
pub mod mandrill;
pub mod postal;
pub mod sendgrid;
pub mod sns;
pub mod svix;
pub mod token;

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;

pub use crate::model::ReplayGuard;
use crate::model::Timestamp;

/// What a webhook verifier looks at: the request exactly as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The query string parameters.
    pub query: &'a QueryMap,
    /// The raw body (base64-decoded when API Gateway encoded it), never re-serialized.
    pub body: &'a [u8],
    /// When it was received.
    pub now: Timestamp,
}

/// What a genuine request still owes before it is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// A signature that covers less than the body (Mailgun's covers a timestamp and a token):
    /// the token must be bound to this body before it is accepted.
    pub replay_guard: Option<ReplayGuard>,
}

/// Proves a webhook request genuine.
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// Checks the request; what it returns must still be honoured (see [`Verified`]).
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError>;
}

/// A channel's settings, as configured: its secret(s) and its accepted signature age.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChannelSettings {
    /// The secrets, keys or tokens (several to rotate); empty refuses every request.
    pub secrets: Vec<String>,
    /// The oldest signed timestamp accepted, in seconds; 0 turns the check off.
    pub max_age_seconds: i64,
    /// The tokens of the channel's optional second factor (Basic credentials or `?token=`);
    /// empty: not required.
    pub second_factor: Vec<String>,
    /// The URLs the provider was given, for channels whose signature covers the URL (Mandrill).
    pub signed_urls: Vec<String>,
}

impl std::fmt::Debug for ChannelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSettings")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("max_age_seconds", &self.max_age_seconds)
            .field(
                "second_factor",
                &format_args!("[{} redacted]", self.second_factor.len()),
            )
            .field("signed_urls", &self.signed_urls.len())
            .finish()
    }
}

/// A secret that is configured but unusable: it closes its channel alone. The value itself is
/// never repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} entry {index} is not usable: {reason}")]
pub struct SetupError {
    /// The environment variable.
    pub variable: &'static str,
    /// Which entry of its list, from 0.
    pub index: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

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
    /// SNS's host answered a certificate URL with a client error: no such certificate, so the
    /// message is forged (remembered for a while, and never retried).
    #[error("the signing certificate URL is unknown to SNS ({0})")]
    CertificateRefused(u16),
    /// The request is in a format this channel does not take (Mailgun's legacy form-encoded
    /// webhooks).
    #[error("unsupported request format: {0}")]
    UnsupportedFormat(&'static str),
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

/// `verifier`'s answer to a request carrying `headers` (a name may repeat) and `body`, at the
/// epoch: for the verifiers' unit tests.
#[cfg(test)]
pub(crate) fn verify_with_headers(
    verifier: &dyn Verifier,
    headers: &[(&'static str, &str)],
    body: &str,
) -> Result<Verified, VerifyError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            *name,
            aws_lambda_events::http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    verifier.verify(&SignedRequest {
        headers: &map,
        query: &QueryMap::default(),
        body: body.as_bytes(),
        now: Timestamp::from_millis(0).expect("the epoch"),
    })
}
