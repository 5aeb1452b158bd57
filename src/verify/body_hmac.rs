//! An HMAC-SHA256 of the raw body, hex-encoded in one header, keyed with the webhook's signing
//! secret as written (MailerSend's `Signature`). The signature covers no time: a replayed
//! request can only bring back the same events, which are stored once.

use aws_lc_rs::hmac;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// MailerSend's signature header.
pub const MAILERSEND_HEADER: &str = "signature";
/// The shortest secret accepted in configuration.
pub const MIN_SECRET_LENGTH: usize = 16;

/// The builder for a channel signing its bodies into `header`, its secrets in `variable`.
pub fn build(
    variable: &'static str,
    header: &'static str,
    settings: &ChannelSettings,
) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    let keys = settings
        .secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| {
            if secret.len() < MIN_SECRET_LENGTH {
                return Err(SetupError {
                    variable,
                    index,
                    reason: "shorter than 16 characters",
                });
            }
            Ok(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()))
        })
        .collect::<Result<Vec<_>, SetupError>>()?;
    Ok(std::sync::Arc::new(BodyHmacVerifier {
        variable,
        header,
        keys,
    }))
}

/// Verifies a hex HMAC-SHA256 of the body against one or more secrets.
pub struct BodyHmacVerifier {
    variable: &'static str,
    header: &'static str,
    keys: Vec<hmac::Key>,
}

impl std::fmt::Debug for BodyHmacVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BodyHmacVerifier({}: {} keys)", self.variable, self.keys.len())
    }
}

/// Hex text as bytes; `None` unless it is exactly 32 bytes' worth.
fn sha256_hex(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

impl Verifier for BodyHmacVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(self.variable));
        }
        let given = sha256_hex(single_header(request.headers, self.header)?)
            .ok_or(VerifyError::MalformedSignature)?;
        super::hmac_tags::any_matches(&self.keys, &[request.body], &[&given])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "demo-mailersend-signing-secret";
    const BODY: &str = r#"{"type":"activity.sent","data":{"id":"1"}}"#;
    /// `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`.
    const SIGNATURE: &str = "ce520e74401250e3c5a3ebcb313542c7bb9f23acdd0009cd0c8d5ea632e15c87";

    fn verifier(secrets: &[&str]) -> std::sync::Arc<dyn Verifier> {
        build(
            "MAILERSEND_WEBHOOK_SECRET",
            MAILERSEND_HEADER,
            &ChannelSettings {
                secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
                ..ChannelSettings::default()
            },
        )
        .unwrap()
    }

    fn check(v: &dyn Verifier, signature: &[&str], body: &str) -> Result<Verified, VerifyError> {
        let headers: Vec<(&'static str, &str)> =
            signature.iter().map(|value| ("signature", *value)).collect();
        crate::verify::verify_with_headers(v, &headers, body)
    }

    fn sign(secret: &str, body: &str) -> String {
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            body.as_bytes(),
        );
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_signature_over_the_exact_bytes_verifies() {
        assert_eq!(sign(SECRET, BODY), SIGNATURE);
        let v = verifier(&[SECRET]);
        check(&*v, &[SIGNATURE], BODY).unwrap();
        check(&*v, &[&SIGNATURE.to_ascii_uppercase()], BODY).unwrap();
        // Rotation: any configured secret.
        let rotated = verifier(&["another-secret-0123456789", SECRET]);
        check(&*rotated, &[SIGNATURE], BODY).unwrap();
    }

    #[test]
    fn anything_else_is_refused() {
        let v = verifier(&[SECRET]);
        let pretty = BODY.replace(':', ": ");
        assert!(matches!(
            check(&*v, &[SIGNATURE], &pretty),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(&*v, &[], BODY),
            Err(VerifyError::MissingHeader(_))
        ));
        assert!(matches!(
            check(&*v, &[SIGNATURE, SIGNATURE], BODY),
            Err(VerifyError::RepeatedHeader(_))
        ));
        assert!(matches!(
            check(&*v, &["zz"], BODY),
            Err(VerifyError::MalformedSignature)
        ));
        let other = sign("another-secret-0123456789", BODY);
        assert!(matches!(
            check(&*v, &[&other], BODY),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(&*verifier(&[]), &[SIGNATURE], BODY),
            Err(VerifyError::NotConfigured(_))
        ));
        assert!(build(
            "MAILERSEND_WEBHOOK_SECRET",
            MAILERSEND_HEADER,
            &ChannelSettings {
                secrets: vec!["short".into()],
                ..ChannelSettings::default()
            }
        )
        .is_err());
    }
}
