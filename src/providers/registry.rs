//! The one list of providers and what each *is*: its name, its title, how its body holds events,
//! how one event decodes and where a subject is read back. The wiring each layer keeps for itself
//! is beside that layer: the webhook channel (route, secret, verifier) in
//! `verify::channels`, the raw dictionaries in `store::raw`, the retry status in
//! `ingress::response`, the template's names in the template generator. Adding a provider is a
//! variant of [`Provider`], its entry in [`PROVIDERS`], its decoder module, its channel and its
//! raw dictionary.

use crate::model::{NormalizedEvent, Timestamp};

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
    /// A form-encoded body whose one field holds a JSON array of events (Mandrill's
    /// `mandrill_events`).
    FormField(&'static str),
    /// One event object as JSON, or the same fields form-encoded (SMTP2GO).
    ObjectOrForm,
}

/// Decodes the event at the start of a text into its normalized events (one per recipient it
/// names), appended to the vector; returns where the event's JSON ends. Every provider but SES
/// uses `batch::leading_event` over its raw type.
pub type DecodeEvent = fn(&str, Timestamp, &mut Vec<NormalizedEvent>) -> Result<usize, serde_json::Error>;

/// Reads a message's subject from one of the provider's raw events, where it sends one.
pub type SubjectOf = fn(&str) -> Option<String>;

/// What a provider is.
#[derive(Debug, Clone, Copy)]
pub struct ProviderSpec {
    /// The provider.
    pub provider: Provider,
    /// The name stored in items, metrics and logs: `sendgrid`.
    pub name: &'static str,
    /// Its name for people: `SendGrid`.
    pub title: &'static str,
    /// How a body holds events.
    pub body: BodyShape,
    /// How one event decodes.
    pub decode_event: DecodeEvent,
    /// How a subject is read back from a raw event.
    pub subject: SubjectOf,
}

/// Every provider, in the order of [`Provider`]'s variants.
pub static PROVIDERS: [ProviderSpec; Provider::ALL.len()] = [
    super::ses::SPEC,
    super::sendgrid::SPEC,
    super::sendpulse::SPEC,
    super::mailgun::SPEC,
    super::postmark::SPEC,
    super::resend::SPEC,
    super::mailjet::SPEC,
    super::brevo::SPEC,
    super::sparkpost::SPEC,
    super::mailersend::SPEC,
    super::mandrill::SPEC,
    super::postal::SPEC,
    super::smtp2go::SPEC,
    super::standard_webhooks::AHASEND,
];

impl Provider {
    /// What differs for this provider.
    pub fn spec(self) -> &'static ProviderSpec {
        &PROVIDERS[self as usize]
    }
}

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
    }
}
