//! Standard Webhooks signatures, the scheme Svix made (Resend, AhaSend): headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature` (Svix's own names, `svix-id`, …,
//! are read when the `webhook-` ones are absent); the signature header holds space-separated
//! `v1,<base64>` entries; HMAC-SHA256 over `<id>.<timestamp>.<raw body>`; the timestamp within
//! the accepted age, either way. The key is the base64-decoded secret after `whsec_` (the
//! standard's, Resend's), or the secret's bytes as written (AhaSend's): a per-channel option.

use aws_lc_rs::hmac;
use base64::Engine as _;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// The header naming the message (the same across retries), by Svix's name.
pub const ID_HEADER: &str = "svix-id";
/// The header carrying the signing time, in Unix seconds, by Svix's name.
pub const TIMESTAMP_HEADER: &str = "svix-timestamp";
/// The header carrying the signatures, by Svix's name.
pub const SIGNATURE_HEADER: &str = "svix-signature";
/// The standard's names of the same three headers.
pub const STANDARD_HEADERS: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// How a channel's secret becomes the HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEncoding {
    /// `whsec_` followed by base64 of the key (the standard's form, Svix's, Resend's).
    Base64AfterPrefix,
    /// The secret's bytes as written, prefix included (AhaSend's).
    AsWritten,
}
/// Default accepted distance between the signing time and now, either way.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 300;
/// The most signatures one header may carry.
const MAX_SIGNATURES: usize = 16;

/// The builder for a Svix channel (base64 secrets after `whsec_`) whose secrets are in
/// `variable`.
pub fn build(
    variable: &'static str,
    settings: &ChannelSettings,
) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    build_with(variable, KeyEncoding::Base64AfterPrefix, settings)
}

/// The builder for a Standard Webhooks channel whose secrets, encoded as `encoding` says, are
/// in `variable`.
pub fn build_with(
    variable: &'static str,
    encoding: KeyEncoding,
    settings: &ChannelSettings,
) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    let keys = settings
        .secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| {
            if encoding == KeyEncoding::AsWritten {
                if secret.len() < 16 {
                    return Err(SetupError {
                        variable,
                        index,
                        reason: "shorter than 16 characters",
                    });
                }
                return Ok(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()));
            }
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
        // The standard's names when the request carries them, else Svix's.
        let [id_header, timestamp_header, signature_header] =
            if request.headers.contains_key(STANDARD_HEADERS[2]) {
                STANDARD_HEADERS
            } else {
                [ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER]
            };
        let id = single_header(request.headers, id_header)?;
        let timestamp = single_header(request.headers, timestamp_header)?;
        let signatures = single_header(request.headers, signature_header)?;
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
        let given: Vec<&[u8]> = given.iter().map(Vec::as_slice).collect();
        super::hmac_tags::any_matches(&self.keys, &[&message], &given)
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
                ..ChannelSettings::default()
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
                ..ChannelSettings::default()
            }
        )
        .is_err());
        let none = verifier(&[], 0);
        assert!(matches!(
            check(&*none, SIGNATURE, TIMESTAMP, BODY, 0),
            Err(VerifyError::NotConfigured(_))
        ));
    }

    /// AhaSend keys its HMAC with the secret as written; the standard's header names.
    #[test]
    fn a_secret_as_written_under_the_standards_header_names() {
        const AHA_SECRET: &str = "aha-sk-demo-0123456789abcdef";
        let v = build_with(
            "AHASEND_WEBHOOK_SECRET",
            KeyEncoding::AsWritten,
            &ChannelSettings {
                secrets: vec![AHA_SECRET.to_owned()],
                ..ChannelSettings::default()
            },
        )
        .unwrap();
        let key = hmac::Key::new(hmac::HMAC_SHA256, AHA_SECRET.as_bytes());
        let tag = hmac::sign(&key, format!("{ID}.{TIMESTAMP}.{BODY}").as_bytes());
        let signature = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
        );
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", HeaderValue::from_static(ID));
        headers.insert("webhook-timestamp", HeaderValue::from_static(TIMESTAMP));
        headers.insert("webhook-signature", HeaderValue::from_str(&signature).unwrap());
        let request = |headers: &HeaderMap| {
            v.verify(&SignedRequest {
                headers,
                query: &QueryMap::default(),
                body: BODY.as_bytes(),
                now: Timestamp::from_millis(1_614_265_330_000).unwrap(),
            })
        };
        request(&headers).unwrap();
        // The same secret read the standard's way (base64 after whsec_) is another key.
        let standard = verifier(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], 0);
        assert!(standard
            .verify(&SignedRequest {
                headers: &headers,
                query: &QueryMap::default(),
                body: BODY.as_bytes(),
                now: Timestamp::from_millis(0).unwrap(),
            })
            .is_err());
        // Svix's published vector under the standard's header names verifies with its secret.
        let mut standard_headers = HeaderMap::new();
        standard_headers.insert("webhook-id", HeaderValue::from_static(ID));
        standard_headers.insert("webhook-timestamp", HeaderValue::from_static(TIMESTAMP));
        standard_headers.insert("webhook-signature", HeaderValue::from_static(SIGNATURE));
        standard
            .verify(&SignedRequest {
                headers: &standard_headers,
                query: &QueryMap::default(),
                body: BODY.as_bytes(),
                now: Timestamp::from_millis(0).unwrap(),
            })
            .unwrap();
        assert!(build_with(
            "AHASEND_WEBHOOK_SECRET",
            KeyEncoding::AsWritten,
            &ChannelSettings {
                secrets: vec!["short".into()],
                ..ChannelSettings::default()
            }
        )
        .is_err());
    }
}
