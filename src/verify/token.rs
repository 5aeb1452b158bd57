//! Providers that sign nothing (SendPulse, Postmark, Mailjet, Brevo, SparkPost, SMTP2GO) prove
//! a request genuine by a secret the operator put in the webhook's URL or headers: `?token=`,
//! HTTP Basic credentials (the password is the token), `Authorization: Bearer <token>`, or a
//! provider's own token header (SparkPost's `X-MessageSystems-Webhook-Token`). Each channel
//! says which carriers it accepts. Tokens are compared in constant time, as SHA-256 digests,
//! with every configured token (several, to rotate).

use aws_lambda_events::http::header::AUTHORIZATION;
use base64::Engine as _;

use super::{ChannelSettings, SetupError, SignedRequest, Verified, Verifier, VerifyError};

/// The query parameter holding the token.
pub const TOKEN_PARAMETER: &str = "token";
/// The shortest token accepted in configuration.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// Where a channel's token may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carriers {
    /// `?token=` in the URL.
    pub query: bool,
    /// HTTP Basic credentials (`https://mailtrail:<token>@host/…`): the password is the token.
    pub basic: bool,
    /// `Authorization: Bearer <token>`.
    pub bearer: bool,
    /// A header of the provider's own whose whole value is the token.
    pub header: Option<&'static str>,
}

impl Carriers {
    /// `?token=` only (SendPulse).
    pub const QUERY: Carriers = Carriers {
        query: true,
        basic: false,
        bearer: false,
        header: None,
    };
    /// Basic credentials or `?token=` (Postmark, Mailjet).
    pub const BASIC_OR_QUERY: Carriers = Carriers {
        query: true,
        basic: true,
        bearer: false,
        header: None,
    };
    /// Basic credentials, a bearer token or `?token=` (Brevo, SMTP2GO).
    pub const ANY: Carriers = Carriers {
        query: true,
        basic: true,
        bearer: true,
        header: None,
    };
    /// Basic credentials, `?token=` or SparkPost's `X-MessageSystems-Webhook-Token` (SparkPost).
    pub const SPARKPOST: Carriers = Carriers {
        query: true,
        basic: true,
        bearer: false,
        header: Some("x-messagesystems-webhook-token"),
    };
}

/// Checks a request's token. Tokens are kept as SHA-256 digests, so comparing takes the same
/// time whatever the tokens' lengths and contents.
pub struct TokenVerifier {
    variable: &'static str,
    carriers: Carriers,
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TokenVerifier({}: {} tokens, {:?})",
            self.variable,
            self.digests.len(),
            self.carriers
        )
    }
}

fn digest(token: &str) -> [u8; 32] {
    crate::base::digest::sha256(token.as_bytes())
}

/// The builder of a channel that takes `carriers`, its tokens in `variable`.
pub fn build(
    variable: &'static str,
    carriers: Carriers,
    settings: &ChannelSettings,
) -> Result<std::sync::Arc<dyn Verifier>, SetupError> {
    Ok(std::sync::Arc::new(TokenVerifier::new(
        variable,
        carriers,
        &settings.secrets,
    )?))
}

impl TokenVerifier {
    /// A verifier accepting any of `tokens` (several allow rotation), configured in `variable`.
    pub fn new(
        variable: &'static str,
        carriers: Carriers,
        tokens: &[String],
    ) -> Result<TokenVerifier, SetupError> {
        if let Some(index) = tokens.iter().position(|t| t.len() < MIN_TOKEN_LENGTH) {
            return Err(SetupError {
                variable,
                index,
                reason: "shorter than 16 characters",
            });
        }
        Ok(TokenVerifier {
            variable,
            carriers,
            digests: tokens.iter().map(|t| digest(t)).collect(),
        })
    }

    /// Every token the request presents through the carriers this channel accepts. A
    /// repeated carrier (two `token` parameters, two `Authorization` headers) is refused.
    fn presented(&self, request: &SignedRequest<'_>) -> Result<Vec<[u8; 32]>, VerifyError> {
        let mut presented = Vec::new();
        if self.carriers.query {
            match request.query.all(TOKEN_PARAMETER).as_deref() {
                None => {}
                Some([one]) => presented.push(digest(one)),
                Some(_) => return Err(VerifyError::BadToken),
            }
        }
        if let Some(name) = self.carriers.header {
            let mut values = request.headers.get_all(name).iter();
            if let Some(value) = values.next() {
                if values.next().is_some() {
                    return Err(VerifyError::BadToken);
                }
                presented.push(digest(value.to_str().map_err(|_| VerifyError::BadToken)?.trim()));
            }
        }
        if self.carriers.basic || self.carriers.bearer {
            let mut values = request.headers.get_all(AUTHORIZATION).iter();
            if let Some(value) = values.next() {
                if values.next().is_some() {
                    return Err(VerifyError::RepeatedHeader("authorization"));
                }
                let value = value.to_str().map_err(|_| VerifyError::BadToken)?.trim();
                let (scheme, credentials) = value.split_once(' ').ok_or(VerifyError::BadToken)?;
                let credentials = credentials.trim();
                if self.carriers.basic && scheme.eq_ignore_ascii_case("basic") {
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(credentials)
                        .map_err(|_| VerifyError::BadToken)?;
                    let text = String::from_utf8(decoded).map_err(|_| VerifyError::BadToken)?;
                    let (_user, password) = text.split_once(':').ok_or(VerifyError::BadToken)?;
                    presented.push(digest(password));
                } else if self.carriers.bearer && scheme.eq_ignore_ascii_case("bearer") {
                    presented.push(digest(credentials));
                } else {
                    return Err(VerifyError::BadToken);
                }
            }
        }
        Ok(presented)
    }

    /// Whether `given` is one of the configured tokens, looking at every one of them.
    fn known(&self, given: &[u8; 32]) -> bool {
        let mut matched = false;
        for expected in &self.digests {
            matched |= aws_lc_rs::constant_time::verify_slices_are_equal(expected, given).is_ok();
        }
        matched
    }
}

impl Verifier for TokenVerifier {
    /// At least one token must be presented, and every token presented must be a configured one.
    fn verify(&self, request: &SignedRequest<'_>) -> Result<Verified, VerifyError> {
        if self.digests.is_empty() {
            return Err(VerifyError::NotConfigured(self.variable));
        }
        let presented = self.presented(request)?;
        if presented.is_empty() {
            return Err(VerifyError::BadToken);
        }
        let mut all_known = true;
        for given in &presented {
            all_known &= self.known(given);
        }
        if all_known {
            Ok(Verified::default())
        } else {
            Err(VerifyError::BadToken)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_lambda_events::http::{HeaderMap, HeaderValue};
    use aws_lambda_events::query_map::QueryMap;

    use super::*;
    use crate::model::Timestamp;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        QueryMap::from(map)
    }

    const TOKEN: &str = "demo-sendpulse-token-0123456789";

    fn check(v: &TokenVerifier, query: &QueryMap, authorization: &[&str]) -> Result<Verified, VerifyError> {
        let mut headers = HeaderMap::new();
        for value in authorization {
            headers.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        v.verify(&SignedRequest {
            headers: &headers,
            query,
            body: b"",
            now: Timestamp::now(),
        })
    }

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn accepts_any_configured_token_only() {
        let v = TokenVerifier::new(
            "SENDPULSE_WEBHOOK_TOKEN",
            Carriers::QUERY,
            &[TOKEN.to_owned(), "another-token-for-rotation".to_owned()],
        )
        .unwrap();
        check(&v, &query(&[("token", TOKEN)]), &[]).unwrap();
        check(&v, &query(&[("token", "another-token-for-rotation")]), &[]).unwrap();
        for bad in [
            query(&[]),
            query(&[("token", "")]),
            query(&[("token", "demo-sendpulse-token-012345678")]),
            query(&[("Token", TOKEN)]),
            query(&[("token", TOKEN), ("token", TOKEN)]),
        ] {
            assert!(matches!(check(&v, &bad, &[]), Err(VerifyError::BadToken)));
        }
        // A query-only channel does not read credentials from the header.
        assert!(check(&v, &query(&[]), &[&basic("mailtrail", TOKEN)]).is_err());
    }

    #[test]
    fn basic_credentials_carry_the_token_as_the_password() {
        let v = TokenVerifier::new(
            "POSTMARK_WEBHOOK_TOKEN",
            Carriers::BASIC_OR_QUERY,
            &[TOKEN.to_owned()],
        )
        .unwrap();
        check(&v, &query(&[]), &[&basic("mailtrail", TOKEN)]).unwrap();
        check(&v, &query(&[]), &[&basic("anyone", TOKEN)]).unwrap();
        check(&v, &query(&[("token", TOKEN)]), &[]).unwrap();
        check(&v, &query(&[("token", TOKEN)]), &[&basic("mailtrail", TOKEN)]).unwrap();
        for authorization in [
            basic("mailtrail", "wrong-token-0123456789"),
            basic(TOKEN, ""),
            format!("Bearer {TOKEN}"),
            "Basic !!!".to_owned(),
            "Basic".to_owned(),
        ] {
            assert!(
                check(&v, &query(&[]), &[&authorization]).is_err(),
                "{authorization}"
            );
        }
        // Every token presented must be right, and a repeated header is refused.
        assert!(check(
            &v,
            &query(&[("token", "wrong-token-0123456789")]),
            &[&basic("m", TOKEN)]
        )
        .is_err());
        assert!(matches!(
            check(&v, &query(&[]), &[&basic("m", TOKEN), &basic("m", TOKEN)]),
            Err(VerifyError::RepeatedHeader(_))
        ));
    }

    #[test]
    fn a_bearer_token_where_the_channel_takes_one() {
        let v = TokenVerifier::new("BREVO_WEBHOOK_TOKEN", Carriers::ANY, &[TOKEN.to_owned()]).unwrap();
        check(&v, &query(&[]), &[&format!("Bearer {TOKEN}")]).unwrap();
        check(&v, &query(&[]), &[&format!("bearer  {TOKEN}")]).unwrap();
        check(&v, &query(&[]), &[&basic("mailtrail", TOKEN)]).unwrap();
        assert!(check(&v, &query(&[]), &["Bearer wrong-token-0123456789"]).is_err());
    }

    #[test]
    fn without_a_token_everything_is_refused() {
        let v = TokenVerifier::new("SENDPULSE_WEBHOOK_TOKEN", Carriers::QUERY, &[]).unwrap();
        assert!(matches!(
            check(&v, &query(&[("token", TOKEN)]), &[]),
            Err(VerifyError::NotConfigured("SENDPULSE_WEBHOOK_TOKEN"))
        ));
        let weak =
            TokenVerifier::new("SENDPULSE_WEBHOOK_TOKEN", Carriers::QUERY, &["short".into()]).unwrap_err();
        assert_eq!((weak.variable, weak.index), ("SENDPULSE_WEBHOOK_TOKEN", 0));
    }

    #[test]
    fn debug_output_shows_no_token() {
        let v = TokenVerifier::new("SENDPULSE_WEBHOOK_TOKEN", Carriers::QUERY, &[TOKEN.to_owned()]).unwrap();
        assert!(!format!("{v:?}").contains("demo"));
    }
}
