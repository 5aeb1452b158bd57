//! The webhook and SNS pipelines end to end, in process, over the in-memory store: every
//! status code, quarantine, a failing, throttled or hanging store, deadlines, and channels
//! misconfigured one at a time. No server is needed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::Reply;
use crate::base::deadline::Deadline;
use crate::model::Provider;
use crate::store::memory::Fault;
use crate::test_support::pipeline::*;
use crate::test_support::{seed_sendgrid_body, sendpulse_fixture, ses_fixture};

fn sns_https_fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/sns/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test]
async fn a_signed_sendgrid_batch_is_stored_once_however_often_it_comes() {
    let (app, store) = app();
    let request = sendgrid_post(seed_sendgrid_body());
    let (status, body) = invoke_http(&app, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"provider": "sendgrid", "events": 14, "stored": 14, "duplicates": 0, "quarantined": 0})
    );
    assert_eq!(store.len(), 14);
    let before = store.items();
    for _ in 0..3 {
        assert_eq!(
            invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await.0,
            200
        );
    }
    assert_eq!(store.items().len(), before.len());
    let keys =
        |items: &[(crate::model::ItemKey, _)]| items.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&store.items()), keys(&before));
}

#[tokio::test]
async fn routes_methods_sizes_and_encodings_get_their_statuses() {
    let (app, store) = app();
    let cases: Vec<(Value, u16, &str)> = vec![
        (http_post("/webhooks/nosuchprovider", "[]"), 404, "not_found"),
        (
            http_request("GET", "/webhooks/sendgrid", "", false),
            405,
            "method_not_allowed",
        ),
        (
            http_post("/webhooks/sendgrid", &"x".repeat(4 * 1024 * 1024 + 1)),
            413,
            "too_large",
        ),
        (
            http_request("POST", "/webhooks/sendpulse", "%%%", true),
            400,
            "bad_base64",
        ),
        (http_post("/webhooks/sendgrid", "[]"), 401, "unauthorized"),
        (
            sendpulse_post_with("[]", "guessed-token-000000000"),
            401,
            "unauthorized",
        ),
        (http_post("/webhooks/ses", "not json"), 400, "bad_payload"),
    ];
    for (request, status, code) in cases {
        let (got, body) = invoke_http(&app, &request).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(code)), "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert!(store.is_empty());
}

#[tokio::test]
async fn an_authenticated_body_that_does_not_decode_is_kept_and_acknowledged() {
    let (app, store) = app();
    let body = r#"{"event":"open","email":"jane@example.com"}"#;
    let (status, reply) = invoke_http(&app, &sendgrid_post(body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["kept"], true, "not an array: kept whole");
    let items = store.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].0.pk, "quarantine#sendgrid");
    assert_eq!(items[0].1["body"].as_b().unwrap().as_ref(), body.as_bytes());
    assert!(!items[0].1.contains_key("kept"));
    let error = items[0].1["error"].as_s().unwrap();
    assert!(!error.contains("jane"), "{error}");

    let (status, reply) = invoke_http(&app, &sendpulse_post("{\"not\":\"an array\"}")).await;
    assert_eq!((status, reply["kept"].clone()), (200, json!(true)));
    assert_eq!(store.len(), 2);
}

/// One bad event among good ones is kept alone, with its position and its own JSON; the others
/// are stored with their evidence, and the answer counts both.
#[tokio::test]
async fn one_bad_event_in_a_batch_is_kept_alone_and_the_others_are_stored() {
    let mut config = config();
    config.suppressions_table = Some("suppressions".into());
    let (app, store) = app_with(config);
    let mut events: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"event":"delivered","email":"r{i}@example.com","timestamp":1700000000,"sg_message_id":"m{i}.filter1"}}"#))
        .collect();
    events[10] = "null".to_owned();
    events[500] = r#"{"event":"bounce","email":{"jane":"x@example.com"},"timestamp":1700000000}"#.to_owned();
    events[999] = r#"{"event":"bounce","type":"bounce","email":"hard@example.com","timestamp":1700000001,"sg_message_id":"mh.filter1"}"#.to_owned();
    let body = format!("[{}]", events.join(","));
    let (status, reply) = invoke_http(&app, &sendgrid_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({"provider": "sendgrid", "events": 998, "stored": 998, "duplicates": 0, "quarantined": 2})
    );
    let kept: Vec<_> = store
        .items()
        .into_iter()
        .filter(|(key, _)| key.pk == "quarantine#sendgrid")
        .collect();
    let mut found: Vec<(String, Vec<u8>)> = kept
        .iter()
        .map(|(_, item)| {
            (
                item["event"].as_n().unwrap().clone(),
                item["body"].as_b().unwrap().as_ref().to_vec(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("10".to_owned(), b"null".to_vec()),
            ("500".to_owned(), events[500].as_bytes().to_vec())
        ]
    );
    assert!(kept
        .iter()
        .all(|(_, item)| item["kept"].as_s().unwrap() == "event"));
    // The hard bounce of the same batch was honoured.
    let record = store
        .suppression("hard@example.com")
        .expect("the bounce suppressed");
    assert_eq!(record.verdict().reasons, vec!["hard_bounce"]);
    // A retry stores nothing new and keeps the same two events.
    let before = store.len();
    assert_eq!(invoke_http(&app, &sendgrid_post(&body)).await.0, 200);
    assert_eq!(store.len(), before);
}

/// An item DynamoDB refuses for itself is kept in quarantine; the rest are stored; 200.
#[tokio::test]
async fn an_item_the_store_refuses_is_kept_and_the_others_are_stored() {
    let (app, store) = app();
    store.set_fault(Fault::Refuse("refuse-me"));
    let body = r#"[{"event":"delivered","email":"a@x.io","timestamp":1,"sg_message_id":"m1.filter1"},
                   {"event":"delivered","email":"b@x.io","timestamp":1,"sg_message_id":"refuse-me.filter1"}]"#;
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = app.with_metrics(crate::metrics::MetricsSink::Memory(lines.clone()));
    let (status, reply) = invoke_http(&app, &sendgrid_post(body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["stored"].as_u64(), reply["quarantined"].as_u64()),
        (Some(1), Some(1))
    );
    let kept: Vec<_> = store
        .items()
        .into_iter()
        .filter(|(k, _)| k.pk == "quarantine#sendgrid")
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].1["error"].as_s().unwrap().contains("ValidationException"));
    assert!(std::str::from_utf8(kept[0].1["body"].as_b().unwrap().as_ref())
        .unwrap()
        .contains("refuse-me"));
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("\"StoreRefused\":1")));
}

/// A store that cannot be written for want of a table or a permission fails the request (the
/// provider retries after the fix) and is counted apart.
#[tokio::test]
async fn a_misconfigured_store_fails_the_request_and_is_counted_apart() {
    let (app, store) = app();
    store.set_fault(Fault::Misconfigured);
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = app.with_metrics(crate::metrics::MetricsSink::Memory(lines.clone()));
    let (status, body) = invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await;
    assert_eq!((status, body["error"].as_str()), (500, Some("store_failed")));
    assert!(!body.to_string().contains("ResourceNotFound"), "{body}");
    let store_line: Value = lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["StoreMisconfigured"].is_u64())
        .unwrap();
    assert_eq!(
        (
            store_line["StoreMisconfigured"].as_u64(),
            store_line["StoreFailures"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

/// One SNS record whose message does not decode is quarantined alone; the others are stored.
#[tokio::test]
async fn one_bad_sns_record_is_kept_alone_and_the_others_are_stored() {
    let (app, store) = app();
    let mut event = sns_event(ses_fixture("event-bounce"));
    let mut bad = event["Records"][0].clone();
    bad["Sns"]["Message"] = "{\"eventType\": {\"not\": \"a string\"}}".into();
    let mut second = event["Records"][0].clone();
    second["Sns"]["Message"] = ses_fixture("event-delivery").into();
    event["Records"] = json!([event["Records"][0].clone(), bad, second]);
    let Reply::Sns(summary) = invoke(&app, &event).await.unwrap() else {
        panic!("not SNS")
    };
    assert_eq!((summary.records, summary.stored, summary.quarantined), (3, 2, 1));
    assert_eq!(
        store
            .items()
            .iter()
            .filter(|(k, _)| k.pk == "quarantine#ses")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_failing_store_answers_500_without_internal_detail_and_fails_the_sns_invocation() {
    let (app, store) = app();
    store.set_fault(Fault::Fail);
    let (status, body) = invoke_http(&app, &sendpulse_post(sendpulse_fixture("delivered"))).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"], "store_failed");
    assert!(!body.to_string().contains("told to fail"), "{body}");
    let sns = invoke(&app, &sns_event(ses_fixture("event-bounce"))).await;
    let error = sns.unwrap_err();
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "StoreFailed");
    assert!(!diagnostic.error_message.contains("told to fail"));
    // A failure to quarantine fails the request too: nothing is lost silently.
    let (status, _) = invoke_http(&app, &sendgrid_post("[1,2]")).await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn a_throttled_store_is_retried_until_it_stores() {
    let (app, store) = app();
    store.set_fault(Fault::Throttle { attempts: 5 });
    let (status, body) = invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(store.len(), 14);
}

#[tokio::test]
async fn a_store_that_never_answers_gives_up_before_the_deadline() {
    let (app, store) = app();
    store.set_fault(Fault::Hang);
    let started = Instant::now();
    let deadline = Deadline::after(Duration::from_millis(300));
    let reply = invoke_by(&app, &sendgrid_post(seed_sendgrid_body()), deadline)
        .await
        .unwrap();
    let Reply::Http(reply) = reply else {
        panic!("not HTTP")
    };
    assert_eq!(reply.status(), 500);
    assert!(reply.body_text().contains("store_failed"));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );

    let started = Instant::now();
    let deadline = Deadline::after(Duration::from_millis(200));
    assert!(invoke_by(&app, &sns_event(ses_fixture("event-bounce")), deadline)
        .await
        .is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(store.is_empty());
}

#[tokio::test]
async fn a_bad_sendgrid_key_closes_only_its_channel() {
    let mut config = config();
    channel(&mut config, Provider::SendGrid).secrets = vec!["bm90IGEga2V5".into()];
    let (app, store) = app_with(config);
    let (status, body) = invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("misconfigured")),
        "{body}"
    );
    assert!(!body.to_string().contains("SENDGRID"), "{body}");
    assert!(store.is_empty());
    assert_eq!(
        invoke_http(&app, &sendpulse_post(sendpulse_fixture("delivered")))
            .await
            .0,
        200
    );
    let summary = invoke(&app, &sns_event(ses_fixture("event-bounce")))
        .await
        .unwrap();
    assert!(matches!(summary, Reply::Sns(s) if s.stored == 1));
    let (status, _) = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("notification-v2")),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_short_sendpulse_token_closes_only_its_channel() {
    let mut config = config();
    channel(&mut config, Provider::SendPulse).secrets = vec!["short".into()];
    let (app, _store) = app_with(config);
    let (status, body) = invoke_http(&app, &sendpulse_post_with("[]", "short")).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("misconfigured")));
    assert_eq!(
        invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await.0,
        200
    );
}

#[tokio::test]
async fn an_unset_secret_still_closes_its_channel_with_401_and_names_nothing() {
    let mut config = config();
    channel(&mut config, Provider::SendGrid).secrets.clear();
    channel(&mut config, Provider::SendPulse).secrets.clear();
    let (app, _store) = app_with(config);
    for request in [sendgrid_post(seed_sendgrid_body()), sendpulse_post("[]")] {
        let (status, body) = invoke_http(&app, &request).await;
        assert_eq!(status, 401);
        let text = body.to_string();
        assert!(
            !text.contains("SENDGRID") && !text.contains("SENDPULSE") && !text.contains("not set"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_unknown_topic_and_a_bad_signature_read_the_same_to_a_stranger() {
    let (app, store) = app();
    let genuine: Value = serde_json::from_str(&sns_https_fixture("notification-v2")).unwrap();
    let mut unknown_topic = genuine.clone();
    unknown_topic["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:attacker".into();
    let mut bad_signature = genuine.clone();
    bad_signature["Message"] = ses_fixture("event-complaint").into();
    let mut answers = Vec::new();
    for message in [unknown_topic, bad_signature] {
        answers.push(invoke_http(&app, &http_post("/webhooks/ses", &message.to_string())).await);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 403);
    assert!(!answers[0].1.to_string().contains("attacker"));
    assert!(store.is_empty());
}

#[tokio::test]
async fn sns_signature_versions_are_the_operators_choice() {
    let mut config = config();
    config.sns_signature_versions = vec!["2".into()];
    let (app, store) = app_with(config);
    let v1 = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("notification-v1")),
    )
    .await;
    assert_eq!(v1.0, 403);
    let v2 = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("notification-v2")),
    )
    .await;
    assert_eq!(v2.0, 200, "{}", v2.1);
    assert_eq!(store.len(), 1);

    let mut config = crate::test_support::pipeline::config();
    config.sns_signature_versions = vec!["3".into()];
    let (app, _) = app_with(config);
    let (status, body) = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("notification-v2")),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (503, Some("misconfigured")));
    assert!(matches!(
        invoke(&app, &sns_event(ses_fixture("event-delivery"))).await,
        Ok(Reply::Sns(_))
    ));
}

#[tokio::test]
async fn sns_https_confirms_subscriptions_and_keeps_what_is_not_ses() {
    let (app, store) = app();
    let (status, body) = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("subscription-confirmation")),
    )
    .await;
    assert_eq!((status, body["confirmed"].clone()), (200, json!(true)));
    let (status, body) = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("notification-not-ses")),
    )
    .await;
    assert_eq!((status, body["kept"].clone()), (200, json!(true)), "{body}");
    assert_eq!(store.items()[0].0.pk, "quarantine#ses");
    let (status, _) = invoke_http(
        &app,
        &http_post("/webhooks/ses", &sns_https_fixture("unknown-type")),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_sns_trigger_refuses_unknown_topics_and_quarantines_what_is_not_ses() {
    let (app, store) = app();
    let refused = invoke(
        &app,
        &sns_event_from("arn:aws:sns:us-east-1:1:other", ses_fixture("event-bounce")),
    )
    .await;
    assert!(refused.is_err());
    assert!(store.is_empty());

    let Reply::Sns(summary) = invoke(&app, &sns_event("somebody else's plain text"))
        .await
        .unwrap()
    else {
        panic!("not SNS")
    };
    assert_eq!((summary.quarantined, summary.ignored), (1, 0));
    let Reply::Sns(summary) = invoke(&app, &sns_event(ses_fixture("topic-validation")))
        .await
        .unwrap()
    else {
        panic!("not SNS")
    };
    assert_eq!((summary.quarantined, summary.ignored), (0, 1));
    let Reply::Sns(summary) = invoke(&app, &sns_event(ses_fixture("notification-bounce")))
        .await
        .unwrap()
    else {
        panic!("not SNS")
    };
    assert_eq!(summary.stored, 2);
}

#[tokio::test]
async fn each_invocation_writes_its_metric_lines() {
    let (app, store) = app();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = app.with_metrics(crate::metrics::MetricsSink::Memory(lines.clone()));
    let take = || std::mem::take(&mut *lines.lock().unwrap());

    invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await;
    let batch: Vec<Value> = take().iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let events: u64 = batch.iter().filter_map(|v| v["Events"].as_u64()).sum();
    assert_eq!(events, 14);

    invoke_http(&app, &http_post("/webhooks/sendgrid", "[]")).await;
    let forged = take();
    assert!(forged
        .iter()
        .any(|l| l.contains("\"Channel\":\"sendgrid\"") && l.contains("\"Reason\":\"unauthorized\"")));

    invoke_http(&app, &sendgrid_post("[1,2]")).await;
    assert!(
        take().iter().any(|l| l.contains("\"Quarantined\":2")),
        "each bad event counts"
    );

    store.set_fault(Fault::Fail);
    invoke_http(&app, &sendgrid_post(seed_sendgrid_body())).await;
    let failures: u64 = take()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["StoreFailures"].as_u64())
        .sum();
    assert_eq!(failures, 1, "a failed request counts once");
    store.set_fault(Fault::None);

    let off = app.with_metrics(crate::metrics::MetricsSink::Off);
    invoke_http(&off, &sendgrid_post(seed_sendgrid_body())).await;
    assert!(take().is_empty());
}

/// SNS gives up on an HTTPS answer after about 15 s and sends again: `/webhooks/ses` gives up
/// within its own budget, however long the function may still run.
#[tokio::test(start_paused = true)]
async fn sns_https_work_is_bounded_by_snss_wait_not_the_functions_timeout() {
    let (app, store) = app();
    store.set_fault(Fault::Hang);
    let started = tokio::time::Instant::now();
    let request = http_post("/webhooks/ses", &sns_https_fixture("notification-v2"));
    let reply = invoke_by(&app, &request, Deadline::after(Duration::from_secs(25)))
        .await
        .unwrap();
    let Reply::Http(reply) = reply else {
        panic!("not HTTP")
    };
    assert_eq!(reply.status(), 500);
    let waited = started.elapsed();
    assert!(
        waited <= crate::ingress::sns_https::SNS_HTTPS_BUDGET + Duration::from_millis(50),
        "{waited:?}"
    );
    assert!(waited >= Duration::from_secs(10), "{waited:?}");
    // A webhook route keeps the function's own deadline.
    let started = tokio::time::Instant::now();
    invoke_by(
        &app,
        &sendgrid_post(seed_sendgrid_body()),
        Deadline::after(Duration::from_secs(25)),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(24));
}

/// SNS's host answers a made-up certificate URL with 404: that is a forgery, answered like an
/// unknown topic, never "retry later".
#[tokio::test]
async fn a_certificate_url_sns_does_not_know_reads_like_an_unknown_topic() {
    #[derive(Debug)]
    struct RefusingSns;
    impl crate::verify::sns::fetch::HttpsGet for RefusingSns {
        fn get<'a>(
            &'a self,
            _url: &'a aws_lambda_events::http::Uri,
        ) -> crate::verify::sns::fetch::GetFuture<'a> {
            Box::pin(async { Err(crate::verify::VerifyError::CertificateRefused(404)) })
        }
    }
    let mut config = config();
    config.sns_cert_dir = None;
    let store = std::sync::Arc::new(crate::store::MemoryStore::default());
    let app = crate::app::App::with_https(config, store.clone(), std::sync::Arc::new(RefusingSns));
    let genuine: Value = serde_json::from_str(&sns_https_fixture("notification-v2")).unwrap();
    let mut made_up = genuine.clone();
    made_up["SigningCertURL"] =
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000.pem".into();
    let mut unknown_topic = genuine;
    unknown_topic["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:attacker".into();
    let forged = invoke_http(&app, &http_post("/webhooks/ses", &made_up.to_string())).await;
    let stranger = invoke_http(&app, &http_post("/webhooks/ses", &unknown_topic.to_string())).await;
    assert_eq!(forged.0, 403, "{}", forged.1);
    assert_eq!(forged, stranger);
    assert!(store.is_empty());
}

/// A 5,000-element authenticated batch of `null`s: every bad event of the batch is kept in one
/// write, once per distinct body, and the request is answered 200.
#[tokio::test]
async fn thousands_of_bad_events_are_kept_in_one_write_once_per_distinct_body() {
    let (app, store) = app();
    let nulls = format!("[{}]", vec!["null"; 5_000].join(","));
    let (status, reply) = invoke_http(&app, &sendpulse_post(&nulls)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["quarantined"], 1,
        "the same bytes are one kept body: {reply}"
    );
    assert_eq!(store.writes(), 1, "one write for every bad event");
    assert_eq!(store.len(), 1);
    // Distinct bad events are each kept, still in one write.
    let (app, store) = crate::test_support::pipeline::app();
    let distinct: Vec<String> = (0..500).map(|i| format!(r#"{{"event":{{"n":{i}}}}}"#)).collect();
    let body = format!("[{}]", distinct.join(","));
    let (status, reply) = invoke_http(&app, &sendpulse_post(&body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["quarantined"], 500);
    assert_eq!(store.writes(), 1);
}
