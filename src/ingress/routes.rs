//! Which webhook a request is for, and its body as bytes within the route's limit.

use base64::Engine as _;

use super::response::RequestError;
use super::trigger::HttpRequest;
use crate::providers::ProviderSpec;
use crate::verify::channels;

/// The largest webhook body accepted, the same for every provider: the largest that still fits
/// Lambda's 6 MB request payload once API Gateway has base64-encoded it (4 MiB × 4/3 ≈ 5.6 MB).
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest SNS HTTPS body accepted: SNS messages are at most 256 KB, plus the envelope.
pub const MAX_SNS_BODY_BYTES: usize = 512 * 1024;

/// The provider whose webhook a path is for. Routes match on the last two path segments, so
/// any stage or base-path prefix may come first (`/prod/webhooks/sendgrid`); a trailing slash
/// is ignored. A webhook may also name a tenant as one more segment
/// (`/webhooks/postmark/acme`): see [`tenant`].
pub fn for_path(path: &str) -> Option<&'static ProviderSpec> {
    parse(path).map(|(spec, _)| spec)
}

/// The tenant a webhook URL names (`/webhooks/<provider>/<tenant>`), for the providers that send
/// none themselves: the events it carries are counted under that tenant. A tenant is 1–64 of
/// `A–Z a–z 0–9 . _ -`; SNS's SES route takes none (SES names its own).
pub fn tenant(path: &str) -> Option<&str> {
    parse(path).and_then(|(_, tenant)| tenant)
}

/// The provider and the tenant of a path.
fn parse(path: &str) -> Option<(&'static ProviderSpec, Option<&str>)> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let last = segments.next()?;
    let before = segments.next()?;
    if before == "webhooks" {
        return channels::for_route(last).map(|provider| (provider.spec(), None));
    }
    if segments.next()? != "webhooks" || !is_tenant(last) {
        return None;
    }
    let provider = channels::for_route(before)?;
    provider.webhook()?;
    Some((provider.spec(), Some(last)))
}

fn is_tenant(segment: &str) -> bool {
    (1..=64).contains(&segment.len())
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The largest body `spec`'s route accepts.
pub fn max_body_bytes(spec: &ProviderSpec) -> usize {
    if spec.provider.webhook().is_some() {
        MAX_WEBHOOK_BODY_BYTES
    } else {
        MAX_SNS_BODY_BYTES
    }
}

/// Finds the route for a request, checking the method: `POST`, or `HEAD` where the channel
/// answers it (Mandrill checks a webhook URL with one).
pub fn route(request: &HttpRequest) -> Result<&'static ProviderSpec, RequestError> {
    let spec = for_path(&request.path).ok_or(RequestError::NotFound)?;
    if request.method != "POST" && !is_answered_head(spec, request) {
        return Err(RequestError::MethodNotAllowed(
            request.method.chars().take(16).collect(),
        ));
    }
    Ok(spec)
}

/// Whether `request` is a `HEAD` its channel answers with 200, storing nothing.
pub fn is_answered_head(spec: &ProviderSpec, request: &HttpRequest) -> bool {
    request.method == "HEAD"
        && spec
            .provider
            .webhook()
            .is_some_and(|channel| channel.answers_head)
}

/// The request body as bytes, base64-decoded when API Gateway encoded it, refused past `limit`.
pub fn body_bytes(request: &HttpRequest, limit: usize) -> Result<Vec<u8>, RequestError> {
    let body = request.body.as_deref().unwrap_or("");
    let size = if request.body_is_base64 {
        body.len() / 4 * 3
    } else {
        body.len()
    };
    if size > limit {
        return Err(RequestError::TooLarge { limit });
    }
    if request.body_is_base64 {
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(RequestError::BadBase64)
    } else {
        Ok(body.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Provider;

    #[test]
    fn a_webhook_may_name_a_tenant_as_one_more_segment() {
        let provider = |path: &str| for_path(path).map(|spec| spec.provider);
        assert_eq!(provider("/webhooks/postmark/acme"), Some(Provider::Postmark));
        assert_eq!(
            tenant("/prod/webhooks/postmark/acme-eu_1.x/"),
            Some("acme-eu_1.x")
        );
        assert_eq!(tenant("/webhooks/sendgrid/mailgun"), Some("mailgun"));
        assert_eq!(tenant("/webhooks/postmark"), None);
        assert_eq!(tenant("/webhooks/webhooks/postmark"), None);
        assert_eq!(provider("/webhooks/webhooks/postmark"), Some(Provider::Postmark));
        for refused in [
            "/webhooks/ses/acme",
            "/webhooks/nosuch/acme",
            "/webhooks/postmark/a%2Fb",
            "/webhooks/postmark/a b",
            "/other/postmark/acme",
        ] {
            assert_eq!(provider(refused), None, "{refused}");
        }
        assert_eq!(provider(&format!("/webhooks/postmark/{}", "a".repeat(65))), None);
    }

    #[test]
    fn routes_by_the_last_two_path_segments() {
        let provider = |path: &str| for_path(path).map(|spec| spec.provider);
        assert_eq!(provider("/webhooks/sendgrid"), Some(Provider::SendGrid));
        assert_eq!(provider("/prod/webhooks/sendpulse/"), Some(Provider::SendPulse));
        assert_eq!(provider("/a/b/webhooks/ses"), Some(Provider::Ses));
        assert_eq!(provider("/webhooks/nosuchprovider"), None);
        assert_eq!(provider("/sendgrid"), None);
        assert_eq!(provider("webhooks/sendgrid"), Some(Provider::SendGrid));
        assert_eq!(provider(""), None);
        assert_eq!(provider("/hooks/sendgrid"), None);
    }

    #[test]
    fn every_webhook_provider_has_its_route() {
        for provider in Provider::ALL {
            if let Some(webhook) = provider.webhook() {
                let path = format!("/webhooks/{}", webhook.route);
                assert_eq!(for_path(&path).map(|s| s.provider), Some(provider));
            }
        }
    }
}
