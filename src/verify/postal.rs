//! Postal's signatures: `X-Postal-Signature` = base64 RSA PKCS #1 v1.5 signature with SHA-1 over
//! the exact body, made with the Postal server's signing key and checked with its public key
//! (`POSTAL_WEBHOOK_PUBLIC_KEY`: PEM, or the base64 DER Postal's web interface shows; several
//! to rotate). Postal's `X-Postal-Signature-256` is not read: real deliveries verify with SHA-1
//! only. The signature covers no time: a replay brings back the same event, stored once.

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY};
use base64::Engine as _;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-postal-signature";
/// The public keys' variable.
pub const KEY_VARIABLE: &str = "POSTAL_WEBHOOK_PUBLIC_KEY";

/// The DER of an RSA public key written as base64 (`None` when it is not one).
fn rsa_der(text: &str) -> Option<Vec<u8>> {
    let der = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    aws_lc_rs::rsa::PublicKey::from_der(&der).is_ok().then_some(der)
}

/// The keys a configured value holds: each PEM block (`PUBLIC KEY` or `RSA PUBLIC KEY`), and
/// base64 DER outside one (with or without a DNS record's `p=`), on one line or on several (a
/// PEM body without its BEGIN and END lines). Configuration lists are split at whitespace and
/// commas, so the pieces are read in order: lines add up until they make a key. `Err` holds
/// the index of the first text that makes no key.
fn keys(pieces: &[String]) -> Result<Vec<Vec<u8>>, usize> {
    let mut keys = Vec::new();
    let mut pending = String::new();
    let mut in_pem = false;
    for piece in pieces {
        let piece = piece.trim();
        if piece.starts_with("-----BEGIN") {
            in_pem = true;
            pending.clear();
            continue;
        }
        if in_pem {
            // `PUBLIC KEY-----` ends the BEGIN line; `-----END` starts the END line.
            if piece.starts_with("-----END") {
                keys.push(rsa_der(&pending).ok_or(keys.len())?);
                pending.clear();
                in_pem = false;
            } else if !piece.ends_with("-----")
                && !piece.eq_ignore_ascii_case("PUBLIC")
                && !piece.eq_ignore_ascii_case("RSA")
            {
                pending.push_str(piece);
            }
            continue;
        }
        if piece.ends_with("-----")
            || piece.eq_ignore_ascii_case("PUBLIC")
            || piece.eq_ignore_ascii_case("RSA")
        {
            continue; // the rest of an END line
        }
        pending.push_str(piece.trim_start_matches("p="));
        if let Some(der) = rsa_der(&pending) {
            keys.push(der);
            pending.clear();
        }
    }
    if in_pem || !pending.is_empty() {
        return Err(keys.len());
    }
    Ok(keys)
}

/// The builder of Postal's channel.
pub fn build(settings: &ChannelSettings) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    let keys = keys(&settings.secrets).map_err(|index| SetupError {
        variable: KEY_VARIABLE,
        index,
        reason: "not an RSA public key (PEM, or base64 of its DER)",
    })?;
    Ok(std::sync::Arc::new(PostalVerifier { keys }))
}

/// Verifies Postal's signature with any configured public key.
pub struct PostalVerifier {
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PostalVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostalVerifier({} keys)", self.keys.len())
    }
}

impl Verifier for PostalVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(KEY_VARIABLE));
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(single_header(request.headers, SIGNATURE_HEADER)?)
            .ok()
            .filter(|s| (64..=1024).contains(&s.len()))
            .ok_or(VerifyError::MalformedSignature)?;
        let mut matched = false;
        for key in &self.keys {
            matched |= UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, key)
                .verify(request.body, &signature)
                .is_ok();
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
    use super::*;

    /// The demo key pair's public half, as Postal shows it (base64 DER).
    const PUBLIC: &str = include_str!("../../events/demo-postal-public-key.txt");

    fn pem() -> String {
        let body = PUBLIC.trim();
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// The configuration's list, split as the configuration splits it.
    fn pieces(value: &str) -> Vec<String> {
        value
            .split([',', ' ', '\n', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn verifier(value: &str) -> std::sync::Arc<dyn Verifier> {
        build(&ChannelSettings {
            secrets: pieces(value),
            ..ChannelSettings::default()
        })
        .unwrap()
    }

    fn signed(name: &str) -> (String, String) {
        let body = crate::test_support::fixture("postal", name);
        (body, crate::test_support::postal_signature(name))
    }

    fn check(v: &dyn Verifier, signature: &str, body: &str) -> Result<Verified, VerifyError> {
        crate::verify::verify_with_headers(v, &[(SIGNATURE_HEADER, signature)], body)
    }

    #[test]
    fn a_signed_body_verifies_with_the_key_as_base64_der_or_pem() {
        let (body, signature) = signed("message-sent");
        check(&*verifier(PUBLIC), &signature, &body).unwrap();
        check(&*verifier(&pem()), &signature, &body).unwrap();
        check(&*verifier(&format!("p={}", PUBLIC.trim())), &signature, &body).unwrap();
        // A rotation: an older key first, then the PEM.
        assert_eq!(
            keys(&pieces(&format!("{} ,\n{}", PUBLIC.trim(), pem())))
                .unwrap()
                .len(),
            2
        );
        // A PEM body without its BEGIN and END lines (64-character lines), as some copy it.
        let lines: Vec<String> = pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned)
            .collect();
        check(&*verifier(&lines.join("\n")), &signature, &body).unwrap();
        assert_eq!(
            keys(&pieces(&format!("{}\n{}", lines.join("\n"), PUBLIC.trim())))
                .unwrap()
                .len(),
            2
        );
        // Half a key is no key.
        assert!(keys(&pieces(&lines[..2].join("\n"))).is_err());
        check(
            &*verifier(&format!("{}\n{}", pem(), PUBLIC.trim())),
            &signature,
            &body,
        )
        .unwrap();
    }

    #[test]
    fn another_body_signature_or_key_is_refused() {
        let (body, signature) = signed("message-sent");
        let v = verifier(PUBLIC);
        let (other_body, other_signature) = signed("message-held");
        assert!(matches!(
            check(&*v, &signature, &other_body),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(&*v, &other_signature, &body),
            Err(VerifyError::BadSignature)
        ));
        let reindented = body.replace("  ", "    ");
        assert!(matches!(
            check(&*v, &signature, &reindented),
            Err(VerifyError::BadSignature)
        ));
        assert!(matches!(
            check(&*v, "bm90", &body),
            Err(VerifyError::MalformedSignature)
        ));
        assert!(matches!(
            check(&*verifier(""), &signature, &body),
            Err(VerifyError::NotConfigured(_))
        ));
        assert!(build(&ChannelSettings {
            secrets: vec!["bm90IGEga2V5".into()],
            ..ChannelSettings::default()
        })
        .is_err());
    }
}
