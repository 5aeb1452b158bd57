//! The message SNS POSTs to an HTTPS subscription, and the canonical text it signs.

use serde::Deserialize;

/// A message SNS POSTs to an HTTPS subscription.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsHttpMessage {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    #[serde(rename = "Type")]
    pub message_type: String,
    /// SNS's id for the message.
    pub message_id: String,
    /// The topic it was published to.
    pub topic_arn: String,
    /// The subject, when the publisher gave one.
    #[serde(default)]
    pub subject: Option<String>,
    /// The payload: for SES, the event JSON.
    pub message: String,
    /// When SNS published it.
    pub timestamp: String,
    /// The confirmation token (confirmations only).
    #[serde(default)]
    pub token: Option<String>,
    /// The URL that confirms the subscription (confirmations only).
    #[serde(default, rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA).
    pub signature_version: String,
    /// Base64 RSA signature.
    pub signature: String,
    /// Where SNS's signing certificate is.
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
}

impl SnsHttpMessage {
    /// The text SNS signed.
    pub fn canonical_string(&self) -> String {
        let fields: [(&str, Option<&str>); 8] = [
            ("Message", Some(&self.message)),
            ("MessageId", Some(&self.message_id)),
            ("Subject", self.subject.as_deref()),
            ("SubscribeURL", self.subscribe_url.as_deref()),
            ("Timestamp", Some(&self.timestamp)),
            ("Token", self.token.as_deref()),
            ("TopicArn", Some(&self.topic_arn)),
            ("Type", Some(&self.message_type)),
        ];
        let mut text = String::with_capacity(self.message.len() + 512);
        for (key, value) in fields {
            if let Some(value) = value {
                text.push_str(key);
                text.push('\n');
                text.push_str(value);
                text.push('\n');
            }
        }
        text
    }
}
