//! Which webhook a request is for, and its body as bytes within the route's limit.

use base64::Engine as _;

use super::response::RequestError;
use super::trigger::HttpRequest;
use crate::model::Provider;

/// The largest webhook body accepted: the largest that still fits Lambda's 6 MB request
/// payload once API Gateway has base64-encoded it (4 MiB × 4/3 ≈ 5.6 MB).
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest SNS HTTPS body accepted: SNS messages are at most 256 KB, plus the envelope.
pub const MAX_SNS_BODY_BYTES: usize = 512 * 1024;

/// The webhook a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST …/webhooks/sendgrid`
    SendGrid,
    /// `POST …/webhooks/sendpulse`
    SendPulse,
    /// `POST …/webhooks/ses`: SNS's HTTPS delivery of SES events.
    SesHttps,
}

impl Route {
    /// The provider whose events the route carries.
    pub fn provider(self) -> Provider {
        match self {
            Route::SendGrid => Provider::SendGrid,
            Route::SendPulse => Provider::SendPulse,
            Route::SesHttps => Provider::Ses,
        }
    }

    /// The provider name used in logs and responses.
    pub fn name(self) -> &'static str {
        self.provider().as_str()
    }

    /// The largest body this route accepts.
    pub fn max_body_bytes(self) -> usize {
        match self {
            Route::SendGrid | Route::SendPulse => MAX_WEBHOOK_BODY_BYTES,
            Route::SesHttps => MAX_SNS_BODY_BYTES,
        }
    }

    /// Finds the route for a path. Any stage or base-path prefix may come first
    /// (`/prod/webhooks/sendgrid`); a trailing slash is ignored.
    pub fn for_path(path: &str) -> Option<Route> {
        let mut segments = path.trim_end_matches('/').rsplit('/');
        let provider = segments.next()?;
        if segments.next()? != "webhooks" {
            return None;
        }
        match provider {
            "sendgrid" => Some(Route::SendGrid),
            "sendpulse" => Some(Route::SendPulse),
            "ses" => Some(Route::SesHttps),
            _ => None,
        }
    }
}

/// Finds the route for a request, checking the method.
pub fn route(request: &HttpRequest) -> Result<Route, RequestError> {
    let route = Route::for_path(&request.path).ok_or(RequestError::NotFound)?;
    if request.method != "POST" {
        return Err(RequestError::MethodNotAllowed(
            request.method.chars().take(16).collect(),
        ));
    }
    Ok(route)
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

    #[test]
    fn routes_by_the_last_two_path_segments() {
        assert_eq!(Route::for_path("/webhooks/sendgrid"), Some(Route::SendGrid));
        assert_eq!(
            Route::for_path("/prod/webhooks/sendpulse/"),
            Some(Route::SendPulse)
        );
        assert_eq!(Route::for_path("/a/b/webhooks/ses"), Some(Route::SesHttps));
        assert_eq!(Route::for_path("/webhooks/mailgun"), None);
        assert_eq!(Route::for_path("/sendgrid"), None);
        assert_eq!(Route::for_path("webhooks/sendgrid"), Some(Route::SendGrid));
        assert_eq!(Route::for_path(""), None);
        assert_eq!(Route::for_path("/hooks/sendgrid"), None);
    }
}
