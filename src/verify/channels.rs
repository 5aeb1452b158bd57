//! How each provider's requests reach mailtrail and are proven genuine: the webhook route, the
//! secret's variable and template parameter, the signature's age, an optional second factor and
//! the verifier. What a provider *is* (its name, body shape and decoder) is the provider
//! registry's; this is the wiring the verifying side keeps for itself. SES has no webhook
//! channel: its events come through SNS (a trigger, or HTTPS at [`SES_HTTPS_ROUTE`]) and
//! EventBridge.

use std::sync::Arc;

use super::token::Carriers;
use super::{
    body_hmac, mailgun, mandrill, postal, sendgrid, svix, token, ChannelSettings, SetupError, Verifier,
};
use crate::model::Provider;

/// A webhook channel: its route, its secret and how requests are proven genuine.
#[derive(Debug, Clone, Copy)]
pub struct WebhookChannel {
    /// The provider it serves.
    pub provider: Provider,
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
    /// The setting naming the URL(s) the provider was given, for channels whose signature
    /// covers the URL (Mandrill).
    pub signed_url: Option<SignedUrl>,
    /// Whether the route answers `HEAD` with 200 (Mandrill checks a webhook URL that way).
    pub answers_head: bool,
    /// Builds the verifier from the configured secret(s).
    pub verifier: fn(&ChannelSettings) -> Result<Arc<dyn Verifier>, SetupError>,
}

/// The URL(s) a channel's signature covers: not a secret, but part of what is signed.
#[derive(Debug, Clone, Copy)]
pub struct SignedUrl {
    /// The environment variable (`MANDRILL_WEBHOOK_URL`).
    pub variable: &'static str,
    /// The template parameter that fills it.
    pub parameter: &'static str,
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

/// The route segment of SNS's HTTPS deliveries of SES events.
pub const SES_HTTPS_ROUTE: &str = "ses";

/// SendPulse's token variable (in `?token=`: its webhooks carry no header).
pub const SENDPULSE_TOKEN_VARIABLE: &str = "SENDPULSE_WEBHOOK_TOKEN";
/// Postmark's token variable (Basic credentials in the URL, or `?token=`).
pub const POSTMARK_TOKEN_VARIABLE: &str = "POSTMARK_WEBHOOK_TOKEN";
/// Mailjet's token variable (Basic credentials in the URL, or `?token=`).
pub const MAILJET_TOKEN_VARIABLE: &str = "MAILJET_WEBHOOK_TOKEN";
/// Brevo's token variable (Bearer, Basic or `?token=`).
pub const BREVO_TOKEN_VARIABLE: &str = "BREVO_WEBHOOK_TOKEN";
/// Resend's signing secret variable (`whsec_…`).
pub const RESEND_SECRET_VARIABLE: &str = "RESEND_WEBHOOK_SECRET";
/// SparkPost's token variable (Basic credentials, `?token=` or its token header).
pub const SPARKPOST_TOKEN_VARIABLE: &str = "SPARKPOST_WEBHOOK_TOKEN";
/// MailerSend's signing secret variable.
pub const MAILERSEND_SECRET_VARIABLE: &str = "MAILERSEND_WEBHOOK_SECRET";
/// SMTP2GO's token variable (Basic, Bearer or `?token=`).
pub const SMTP2GO_TOKEN_VARIABLE: &str = "SMTP2GO_WEBHOOK_TOKEN";
/// AhaSend's signing secret variable (used as written).
pub const AHASEND_SECRET_VARIABLE: &str = "AHASEND_WEBHOOK_SECRET";

/// Every webhook channel, in the order of [`Provider`]'s variants (SES has none).
pub static WEBHOOKS: [WebhookChannel; 13] = [
    WebhookChannel {
        provider: Provider::SendGrid,
        route: "sendgrid",
        secret_variable: sendgrid::KEYS_VARIABLE,
        secret_parameter: "SendGridWebhookPublicKey",
        max_age: Some(MaxAge {
            variable: "SENDGRID_MAX_AGE_SECONDS",
            default_seconds: sendgrid::DEFAULT_MAX_AGE_SECONDS,
            minimum_seconds: 0,
        }),
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: sendgrid::build,
    },
    WebhookChannel {
        provider: Provider::SendPulse,
        route: "sendpulse",
        secret_variable: SENDPULSE_TOKEN_VARIABLE,
        secret_parameter: "SendPulseWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(SENDPULSE_TOKEN_VARIABLE, Carriers::QUERY, settings),
    },
    WebhookChannel {
        provider: Provider::Mailgun,
        route: "mailgun",
        secret_variable: mailgun::KEY_VARIABLE,
        secret_parameter: "MailgunWebhookSigningKey",
        max_age: Some(MaxAge {
            variable: mailgun::MAX_AGE_VARIABLE,
            default_seconds: mailgun::DEFAULT_MAX_AGE_SECONDS,
            // The token binding must outlive the signature: no "off".
            minimum_seconds: mailgun::MIN_MAX_AGE_SECONDS,
        }),
        second_factor: Some(SecondFactor {
            variable: mailgun::TOKEN_VARIABLE,
            parameter: "MailgunWebhookToken",
        }),
        signed_url: None,
        answers_head: false,
        verifier: mailgun::build,
    },
    WebhookChannel {
        provider: Provider::Postmark,
        route: "postmark",
        secret_variable: POSTMARK_TOKEN_VARIABLE,
        secret_parameter: "PostmarkWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(POSTMARK_TOKEN_VARIABLE, Carriers::BASIC_OR_QUERY, settings),
    },
    WebhookChannel {
        provider: Provider::Resend,
        route: "resend",
        secret_variable: RESEND_SECRET_VARIABLE,
        secret_parameter: "ResendWebhookSecret",
        max_age: Some(MaxAge {
            variable: "RESEND_MAX_AGE_SECONDS",
            default_seconds: svix::DEFAULT_MAX_AGE_SECONDS,
            minimum_seconds: 0,
        }),
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| svix::build(RESEND_SECRET_VARIABLE, settings),
    },
    WebhookChannel {
        provider: Provider::Mailjet,
        route: "mailjet",
        secret_variable: MAILJET_TOKEN_VARIABLE,
        secret_parameter: "MailjetWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(MAILJET_TOKEN_VARIABLE, Carriers::BASIC_OR_QUERY, settings),
    },
    WebhookChannel {
        provider: Provider::Brevo,
        route: "brevo",
        secret_variable: BREVO_TOKEN_VARIABLE,
        secret_parameter: "BrevoWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(BREVO_TOKEN_VARIABLE, Carriers::ANY, settings),
    },
    WebhookChannel {
        provider: Provider::SparkPost,
        route: "sparkpost",
        secret_variable: SPARKPOST_TOKEN_VARIABLE,
        secret_parameter: "SparkPostWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(SPARKPOST_TOKEN_VARIABLE, Carriers::SPARKPOST, settings),
    },
    WebhookChannel {
        provider: Provider::MailerSend,
        route: "mailersend",
        secret_variable: MAILERSEND_SECRET_VARIABLE,
        secret_parameter: "MailerSendWebhookSecret",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| {
            body_hmac::build(MAILERSEND_SECRET_VARIABLE, body_hmac::MAILERSEND_HEADER, settings)
        },
    },
    WebhookChannel {
        provider: Provider::Mandrill,
        route: "mandrill",
        secret_variable: mandrill::KEY_VARIABLE,
        secret_parameter: "MandrillWebhookKey",
        max_age: None,
        second_factor: None,
        signed_url: Some(SignedUrl {
            variable: mandrill::URL_VARIABLE,
            parameter: "MandrillWebhookUrl",
        }),
        answers_head: true,
        verifier: mandrill::build,
    },
    WebhookChannel {
        provider: Provider::Postal,
        route: "postal",
        secret_variable: postal::KEY_VARIABLE,
        secret_parameter: "PostalWebhookPublicKey",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: postal::build,
    },
    WebhookChannel {
        provider: Provider::Smtp2go,
        route: "smtp2go",
        secret_variable: SMTP2GO_TOKEN_VARIABLE,
        secret_parameter: "Smtp2goWebhookToken",
        max_age: None,
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| token::build(SMTP2GO_TOKEN_VARIABLE, Carriers::ANY, settings),
    },
    WebhookChannel {
        provider: Provider::AhaSend,
        route: "ahasend",
        secret_variable: AHASEND_SECRET_VARIABLE,
        secret_parameter: "AhaSendWebhookSecret",
        max_age: Some(MaxAge {
            variable: "AHASEND_MAX_AGE_SECONDS",
            default_seconds: svix::DEFAULT_MAX_AGE_SECONDS,
            minimum_seconds: 0,
        }),
        second_factor: None,
        signed_url: None,
        answers_head: false,
        verifier: |settings| {
            svix::build_with(AHASEND_SECRET_VARIABLE, svix::KeyEncoding::AsWritten, settings)
        },
    },
];

impl Provider {
    /// Its webhook channel, when it has one (every provider but SES).
    pub fn webhook(self) -> Option<&'static WebhookChannel> {
        WEBHOOKS.iter().find(|channel| channel.provider == self)
    }
}

/// The provider whose route is `segment` (`ses` for SNS's HTTPS deliveries).
pub fn for_route(segment: &str) -> Option<Provider> {
    if segment == SES_HTTPS_ROUTE {
        return Some(Provider::Ses);
    }
    WEBHOOKS
        .iter()
        .find(|channel| channel.route == segment)
        .map(|channel| channel.provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_but_ses_has_one_channel_and_routes_are_unique() {
        for provider in Provider::ALL {
            let channels = WEBHOOKS.iter().filter(|c| c.provider == provider).count();
            assert_eq!(channels, usize::from(provider != Provider::Ses), "{provider:?}");
        }
        for channel in &WEBHOOKS {
            assert_eq!(for_route(channel.route), Some(channel.provider));
            assert_eq!(channel.provider.webhook().map(|c| c.route), Some(channel.route));
        }
        assert_eq!(for_route("ses"), Some(Provider::Ses));
        assert_eq!(for_route("nope"), None);
    }
}
