//! The SNS part of the hostile-input catalogue: SNS over HTTPS at `/webhooks/ses` and the SNS
//! trigger.

use serde_json::{json, Value};

use crate::hostile::{case, nested, with_headers, Answer, Case, Stored};
use crate::support::*;

fn sns_https(body: &str) -> Value {
    http_post("/webhooks/ses", body)
}

fn sns_fixture(name: &str) -> Value {
    serde_json::from_str(&read(&format!("fixtures/sns/{name}.json"))).unwrap()
}

/// The genuine SNS notification with one field changed, POSTed to `/webhooks/ses`.
fn genuine_sns_with(field: &str, value: Value) -> Value {
    let mut message = sns_fixture("notification-v1");
    message[field] = value;
    sns_https(&message.to_string())
}

/// The catalogue's SNS cases.
pub(crate) fn cases() -> Vec<Case> {
    use Answer::*;
    use Stored::*;
    vec![
        // SNS over HTTPS.
        case(
            "SNS HTTPS, empty body",
            sns_https(""),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, not JSON",
            sns_https("Type=Notification"),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, fields missing",
            sns_https(r#"{"Type":"Notification","Message":"{}"}"#),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, numbers where strings belong",
            genuine_sns_with("MessageId", json!(12345)),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, topic not allowed",
            genuine_sns_with("TopicArn", json!("arn:aws:sns:us-east-1:999999999999:attacker")),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, certificate from another host",
            genuine_sns_with(
                "SigningCertURL",
                json!("https://attacker.example/SimpleNotificationService-6d61696c747261696c2d74657374.pem"),
            ),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, certificate over plain HTTP",
            genuine_sns_with(
                "SigningCertURL",
                json!("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-6d61696c747261696c2d74657374.pem"),
            ),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, unknown signature version",
            genuine_sns_with("SignatureVersion", json!("3")),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, tampered message",
            genuine_sns_with("Message", json!(read("fixtures/ses/event-complaint.json"))),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, overlong signature",
            genuine_sns_with("Signature", json!("QUFB".repeat(1000))),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "SNS HTTPS, certificate that cannot be fetched",
            genuine_sns_with(
                "SigningCertURL",
                json!("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"),
            ),
            Http(503, "unavailable"),
            Nothing,
        ),
        case(
            "SNS HTTPS, type header contradicting the body",
            with_headers(
                sns_https(&read("fixtures/sns/notification-v1.json")),
                &[("x-amz-sns-message-type", "SubscriptionConfirmation")],
            ),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, genuine but unknown Type",
            sns_https(&read("fixtures/sns/unknown-type.json")),
            Http(400, "bad_payload"),
            Nothing,
        ),
        case(
            "SNS HTTPS, genuine message that is not SES",
            sns_https(&read("fixtures/sns/notification-not-ses.json")),
            Kept,
            Quarantine,
        ),
        case(
            "SNS HTTPS, genuine unsubscribe confirmation (not re-confirmed)",
            sns_https(&read("fixtures/sns/unsubscribe-confirmation.json")),
            HttpOk,
            Nothing,
        ),
        // The SNS trigger.
        case("trigger, empty object", json!({}), Fails, Nothing),
        case("trigger, an array", json!([1, 2]), Fails, Nothing),
        case("trigger, null", Value::Null, Fails, Nothing),
        case(
            "trigger, SQS records",
            json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
            Fails,
            Nothing,
        ),
        case(
            "trigger, records without a source",
            json!({"Records": [{"Sns": {}}]}),
            Fails,
            Nothing,
        ),
        case(
            "trigger, SNS record with fields missing",
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{}"}}]}),
            Fails,
            Nothing,
        ),
        case(
            "trigger, SNS message that is a number",
            {
                let mut e = sns_event("x");
                e["Records"][0]["Sns"]["Message"] = json!(42);
                e
            },
            Fails,
            Nothing,
        ),
        case(
            "trigger, topic not allowed",
            {
                let mut e = sns_event(&read("fixtures/ses/event-send.json"));
                e["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:other".into();
                e
            },
            Fails,
            Nothing,
        ),
        case(
            "trigger, one good record and one from a refused topic",
            {
                let mut e = sns_event(&read("fixtures/ses/event-send.json"));
                let mut bad = e["Records"][0].clone();
                bad["Sns"]["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:other".into();
                e["Records"].as_array_mut().unwrap().push(bad);
                e
            },
            Fails,
            Nothing,
        ),
        case("trigger, no records", json!({"Records": []}), SnsOk, Nothing),
        case(
            "trigger, plain text that is not SES's topic validation",
            sns_event("hello from somebody else's publisher"),
            SnsOk,
            Quarantine,
        ),
        case(
            "SNS HTTPS, certificate from an S3 bucket named sns",
            genuine_sns_with(
                "SigningCertURL",
                json!("https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-6d61696c747261696c2d74657374.pem"),
            ),
            Http(403, "forbidden"),
            Nothing,
        ),
        case(
            "trigger, JSON that is not SES",
            sns_event(r#"{"hello":"world"}"#),
            SnsOk,
            Quarantine,
        ),
        case(
            "trigger, SES type of the wrong kind",
            sns_event(r#"{"eventType":{"x":1}}"#),
            SnsOk,
            Quarantine,
        ),
        case(
            "trigger, deeply nested message",
            sns_event(&format!("{{\"eventType\":{}}}", nested(1000))),
            SnsOk,
            Quarantine,
        ),
        case(
            "trigger, truncated SES JSON",
            sns_event(r#"{"eventType":"Bounce","bounce":{"#),
            SnsOk,
            Quarantine,
        ),
        case(
            "HTTP API request without requestContext.http.method",
            json!({"version": "2.0", "rawPath": "/webhooks/sendgrid", "requestContext": {"http": {}}, "body": "[]"}),
            Fails,
            Nothing,
        ),
    ]
}
