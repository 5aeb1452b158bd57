//! A catalogue of bad inputs across every route and the SNS trigger (its SNS part in
//! `hostile_sns.rs`). Each one gets its
//! documented answer (status and JSON error, or a failed invocation), none panics, and none
//! stores anything it should not: unauthenticated input stores nothing, authenticated garbage
//! only a quarantine item.

use base64::Engine as _;
use mailtrail::ingress::Reply;
use serde_json::{json, Value};

use crate::support::*;

/// What the invocation should answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer {
    /// An HTTP response with this status and `error` code.
    Http(u16, &'static str),
    /// HTTP 200.
    HttpOk,
    /// HTTP 200 `{"kept": true}`: authenticated, undecodable, quarantined.
    Kept,
    /// The invocation fails (Lambda retries, then the dead-letter queue).
    Fails,
    /// An SNS invocation that succeeds.
    SnsOk,
}

/// What the table should hold afterwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stored {
    Nothing,
    Quarantine,
    Events(usize),
}

pub(crate) struct Case {
    name: &'static str,
    event: Value,
    answer: Answer,
    stored: Stored,
}

pub(crate) fn case(name: &'static str, event: Value, answer: Answer, stored: Stored) -> Case {
    Case {
        name,
        event,
        answer,
        stored,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A SendGrid request whose base64 body is `bytes`, signed now.
fn signed_sendgrid_bytes(bytes: &[u8]) -> Value {
    let (signature, timestamp) = sendgrid_signature(bytes, now_seconds());
    let mut request = http_request("POST", "/webhooks/sendgrid", &b64(bytes), true);
    request["headers"]["x-twilio-email-event-webhook-signature"] = signature.into();
    request["headers"]["x-twilio-email-event-webhook-timestamp"] = timestamp.into();
    request
}

fn unsigned_sendgrid(body: &str) -> Value {
    http_post("/webhooks/sendgrid", body)
}

pub(crate) fn with_headers(mut request: Value, headers: &[(&str, &str)]) -> Value {
    for (name, value) in headers {
        request["headers"][*name] = (*value).into();
    }
    request
}

pub(crate) fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn cases() -> Vec<Case> {
    use Answer::*;
    use Stored::*;
    let seed = read("fixtures/sendgrid/seed-batch.json");
    let sendpulse_one = read("fixtures/sendpulse/delivered.json");
    let huge_string = format!(
        r#"[{{"event":"open","sg_message_id":"m.1","timestamp":1,"useragent":"{}"}}]"#,
        "A".repeat(3_000_000)
    );
    let many_empty = format!("[{}]", vec!["{}"; 50_000].join(","));
    let over_limit = " ".repeat(4 * 1024 * 1024 + 1);

    let mut list = vec![
        // Routes and methods.
        case(
            "GET on a webhook",
            http_request("GET", "/webhooks/sendgrid", "", false),
            Http(405, "method_not_allowed"),
            Nothing,
        ),
        case(
            "PUT on a webhook",
            http_request("PUT", "/webhooks/sendpulse", "[]", false),
            Http(405, "method_not_allowed"),
            Nothing,
        ),
        case(
            "unknown provider",
            http_post("/webhooks/elasticemail", "[]"),
            Http(404, "not_found"),
            Nothing,
        ),
        case("root path", http_post("/", "[]"), Http(404, "not_found"), Nothing),
        case(
            "path with two segments after the route",
            http_post("/webhooks/sendgrid/extra/more", "[]"),
            Http(404, "not_found"),
            Nothing,
        ),
        case(
            "a tenant segment that is no tenant",
            http_post("/webhooks/sendgrid/a%20b", "[]"),
            Http(404, "not_found"),
            Nothing,
        ),
        case(
            "a tenant segment proves nothing: unsigned is unauthorized",
            http_post("/webhooks/sendgrid/acme", "[]"),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case("empty path", http_post("", "[]"), Http(404, "not_found"), Nothing),
        // SendGrid: authentication.
        case(
            "SendGrid, no signature headers",
            unsigned_sendgrid(&seed),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, empty body, unsigned",
            unsigned_sendgrid(""),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, timestamp header missing",
            with_headers(
                unsigned_sendgrid(&seed),
                &[("x-twilio-email-event-webhook-signature", "MEUCIQ==")],
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, signature of the wrong length",
            with_headers(
                unsigned_sendgrid(&seed),
                &[
                    ("x-twilio-email-event-webhook-signature", "AAAA"),
                    ("x-twilio-email-event-webhook-timestamp", "1"),
                ],
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, overlong signature",
            with_headers(
                unsigned_sendgrid(&seed),
                &[
                    ("x-twilio-email-event-webhook-signature", &"QUFB".repeat(200)),
                    (
                        "x-twilio-email-event-webhook-timestamp",
                        &now_seconds().to_string(),
                    ),
                ],
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, signature not base64",
            with_headers(
                unsigned_sendgrid(&seed),
                &[
                    ("x-twilio-email-event-webhook-signature", "%%%not-base64%%%"),
                    (
                        "x-twilio-email-event-webhook-timestamp",
                        &now_seconds().to_string(),
                    ),
                ],
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, signature of another body",
            {
                let (signature, timestamp) = sendgrid_signature(b"[]", now_seconds());
                with_headers(
                    unsigned_sendgrid(&seed),
                    &[
                        ("x-twilio-email-event-webhook-signature", &signature),
                        ("x-twilio-email-event-webhook-timestamp", &timestamp),
                    ],
                )
            },
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, signature two days old",
            {
                let (signature, timestamp) = sendgrid_signature(seed.as_bytes(), now_seconds() - 2 * 86_400);
                with_headers(
                    unsigned_sendgrid(&seed),
                    &[
                        ("x-twilio-email-event-webhook-signature", &signature),
                        ("x-twilio-email-event-webhook-timestamp", &timestamp),
                    ],
                )
            },
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, timestamp header not a number",
            with_headers(
                sendgrid_post(&seed),
                &[("x-twilio-email-event-webhook-timestamp", "yesterday")],
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, two signatures joined by API Gateway",
            {
                let request = sendgrid_post(&seed);
                let signature = request["headers"]["x-twilio-email-event-webhook-signature"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                with_headers(
                    request,
                    &[(
                        "x-twilio-email-event-webhook-signature",
                        &format!("{signature},{signature}"),
                    )],
                )
            },
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid REST request, signature header repeated",
            {
                let (signature, timestamp) = sendgrid_signature(seed.as_bytes(), now_seconds());
                let mut request = rest_request("POST", "/webhooks/sendgrid", &seed, false);
                request["multiValueHeaders"]["x-twilio-email-event-webhook-signature"] =
                    json!([signature, signature]);
                request["multiValueHeaders"]["x-twilio-email-event-webhook-timestamp"] = json!([timestamp]);
                request
            },
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendGrid, body over the limit",
            unsigned_sendgrid(&over_limit),
            Http(413, "too_large"),
            Nothing,
        ),
        case(
            "SendGrid, base64 body over the limit",
            http_request("POST", "/webhooks/sendgrid", &b64(over_limit.as_bytes()), true),
            Http(413, "too_large"),
            Nothing,
        ),
        case(
            "SendGrid, wrong base64",
            http_request("POST", "/webhooks/sendgrid", "***not base64***", true),
            Http(400, "bad_base64"),
            Nothing,
        ),
        // SendGrid: authenticated bodies that are not SendGrid's JSON are kept.
        case("SendGrid signed, empty body", sendgrid_post(""), Kept, Quarantine),
        case(
            "SendGrid signed, not JSON",
            sendgrid_post("hello"),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, an object",
            sendgrid_post(r#"{"event":"open"}"#),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, array of numbers",
            sendgrid_post("[1,2,3]"),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, array of strings",
            sendgrid_post(r#"["open"]"#),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, array of arrays",
            sendgrid_post("[[{}]]"),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, 1,000-level nesting",
            sendgrid_post(&nested(1000)),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, deep nesting inside an unknown field (kept as text)",
            sendgrid_post(&format!(r#"[{{"event":"open","x":{}}}]"#, nested(1000))),
            HttpOk,
            Events(1),
        ),
        case(
            "SendGrid signed, 1.5-million-level nesting inside a field",
            sendgrid_post(&format!(r#"[{{"event":"open","x":{}}}]"#, nested(1_500_000))),
            HttpOk,
            Events(1),
        ),
        case(
            "SendGrid signed, object where a string belongs",
            sendgrid_post(r#"[{"event":"open","email":{"a":"b@c.io"}}]"#),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, invalid UTF-8",
            signed_sendgrid_bytes(b"[{\"event\":\"\xff\xfe\"}]"),
            Kept,
            Quarantine,
        ),
        case(
            "SendGrid signed, truncated JSON",
            sendgrid_post(&seed[..seed.len() / 2]),
            Kept,
            Quarantine,
        ),
        // SendGrid: odd but acceptable input is stored.
        case(
            "SendGrid signed, numbers where strings belong",
            sendgrid_post(r#"[{"event":5,"email":7,"sg_message_id":9,"timestamp":"x","category":3}]"#),
            HttpOk,
            Events(1),
        ),
        case(
            "SendGrid signed, a 3 MB string field",
            sendgrid_post(&huge_string),
            HttpOk,
            Events(1),
        ),
        case(
            "SendGrid signed, 50,000 empty events",
            sendgrid_post(&many_empty),
            HttpOk,
            Events(1),
        ),
        case(
            "SendGrid signed, empty array",
            sendgrid_post("[]"),
            HttpOk,
            Nothing,
        ),
        // SendPulse.
        case(
            "SendPulse, no token",
            http_post("/webhooks/sendpulse", &sendpulse_one),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendPulse, wrong token",
            with_query(
                http_post("/webhooks/sendpulse", &sendpulse_one),
                "token",
                "demo-sendpulse-token-change-m3",
            ),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendPulse, empty token",
            with_query(http_post("/webhooks/sendpulse", &sendpulse_one), "token", ""),
            Http(401, "unauthorized"),
            Nothing,
        ),
        case(
            "SendPulse REST request, token repeated",
            {
                let mut request = rest_request("POST", "/webhooks/sendpulse", &sendpulse_one, false);
                request["multiValueQueryStringParameters"] =
                    json!({"token": [SENDPULSE_TOKEN, SENDPULSE_TOKEN]});
                request
            },
            Http(401, "unauthorized"),
            Nothing,
        ),
        case("SendPulse, empty body", sendpulse_post(""), Kept, Quarantine),
        case(
            "SendPulse, not JSON",
            sendpulse_post("event=delivered"),
            Kept,
            Quarantine,
        ),
        case(
            "SendPulse, an object",
            sendpulse_post(r#"{"event":"delivered"}"#),
            Kept,
            Quarantine,
        ),
        case(
            "SendPulse, array of nulls",
            sendpulse_post("[null]"),
            Kept,
            Quarantine,
        ),
        case(
            "SendPulse, object as a timestamp",
            sendpulse_post(r#"[{"event":"opened","timestamp":{"t":1}}]"#),
            Kept,
            Quarantine,
        ),
        case(
            "SendPulse, invalid UTF-8 through REST",
            {
                let bytes = b"[{\"event\":\"opened\",\"recipient\":\"\xc3\x28\"}]";
                with_query(
                    rest_request("POST", "/webhooks/sendpulse", &b64(bytes), true),
                    "token",
                    SENDPULSE_TOKEN,
                )
            },
            Kept,
            Quarantine,
        ),
        case(
            "SendPulse, numbers where strings belong",
            sendpulse_post(r#"[{"event":1,"recipient":2,"message_id":3.5,"timestamp":"1490953933"}]"#),
            HttpOk,
            Events(1),
        ),
        case(
            "SendPulse, a 10 KB message id",
            sendpulse_post(&format!(
                r#"[{{"event":"opened","message_id":"{}","timestamp":1}}]"#,
                "9".repeat(10_000)
            )),
            HttpOk,
            Events(1),
        ),
        case(
            "SendPulse, 50,000 empty events",
            sendpulse_post(&many_empty),
            HttpOk,
            Events(1),
        ),
    ];
    list.extend(crate::hostile_sns::cases());
    list.shrink_to_fit();
    list
}

#[tokio::test]
async fn every_bad_input_gets_its_documented_answer_and_stores_nothing_it_should_not() {
    let client = client().await;
    let cases = cases();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    for case in cases {
        let table = fresh_table(&client).await;
        let app = app(&client, &table);
        let result = invoke(&app, &case.event).await;
        let name = case.name;
        match (case.answer, result) {
            (Answer::Http(status, code), Ok(Reply::Http(reply))) => {
                let body: Value =
                    serde_json::from_str(reply.body_text()).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(reply.status(), status, "{name}: {body}");
                assert_eq!(body["error"], code, "{name}: {body}");
                assert!(
                    body["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{name}: {body}"
                );
            }
            (Answer::HttpOk, Ok(Reply::Http(reply))) => {
                assert_eq!(reply.status(), 200, "{name}: {}", reply.body_text());
            }
            (Answer::Kept, Ok(Reply::Http(reply))) => {
                let body: Value =
                    serde_json::from_str(reply.body_text()).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(reply.status(), 200, "{name}: {body}");
                // Kept whole (not the provider's shape at all), or event by event.
                assert!(
                    body["kept"] == true || body["quarantined"].as_u64().is_some_and(|n| n > 0),
                    "{name}: {body}"
                );
            }
            (Answer::SnsOk, Ok(Reply::Sns(_))) => {}
            (Answer::Fails, Err(error)) => {
                let diagnostic = lambda_runtime::Diagnostic::from(error);
                assert!(
                    !diagnostic.error_type.is_empty() && !diagnostic.error_message.is_empty(),
                    "{name}"
                );
            }
            (expected, got) => panic!("{name}: expected {expected:?}, got {got:?}"),
        }
        let items = scan_all(&client, &table).await;
        let quarantined = items
            .iter()
            .filter(|i| s(i, "pk").is_some_and(|pk| pk.starts_with("quarantine#")))
            .count();
        let events = items.len() - quarantined;
        match case.stored {
            Stored::Nothing => assert!(items.is_empty(), "{name}: stored {} items", items.len()),
            Stored::Quarantine => assert!(
                quarantined > 0 && events == 0,
                "{name}: {quarantined} quarantined, {events} events"
            ),
            Stored::Events(n) => assert!(
                events == n && quarantined == 0,
                "{name}: {events} events, {quarantined} quarantined"
            ),
        }
    }
}
