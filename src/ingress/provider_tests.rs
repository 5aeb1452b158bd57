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
        other => panic!("no signer for {other:?}"),
    }
}

const NEW: [Provider; 5] = [
    Provider::Mailgun,
    Provider::Postmark,
    Provider::Resend,
    Provider::Mailjet,
    Provider::Brevo,
];

#[tokio::test]
async fn every_documented_sample_is_stored_once_however_often_it_comes() {
    for provider in NEW {
        let (app, store) = app();
        let samples = fixtures(provider.as_str());
        assert!(samples.len() >= 5, "{provider:?}");
        for (name, body) in &samples {
            let (status, reply) = invoke_http(&app, &signed(provider, name, body)).await;
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
        for (name, body) in &samples {
            assert_eq!(
                invoke_http(&app, &signed(provider, name, body)).await.0,
                200,
                "{name}"
            );
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
    for (request, what) in cases {
        let (status, reply) = invoke_http(&app, &request).await;
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
