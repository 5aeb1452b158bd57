//! The shared vocabulary of normalized events: who reported it, what happened, how final a
//! bounce is, and which clock the time came from.

/// The email service provider an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Amazon SES, through SNS (a trigger or an HTTPS subscription) or EventBridge.
    Ses,
    /// Twilio SendGrid's Event Webhook.
    SendGrid,
    /// SendPulse's SMTP webhooks.
    SendPulse,
    /// Mailgun's JSON webhooks.
    Mailgun,
    /// Postmark's webhooks.
    Postmark,
    /// Resend's webhooks (delivered by Svix).
    Resend,
    /// Mailjet's event webhooks.
    Mailjet,
    /// Brevo's transactional webhooks.
    Brevo,
    /// SparkPost's (Bird's) event webhooks.
    SparkPost,
    /// MailerSend's webhooks.
    MailerSend,
    /// Mandrill's (Mailchimp Transactional's) webhooks.
    Mandrill,
    /// Postal's webhooks (self-hosted).
    Postal,
    /// SMTP2GO's webhooks.
    Smtp2go,
    /// AhaSend's webhooks (Standard Webhooks).
    AhaSend,
}

impl Provider {
    /// Every provider, in a fixed order (the provider registry's).
    pub const ALL: [Provider; 14] = [
        Provider::Ses,
        Provider::SendGrid,
        Provider::SendPulse,
        Provider::Mailgun,
        Provider::Postmark,
        Provider::Resend,
        Provider::Mailjet,
        Provider::Brevo,
        Provider::SparkPost,
        Provider::MailerSend,
        Provider::Mandrill,
        Provider::Postal,
        Provider::Smtp2go,
        Provider::AhaSend,
    ];

    /// The name stored in the `provider` attribute, metrics and logs: `sendgrid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Ses => "ses",
            Provider::SendGrid => "sendgrid",
            Provider::SendPulse => "sendpulse",
            Provider::Mailgun => "mailgun",
            Provider::Postmark => "postmark",
            Provider::Resend => "resend",
            Provider::Mailjet => "mailjet",
            Provider::Brevo => "brevo",
            Provider::SparkPost => "sparkpost",
            Provider::MailerSend => "mailersend",
            Provider::Mandrill => "mandrill",
            Provider::Postal => "postal",
            Provider::Smtp2go => "smtp2go",
            Provider::AhaSend => "ahasend",
        }
    }

    /// The provider of a stored name.
    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// What happened, in one vocabulary for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Accepted by the provider for sending (SendGrid `processed`).
    Queued,
    /// Handed to the provider's mail servers (SES `Send`).
    Sent,
    /// Accepted by the recipient's mail server.
    Delivered,
    /// Delivery is delayed and will be retried.
    Deferred,
    /// Not delivered; see the bounce class.
    Bounced,
    /// Refused by the provider before any delivery attempt.
    Rejected,
    /// The message could not be built (SES `Rendering Failure`).
    Failed,
    /// The recipient opened the message.
    Opened,
    /// The recipient clicked a link.
    Clicked,
    /// The recipient reported the message as spam.
    Complained,
    /// The recipient's mailbox provider reports the message is *not* spam (SES complaint with
    /// `complaintFeedbackType: not-spam`). Never a complaint.
    NotSpam,
    /// The recipient unsubscribed.
    Unsubscribed,
    /// The recipient subscribed again.
    Subscribed,
    /// An event type mailtrail does not know; stored all the same.
    Unknown,
}

impl EventKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EventKind; 14] = [
        EventKind::Queued,
        EventKind::Sent,
        EventKind::Delivered,
        EventKind::Deferred,
        EventKind::Bounced,
        EventKind::Rejected,
        EventKind::Failed,
        EventKind::Opened,
        EventKind::Clicked,
        EventKind::Complained,
        EventKind::NotSpam,
        EventKind::Unsubscribed,
        EventKind::Subscribed,
        EventKind::Unknown,
    ];

    /// The name stored in the `event` attribute and in the sort key.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Queued => "queued",
            EventKind::Sent => "sent",
            EventKind::Delivered => "delivered",
            EventKind::Deferred => "deferred",
            EventKind::Bounced => "bounced",
            EventKind::Rejected => "rejected",
            EventKind::Failed => "failed",
            EventKind::Opened => "opened",
            EventKind::Clicked => "clicked",
            EventKind::Complained => "complained",
            EventKind::NotSpam => "not_spam",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::Subscribed => "subscribed",
            EventKind::Unknown => "unknown",
        }
    }
}

/// Whether a bounce will go away by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BounceClass {
    /// The address will never accept mail: suppress it.
    Permanent,
    /// A temporary failure: the address may work later.
    Transient,
    /// The provider could not tell.
    Undetermined,
}

impl BounceClass {
    /// The name stored in the `bounce_class` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            BounceClass::Permanent => "permanent",
            BounceClass::Transient => "transient",
            BounceClass::Undetermined => "undetermined",
        }
    }

    /// Classifies by the first of `codes` that tells (`550`, `5.1.1`, `421 4.4.1 ...`);
    /// undetermined when none does.
    pub fn from_smtp_codes<'a>(codes: impl IntoIterator<Item = &'a Option<String>>) -> BounceClass {
        codes
            .into_iter()
            .flatten()
            .find_map(|code| BounceClass::from_smtp_code(code))
            .unwrap_or(BounceClass::Undetermined)
    }

    /// Classifies by an SMTP reply code or enhanced status code (`550`, `5.1.1`, `421 4.4.1 ...`).
    pub fn from_smtp_code(code: &str) -> Option<BounceClass> {
        match code.trim_start().as_bytes().first() {
            Some(b'5') => Some(BounceClass::Permanent),
            Some(b'4') => Some(BounceClass::Transient),
            _ => None,
        }
    }
}

/// Which clock the event's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSource {
    /// The event's own timestamp.
    Event,
    /// The time the message was sent (SES `mail.timestamp`).
    Mail,
    /// The time mailtrail received the request: the event carried no time.
    Received,
}

impl TimeSource {
    /// The name stored in the `time_source` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Event => "event",
            TimeSource::Mail => "mail",
            TimeSource::Received => "received",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_class_follows_the_first_digit_of_the_smtp_code() {
        assert_eq!(BounceClass::from_smtp_code("550"), Some(BounceClass::Permanent));
        assert_eq!(BounceClass::from_smtp_code("5.7.1"), Some(BounceClass::Permanent));
        assert_eq!(
            BounceClass::from_smtp_code(" 421 4.4.1"),
            Some(BounceClass::Transient)
        );
        assert_eq!(BounceClass::from_smtp_code("250"), None);
        assert_eq!(BounceClass::from_smtp_code(""), None);
    }

    #[test]
    fn every_kind_has_a_distinct_name() {
        let names: std::collections::HashSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
    }
}
