//! Mailgun's JSON webhooks: HMAC-SHA256, hex, over `signature.timestamp` followed by
//! `signature.token`, keyed with the webhook signing key, in the body's `signature` object.
//!
//! The signature covers the timestamp and the token, not the body, so anyone who captured one
//! signed request could send another body under it while the timestamp is fresh. The verifier
//! therefore asks for the token to be bound to the body it first came with
//! ([`super::ReplayGuard`]): the same body again is a retry, another body a forgery.
//! Mailgun's legacy form-encoded webhooks are refused with 406, which Mailgun does not retry.

use aws_lc_rs::hmac;
use serde::Deserialize;

use super::{ChannelSettings, ReplayGuard, SetupError, SignedRequest, Verified, Verifier, VerifyError};
use crate::model::Timestamp;
use crate::providers::lenient::text;

/// The variable holding the signing key(s).
pub const KEY_VARIABLE: &str = "MAILGUN_WEBHOOK_SIGNING_KEY";
/// The variable bounding the signed timestamp's age.
pub const MAX_AGE_VARIABLE: &str = "MAILGUN_MAX_AGE_SECONDS";
/// Default accepted age of a signature: Mailgun retries for 8 hours, plus an hour.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 9 * 3600;
/// How far in the future a timestamp may be (clock skew).
const MAX_FUTURE_SECONDS: i64 = 300;
/// Keys shorter than this are not Mailgun signing keys.
const MIN_KEY_LENGTH: usize = 16;

/// The channel's verifier, from its settings.
pub fn build(settings: &ChannelSettings) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    if let Some(index) = settings.secrets.iter().position(|k| k.len() < MIN_KEY_LENGTH) {
        return Err(SetupError {
            variable: KEY_VARIABLE,
            index,
            reason: "shorter than 16 characters",
        });
    }
    Ok(std::sync::Arc::new(MailgunVerifier {
        keys: settings
            .secrets
            .iter()
            .map(|k| hmac::Key::new(hmac::HMAC_SHA256, k.as_bytes()))
            .collect(),
        max_age_seconds: settings.max_age_seconds,
    }))
}

/// Verifies Mailgun signatures against one or more signing keys.
pub struct MailgunVerifier {
    keys: Vec<hmac::Key>,
    max_age_seconds: i64,
}

impl std::fmt::Debug for MailgunVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MailgunVerifier({} keys, {} s)",
            self.keys.len(),
            self.max_age_seconds
        )
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    signature: Option<Signature>,
}

#[derive(Deserialize)]
struct Signature {
    #[serde(default, deserialize_with = "text")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    token: Option<String>,
    #[serde(default, deserialize_with = "text")]
    signature: Option<String>,
}

impl Verifier for MailgunVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(KEY_VARIABLE));
        }
        if request.body.iter().copied().find(|b| !b.is_ascii_whitespace()) != Some(b'{') {
            return Err(VerifyError::UnsupportedFormat(
                "Mailgun's legacy form-encoded webhooks; use JSON webhooks",
            ));
        }
        let envelope: Envelope =
            serde_json::from_slice(request.body).map_err(|_| VerifyError::MalformedSignature)?;
        let signature = envelope
            .signature
            .ok_or(VerifyError::MissingHeader("signature"))?;
        let (Some(timestamp), Some(token), Some(given)) =
            (signature.timestamp, signature.token, signature.signature)
        else {
            return Err(VerifyError::MalformedSignature);
        };
        if given.len() != 64 || token.is_empty() || token.len() > 512 {
            return Err(VerifyError::MalformedSignature);
        }
        let given = decode_hex(&given).ok_or(VerifyError::MalformedSignature)?;
        let signed_at: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
        if self.max_age_seconds > 0 {
            let age = request.now.unix_seconds().saturating_sub(signed_at);
            if age > self.max_age_seconds || age < -MAX_FUTURE_SECONDS {
                return Err(VerifyError::Stale {
                    age_seconds: age,
                    max_seconds: self.max_age_seconds,
                });
            }
        }
        let mut message = Vec::with_capacity(timestamp.len() + token.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(token.as_bytes());
        let mut matched = false;
        for key in &self.keys {
            matched |= hmac::verify(key, &message, &given).is_ok();
        }
        if !matched {
            return Err(VerifyError::BadSignature);
        }
        let keep_for = if self.max_age_seconds > 0 {
            self.max_age_seconds
        } else {
            DEFAULT_MAX_AGE_SECONDS
        };
        let expires_at =
            Timestamp::from_millis((signed_at.max(request.now.unix_seconds()) + keep_for + 3600) * 1000)
                .unwrap_or(request.now);
        Ok(Verified {
            replay_guard: Some(ReplayGuard {
                scope: "mailgun",
                token: crate::digest::short_hash(token.as_bytes()),
                body: crate::digest::short_hash(request.body),
                expires_at,
            }),
        })
    }
}

/// Lower- or upper-case hex into bytes.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::http::HeaderMap;
    use aws_lambda_events::query_map::QueryMap;

    use super::*;

    const KEY: &str = "TEST_WEBHOOK_SIGNING_KEY";

    /// The signature anymail's tests compute for its own fixtures (`mailgun_signature`).
    fn sign(timestamp: &str, token: &str, key: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
        let tag = hmac::sign(&key, format!("{timestamp}{token}").as_bytes());
        crate::digest::hex(tag.as_ref())
    }

    fn verifier(max_age: i64) -> std::sync::Arc<dyn Verifier> {
        build(&ChannelSettings {
            secrets: vec![KEY.to_owned()],
            max_age_seconds: max_age,
        })
        .unwrap()
    }

    fn body(timestamp: &str, token: &str, signature: &str) -> String {
        format!(
            r#"{{"signature":{{"timestamp":"{timestamp}","token":"{token}","signature":"{signature}"}},"event-data":{{"event":"delivered"}}}}"#
        )
    }

    fn check(v: &dyn Verifier, body: &str, now: i64) -> Result<Verified, VerifyError> {
        v.verify(&SignedRequest {
            headers: &HeaderMap::new(),
            query: &QueryMap::default(),
            body: body.as_bytes(),
            now: Timestamp::from_millis(now * 1000).unwrap(),
        })
    }

    #[test]
    fn a_signed_body_verifies_and_asks_for_its_token_to_be_bound() {
        let token = "651869375b9df3c98fc15c4889b102119add1235c38fc92824";
        let signature = sign("1534108637", token, KEY);
        let verified = check(
            &*verifier(0),
            &body("1534108637", token, &signature),
            1_534_108_637,
        )
        .unwrap();
        let guard = verified.replay_guard.unwrap();
        assert_eq!(guard.scope, "mailgun");
        assert_eq!(guard.token, crate::digest::short_hash(token.as_bytes()));
        // Another body under the same token gets the same token hash and another body hash.
        let other = body("1534108637", token, &signature).replace("delivered", "complained");
        let guard_other = check(&*verifier(0), &other, 1_534_108_637)
            .unwrap()
            .replay_guard
            .unwrap();
        assert_eq!(guard_other.token, guard.token);
        assert_ne!(guard_other.body, guard.body);
    }

    #[test]
    fn forgeries_stale_times_and_other_formats_are_refused() {
        let token = "1234567890abcdef1234567890abcdef";
        let good = sign("1534108637", token, KEY);
        let v = verifier(DEFAULT_MAX_AGE_SECONDS);
        let now = 1_534_108_637 + 60;
        assert!(check(&*v, &body("1534108637", token, &good), now).is_ok());
        let wrong_key = sign("1534108637", token, "another signing key!");
        assert!(matches!(
            check(&*v, &body("1534108637", token, &wrong_key), now),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(&*v, &body("1534108638", token, &good), now),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(
                &*v,
                &body("1534108637", token, &good),
                1_534_108_637 + 9 * 3600 + 1
            ),
            Err(VerifyError::Stale { .. })
        ));
        assert!(check(&*v, r#"{"event-data":{"event":"delivered"}}"#, now).is_err());
        assert!(check(&*v, &body("1534108637", token, "zz"), now).is_err());
        assert!(matches!(
            check(&*v, "timestamp=1534108637&token=abc&signature=def", now),
            Err(VerifyError::UnsupportedFormat(_))
        ));
        let none = build(&ChannelSettings::default()).unwrap();
        assert!(matches!(
            check(&*none, &body("1534108637", token, &good), now),
            Err(VerifyError::NotConfigured(KEY_VARIABLE))
        ));
        assert!(build(&ChannelSettings {
            secrets: vec!["short".into()],
            max_age_seconds: 0
        })
        .is_err());
    }

    #[test]
    fn a_second_key_is_tried_for_rotation() {
        let token = "1234567890abcdef1234567890abcdef";
        let v = build(&ChannelSettings {
            secrets: vec!["the-old-signing-key-0000".into(), KEY.into()],
            max_age_seconds: 0,
        })
        .unwrap();
        assert!(check(
            &*v,
            &body("1534108637", token, &sign("1534108637", token, KEY)),
            1
        )
        .is_ok());
    }
}
