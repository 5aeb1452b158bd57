//! The one list of providers. Everything that differs by provider (its route, its secret, how a
//! request is proven genuine, how its body holds events, how one event decodes, which status
//! asks it to retry) is read from here: the router, the configuration, the metrics' dimensions,
//! the command's filters and the template's generated alarms and widgets. Adding a provider is
//! a variant of [`Provider`], its entry in [`PROVIDERS`], its verifier and its decoder module.

use std::sync::Arc;

use crate::model::{NormalizedEvent, Timestamp};
use crate::verify::{ChannelSettings, SetupError, Verifier};

pub use crate::model::Provider;

/// How a provider's request body holds its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyShape {
    /// A JSON array of event objects, and nothing else (SendGrid, SendPulse).
    Array,
    /// One event object, or an array of them (Mailjet's grouping, Brevo's batches).
    ObjectOrArray,
    /// One event object per request (Mailgun, Postmark, Resend).
    Object,
    /// An SES event record, as SNS or EventBridge carries it.
    SesRecord,
}

/// Decodes one event's JSON into its normalized events (one per recipient it names).
pub type DecodeEvent = fn(&str, Timestamp) -> Result<Vec<NormalizedEvent>, serde_json::Error>;

/// Reads a message's subject from one of the provider's raw events, where it sends one.
pub type SubjectOf = fn(&str) -> Option<String>;

/// The largest webhook body accepted, the same for every provider: the largest that still fits
/// Lambda's 6 MB request payload once API Gateway has base64-encoded it (4 MiB × 4/3 ≈ 5.6 MB).
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A webhook channel: its route, its secret and how requests are proven genuine.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSpec {
    /// The last path segment of its route: `POST …/webhooks/<route>`.
    pub route: &'static str,
    /// The environment variable holding its secret(s).
    pub secret_variable: &'static str,
    /// The template parameter that fills it.
    pub secret_parameter: &'static str,
    /// The setting bounding a signed timestamp's age; `None` when the channel signs no time.
    pub max_age: Option<MaxAge>,
    /// An optional second secret the request must also present (Basic credentials or
    /// `?token=`), for channels whose signing key is shared with other uses (Mailgun).
    pub second_factor: Option<SecondFactor>,
    /// The largest body accepted.
    pub max_body_bytes: usize,
    /// Builds the verifier from the configured secret(s).
    pub verifier: fn(&ChannelSettings) -> Result<Arc<dyn Verifier>, SetupError>,
    /// The status that asks this provider to send the request again (a store failure, a
    /// closed channel): most retry on any 5xx; Brevo discards a 5xx and retries a 429.
    pub retry_status: u16,
}

/// The setting bounding a channel's signature age.
#[derive(Debug, Clone, Copy)]
pub struct MaxAge {
    /// The environment variable (`MAILGUN_MAX_AGE_SECONDS`).
    pub variable: &'static str,
    /// Its default, in seconds.
    pub default_seconds: i64,
    /// The smallest value accepted: 0 lets the check be turned off; a channel whose replay
    /// binding must outlive the signature (Mailgun) needs a finite age.
    pub minimum_seconds: i64,
}

/// A second secret a channel may also require: a token in Basic credentials or `?token=`.
#[derive(Debug, Clone, Copy)]
pub struct SecondFactor {
    /// The environment variable holding its token(s) (`MAILGUN_WEBHOOK_TOKEN`).
    pub variable: &'static str,
    /// The template parameter that fills it.
    pub parameter: &'static str,
}

/// How events of a provider reach the function.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    /// A webhook route (HTTP API or function URL).
    Webhook(WebhookSpec),
    /// SNS (a trigger, or HTTPS at `POST …/webhooks/ses`) and EventBridge.
    Ses,
}

/// Everything that differs by provider.
#[derive(Debug, Clone, Copy)]
pub struct ProviderSpec {
    /// The provider.
    pub provider: Provider,
    /// The name stored in items, metrics and logs: `sendgrid`.
    pub name: &'static str,
    /// Its name for people: `SendGrid`.
    pub title: &'static str,
    /// Its name in the template's resources and parameters: `SendGrid`, `Ses`.
    pub pascal: &'static str,
    /// How its events arrive.
    pub channel: Channel,
    /// How a body holds events.
    pub body: BodyShape,
    /// How one event decodes.
    pub decode_event: DecodeEvent,
    /// How a subject is read back from a raw event.
    pub subject: SubjectOf,
}

/// Every provider, in the order of [`Provider`]'s variants.
pub static PROVIDERS: [ProviderSpec; 8] = [
    super::ses::SPEC,
    super::sendgrid::SPEC,
    super::sendpulse::SPEC,
    super::mailgun::SPEC,
    super::postmark::SPEC,
    super::resend::SPEC,
    super::mailjet::SPEC,
    super::brevo::SPEC,
];

impl Provider {
    /// What differs for this provider.
    pub fn spec(self) -> &'static ProviderSpec {
        &PROVIDERS[self as usize]
    }

    /// Its webhook channel, when it has one.
    pub fn webhook(self) -> Option<&'static WebhookSpec> {
        match &self.spec().channel {
            Channel::Webhook(webhook) => Some(webhook),
            Channel::Ses => None,
        }
    }
}

/// The provider whose webhook route is `segment` (`ses` for SNS's HTTPS deliveries).
pub fn for_route(segment: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().find(|spec| match &spec.channel {
        Channel::Webhook(webhook) => webhook.route == segment,
        Channel::Ses => segment == SES_HTTPS_ROUTE,
    })
}

/// The route segment of SNS's HTTPS deliveries of SES events.
pub const SES_HTTPS_ROUTE: &str = "ses";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_follows_the_variants_and_names_are_unique() {
        for (index, spec) in PROVIDERS.iter().enumerate() {
            assert_eq!(spec.provider as usize, index, "{}", spec.name);
            assert_eq!(Provider::ALL[index], spec.provider);
            assert_eq!(Provider::parse(spec.name), Some(spec.provider));
            assert_eq!(spec.provider.as_str(), spec.name);
        }
        let names: std::collections::HashSet<&str> = PROVIDERS.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), PROVIDERS.len());
        let routes: Vec<&str> = PROVIDERS
            .iter()
            .filter_map(|s| s.provider.webhook().map(|w| w.route))
            .collect();
        for route in &routes {
            assert_eq!(
                for_route(route).map(|s| s.provider.webhook().unwrap().route),
                Some(*route)
            );
        }
        assert_eq!(for_route("ses").map(|s| s.provider), Some(Provider::Ses));
        assert!(for_route("nope").is_none());
    }
}
