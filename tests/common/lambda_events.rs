//! Lambda events as API Gateway, function URLs and SNS deliver them, and the providers'
//! requests built on them. One file for both test suites: `src/test_support.rs` (in-process
//! pipeline tests) and `tests/integration/support.rs` include it by path, and each uses part
//! of it.
#![allow(dead_code)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::Engine as _;
use serde_json::{json, Value};

/// The SendPulse token the test configurations accept.
pub const SENDPULSE_TOKEN: &str = "demo-sendpulse-token-change-me";
/// The SNS topic the test configurations allow.
pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:mailtrail-ses-events";

/// The Mailgun signing key the test configurations accept (a demo key).
pub const MAILGUN_KEY: &str = "demo-mailgun-signing-key-change-me";
/// The Postmark token the test configurations accept.
pub const POSTMARK_TOKEN: &str = "demo-postmark-token-change-me";
/// The Resend (Svix) secret the test configurations accept: base64 of a demo key.
pub const RESEND_SECRET: &str = "whsec_ZGVtby1yZXNlbmQtc2VjcmV0LWNoYW5nZS1tZQ==";
/// The Mailjet token the test configurations accept.
pub const MAILJET_TOKEN: &str = "demo-mailjet-token-change-me";
/// The Brevo token the test configurations accept.
pub const BREVO_TOKEN: &str = "demo-brevo-token-change-me";
/// The SparkPost token the test configurations accept.
pub const SPARKPOST_TOKEN: &str = "demo-sparkpost-token-change-me";
/// The MailerSend signing secret the test configurations accept.
pub const MAILERSEND_SECRET: &str = "demo-mailersend-signing-secret";
/// The Mandrill webhook key the test configurations accept.
pub const MANDRILL_KEY: &str = "demo-mandrill-webhook-key-change-me";
/// The URL Mandrill is given in the test configurations (what it signs).
pub const MANDRILL_URL: &str = "https://mailtrail.example.com/webhooks/mandrill";
/// The SMTP2GO token the test configurations accept.
pub const SMTP2GO_TOKEN: &str = "demo-smtp2go-token-change-me";
/// The AhaSend signing secret the test configurations accept (used as written).
pub const AHASEND_SECRET: &str = "aha-sk-demo-ahasend-secret-change-me";

/// The environment of the test configurations: the demo secrets of every channel, SNS
/// certificates from `fixtures/sns`, metrics off. Both test suites build their `Config` from it.
pub fn test_environment(table: &str) -> std::collections::HashMap<String, String> {
    let root = env!("CARGO_MANIFEST_DIR");
    [
        ("TABLE_NAME", table.to_owned()),
        ("RETENTION_DAYS", "400".to_owned()),
        (
            "SENDGRID_WEBHOOK_PUBLIC_KEY",
            include_str!("../../events/demo-sendgrid-public-key.txt")
                .trim()
                .to_owned(),
        ),
        ("SENDGRID_MAX_AGE_SECONDS", "90000".to_owned()),
        ("SENDPULSE_WEBHOOK_TOKEN", SENDPULSE_TOKEN.to_owned()),
        ("MAILGUN_WEBHOOK_SIGNING_KEY", MAILGUN_KEY.to_owned()),
        ("POSTMARK_WEBHOOK_TOKEN", POSTMARK_TOKEN.to_owned()),
        ("RESEND_WEBHOOK_SECRET", RESEND_SECRET.to_owned()),
        ("MAILJET_WEBHOOK_TOKEN", MAILJET_TOKEN.to_owned()),
        ("BREVO_WEBHOOK_TOKEN", BREVO_TOKEN.to_owned()),
        ("SPARKPOST_WEBHOOK_TOKEN", SPARKPOST_TOKEN.to_owned()),
        ("MAILERSEND_WEBHOOK_SECRET", MAILERSEND_SECRET.to_owned()),
        ("MANDRILL_WEBHOOK_KEY", MANDRILL_KEY.to_owned()),
        ("MANDRILL_WEBHOOK_URL", MANDRILL_URL.to_owned()),
        (
            "POSTAL_WEBHOOK_PUBLIC_KEY",
            include_str!("../../events/demo-postal-public-key.txt")
                .trim()
                .to_owned(),
        ),
        ("SMTP2GO_WEBHOOK_TOKEN", SMTP2GO_TOKEN.to_owned()),
        ("AHASEND_WEBHOOK_SECRET", AHASEND_SECRET.to_owned()),
        ("SNS_TOPIC_ARNS", TOPIC.to_owned()),
        ("SNS_CERT_DIR", format!("{root}/fixtures/sns")),
        ("METRICS", "off".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// An HTTP API (payload 2.0) request.
pub fn http_request(method: &str, path: &str, body: &str, base64: bool) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": "test-request",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0
        },
        "body": body,
        "isBase64Encoded": base64
    })
}

/// An HTTP API (payload 2.0) POST to `path`.
pub fn http_post(path: &str, body: &str) -> Value {
    http_request("POST", path, body, false)
}

/// A REST API (payload 1.0) request.
pub fn rest_request(method: &str, path: &str, body: &str, base64: bool) -> Value {
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "requestContext": {"requestId": "test-request", "stage": "prod", "httpMethod": method, "path": path},
        "body": body,
        "isBase64Encoded": base64
    })
}

/// The request with one query parameter added.
pub fn with_query(mut request: Value, name: &str, value: &str) -> Value {
    if !request["queryStringParameters"].is_object() {
        request["queryStringParameters"] = json!({});
    }
    request["queryStringParameters"][name] = value.into();
    request
}

/// Now, in Unix seconds.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Signs a SendGrid body with the demo key at `timestamp`: (signature, timestamp) headers.
pub fn sendgrid_signature(body: &[u8], timestamp: i64) -> (String, String) {
    let der = include_bytes!("../../events/demo-sendgrid-signing-key.p8");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der).unwrap();
    let timestamp = timestamp.to_string();
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    let signature = key.sign(&SystemRandom::new(), &message).unwrap();
    (
        base64::engine::general_purpose::STANDARD.encode(signature.as_ref()),
        timestamp,
    )
}

/// A SendGrid webhook request signed now with the demo key.
pub fn sendgrid_post(body: &str) -> Value {
    let (signature, timestamp) = sendgrid_signature(body.as_bytes(), now_seconds());
    let mut request = http_post("/webhooks/sendgrid", body);
    request["headers"]["x-twilio-email-event-webhook-signature"] = signature.into();
    request["headers"]["x-twilio-email-event-webhook-timestamp"] = timestamp.into();
    request
}

/// A SendPulse webhook request carrying `token`.
pub fn sendpulse_post_with(body: &str, token: &str) -> Value {
    with_query(http_post("/webhooks/sendpulse", body), "token", token)
}

/// A SendPulse webhook request carrying the test token.
pub fn sendpulse_post(body: &str) -> Value {
    sendpulse_post_with(body, SENDPULSE_TOKEN)
}

/// An SNS Lambda event from `topic` carrying `message`.
pub fn sns_event_from(topic: &str, message: &str) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{topic}:sub"),
        "Sns": {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": topic,
            "Subject": null,
            "Message": message,
            "Timestamp": "2026-11-24T12:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {}
        }
    }]})
}

/// An SNS Lambda event from the allowed topic carrying `message`.
pub fn sns_event(message: &str) -> Value {
    sns_event_from(TOPIC, message)
}

/// HTTP Basic credentials carrying `token` as the password.
pub fn basic(user: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
    )
}

/// A Mailgun JSON webhook body with its `signature` block signed now with the demo key, with a
/// token of its own (`token`).
pub fn mailgun_signed(body: &str, token: &str) -> String {
    let mut value: Value = serde_json::from_str(body).expect("a JSON body");
    let timestamp = now_seconds().to_string();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, MAILGUN_KEY.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, format!("{timestamp}{token}").as_bytes());
    let signature: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    value["signature"] = json!({"timestamp": timestamp, "token": token, "signature": signature});
    value.to_string()
}

/// A Mailgun webhook request for an already signed body.
pub fn mailgun_post(signed_body: &str) -> Value {
    http_post("/webhooks/mailgun", signed_body)
}

/// A Postmark webhook request carrying the test token as Basic credentials.
pub fn postmark_post(body: &str) -> Value {
    let mut request = http_post("/webhooks/postmark", body);
    request["headers"]["authorization"] = basic("mailtrail", POSTMARK_TOKEN).into();
    request
}

/// The Svix signature headers of `body` under `id`, signed now with the test secret.
pub fn svix_headers(id: &str, body: &str) -> (String, String) {
    let secret = base64::engine::general_purpose::STANDARD
        .decode(RESEND_SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let timestamp = now_seconds().to_string();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
    let tag = aws_lc_rs::hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    (
        timestamp,
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
        ),
    )
}

/// A Resend webhook request signed now with the test secret.
pub fn resend_post(body: &str) -> Value {
    let id = format!("msg_{:016x}", fastrand_like(body));
    let (timestamp, signature) = svix_headers(&id, body);
    let mut request = http_post("/webhooks/resend", body);
    request["headers"]["svix-id"] = id.into();
    request["headers"]["svix-timestamp"] = timestamp.into();
    request["headers"]["svix-signature"] = signature.into();
    request
}

/// A stable number from a text (to name a Svix message by its body).
fn fastrand_like(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A Mailjet webhook request carrying the test token in its URL.
pub fn mailjet_post(body: &str) -> Value {
    with_query(http_post("/webhooks/mailjet", body), "token", MAILJET_TOKEN)
}

/// A Brevo webhook request carrying the test token as a bearer token.
pub fn brevo_post(body: &str) -> Value {
    let mut request = http_post("/webhooks/brevo", body);
    request["headers"]["authorization"] = format!("Bearer {BREVO_TOKEN}").into();
    request
}

/// A SparkPost webhook request carrying the test token as Basic credentials.
pub fn sparkpost_post(body: &str) -> Value {
    let mut request = http_post("/webhooks/sparkpost", body);
    request["headers"]["authorization"] = basic("sparkpost", SPARKPOST_TOKEN).into();
    request
}

/// A MailerSend webhook request, its body signed with the test secret.
pub fn mailersend_post(body: &str) -> Value {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, MAILERSEND_SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, body.as_bytes());
    let mut request = http_post("/webhooks/mailersend", body);
    request["headers"]["signature"] = tag
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into();
    request
}

/// Mandrill's form body carrying `events` (a JSON array) as `mandrill_events`.
pub fn mandrill_form(events: &str) -> String {
    let escaped: String = events
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("mandrill_events={escaped}")
}

/// Mandrill's signature of a form with one field, for the test key and URL.
pub fn mandrill_signature(events: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        MANDRILL_KEY.as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(&key, format!("{MANDRILL_URL}mandrill_events{events}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// A Mandrill webhook request: `events` form-encoded and signed with the test key and URL.
pub fn mandrill_post(events: &str) -> Value {
    let mut request = http_post("/webhooks/mandrill", &mandrill_form(events));
    request["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
    request["headers"]["x-mandrill-signature"] = mandrill_signature(events).into();
    request
}

/// The demo key's signature of a Postal fixture (`fixtures/postal/demo-signatures.txt`, made by
/// `scripts/sign_postal_fixtures.sh`: RSA signing with SHA-1 is not in the crypto library).
pub fn postal_signature(name: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let signatures = std::fs::read_to_string(format!("{root}/fixtures/postal/demo-signatures.txt")).unwrap();
    signatures
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
        .unwrap_or_else(|| panic!("no demo signature for postal/{name}"))
}

/// A Postal webhook request for one of its fixtures, exactly as signed.
pub fn postal_post(name: &str) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let body = std::fs::read_to_string(format!("{root}/fixtures/postal/{name}.json")).unwrap();
    let mut request = http_post("/webhooks/postal", &body);
    request["headers"]["x-postal-signature"] = postal_signature(name).into();
    request
}

/// An SMTP2GO webhook request carrying the test token as a bearer token.
pub fn smtp2go_post(body: &str) -> Value {
    let mut request = http_post("/webhooks/smtp2go", body);
    request["headers"]["authorization"] = format!("Bearer {SMTP2GO_TOKEN}").into();
    request
}

/// An AhaSend webhook request signed now (Standard Webhooks headers, the secret as written).
pub fn ahasend_post(body: &str) -> Value {
    let id = format!("msg_{:016x}", fastrand_like(body));
    let timestamp = now_seconds().to_string();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, AHASEND_SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    let mut request = http_post("/webhooks/ahasend", body);
    request["headers"]["webhook-id"] = id.into();
    request["headers"]["webhook-timestamp"] = timestamp.into();
    request["headers"]["webhook-signature"] = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    )
    .into();
    request
}
