//! Svix's webhook signatures (Resend): headers `svix-id`, `svix-timestamp` and
//! `svix-signature` (space-separated `v1,<base64>` entries); HMAC-SHA256 over
//! `<id>.<timestamp>.<raw body>`, keyed with the base64-decoded secret (`whsec_…`); the
//! timestamp within the accepted age, either way.

use aws_lc_rs::hmac;
use base64::Engine as _;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// The header naming the message (the same across Svix's retries).
pub const ID_HEADER: &str = "svix-id";
/// The header carrying the signing time, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "svix-timestamp";
/// The header carrying the signatures.
pub const SIGNATURE_HEADER: &str = "svix-signature";
/// Default accepted distance between the signing time and now, either way.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 300;
/// The most signatures one header may carry.
const MAX_SIGNATURES: usize = 16;

/// The builder for a Svix channel whose secrets are in `variable`.
pub fn build(
    variable: &'static str,
    settings: &ChannelSettings,
) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    let keys = settings
        .secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| {
            let encoded = secret.trim().strip_prefix("whsec_").unwrap_or(secret.trim());
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .filter(|b| b.len() >= 16)
                .ok_or(SetupError {
                    variable,
                    index,
                    reason: "not a Svix signing secret (whsec_ followed by base64 of 16 bytes or more)",
                })?;
            Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
        })
        .collect::<Result<Vec<_>, SetupError>>()?;
    Ok(std::sync::Arc::new(SvixVerifier {
        variable,
        keys,
        max_age_seconds: settings.max_age_seconds,
    }))
}

/// Verifies Svix signatures against one or more secrets.
pub struct SvixVerifier {
    variable: &'static str,
    keys: Vec<hmac::Key>,
    max_age_seconds: i64,
}

impl std::fmt::Debug for SvixVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SvixVerifier({}: {} keys)", self.variable, self.keys.len())
    }
}

impl Verifier for SvixVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(self.variable));
        }
        let id = single_header(request.headers, ID_HEADER)?;
        let timestamp = single_header(request.headers, TIMESTAMP_HEADER)?;
        let signatures = single_header(request.headers, SIGNATURE_HEADER)?;
        if id.is_empty() || id.len() > 256 || signatures.len() > MAX_SIGNATURES * 100 {
            return Err(VerifyError::MalformedSignature);
        }
        let signed_at: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
        if self.max_age_seconds > 0 {
            let age = request.now.unix_seconds().saturating_sub(signed_at);
            if age.abs() > self.max_age_seconds {
                return Err(VerifyError::Stale {
                    age_seconds: age,
                    max_seconds: self.max_age_seconds,
                });
            }
        }
        let given: Vec<Vec<u8>> = signatures
            .split_whitespace()
            .take(MAX_SIGNATURES)
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        if given.is_empty() {
            return Err(VerifyError::MalformedSignature);
        }
        let mut message = Vec::with_capacity(id.len() + timestamp.len() + request.body.len() + 2);
        message.extend_from_slice(id.as_bytes());
        message.push(b'.');
        message.extend_from_slice(timestamp.as_bytes());
        message.push(b'.');
        message.extend_from_slice(request.body);
        let mut matched = false;
        for key in &self.keys {
            let expected = hmac::sign(key, &message);
            for signature in &given {
                matched |=
                    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_ref(), signature).is_ok();
            }
        }
        if matched {
            Ok(Verified::default())
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::http::{HeaderMap, HeaderValue};
    use aws_lambda_events::query_map::QueryMap;

    use super::*;
    use crate::model::Timestamp;

    /// Svix's published test vector (its libraries' `sign` tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: &str = "1614265330";
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn verifier(secrets: &[&str], max_age: i64) -> std::sync::Arc<dyn Verifier> {
        build(
            "RESEND_WEBHOOK_SECRET",
            &ChannelSettings {
                secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
                max_age_seconds: max_age,
                second_factor: Vec::new(),
            },
        )
        .unwrap()
    }

    fn check(
        v: &dyn Verifier,
        signature: &str,
        timestamp: &str,
        body: &str,
        now: i64,
    ) -> Result<Verified, VerifyError> {
        let mut headers = HeaderMap::new();
        headers.insert(ID_HEADER, HeaderValue::from_static(ID));
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        v.verify(&SignedRequest {
            headers: &headers,
            query: &QueryMap::default(),
            body: body.as_bytes(),
            now: Timestamp::from_millis(now * 1000).unwrap(),
        })
    }

    #[test]
    fn svixs_published_vector_verifies() {
        let v = verifier(&[SECRET], DEFAULT_MAX_AGE_SECONDS);
        check(&*v, SIGNATURE, TIMESTAMP, BODY, 1_614_265_330 + 10).unwrap();
        // Among several signatures (a rotation at Svix), one good one is enough.
        let several = format!("v1,bm90IGl0 v2,abc {SIGNATURE}");
        check(&*v, &several, TIMESTAMP, BODY, 1_614_265_330).unwrap();
    }

    #[test]
    fn any_change_fails() {
        let v = verifier(&[SECRET], 0);
        for i in 0..BODY.len() {
            let mut body = BODY.as_bytes().to_vec();
            body[i] ^= 1;
            let body = String::from_utf8_lossy(&body).into_owned();
            assert!(check(&*v, SIGNATURE, TIMESTAMP, &body, 0).is_err());
        }
        assert!(check(&*v, SIGNATURE, "1614265331", BODY, 0).is_err());
        assert!(check(
            &*v,
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            TIMESTAMP,
            BODY,
            0
        )
        .is_err());
        let other = verifier(&["whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], 0);
        assert!(matches!(
            check(&*other, SIGNATURE, TIMESTAMP, BODY, 0),
            Err(VerifyError::BadSignature)
        ));
        // A rotation here: the second secret is tried.
        let rotated = verifier(&["whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", SECRET], 0);
        assert!(check(&*rotated, SIGNATURE, TIMESTAMP, BODY, 0).is_ok());
    }

    #[test]
    fn old_and_future_timestamps_are_refused() {
        let v = verifier(&[SECRET], DEFAULT_MAX_AGE_SECONDS);
        for now in [1_614_265_330 + 301, 1_614_265_330 - 301] {
            assert!(matches!(
                check(&*v, SIGNATURE, TIMESTAMP, BODY, now),
                Err(VerifyError::Stale { .. })
            ));
        }
    }

    #[test]
    fn bad_secrets_close_the_channel_and_no_secret_refuses() {
        assert!(build(
            "RESEND_WEBHOOK_SECRET",
            &ChannelSettings {
                secrets: vec!["whsec_!!!".into()],
                max_age_seconds: 0,
                second_factor: Vec::new(),
            }
        )
        .is_err());
        let none = verifier(&[], 0);
        assert!(matches!(
            check(&*none, SIGNATURE, TIMESTAMP, BODY, 0),
            Err(VerifyError::NotConfigured(_))
        ));
    }
}
