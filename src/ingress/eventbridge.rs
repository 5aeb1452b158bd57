//! SES events through EventBridge: a rule on the default bus invokes the function with each
//! event. Only that rule may invoke it (IAM); the function still requires `source` `aws.ses`
//! and an `account` that is its own (from the invoked function's ARN) or listed in
//! `SES_EVENT_ACCOUNTS`. The `detail` is the same record SES publishes to SNS, so it decodes
//! through the same SES decoder and names the same items: an event that arrives both ways (a
//! configuration set with both destinations) is stored once.
//!
//! The detail decides what an event is: one with an `eventType` (or `notificationType`) and a
//! `mail` object is an email event, whatever its `detail-type` says (a detail-type SES adds or
//! spells differently loses nothing). SES's other events (tenant status, Virtual
//! Deliverability Manager advisor findings) carry neither: they are skipped and counted
//! (`Skipped`).

use super::sns_trigger::SnsSummary;
use super::trigger::EventBridgeEvent;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::store::StoreError;

/// The `source` of SES's events.
pub const SES_SOURCE: &str = "aws.ses";
/// What tells an email event's detail from SES's other events: its type and its message.
#[derive(serde::Deserialize)]
struct DetailProbe {
    #[serde(default, rename = "eventType")]
    event_type: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "notificationType")]
    notification_type: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    mail: Option<serde::de::IgnoredAny>,
}

/// Whether an EventBridge detail holds an SES email event. A detail that is not even an object
/// is handed to the decoder, which keeps it in quarantine.
fn is_email_event(detail: &str) -> bool {
    if !detail.trim_start().starts_with('{') {
        return true;
    }
    match serde_json::from_str::<DetailProbe>(detail) {
        Ok(probe) => {
            (probe.event_type.is_some() || probe.notification_type.is_some()) && probe.mail.is_some()
        }
        Err(_) => true,
    }
}

/// Why an EventBridge invocation failed (EventBridge retries it, then its dead-letter queue).
#[derive(Debug, thiserror::Error)]
pub enum EventBridgeError {
    /// The event is not from SES.
    #[error("EventBridge event from source {0:?}: only aws.ses is accepted")]
    WrongSource(String),
    /// The event comes from an account that is neither the function's nor listed.
    #[error("EventBridge event from an account that is not allowed")]
    AccountNotAllowed,
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account of a function ARN (`arn:aws:lambda:<region>:<account>:function:<name>`).
pub fn account_of(function_arn: &str) -> Option<&str> {
    function_arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Checks the event's source and account, then decodes and stores its detail.
pub async fn handle(
    app: &App,
    event: &EventBridgeEvent,
    function_arn: &str,
    invocation: &Invocation<'_>,
) -> Result<SnsSummary, EventBridgeError> {
    let tally = invocation.tally;
    let source = event.source.as_deref().unwrap_or("");
    if source != SES_SOURCE {
        tally.rejected(Provider::Ses.as_str(), "forbidden");
        return Err(EventBridgeError::WrongSource(source.chars().take(64).collect()));
    }
    let account = event.account.as_deref().unwrap_or("");
    let own = account_of(function_arn) == Some(account);
    if account.is_empty() || !(own || app.config.ses_event_accounts.iter().any(|a| a == account)) {
        tally.rejected(Provider::Ses.as_str(), "forbidden");
        return Err(EventBridgeError::AccountNotAllowed);
    }
    let mut summary = SnsSummary {
        records: 1,
        ..SnsSummary::default()
    };
    if !is_email_event(event.detail.get()) {
        let detail_type: String = event
            .detail_type
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(128)
            .collect();
        tracing::info!(detail_type, "EventBridge event carries no email event; skipped");
        tally.skipped(Provider::Ses);
        summary.ignored = 1;
        return Ok(summary);
    }
    let record = (event.id.as_deref().unwrap_or(""), event.detail.get());
    super::sns_trigger::store_ses_records(app, [record], invocation, &mut summary).await?;
    tracing::info!(
        events = summary.events,
        stored = summary.stored,
        quarantined = summary.quarantined,
        "eventbridge stored"
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_read_from_the_function_arn() {
        assert_eq!(
            account_of("arn:aws:lambda:eu-west-1:123456789012:function:mailtrail"),
            Some("123456789012")
        );
        assert_eq!(account_of(""), None);
        assert_eq!(account_of("arn:aws:lambda:eu-west-1::function:x"), None);
    }

    #[test]
    fn the_detail_says_whether_it_is_an_email_event() {
        assert!(is_email_event(
            r#"{"eventType":"Bounce","mail":{"messageId":"m"},"bounce":{}}"#
        ));
        assert!(is_email_event(
            r#"{"notificationType":"Delivery","mail":{"messageId":"m"}}"#
        ));
        assert!(!is_email_event(
            r#"{"tenantName":"t","status":"PAUSED","reason":"complaint rate"}"#
        ));
        assert!(!is_email_event(r#"{"eventType":"Something"}"#));
        assert!(is_email_event("[1,2]"), "not an object: the decoder keeps it");
    }
}
