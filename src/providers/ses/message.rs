//! SES's message shapes, as lenient serde types: optional fields, strings or numbers.

use serde::Deserialize;

use crate::base::lenient::{null_as_default, text, text_list};

/// The SES message: which event, the message it concerns, and the event's own object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SesMessage {
    #[serde(default, deserialize_with = "text")]
    pub(super) event_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) notification_type: Option<String>,
    #[serde(default)]
    pub(super) mail: Option<Mail>,
    #[serde(default)]
    pub(super) bounce: Option<Bounce>,
    #[serde(default)]
    pub(super) complaint: Option<Complaint>,
    #[serde(default)]
    pub(super) delivery: Option<Delivery>,
    #[serde(default)]
    pub(super) reject: Option<Reject>,
    #[serde(default)]
    pub(super) open: Option<Engagement>,
    #[serde(default)]
    pub(super) click: Option<Engagement>,
    #[serde(default)]
    pub(super) failure: Option<Failure>,
    #[serde(default)]
    pub(super) delivery_delay: Option<DeliveryDelay>,
    #[serde(default)]
    pub(super) subscription: Option<Subscription>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Mail {
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) message_id: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub(super) destination: Vec<String>,
    /// The envelope source (`Sender Name <sender@example.com>`).
    #[serde(default, deserialize_with = "text")]
    pub(super) source: Option<String>,
    /// SES's own tags (`ses:configuration-set`, `ses:from-domain`, `ses:tenant-name`, …) and
    /// the sender's message tags, each a list of values: kept as JSON and read leniently (tags
    /// of another shape are left out; they never fail the event).
    #[serde(default)]
    pub(super) tags: Option<Box<serde_json::value::RawValue>>,
}

/// A recipient named by a bounce, complaint or delay, with what the receiving server said.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Recipient {
    #[serde(default, deserialize_with = "text")]
    pub(super) email_address: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) action: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) diagnostic_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bounce {
    #[serde(default, deserialize_with = "text")]
    pub(super) bounce_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) bounce_sub_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) bounced_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Complaint {
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) complained_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) complaint_feedback_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Delivery {
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub(super) recipients: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) smtp_response: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Reject {
    #[serde(default, deserialize_with = "text")]
    pub(super) reason: Option<String>,
}

/// An open or a click.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Engagement {
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) link: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Failure {
    #[serde(default, deserialize_with = "text")]
    pub(super) error_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryDelay {
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) delay_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) delayed_recipients: Vec<Recipient>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Subscription {
    #[serde(default, deserialize_with = "text")]
    pub(super) timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) new_topic_preferences: Option<TopicPreferences>,
    #[serde(default)]
    pub(super) old_topic_preferences: Option<TopicPreferences>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TopicPreferences {
    #[serde(default, deserialize_with = "text")]
    pub(super) unsubscribe_all: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(super) topic_subscription_status: Vec<TopicStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TopicStatus {
    #[serde(default, deserialize_with = "text")]
    pub(super) topic_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(super) subscription_status: Option<String>,
}

/// Only the subject line, read back from a raw event when a reader shows it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SubjectOnly {
    #[serde(default)]
    pub(super) mail: Option<SubjectMail>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubjectMail {
    #[serde(default)]
    pub(super) common_headers: Option<SubjectHeaders>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SubjectHeaders {
    #[serde(default, deserialize_with = "text")]
    pub(super) subject: Option<String>,
}
