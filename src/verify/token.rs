//! SendPulse signs nothing: its webhook URL carries a secret `?token=`, compared in constant
//! time with the configured token(s).

use aws_lambda_events::query_map::QueryMap;

use super::VerifyError;

/// The query parameter holding the token.
pub const TOKEN_PARAMETER: &str = "token";
/// The shortest token accepted in configuration.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// A configured token shorter than [`MIN_TOKEN_LENGTH`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("SENDPULSE_WEBHOOK_TOKEN entry {index} is shorter than {MIN_TOKEN_LENGTH} characters")]
pub struct WeakToken {
    /// Its position in the list, from 0.
    pub index: usize,
}

/// Checks the `token` query parameter. Tokens are kept as SHA-256 digests, so comparing takes
/// the same time whatever the tokens' lengths and contents.
pub struct TokenVerifier {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenVerifier({} tokens)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    crate::digest::sha256(token.as_bytes())
}

impl TokenVerifier {
    /// A verifier accepting any of `tokens` (several allow rotation).
    pub fn new(tokens: &[String]) -> Result<TokenVerifier, WeakToken> {
        if let Some(index) = tokens.iter().position(|t| t.len() < MIN_TOKEN_LENGTH) {
            return Err(WeakToken { index });
        }
        Ok(TokenVerifier {
            digests: tokens.iter().map(|t| digest(t)).collect(),
        })
    }

    /// Checks the request's query parameters.
    pub fn verify(&self, query: &QueryMap) -> Result<(), VerifyError> {
        if self.digests.is_empty() {
            return Err(VerifyError::NotConfigured("SENDPULSE_WEBHOOK_TOKEN"));
        }
        let given = match query.all(TOKEN_PARAMETER).as_deref() {
            Some([one]) => digest(one),
            _ => return Err(VerifyError::BadToken),
        };
        let mut matched = false;
        for expected in &self.digests {
            matched |= aws_lc_rs::constant_time::verify_slices_are_equal(expected, &given).is_ok();
        }
        if matched {
            Ok(())
        } else {
            Err(VerifyError::BadToken)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        QueryMap::from(map)
    }

    const TOKEN: &str = "demo-sendpulse-token-0123456789";

    #[test]
    fn accepts_any_configured_token_only() {
        let v = TokenVerifier::new(&[TOKEN.to_owned(), "another-token-for-rotation".to_owned()]).unwrap();
        v.verify(&query(&[("token", TOKEN)])).unwrap();
        v.verify(&query(&[("token", "another-token-for-rotation")]))
            .unwrap();
        for bad in [
            query(&[]),
            query(&[("token", "")]),
            query(&[("token", "demo-sendpulse-token-012345678")]),
            query(&[("Token", TOKEN)]),
            query(&[("token", TOKEN), ("token", TOKEN)]),
        ] {
            assert!(matches!(v.verify(&bad), Err(VerifyError::BadToken)));
        }
    }

    #[test]
    fn without_a_token_everything_is_refused() {
        let v = TokenVerifier::new(&[]).unwrap();
        assert!(matches!(
            v.verify(&query(&[("token", TOKEN)])),
            Err(VerifyError::NotConfigured(_))
        ));
        assert_eq!(TokenVerifier::new(&["short".into()]).unwrap_err().index, 0);
    }

    #[test]
    fn debug_output_shows_no_token() {
        let v = TokenVerifier::new(&[TOKEN.to_owned()]).unwrap();
        assert!(!format!("{v:?}").contains("demo"));
    }
}
