//! Mailgun's JSON webhooks: HMAC-SHA256, hex, over `signature.timestamp` followed by
//! `signature.token`, keyed with the webhook signing key, in the body's `signature` object.
//!
//! The signature covers the timestamp and the token, not the body, and the signing key is
//! account-wide: it signs every webhook of the account and inbound-route forwards too. So a
//! signed triple seen anywhere else could carry another body while its timestamp is fresh. Two
//! defences:
//! - the token is bound to the body it first came with ([`super::ReplayGuard`]): the same body
//!   again is a retry, another body a forgery. This protects only tokens that reach mailtrail
//!   first;
//! - the optional second factor (`MAILGUN_WEBHOOK_TOKEN`): Basic credentials or `?token=` in
//!   the webhook URL given to Mailgun, which no other use of the signing key carries. When it is
//!   configured a request needs both, and is checked for it before anything is bound.
//!
//! Mailgun's legacy form-encoded webhooks are refused with 406, which Mailgun does not retry.

use aws_lc_rs::hmac;
use serde::Deserialize;

use super::token::{Carriers, TokenVerifier};
use super::{ChannelSettings, ReplayGuard, SetupError, SignedRequest, Verified, Verifier, VerifyError};
use crate::base::lenient::text;
use crate::model::Timestamp;

/// The variable holding the signing key(s).
pub const KEY_VARIABLE: &str = "MAILGUN_WEBHOOK_SIGNING_KEY";
/// The variable bounding the signed timestamp's age.
pub const MAX_AGE_VARIABLE: &str = "MAILGUN_MAX_AGE_SECONDS";
/// The variable holding the optional second factor's token(s): Basic credentials or `?token=`
/// in the webhook URL given to Mailgun.
pub const TOKEN_VARIABLE: &str = "MAILGUN_WEBHOOK_TOKEN";
/// Default accepted age of a signature: Mailgun retries for 8 hours, plus an hour.
pub const DEFAULT_MAX_AGE_SECONDS: i64 = 9 * 3600;
/// The shortest accepted age: the token binding must outlive the signature, so the age check
/// cannot be turned off.
pub const MIN_MAX_AGE_SECONDS: i64 = 60;
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
    if settings.max_age_seconds < MIN_MAX_AGE_SECONDS {
        return Err(SetupError {
            variable: MAX_AGE_VARIABLE,
            index: 0,
            reason: "the signature age must be bounded (at least 60 s) so the token binding outlives it",
        });
    }
    let second_factor = if settings.second_factor.is_empty() {
        None
    } else {
        Some(TokenVerifier::new(
            TOKEN_VARIABLE,
            Carriers::BASIC_OR_QUERY,
            &settings.second_factor,
        )?)
    };
    Ok(std::sync::Arc::new(MailgunVerifier {
        keys: settings
            .secrets
            .iter()
            .map(|k| hmac::Key::new(hmac::HMAC_SHA256, k.as_bytes()))
            .collect(),
        max_age_seconds: settings.max_age_seconds,
        second_factor,
    }))
}

/// Verifies Mailgun signatures against one or more signing keys, and the second factor when
/// one is configured.
pub struct MailgunVerifier {
    keys: Vec<hmac::Key>,
    max_age_seconds: i64,
    second_factor: Option<TokenVerifier>,
}

impl std::fmt::Debug for MailgunVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MailgunVerifier({} keys, {} s, second factor: {})",
            self.keys.len(),
            self.max_age_seconds,
            self.second_factor.is_some()
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
        // The second factor first: a request without it never reaches the token binding, so a
        // forgery under a captured signature cannot bind a token before the genuine request.
        if let Some(second_factor) = &self.second_factor {
            second_factor.verify(request)?;
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
        let age = request.now.unix_seconds().saturating_sub(signed_at);
        if age > self.max_age_seconds || age < -MAX_FUTURE_SECONDS {
            return Err(VerifyError::Stale {
                age_seconds: age,
                max_seconds: self.max_age_seconds,
            });
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
        // Kept until the signature is stale, and an hour more.
        let expires_at = Timestamp::from_millis(
            (signed_at.max(request.now.unix_seconds()) + self.max_age_seconds + 3600) * 1000,
        )
        .unwrap_or(request.now);
        Ok(Verified {
            replay_guard: Some(ReplayGuard {
                scope: "mailgun",
                token: crate::base::digest::short_hash(token.as_bytes()),
                body: crate::base::digest::short_hash(request.body),
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
        crate::base::digest::hex(tag.as_ref())
    }

    fn verifier(max_age: i64) -> std::sync::Arc<dyn Verifier> {
        build(&ChannelSettings {
            secrets: vec![KEY.to_owned()],
            max_age_seconds: max_age,
            second_factor: Vec::new(),
            ..ChannelSettings::default()
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
            &*verifier(DEFAULT_MAX_AGE_SECONDS),
            &body("1534108637", token, &signature),
            1_534_108_637,
        )
        .unwrap();
        let guard = verified.replay_guard.unwrap();
        assert_eq!(guard.scope, "mailgun");
        assert_eq!(guard.token, crate::base::digest::short_hash(token.as_bytes()));
        // Another body under the same token gets the same token hash and another body hash.
        let other = body("1534108637", token, &signature).replace("delivered", "complained");
        let guard_other = check(&*verifier(DEFAULT_MAX_AGE_SECONDS), &other, 1_534_108_637)
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
        let none = build(&ChannelSettings {
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
            ..ChannelSettings::default()
        })
        .unwrap();
        assert!(matches!(
            check(&*none, &body("1534108637", token, &good), now),
            Err(VerifyError::NotConfigured(KEY_VARIABLE))
        ));
        assert!(build(&ChannelSettings {
            secrets: vec!["short".into()],
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
            second_factor: Vec::new(),
            ..ChannelSettings::default()
        })
        .is_err());
        // No "off": the token binding must outlive the signature.
        assert!(build(&ChannelSettings {
            secrets: vec![KEY.into()],
            max_age_seconds: 0,
            second_factor: Vec::new(),
            ..ChannelSettings::default()
        })
        .is_err());
    }

    #[test]
    fn a_second_key_is_tried_for_rotation() {
        let token = "1234567890abcdef1234567890abcdef";
        let v = build(&ChannelSettings {
            secrets: vec!["the-old-signing-key-0000".into(), KEY.into()],
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
            second_factor: Vec::new(),
            ..ChannelSettings::default()
        })
        .unwrap();
        assert!(check(
            &*v,
            &body("1534108637", token, &sign("1534108637", token, KEY)),
            1_534_108_637
        )
        .is_ok());
    }

    /// `printf '%s' 1534108637651869375b9df3c98fc15c4889b102119add1235c38fc92824 | openssl dgst
    /// -sha256 -hmac TEST_WEBHOOK_SIGNING_KEY`: computed outside this code, so a swapped
    /// concatenation (token before timestamp) or another hash fails here.
    const OPENSSL_VECTOR: &str = "2a75affe24846ead9e37e614a5e7643a04abf4d5b49b34d224ede9af23a00ccc";
    /// The same with token and timestamp swapped (`…c92824` then `1534108637`).
    const SWAPPED_VECTOR: &str = "69f8c839020a4c90070a2a504c84588d914b0533420302c0a2d00aa99ef71a8d";

    #[test]
    fn the_signature_matches_a_vector_computed_by_openssl() {
        let token = "651869375b9df3c98fc15c4889b102119add1235c38fc92824";
        let v = verifier(DEFAULT_MAX_AGE_SECONDS);
        let now = 1_534_108_637;
        assert!(check(&*v, &body("1534108637", token, OPENSSL_VECTOR), now).is_ok());
        assert!(matches!(
            check(&*v, &body("1534108637", token, SWAPPED_VECTOR), now),
            Err(VerifyError::BadSignature)
        ));
        assert!(check(
            &*v,
            &body("1534108637", token, &OPENSSL_VECTOR.to_ascii_uppercase()),
            now
        )
        .is_ok());
    }

    const SECOND_FACTOR: &str = "demo-mailgun-url-token-0123456789";

    fn with_second_factor() -> std::sync::Arc<dyn Verifier> {
        build(&ChannelSettings {
            secrets: vec![KEY.to_owned()],
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
            second_factor: vec!["the-previous-url-token-0000".to_owned(), SECOND_FACTOR.to_owned()],
            ..ChannelSettings::default()
        })
        .unwrap()
    }

    fn check_with(
        v: &dyn Verifier,
        body: &str,
        authorization: Option<String>,
        token: Option<&str>,
    ) -> Result<Verified, VerifyError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(
                aws_lambda_events::http::header::AUTHORIZATION,
                value.parse().unwrap(),
            );
        }
        let query: QueryMap =
            std::collections::HashMap::from_iter(token.map(|t| ("token".to_owned(), t.to_owned()))).into();
        v.verify(&SignedRequest {
            headers: &headers,
            query: &query,
            body: body.as_bytes(),
            now: Timestamp::from_millis(1_534_108_637_000).unwrap(),
        })
    }

    fn basic(password: &str) -> String {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("mailgun:{password}"))
        )
    }

    #[test]
    fn a_captured_triple_with_another_body_needs_the_second_factor_when_it_is_configured() {
        // A triple Mailgun signed for another use of the account's key (another webhook, an
        // inbound route), never seen here, carrying a body of the forger's choosing.
        let token = "a-token-seen-on-an-inbound-route-0001";
        let forged =
            body("1534108637", token, &sign("1534108637", token, KEY)).replace("delivered", "unsubscribed");
        let v = with_second_factor();
        assert!(matches!(
            check_with(&*v, &forged, None, None),
            Err(VerifyError::BadToken)
        ));
        assert!(matches!(
            check_with(&*v, &forged, Some(basic("not-the-url-token-000000")), None),
            Err(VerifyError::BadToken)
        ));
        // The genuine request carries the URL's credentials: Basic, or `?token=`, either value.
        assert!(check_with(&*v, &forged, Some(basic(SECOND_FACTOR)), None).is_ok());
        assert!(check_with(&*v, &forged, None, Some(SECOND_FACTOR)).is_ok());
        assert!(check_with(&*v, &forged, Some(basic("the-previous-url-token-0000")), None).is_ok());
        // The credentials do not stand in for the signature.
        let unsigned = body("1534108637", token, &"0".repeat(64));
        assert!(matches!(
            check_with(&*v, &unsigned, Some(basic(SECOND_FACTOR)), None),
            Err(VerifyError::BadSignature)
        ));
        // Without the second factor the signature alone passes, and the token binding decides
        // (the first body under a token wins; see docs/security.md).
        let verified = check_with(&*verifier(DEFAULT_MAX_AGE_SECONDS), &forged, None, None).unwrap();
        assert!(verified.replay_guard.is_some());
        // A short second-factor token is refused when the channel is built.
        assert!(build(&ChannelSettings {
            secrets: vec![KEY.to_owned()],
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
            second_factor: vec!["short".to_owned()],
            ..ChannelSettings::default()
        })
        .is_err());
    }
}
