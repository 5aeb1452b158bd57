//! SES through EventBridge, in process: the same item as through SNS, only SES's events from
//! allowed accounts, and the detail deciding what is an email event.

use std::time::Duration;

use serde_json::{json, Value};

use super::Reply;
use crate::base::deadline::Deadline;
use crate::test_support::pipeline::*;
use crate::test_support::ses_fixture;

fn eventbridge_fixture(name: &str) -> Value {
    let path = format!(
        "{}/fixtures/ses-eventbridge/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:mailtrail";

async fn invoke_as(app: &crate::app::App, event: &Value, arn: &str) -> Result<Reply, super::InvocationError> {
    let raw = serde_json::value::RawValue::from_string(event.to_string()).unwrap();
    super::handle_as(app, &raw, "test", arn, Deadline::after(Duration::from_secs(60))).await
}

/// The same SES event through SNS and through EventBridge is one item: the key does not depend
/// on the channel.
#[tokio::test]
async fn an_ses_event_through_sns_and_eventbridge_is_stored_once() {
    let (app, store) = app();
    let Reply::Sns(summary) = invoke_as(&app, &eventbridge_fixture("bounce"), FUNCTION_ARN)
        .await
        .unwrap()
    else {
        panic!("not a summary")
    };
    assert_eq!((summary.events, summary.stored), (1, 1));
    let first = store.items();
    invoke(&app, &sns_event(ses_fixture("event-bounce")))
        .await
        .unwrap();
    let keys =
        |items: &[(crate::model::ItemKey, _)]| items.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&store.items()), keys(&first), "one item, whichever channel");
    for name in ["delivery", "complaint", "open"] {
        invoke_as(&app, &eventbridge_fixture(name), FUNCTION_ARN)
            .await
            .unwrap();
    }
    assert_eq!(store.len(), 4);
}

/// Only SES's events from the function's own account (or one listed) are accepted; SES's other
/// events carry no email event.
#[tokio::test]
async fn eventbridge_events_from_other_sources_or_accounts_fail_the_invocation() {
    let (app, store) = app();
    let mut other_source = eventbridge_fixture("bounce");
    other_source["source"] = "aws.ec2".into();
    let mut other_account = eventbridge_fixture("bounce");
    other_account["account"] = "999999999999".into();
    for event in [&other_source, &other_account] {
        let error = invoke_as(&app, event, FUNCTION_ARN).await.unwrap_err();
        assert_eq!(
            lambda_runtime::Diagnostic::from(error).error_type,
            "EventNotAllowed"
        );
    }
    // Without a function ARN, only listed accounts.
    assert!(invoke_as(&app, &eventbridge_fixture("bounce"), "").await.is_err());
    let mut config = config();
    config.ses_event_accounts = vec!["999999999999".into()];
    let (listed, listed_store) = app_with(config);
    invoke_as(&listed, &other_account, FUNCTION_ARN).await.unwrap();
    assert_eq!(listed_store.len(), 1);
    // SES's non-email events (advisor findings, tenant status) are skipped and counted.
    for (detail_type, detail) in [
        (
            "Advisor Recommendation Status Open",
            json!({"recommendation": {"type": "DMARC", "status": "OPEN", "resource": "example.com"}}),
        ),
        (
            "SES Tenant Status Changed",
            json!({"tenantName": "acme", "status": "PAUSED", "reason": "complaint rate"}),
        ),
    ] {
        let mut other = eventbridge_fixture("bounce");
        other["detail-type"] = detail_type.into();
        other["detail"] = detail;
        let Reply::Sns(summary) = invoke_as(&app, &other, FUNCTION_ARN).await.unwrap() else {
            panic!("not a summary")
        };
        assert_eq!((summary.ignored, summary.stored), (1, 0), "{detail_type}");
    }
    assert!(store.is_empty());
}

/// The detail's own `eventType` and `mail` decide: an email event under a detail-type SES adds
/// or spells differently is stored all the same.
#[tokio::test]
async fn an_email_event_under_an_unknown_detail_type_is_stored() {
    let (app, store) = app();
    for detail_type in ["Email Bounced (v2)", "Advisor Recommendation Status Open", ""] {
        let mut renamed = eventbridge_fixture("bounce");
        renamed["detail-type"] = detail_type.into();
        let Reply::Sns(summary) = invoke_as(&app, &renamed, FUNCTION_ARN).await.unwrap() else {
            panic!("not a summary")
        };
        assert_eq!(summary.events, 1, "{detail_type}");
    }
    assert_eq!(store.len(), 1, "one item, whatever the detail-type");
}
