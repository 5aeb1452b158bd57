//! SES events through EventBridge: a rule on the default bus invokes the function with each
//! event. Only that rule may invoke it (IAM); the function still requires `source` `aws.ses`
//! and an `account` that is its own (from the invoked function's ARN) or listed in
//! `SES_EVENT_ACCOUNTS`. The `detail` is the same record SES publishes to SNS, so it decodes
//! through the same SES decoder and names the same items: an event that arrives both ways (a
//! configuration set with both destinations) is stored once.

use super::sns_trigger::SnsSummary;
use super::trigger::EventBridgeEvent;
use super::Invocation;
use crate::app::App;
use crate::model::Provider;
use crate::store::StoreError;

/// The `source` of SES's events.
pub const SES_SOURCE: &str = "aws.ses";
/// The `detail-type`s of SES's email sending events.
pub const EMAIL_DETAIL_TYPES: &[&str] = &[
    "Email Bounced",
    "Email Clicked",
    "Email Complaint Received",
    "Email Delivered",
    "Email Delivery Delayed",
    "Email Opened",
    "Email Rejected",
    "Email Rendering Failed",
    "Email Sent",
    "Email Subscribed",
];

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
    let detail_type = event.detail_type.as_deref().unwrap_or("");
    if !EMAIL_DETAIL_TYPES.contains(&detail_type) {
        // SES's other events (advisor recommendations, sending status) carry no email event.
        tracing::info!(detail_type, "EventBridge event carries no email event; ignored");
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
}
