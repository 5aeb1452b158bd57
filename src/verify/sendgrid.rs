//! SendGrid's signed Event Webhook: ECDSA P-256 with SHA-256 over the timestamp header's value
//! followed by the raw body, exactly as received.

use aws_lambda_events::http::HeaderMap;
use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_ASN1};
use base64::Engine as _;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};
use crate::model::Timestamp;

/// The header carrying the base64 DER signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
/// The header carrying the signed Unix timestamp.
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";
/// Default accepted age of a signature: SendGrid retries for up to 24 hours, plus an hour.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 25 * 3600;
/// How far in the future a timestamp may be (clock skew).
pub const MAX_FUTURE_SECONDS: i64 = 300;
/// A DER ECDSA P-256 signature is at most 72 bytes; anything longer is not one.
const MAX_SIGNATURE_BYTES: usize = 80;

/// The variable holding the verification keys.
pub const KEYS_VARIABLE: &str = "SENDGRID_WEBHOOK_PUBLIC_KEY";

/// The channel's verifier, from its settings.
pub fn build(settings: &ChannelSettings) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    Ok(std::sync::Arc::new(SendGridVerifier::new(
        &settings.secrets,
        settings.max_age_seconds,
    )?))
}

/// Verifies SendGrid signatures against one or more webhook keys.
#[derive(Debug)]
pub struct SendGridVerifier {
    keys: Vec<ParsedPublicKey>,
    max_age_seconds: i64,
}

impl SendGridVerifier {
    /// Builds a verifier from base64 DER SubjectPublicKeyInfo keys, as SendGrid shows them.
    /// `max_age_seconds` of 0 turns the age check off.
    pub fn new(keys: &[String], max_age_seconds: i64) -> Result<SendGridVerifier, SetupError> {
        let keys = keys
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let bad = SetupError {
                    variable: KEYS_VARIABLE,
                    index,
                    reason: "not a base64 DER P-256 public key",
                };
                let der = base64::engine::general_purpose::STANDARD
                    .decode(key.trim())
                    .map_err(|_| bad.clone())?;
                ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, der).map_err(|_| bad)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SendGridVerifier {
            keys,
            max_age_seconds,
        })
    }

    /// Whether any key is configured.
    pub fn is_configured(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks the request's signature over `body` (the raw bytes, base64-decoded if needed).
    pub fn verify(&self, headers: &HeaderMap, body: &[u8], now: Timestamp) -> Result<(), VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(KEYS_VARIABLE));
        }
        let signature = single_header(headers, SIGNATURE_HEADER)?;
        let timestamp = single_header(headers, TIMESTAMP_HEADER)?;
        if signature.len() > MAX_SIGNATURE_BYTES * 2 {
            return Err(VerifyError::MalformedSignature);
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .map_err(|_| VerifyError::MalformedSignature)?;
        if signature.is_empty() || signature.len() > MAX_SIGNATURE_BYTES {
            return Err(VerifyError::MalformedSignature);
        }
        let signed_at: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
        self.check_age(signed_at, now)?;

        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        if self
            .keys
            .iter()
            .any(|key| key.verify_sig(&message, &signature).is_ok())
        {
            Ok(())
        } else {
            Err(VerifyError::BadSignature)
        }
    }

    fn check_age(&self, signed_at: i64, now: Timestamp) -> Result<(), VerifyError> {
        if self.max_age_seconds == 0 {
            return Ok(());
        }
        let age = now.unix_seconds().saturating_sub(signed_at);
        if age > self.max_age_seconds || age < -MAX_FUTURE_SECONDS {
            return Err(VerifyError::Stale {
                age_seconds: age,
                max_seconds: self.max_age_seconds,
            });
        }
        Ok(())
    }
}

impl Verifier for SendGridVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        SendGridVerifier::verify(self, request.headers, request.body, request.now)?;
        Ok(Verified::default())
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::http::HeaderValue;

    use super::*;

    /// SendGrid's own published test vector (from its helper libraries).
    const KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
    const TIMESTAMP: &str = "1600112502";
    const SIGNATURE: &str =
        "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
    const BODY: &str = "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";

    fn headers(signature: &str, timestamp: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        h.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
        h
    }

    fn verifier(max_age: i64) -> SendGridVerifier {
        SendGridVerifier::new(&[KEY.to_owned()], max_age).unwrap()
    }

    fn at_signing() -> Timestamp {
        Timestamp::from_unix_seconds(1_600_112_502.0 + 60.0).unwrap()
    }

    #[test]
    fn sendgrids_published_vector_verifies() {
        verifier(DEFAULT_MAX_AGE_SECONDS)
            .verify(&headers(SIGNATURE, TIMESTAMP), BODY.as_bytes(), at_signing())
            .unwrap();
    }

    #[test]
    fn any_changed_byte_fails() {
        let v = verifier(0);
        for i in 0..BODY.len() {
            let mut body = BODY.as_bytes().to_vec();
            body[i] ^= 0x01;
            assert!(matches!(
                v.verify(&headers(SIGNATURE, TIMESTAMP), &body, at_signing()),
                Err(VerifyError::BadSignature)
            ));
        }
        let without_crlf = BODY.trim_end();
        assert!(v
            .verify(
                &headers(SIGNATURE, TIMESTAMP),
                without_crlf.as_bytes(),
                at_signing()
            )
            .is_err());
        assert!(v
            .verify(&headers(SIGNATURE, "1600112503"), BODY.as_bytes(), at_signing())
            .is_err());
    }

    #[test]
    fn a_second_configured_key_is_tried() {
        let other = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/zpMmbZi6KlXz6/v4PYi5ry6+WvtfnpQNwKz6GNp8cvqs9XrAreqcfCiJHbOof7kr9Zw6vZv0YgPsTnH4rXfiA==";
        let v = SendGridVerifier::new(&[other.to_owned(), KEY.to_owned()], 0).unwrap();
        v.verify(&headers(SIGNATURE, TIMESTAMP), BODY.as_bytes(), at_signing())
            .unwrap();
    }

    #[test]
    fn refuses_old_and_future_timestamps_unless_the_check_is_off() {
        let late = Timestamp::from_unix_seconds(1_600_112_502.0 + 25.0 * 3600.0 + 1.0).unwrap();
        let early = Timestamp::from_unix_seconds(1_600_112_502.0 - 301.0).unwrap();
        for now in [late, early] {
            assert!(matches!(
                verifier(DEFAULT_MAX_AGE_SECONDS).verify(
                    &headers(SIGNATURE, TIMESTAMP),
                    BODY.as_bytes(),
                    now
                ),
                Err(VerifyError::Stale { .. })
            ));
            verifier(0)
                .verify(&headers(SIGNATURE, TIMESTAMP), BODY.as_bytes(), now)
                .unwrap();
        }
    }

    #[test]
    fn refuses_malformed_headers() {
        let v = verifier(0);
        let cases = [
            (headers("", TIMESTAMP), "empty signature"),
            (headers("not base64!", TIMESTAMP), "not base64"),
            (headers(&"A".repeat(400), TIMESTAMP), "too long"),
            (headers("AAAA", TIMESTAMP), "too short to be DER"),
            (headers(SIGNATURE, "soon"), "timestamp not a number"),
        ];
        for (h, why) in cases {
            assert!(v.verify(&h, BODY.as_bytes(), at_signing()).is_err(), "{why}");
        }
        let mut missing = headers(SIGNATURE, TIMESTAMP);
        missing.remove(TIMESTAMP_HEADER);
        assert!(matches!(
            v.verify(&missing, BODY.as_bytes(), at_signing()),
            Err(VerifyError::MissingHeader(_))
        ));
        let mut repeated = headers(SIGNATURE, TIMESTAMP);
        repeated.append(SIGNATURE_HEADER, HeaderValue::from_static("AAAA"));
        assert!(matches!(
            v.verify(&repeated, BODY.as_bytes(), at_signing()),
            Err(VerifyError::RepeatedHeader(_))
        ));
    }

    #[test]
    fn without_keys_everything_is_refused_and_bad_keys_are_reported() {
        let v = SendGridVerifier::new(&[], 0).unwrap();
        assert!(matches!(
            v.verify(&headers(SIGNATURE, TIMESTAMP), BODY.as_bytes(), at_signing()),
            Err(VerifyError::NotConfigured(_))
        ));
        assert_eq!(
            SendGridVerifier::new(&[KEY.into(), "bm90IGEga2V5".into()], 0)
                .unwrap_err()
                .index,
            1
        );
    }
}
