//! Mandrill's signatures: `X-Mandrill-Signature` = base64 HMAC-SHA1, keyed with the webhook's
//! key, over the exact URL Mandrill was given followed by each POST field's name and value,
//! sorted by name. The URL is configuration (`MANDRILL_WEBHOOK_URL`, several to allow one per
//! tenant route or a move): API Gateway and function URLs pass the body and headers through
//! unchanged, but only the operator knows the URL Mandrill posts to (scheme, host, path, query,
//! credentials included). The signature covers no time: a replay brings back the same events,
//! which are stored once.

use aws_lc_rs::hmac;
use base64::Engine as _;

use super::{single_header, ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-mandrill-signature";
/// The webhook keys' variable.
pub const KEY_VARIABLE: &str = "MANDRILL_WEBHOOK_KEY";
/// The signed URLs' variable.
pub const URL_VARIABLE: &str = "MANDRILL_WEBHOOK_URL";
/// The most form fields one request may have.
const MAX_FIELDS: usize = 64;

/// The builder of Mandrill's channel.
pub fn build(settings: &ChannelSettings) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    if let Some(index) = settings.secrets.iter().position(|k| k.len() < 16) {
        return Err(SetupError {
            variable: KEY_VARIABLE,
            index,
            reason: "shorter than 16 characters",
        });
    }
    if let Some(index) = settings
        .signed_urls
        .iter()
        .position(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        return Err(SetupError {
            variable: URL_VARIABLE,
            index,
            reason: "not an http(s) URL",
        });
    }
    Ok(std::sync::Arc::new(MandrillVerifier {
        keys: settings
            .secrets
            .iter()
            .map(|k| hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, k.as_bytes()))
            .collect(),
        urls: settings.signed_urls.clone(),
    }))
}

/// Verifies Mandrill's signature for any configured key and URL.
pub struct MandrillVerifier {
    keys: Vec<hmac::Key>,
    urls: Vec<String>,
}

impl std::fmt::Debug for MandrillVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MandrillVerifier({} keys, {} URLs)",
            self.keys.len(),
            self.urls.len()
        )
    }
}

/// The signed text after the URL: each field's name and value, sorted by name. A repeated
/// name is refused (which one Mandrill meant is not knowable).
fn signed_fields(body: &[u8]) -> Result<String, VerifyError> {
    std::str::from_utf8(body).map_err(|_| VerifyError::UnsupportedFormat("a form-encoded body"))?;
    let mut fields: Vec<(String, String)> = form_urlencoded::parse(body)
        .take(MAX_FIELDS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if fields.len() > MAX_FIELDS {
        return Err(VerifyError::MalformedSignature);
    }
    fields.sort();
    if fields.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(VerifyError::MalformedSignature);
    }
    let mut text = String::with_capacity(body.len());
    for (name, value) in fields {
        text.push_str(&name);
        text.push_str(&value);
    }
    Ok(text)
}

impl Verifier for MandrillVerifier {
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NotConfigured(KEY_VARIABLE));
        }
        if self.urls.is_empty() {
            return Err(VerifyError::NotConfigured(URL_VARIABLE));
        }
        let given = base64::engine::general_purpose::STANDARD
            .decode(single_header(request.headers, SIGNATURE_HEADER)?)
            .ok()
            .filter(|s| s.len() == 20)
            .ok_or(VerifyError::MalformedSignature)?;
        let fields = signed_fields(request.body)?;
        let messages: Vec<String> = self.urls.iter().map(|url| format!("{url}{fields}")).collect();
        let messages: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
        super::hmac_tags::any_matches(&self.keys, &messages, &[&given])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "TEST_WEBHOOK_KEY";
    const URL: &str = "https://example.com/webhooks/mandrill";
    /// Python: `base64(hmac.new(KEY, URL + "mandrill_events" + EVENTS, sha1))`.
    const SIGNATURE: &str = "tb3LsQI1V+h/d7LCxK04AfpeYUg=";
    const EVENTS: &str = r#"[{"event":"send"}]"#;

    fn verifier(keys: &[&str], urls: &[&str]) -> std::sync::Arc<dyn Verifier> {
        build(&ChannelSettings {
            secrets: keys.iter().map(|s| (*s).to_owned()).collect(),
            signed_urls: urls.iter().map(|s| (*s).to_owned()).collect(),
            ..ChannelSettings::default()
        })
        .unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            form.append_pair(k, v);
        }
        form.finish()
    }

    fn check(v: &dyn Verifier, signature: &str, body: &str) -> Result<Verified, VerifyError> {
        crate::verify::verify_with_headers(v, &[(SIGNATURE_HEADER, signature)], body)
    }

    #[test]
    fn the_signature_over_url_and_sorted_fields_verifies() {
        let v = verifier(&[KEY], &[URL]);
        check(&*v, SIGNATURE, &form(&[("mandrill_events", EVENTS)])).unwrap();
        // Escaping is the form's, not the signature's: `%2F` and `/` are the same field value.
        let escaped = format!(
            "mandrill_events={}",
            EVENTS.replace('"', "%22").replace('[', "%5B")
        );
        check(&*v, SIGNATURE, &escaped).unwrap();
        // Another URL configured first, another key: still found.
        let several = verifier(
            &["another-key-0123456789", KEY],
            &["https://other.example/x", URL],
        );
        check(&*several, SIGNATURE, &form(&[("mandrill_events", EVENTS)])).unwrap();
    }

    /// The URL exactly as given: credentials and query included, byte for byte.
    #[test]
    fn the_url_is_signed_with_its_credentials_and_query() {
        let url = "https://mailtrail:pa%24s@hooks.example.com/prod/webhooks/mandrill/acme?x=1";
        let body = form(&[("mandrill_events", EVENTS)]);
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, KEY.as_bytes());
        let tag = hmac::sign(&key, format!("{url}mandrill_events{EVENTS}").as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
        check(&*verifier(&[KEY], &[url]), &signature, &body).unwrap();
        let without_credentials = "https://hooks.example.com/prod/webhooks/mandrill/acme?x=1";
        assert!(matches!(
            check(&*verifier(&[KEY], &[without_credentials]), &signature, &body),
            Err(VerifyError::BadSignature)
        ));
    }

    #[test]
    fn another_url_field_or_key_is_refused() {
        let body = form(&[("mandrill_events", EVENTS)]);
        for v in [
            verifier(&[KEY], &["https://example.com/webhooks/mandrill/"]),
            verifier(&[KEY], &["http://example.com/webhooks/mandrill"]),
            verifier(&["another-key-0123456789"], &[URL]),
        ] {
            assert!(matches!(
                check(&*v, SIGNATURE, &body),
                Err(VerifyError::BadSignature)
            ));
        }
        let v = verifier(&[KEY], &[URL]);
        let added = form(&[("mandrill_events", EVENTS), ("extra", "1")]);
        assert!(matches!(
            check(&*v, SIGNATURE, &added),
            Err(VerifyError::BadSignature)
        ));
        let repeated = form(&[("mandrill_events", EVENTS), ("mandrill_events", "[]")]);
        assert!(matches!(
            check(&*v, SIGNATURE, &repeated),
            Err(VerifyError::MalformedSignature)
        ));
        assert!(matches!(
            check(&*v, "bm90", &body),
            Err(VerifyError::MalformedSignature)
        ));
        assert!(matches!(
            check(&*verifier(&[KEY], &[]), SIGNATURE, &body),
            Err(VerifyError::NotConfigured(URL_VARIABLE))
        ));
        assert!(build(&ChannelSettings {
            secrets: vec![KEY.into()],
            signed_urls: vec!["example.com/webhooks".into()],
            ..ChannelSettings::default()
        })
        .is_err());
    }
}
