//! Every webhook provider through the pipeline, in process: its samples stored once however
//! often they come, forgeries refused with nothing stored, one bad event of a batch kept apart,
//! and each provider's retry rules.

use serde_json::{json, Value};

use crate::model::Provider;
use crate::store::memory::Fault;
use crate::test_support::fixture;
use crate::test_support::pipeline::*;

fn fixtures(provider: &str) -> Vec<(String, String)> {
    let dir = format!("{}/fixtures/{provider}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let name = n.trim_end_matches(".json").to_owned();
            let body = fixture(provider, &name);
            (name, body)
        })
        .collect()
}

/// A signed request for `provider` carrying `body` (a Mailgun body is signed with a token of its
/// own for each name).
fn signed(provider: Provider, name: &str, body: &str) -> Value {
    match provider {
        Provider::Mailgun => mailgun_post(&mailgun_signed(body, &format!("token-for-{name}-0123456789"))),
        Provider::Postmark => postmark_post(body),
        Provider::Resend => resend_post(body),
        Provider::Mailjet => mailjet_post(body),
        Provider::Brevo => brevo_post(body),
        Provider::SparkPost => sparkpost_post(body),
        Provider::MailerSend => mailersend_post(body),
        Provider::Mandrill => mandrill_post(body),
        Provider::Postal => postal_post(name),
        Provider::Smtp2go => smtp2go_post(body),
        Provider::AhaSend => ahasend_post(body),
        other => panic!("no signer for {other:?}"),
    }
}

const NEW: [Provider; 11] = [
    Provider::Mailgun,
    Provider::Postmark,
    Provider::Resend,
    Provider::Mailjet,
    Provider::Brevo,
    Provider::SparkPost,
    Provider::MailerSend,
    Provider::Mandrill,
    Provider::Postal,
    Provider::Smtp2go,
    Provider::AhaSend,
];

#[tokio::test]
async fn every_documented_sample_is_stored_once_however_often_it_comes() {
    for provider in NEW {
        let (app, store) = app();
        let samples = fixtures(provider.as_str());
        assert!(samples.len() >= 5, "{provider:?}");
        // Each signed once: a provider's retry is the same request.
        let requests: Vec<Value> = samples
            .iter()
            .map(|(name, body)| signed(provider, name, body))
            .collect();
        for ((name, _), request) in samples.iter().zip(&requests) {
            let (status, reply) = invoke_http(&app, request).await;
            assert_eq!(status, 200, "{provider:?} {name}: {reply}");
            assert_eq!(reply["quarantined"], 0, "{provider:?} {name}: {reply}");
            assert!(
                reply["stored"].as_u64().unwrap() >= 1,
                "{provider:?} {name}: {reply}"
            );
        }
        let before = store.items();
        assert!(before
            .iter()
            .all(|(_, item)| item["provider"].as_s().unwrap() == provider.as_str()));
        for ((name, _), request) in samples.iter().zip(&requests) {
            assert_eq!(invoke_http(&app, request).await.0, 200, "{provider:?} {name}");
        }
        let keys =
            |items: &[(crate::model::ItemKey, _)]| items.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(&store.items()),
            keys(&before),
            "{provider:?}: retries rewrite the same items"
        );
    }
}

#[tokio::test]
async fn forgeries_are_refused_and_nothing_is_stored() {
    let (app, store) = app();
    let body = fixture("postmark", "bounce-hard");
    let mut wrong_basic = http_post("/webhooks/postmark", &body);
    wrong_basic["headers"]["authorization"] = basic("mailtrail", "guessed-token-0000000000").into();
    let unsigned_resend = http_post("/webhooks/resend", &fixture("resend", "bounced"));
    let mut tampered_resend = resend_post(&fixture("resend", "bounced"));
    tampered_resend["body"] = fixture("resend", "complained").into();
    let mailgun = mailgun_signed(&fixture("mailgun", "failed-permanent"), "forged-token-0123456789");
    let forged_mailgun = mailgun_post(&mailgun.replace(
        &mailgun[mailgun.len() - 20..mailgun.len() - 4],
        "0000000000000000",
    ));
    let cases = [
        (http_post("/webhooks/postmark", &body), "no credentials"),
        (wrong_basic, "wrong password"),
        (
            with_query(
                http_post("/webhooks/mailjet", &fixture("mailjet", "spam")),
                "token",
                "guessed-token-0000000000",
            ),
            "wrong token",
        ),
        (
            http_post("/webhooks/brevo", &fixture("brevo", "hard-bounce")),
            "no bearer",
        ),
        (unsigned_resend, "unsigned"),
        (tampered_resend, "another body"),
        (
            mailgun_post(&fixture("mailgun", "failed-permanent")),
            "placeholder signature",
        ),
        (forged_mailgun, "changed signature"),
    ];
    refused_with_nothing_stored(&app, &store, cases).await;
}

/// Each request is refused as unauthorized (401), and the store stays empty.
async fn refused_with_nothing_stored(
    app: &crate::app::App,
    store: &crate::store::MemoryStore,
    cases: impl IntoIterator<Item = (Value, &str)>,
) {
    for (request, what) in cases {
        let (status, reply) = invoke_http(app, &request).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (401, Some("unauthorized")),
            "{what}: {reply}"
        );
    }
    assert!(store.is_empty());
}

/// Mailgun signs a timestamp and a token, not the body: the token is bound to the body it first
/// came with. The same body again is Mailgun's retry; another body under that token is refused.
#[tokio::test]
async fn a_mailgun_signature_replayed_with_another_body_is_refused() {
    let (app, store) = app();
    let signed_body = mailgun_signed(&fixture("mailgun", "delivered"), "captured-token-0123456789");
    assert_eq!(invoke_http(&app, &mailgun_post(&signed_body)).await.0, 200);
    assert_eq!(
        invoke_http(&app, &mailgun_post(&signed_body)).await.0,
        200,
        "a retry passes"
    );
    let stored = store.len();
    let mut value: Value = serde_json::from_str(&signed_body).unwrap();
    value["event-data"]["event"] = "complained".into();
    let (status, reply) = invoke_http(&app, &mailgun_post(&value.to_string())).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (401, Some("unauthorized")),
        "{reply}"
    );
    assert_eq!(store.len(), stored);
}

/// A triple Mailgun signed for another use of the account-wide key arrives with a forger's body
/// before the genuine request. With the second factor the forgery is refused and binds nothing,
/// so the genuine request is stored; without it the first body wins (the documented limit).
#[tokio::test]
async fn a_forgery_that_arrives_first_wins_only_without_the_second_factor() {
    const URL_TOKEN: &str = "demo-mailgun-url-token-0123456789";
    let genuine_body = mailgun_signed(&fixture("mailgun", "delivered"), "raced-token-0123456789");
    let mut forged: Value = serde_json::from_str(&genuine_body).unwrap();
    forged["event-data"]["event"] = "unsubscribed".into();
    let forged_body = forged.to_string();

    let mut config = config();
    channel(&mut config, Provider::Mailgun).second_factor = vec![URL_TOKEN.to_owned()];
    let (app, store) = app_with(config);
    let (status, reply) = invoke_http(&app, &mailgun_post(&forged_body)).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (401, Some("unauthorized")),
        "{reply}"
    );
    assert_eq!(store.len(), 0, "the forgery stored nothing");
    let genuine = with_query(mailgun_post(&genuine_body), "token", URL_TOKEN);
    let (status, reply) = invoke_http(&app, &genuine).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["stored"], 1, "{reply}");
    let mut basic_retry = mailgun_post(&genuine_body);
    basic_retry["headers"]["authorization"] = basic("mailgun", URL_TOKEN).into();
    assert_eq!(
        invoke_http(&app, &basic_retry).await.0,
        200,
        "Mailgun's retry, Basic credentials"
    );
    assert_eq!(store.len(), 1);
    assert!(store.suppression("recipient@example.com").is_none());

    // Without the second factor: the forgery binds the token first, and the genuine request is
    // refused on every retry.
    let (app, store) = crate::test_support::pipeline::app();
    assert_eq!(invoke_http(&app, &mailgun_post(&forged_body)).await.0, 200);
    for _ in 0..2 {
        assert_eq!(invoke_http(&app, &mailgun_post(&genuine_body)).await.0, 401);
    }
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn mailguns_legacy_form_webhooks_are_refused_with_406_so_mailgun_stops() {
    let (app, store) = app();
    let (status, reply) = invoke_http(
        &app,
        &http_post(
            "/webhooks/mailgun",
            "event=delivered&recipient=a%40x.io&timestamp=1&token=t&signature=s",
        ),
    )
    .await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (406, Some("unsupported_format"))
    );
    assert!(store.is_empty());
}

/// Brevo discards an event for good on a 5xx and retries a 429: its failures worth a retry
/// answer 429; its refusals stay 401.
#[tokio::test]
async fn brevo_is_asked_to_retry_with_429() {
    let (app, store) = app();
    store.set_fault(Fault::Fail);
    let (status, reply) = invoke_http(&app, &brevo_post(&fixture("brevo", "delivered"))).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (429, Some("store_failed")),
        "{reply}"
    );
    let (status, _) = invoke_http(&app, &postmark_post(&fixture("postmark", "delivery"))).await;
    assert_eq!(status, 500, "others retry on a 500");
    store.set_fault(Fault::None);
    let mut config = config();
    channel(&mut config, Provider::Brevo).secrets = vec!["short".into()];
    let (closed, _) = app_with(config);
    let (status, reply) = invoke_http(&closed, &brevo_post(&fixture("brevo", "delivered"))).await;
    assert_eq!((status, reply["error"].as_str()), (429, Some("misconfigured")));
    assert_eq!(
        invoke_http(&closed, &http_post("/webhooks/brevo", "{}")).await.0,
        429
    );
}

/// One bad event among good ones, for every provider whose bodies are batches: kept alone, the
/// others stored, 200 with the counts.
#[tokio::test]
async fn one_bad_event_in_any_providers_batch_is_kept_alone() {
    let good_sendpulse = sendpulse_fixture_event();
    let cases: Vec<(Value, &str)> = vec![
        (
            sendpulse_post(&format!(
                "[{good_sendpulse}, {{\"event\": [\"not\", \"a string\"]}}, {good_sendpulse}]"
            )),
            "sendpulse",
        ),
        (
            mailjet_post(&format!(
                "[{}, null, {}]",
                fixture("mailjet", "sent"),
                fixture("mailjet", "open")
            )),
            "mailjet",
        ),
        (
            brevo_post(&format!(
                "[{}, {{\"event\": \"delivered\", \"email\": {{\"an\": \"object\"}}}}, {}]",
                fixture("brevo", "delivered"),
                fixture("brevo", "hard-bounce")
            )),
            "brevo",
        ),
    ];
    for (request, provider) in cases {
        let (app, store) = app();
        let (status, reply) = invoke_http(&app, &request).await;
        assert_eq!(status, 200, "{provider}: {reply}");
        assert_eq!(reply["quarantined"], 1, "{provider}: {reply}");
        assert!(reply["stored"].as_u64().unwrap() >= 1, "{provider}: {reply}");
        let kept: Vec<_> = store
            .items()
            .into_iter()
            .filter(|(k, _)| k.pk == format!("quarantine#{provider}"))
            .collect();
        assert_eq!(kept.len(), 1, "{provider}");
        assert_eq!(kept[0].1["event"].as_n().unwrap(), "1", "{provider}");
    }
    // A body that is not the provider's shape at all is kept whole.
    let (app, store) = app();
    let (status, reply) = invoke_http(&app, &mailjet_post("\"just a string\"")).await;
    assert_eq!((status, reply["kept"].clone()), (200, json!(true)), "{reply}");
    assert_eq!(store.len(), 1);
}

fn sendpulse_fixture_event() -> String {
    r#"{"event":"delivered","email":"a@x.io","message_id":1,"timestamp":1700000000}"#.to_owned()
}

/// Resend names no recipient: a bounce for a message with several addresses is recorded as
/// ambiguous evidence and suppresses nobody; a complaint still suppresses each, marked
/// ambiguous.
#[tokio::test]
async fn resends_ambiguous_bounces_suppress_nobody_and_complaints_each() {
    let mut config = config();
    config.suppressions_table = Some("suppressions".into());
    let (app, store) = app_with(config);
    let mut bounce: Value = serde_json::from_str(&fixture("resend", "bounced")).unwrap();
    bounce["data"]["to"] = json!(["a@example.org", "b@example.org"]);
    invoke_http(&app, &resend_post(&bounce.to_string())).await;
    for address in ["a@example.org", "b@example.org"] {
        let verdict = store.suppression(address).unwrap().verdict();
        assert!(!verdict.suppressed, "{address}");
        assert_eq!(verdict.ambiguous_evidence.len(), 1);
    }
    let mut complaint: Value = serde_json::from_str(&fixture("resend", "complained")).unwrap();
    complaint["data"]["to"] = json!(["a@example.org", "b@example.org"]);
    invoke_http(&app, &resend_post(&complaint.to_string())).await;
    for address in ["a@example.org", "b@example.org"] {
        let verdict = store.suppression(address).unwrap().verdict();
        assert_eq!(verdict.reasons, vec!["complaint"], "{address}");
        assert!(verdict.details[0].evidence.ambiguous);
    }
    // A bounce to one address is no ambiguity: it suppresses.
    invoke_http(&app, &resend_post(&fixture("resend", "bounced"))).await;
    assert_eq!(
        store.suppression("bounced@resend.dev").unwrap().verdict().reasons,
        vec!["hard_bounce"]
    );
}

/// The suppression rules through each new provider's decoder.
#[tokio::test]
async fn each_providers_evidence_follows_the_rules() {
    let mut config = config();
    config.suppressions_table = Some("suppressions".into());
    let (app, store) = app_with(config);
    let sends = [
        (
            Provider::Mailgun,
            "failed-permanent",
            "invalid@example.com",
            Some("hard_bounce"),
        ),
        (
            Provider::Mailgun,
            "failed-suppress-bounce",
            "bounced-before@example.com",
            Some("hard_bounce"),
        ),
        (
            Provider::Mailgun,
            "complained",
            "recipient@example.com",
            Some("complaint"),
        ),
        (
            Provider::Mailgun,
            "failed-temporary",
            "undeliverable@nomx.example.com",
            None,
        ),
        (
            Provider::Postmark,
            "bounce-hard",
            "john@example.com",
            Some("hard_bounce"),
        ),
        (
            Provider::Postmark,
            "subscription-change-unsubscribe",
            "bounced-address@wildbit.com",
            Some("unsubscribe"),
        ),
        (Provider::Postmark, "bounce-soft", "full@example.com", None),
        (
            Provider::Mailjet,
            "bounce-hard",
            "bounce@mailjet.com",
            Some("hard_bounce"),
        ),
        (
            Provider::Mailjet,
            "blocked-preblocked",
            "known-bad@mailjet.com",
            Some("hard_bounce"),
        ),
        (Provider::Mailjet, "unsub", "api@mailjet.com", Some("unsubscribe")),
        (
            Provider::Brevo,
            "hard-bounce",
            "not-a-user@example.com",
            Some("hard_bounce"),
        ),
        (Provider::Brevo, "spam", "example@domain.com", Some("complaint")),
        (
            Provider::Brevo,
            "soft-bounce",
            "recipient@no-mx.example.com",
            None,
        ),
        (
            Provider::Resend,
            "bounced-suppressed",
            "blocked@example.org",
            Some("hard_bounce"),
        ),
    ];
    for (provider, name, address, reason) in sends {
        let (status, reply) =
            invoke_http(&app, &signed(provider, name, &fixture(provider.as_str(), name))).await;
        assert_eq!(status, 200, "{name}: {reply}");
        let verdict = store.suppression(address).map(|r| r.verdict());
        match reason {
            Some(reason) => assert!(
                verdict.as_ref().is_some_and(|v| v.reasons.contains(&reason)),
                "{provider:?} {name}: {verdict:?}"
            ),
            None => assert!(verdict.is_none_or(|v| !v.suppressed), "{provider:?} {name}"),
        }
    }
    // A Postmark resubscribe lifts the older unsubscribe.
    invoke_http(
        &app,
        &postmark_post(&fixture("postmark", "subscription-change-resubscribe")),
    )
    .await;
    assert!(
        !store
            .suppression("bounced-address@wildbit.com")
            .unwrap()
            .verdict()
            .suppressed
    );
}

#[tokio::test]
async fn a_tenant_named_in_the_webhook_url_is_stored_on_each_event() {
    let (app, store) = app();
    let at = |path: &str| {
        let mut request = postmark_post(&fixture("postmark", "bounce-hard"));
        request["rawPath"] = path.into();
        request["requestContext"]["http"]["path"] = path.into();
        request
    };
    let request = at("/prod/webhooks/postmark/acme-eu");
    let (status, reply) = invoke_http(&app, &request).await;
    assert_eq!(status, 200, "{reply}");
    let items = store.items();
    assert_eq!(items.len(), 1);
    let tenant = items[0].1.get("tenant").and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(tenant.as_deref(), Some("acme-eu"));

    // A segment that is no tenant is no route: nothing stored, and the reply says nothing more.
    let (status, _) = invoke_http(&app, &at("/webhooks/postmark/acme%2Feu")).await;
    assert_eq!(status, 404);
    assert_eq!(store.items().len(), 1);
}

/// Forgeries and stale or replayed signatures of the providers added last: 401, nothing stored.
#[tokio::test]
async fn the_newer_providers_refuse_forgeries_with_nothing_stored() {
    let (app, store) = app();
    let sparkpost = fixture("sparkpost", "bounce");
    let mut sparkpost_wrong_header = http_post("/webhooks/sparkpost", &sparkpost);
    sparkpost_wrong_header["headers"]["x-messagesystems-webhook-token"] = "guessed-token-0000000000".into();
    let mut sparkpost_two_tokens = sparkpost_post(&sparkpost);
    sparkpost_two_tokens["headers"]["x-messagesystems-webhook-token"] = "guessed-token-0000000000".into();
    let mut mailersend_tampered = mailersend_post(&fixture("mailersend", "delivered"));
    mailersend_tampered["body"] = fixture("mailersend", "hard-bounced").into();
    let events = fixture("mandrill", "hard-bounce");
    let mut mandrill_other_url = http_post("/webhooks/mandrill", &mandrill_form(&events));
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        MANDRILL_KEY.as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(
        &key,
        format!("https://attacker.example/webhooks/mandrill mandrill_events{events}").as_bytes(),
    );
    mandrill_other_url["headers"]["x-mandrill-signature"] = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(tag.as_ref())
            .into()
    };
    let mut mandrill_tampered = mandrill_post(&events);
    mandrill_tampered["body"] = mandrill_form(&fixture("mandrill", "send")).into();
    let mut postal_tampered = postal_post("message-sent");
    postal_tampered["body"] = fixture("postal", "message-held").into();
    let mut postal_reindented = postal_post("message-sent");
    postal_reindented["body"] = fixture("postal", "message-sent").replace("  ", "    ").into();
    let mut smtp2go_wrong = http_post("/webhooks/smtp2go", &fixture("smtp2go", "bounce-hard"));
    smtp2go_wrong["headers"]["authorization"] = "Bearer guessed-token-0000000000".into();
    let aha = fixture("ahasend", "bounced");
    let mut aha_stale = ahasend_post(&aha);
    let stale = (now_seconds() - 3600).to_string();
    aha_stale["headers"]["webhook-timestamp"] = stale.into();
    let mut aha_replayed = ahasend_post(&aha);
    aha_replayed["body"] = fixture("ahasend", "delivered").into();
    let mut aha_svix_secret = ahasend_post(&aha);
    aha_svix_secret["headers"]["webhook-signature"] = resend_post(&aha)["headers"]["svix-signature"].clone();
    let cases = [
        (
            http_post("/webhooks/sparkpost", &sparkpost),
            "sparkpost: no credentials",
        ),
        (sparkpost_wrong_header, "sparkpost: wrong token header"),
        (sparkpost_two_tokens, "sparkpost: a good and a wrong token"),
        (
            http_post("/webhooks/mailersend", &fixture("mailersend", "delivered")),
            "mailersend: unsigned",
        ),
        (mailersend_tampered, "mailersend: another body"),
        (mandrill_other_url, "mandrill: signed for another URL"),
        (mandrill_tampered, "mandrill: another body"),
        (
            http_post("/webhooks/postal", &fixture("postal", "message-sent")),
            "postal: unsigned",
        ),
        (postal_tampered, "postal: another body"),
        (postal_reindented, "postal: the same JSON reindented"),
        (smtp2go_wrong, "smtp2go: wrong bearer"),
        (http_post("/webhooks/ahasend", &aha), "ahasend: unsigned"),
        (aha_stale, "ahasend: an hour old"),
        (aha_replayed, "ahasend: a signature replayed with another body"),
        (aha_svix_secret, "ahasend: signed with another channel's secret"),
    ];
    refused_with_nothing_stored(&app, &store, cases).await;
}

/// The newer batches: one bad event among good ones is kept alone; SparkPost's ping stores
/// nothing; Mandrill's HEAD check is answered.
#[tokio::test]
async fn newer_batches_keep_a_bad_event_alone_and_pings_store_nothing() {
    let cases: Vec<(Value, &str)> = vec![
        (
            sparkpost_post(&format!(
                "[{}, {{\"msys\": {{\"message_event\": {{\"type\": [\"not\", \"a string\"]}}}}}}, {}]",
                fixture("sparkpost", "delivery")
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']'),
                fixture("sparkpost", "bounce")
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
            )),
            "sparkpost",
        ),
        (
            mandrill_post(&format!(
                "[{}, {{\"event\": {{\"an\": \"object\"}}}}, {}]",
                fixture("mandrill", "send")
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']'),
                fixture("mandrill", "open")
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
            )),
            "mandrill",
        ),
    ];
    for (request, provider) in cases {
        let (app, store) = app();
        let (status, reply) = invoke_http(&app, &request).await;
        assert_eq!(status, 200, "{provider}: {reply}");
        assert_eq!(reply["quarantined"], 1, "{provider}: {reply}");
        assert_eq!(reply["stored"], 2, "{provider}: {reply}");
        let kept: Vec<_> = store
            .items()
            .into_iter()
            .filter(|(k, _)| k.pk == format!("quarantine#{provider}"))
            .collect();
        assert_eq!(kept.len(), 1, "{provider}");
    }
    let (app, store) = app();
    let (status, reply) = invoke_http(&app, &sparkpost_post(r#"[{"msys":{}}]"#)).await;
    assert_eq!((status, reply["stored"].as_u64()), (200, Some(0)), "{reply}");
    let head = http_request("HEAD", "/webhooks/mandrill", "", false);
    assert_eq!(invoke_http(&app, &head).await.0, 200);
    let tenant_head = http_request("HEAD", "/webhooks/mandrill/acme", "", false);
    assert_eq!(invoke_http(&app, &tenant_head).await.0, 200);
    let other_head = http_request("HEAD", "/webhooks/postmark", "", false);
    assert_eq!(invoke_http(&app, &other_head).await.0, 405);
    // A 405 names the methods the route takes.
    let allow = |path: &str| {
        let raw = serde_json::value::RawValue::from_string(http_request("PUT", path, "", false).to_string())
            .unwrap();
        let app = &app;
        async move {
            match crate::ingress::handle(
                app,
                &raw,
                "test",
                crate::base::deadline::Deadline::after(std::time::Duration::from_secs(5)),
            )
            .await
            .unwrap()
            {
                crate::ingress::Reply::Http(reply) => serde_json::to_value(&reply).unwrap()["headers"]
                    ["allow"]
                    .as_str()
                    .map(str::to_owned),
                crate::ingress::Reply::Sns(_) => None,
            }
        }
    };
    assert_eq!(allow("/webhooks/mandrill").await.as_deref(), Some("POST, HEAD"));
    assert_eq!(allow("/webhooks/postmark").await.as_deref(), Some("POST"));
    // A form without the events field: authenticated, kept whole.
    let mut no_field = http_post("/webhooks/mandrill", "other=1");
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        MANDRILL_KEY.as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(&key, format!("{MANDRILL_URL}other1").as_bytes());
    no_field["headers"]["x-mandrill-signature"] = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(tag.as_ref())
            .into()
    };
    let (status, reply) = invoke_http(&app, &no_field).await;
    assert_eq!((status, reply["kept"].clone()), (200, json!(true)), "{reply}");
    assert_eq!(store.len(), 1);
}

/// SMTP2GO's form-encoded events are the same items as their JSON.
#[tokio::test]
async fn smtp2gos_form_and_json_events_are_one_item() {
    let (app, store) = app();
    let json_body = fixture("smtp2go", "bounce-hard");
    let fields: serde_json::Map<String, Value> = serde_json::from_str(&json_body).unwrap();
    let form: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                mandrill_form(v.as_str().unwrap()).trim_start_matches("mandrill_events=")
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut form_request = smtp2go_post(&form);
    form_request["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
    assert_eq!(invoke_http(&app, &form_request).await.0, 200);
    assert_eq!(invoke_http(&app, &smtp2go_post(&json_body)).await.0, 200);
    let events: Vec<_> = store
        .items()
        .into_iter()
        .filter(|(k, _)| !k.pk.starts_with("quarantine#"))
        .collect();
    assert_eq!(events.len(), 1, "one item: {events:?}");
}

/// The suppression rules through the newer providers' decoders.
#[tokio::test]
async fn the_newer_providers_evidence_follows_the_rules() {
    let mut config = config();
    config.suppressions_table = Some("suppressions".into());
    let (app, store) = app_with(config);
    let to = |provider: &str, name: &str, from: &str, address: &str| {
        fixture(provider, name).replace(from, address)
    };
    let sends: Vec<(Value, &str, Option<&str>)> = vec![
        (
            sparkpost_post(&to(
                "sparkpost",
                "bounce",
                "recipient@example.com",
                "hard@sp.example",
            )),
            "hard@sp.example",
            Some("hard_bounce"),
        ),
        (
            sparkpost_post(&to(
                "sparkpost",
                "bounce-soft",
                "recipient@example.com",
                "soft@sp.example",
            )),
            "soft@sp.example",
            None,
        ),
        (
            sparkpost_post(&to(
                "sparkpost",
                "bounce-block",
                "recipient@example.com",
                "block@sp.example",
            )),
            "block@sp.example",
            None,
        ),
        (
            sparkpost_post(&to(
                "sparkpost",
                "generation-rejection",
                "recipient@example.com",
                "listed@sp.example",
            )),
            "listed@sp.example",
            Some("hard_bounce"),
        ),
        (
            sparkpost_post(&to(
                "sparkpost",
                "spam-complaint",
                "recipient@example.com",
                "spam@sp.example",
            )),
            "spam@sp.example",
            Some("complaint"),
        ),
        (
            sparkpost_post(&to(
                "sparkpost",
                "list-unsubscribe",
                "recipient@example.com",
                "unsub@sp.example",
            )),
            "unsub@sp.example",
            Some("unsubscribe"),
        ),
        (
            mailersend_post(&fixture("mailersend", "hard-bounced")),
            "invalid@example.com",
            Some("hard_bounce"),
        ),
        (
            mailersend_post(&fixture("mailersend", "soft-bounced")),
            "full@example.com",
            None,
        ),
        (
            mandrill_post(&to(
                "mandrill",
                "hard-bounce",
                "example.webhook@mandrillapp.com",
                "hard@md.example",
            )),
            "hard@md.example",
            Some("hard_bounce"),
        ),
        (
            mandrill_post(&to(
                "mandrill",
                "soft-bounce",
                "example.webhook@mandrillapp.com",
                "soft@md.example",
            )),
            "soft@md.example",
            None,
        ),
        (
            mandrill_post(&to(
                "mandrill",
                "reject",
                "example.webhook@mandrillapp.com",
                "listed@md.example",
            )),
            "listed@md.example",
            Some("hard_bounce"),
        ),
        (
            mandrill_post(&to(
                "mandrill",
                "spam",
                "example.webhook@mandrillapp.com",
                "spam@md.example",
            )),
            "spam@md.example",
            Some("complaint"),
        ),
        (
            postal_post("message-delivery-failed"),
            "failed@example.com",
            Some("hard_bounce"),
        ),
        (
            postal_post("message-held"),
            "suppressed@example.com",
            Some("hard_bounce"),
        ),
        (postal_post("message-bounced"), "bounce@example.com", None),
        (postal_post("message-delayed"), "deferred@example.com", None),
        (
            smtp2go_post(&fixture("smtp2go", "bounce-hard")),
            "nobody@example.com",
            Some("hard_bounce"),
        ),
        (
            smtp2go_post(&fixture("smtp2go", "bounce-soft")),
            "full@example.com",
            None,
        ),
        (
            smtp2go_post(&fixture("smtp2go", "reject")),
            "suppressed@example.com",
            Some("hard_bounce"),
        ),
        (
            ahasend_post(&fixture("ahasend", "bounced")),
            "recipient@example.com",
            Some("hard_bounce"),
        ),
        (
            ahasend_post(&fixture("ahasend", "suppressed")),
            "bounced@example.com",
            Some("hard_bounce"),
        ),
        (
            ahasend_post(&fixture("ahasend", "failed")),
            "invalid@nonexistent-domain.com",
            None,
        ),
    ];
    for (request, address, reason) in sends {
        let (status, reply) = invoke_http(&app, &request).await;
        assert_eq!(status, 200, "{address}: {reply}");
        let verdict = store.suppression(address).map(|r| r.verdict());
        match reason {
            Some(reason) => assert!(
                verdict.as_ref().is_some_and(|v| v.reasons.contains(&reason)),
                "{address}: {verdict:?}"
            ),
            None => assert!(
                verdict.as_ref().is_none_or(|v| !v.suppressed),
                "{address}: {verdict:?}"
            ),
        }
    }
}
