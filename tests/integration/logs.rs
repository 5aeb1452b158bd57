//! What the function logs: JSON lines with the request id, provider and counts, and never a
//! secret, token, signature or full email address.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing_subscriber::EnvFilter;

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_are_json_with_request_ids_and_no_secrets_or_addresses() {
    keep_log_callsites_open();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber =
        mailtrail::base::logging::json_subscriber(EnvFilter::new("info"), move || writer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let (app, _client) = fresh_app().await;
    let sendgrid = sendgrid_post(&read("fixtures/sendgrid/seed-batch.json"));
    let signature = sendgrid["headers"]["x-twilio-email-event-webhook-signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let sns_confirmation = read("fixtures/sns/subscription-confirmation.json");
    let sns_token = serde_json::from_str::<Value>(&sns_confirmation).unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_owned();
    let requests = [
        sendgrid,
        sendpulse_post(&read("fixtures/sendpulse/undelivered.json")),
        sendpulse_post(r#"[{"event":"opened","recipient":{"address":"doe.john@sendpulse.com"}}]"#),
        with_query(
            http_post("/webhooks/sendpulse", "[]"),
            "token",
            "guessed-token-guessed-token",
        ),
        sendgrid_post(r#"[{"email":["jane@example.com"]}]"#),
        http_post("/webhooks/ses", &sns_confirmation),
        http_post("/webhooks/ses", &{
            let mut m: Value = serde_json::from_str(&sns_confirmation).unwrap();
            m["SubscribeURL"] = format!("https://attacker.example/?Token={sns_token}").into();
            m.to_string()
        }),
    ];
    for request in &requests {
        invoke_http(&app, request).await;
    }
    invoke(&app, &sns_event(&read("fixtures/ses/notification-bounce.json")))
        .await
        .unwrap();
    invoke(&app, &sns_event(r#"{"not":"ses","to":"mary@example.com"}"#))
        .await
        .unwrap();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(lines.len() >= requests.len(), "{text}");

    let stored = lines
        .iter()
        .find(|l| l["message"] == "webhook stored" && l["provider"] == "sendgrid")
        .unwrap();
    assert_eq!(stored["events"], 14);
    assert_eq!(stored["stored"], 14);
    assert_eq!(stored["span"]["request_id"], "test-invocation");
    assert!(lines
        .iter()
        .any(|l| l["message"] == "sns stored" && l["stored"] == 2));
    assert!(lines.iter().any(|l| l["level"] == "WARN" && l["status"] == 401));

    for secret in [
        SENDPULSE_TOKEN,
        "guessed-token-guessed-token",
        signature.as_str(),
        sns_token.as_str(),
        "doe.john@sendpulse.com",
        "jane@example.com",
        "richard@example.com",
        "mary@example.com",
    ] {
        assert!(!text.contains(secret), "the logs contain {secret}:\n{text}");
    }
}
