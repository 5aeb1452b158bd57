//! One rule for weak and ambiguous evidence, whatever path an event takes: each rule and each
//! decision of docs/providers.md through the real decoders.

use super::evidence::{coalesce, evidence, Escalation};
use super::record::{Record, Verdict};
use super::tests::{received, sendpulse_events, verdict_of, ADDRESS};
use crate::model::{NormalizedEvent, Timestamp};
use crate::providers::sendpulse;

/// The evidence of one provider body decoded as the function decodes it, for every recipient.
fn provider_events(provider: crate::model::Provider, body: &str) -> Vec<NormalizedEvent> {
    crate::providers::decode(provider, body.as_bytes(), received())
        .unwrap()
        .events
}

/// The verdict of each recipient of `events`.
fn verdicts(events: &[NormalizedEvent]) -> std::collections::BTreeMap<String, Verdict> {
    let mut records: std::collections::BTreeMap<String, Record> = std::collections::BTreeMap::new();
    for e in coalesce(events.iter().flat_map(|e| evidence(e, None))) {
        records
            .entry(e.address.clone())
            .or_insert_with(|| Record::new(&e.address))
            .apply(&e);
    }
    records.into_iter().map(|(a, r)| (a, r.verdict())).collect()
}

#[test]
fn a_provider_refusal_credited_to_several_recipients_suppresses_nobody_like_an_ambiguous_bounce() {
    use crate::model::Provider;
    let two = r#""to": ["ann@example.com", "bob@example.com"]"#;
    let refused = crate::test_support::fixture("resend", "bounced")
        .replace(r#""to": ["bounced@resend.dev"]"#, two)
        .replace(r#""subType": "General""#, r#""subType": "Suppressed""#);
    let hard =
        crate::test_support::fixture("resend", "bounced").replace(r#""to": ["bounced@resend.dev"]"#, two);
    for body in [refused, hard] {
        let verdicts = verdicts(&provider_events(Provider::Resend, &body));
        assert_eq!(verdicts.len(), 2, "{body}");
        for verdict in verdicts.values() {
            assert!(!verdict.suppressed, "{verdict:?}");
            assert_eq!(verdict.ambiguous_evidence.len(), 1, "{verdict:?}");
            assert_eq!(verdict.ambiguous_evidence[0].reason, "hard_bounce");
        }
    }
    // The same refusal for one address suppresses it, as provider evidence.
    let one = crate::test_support::fixture("resend", "bounced")
        .replace(r#""subType": "General""#, r#""subType": "Suppressed""#);
    let verdict = &verdicts(&provider_events(Provider::Resend, &one))["bounced@resend.dev"];
    assert_eq!(verdict.reasons, vec!["hard_bounce"]);
    assert!(verdict.details[0].evidence.provider_evidence);
}

#[test]
fn nothing_credited_to_several_recipients_lifts_or_ends_an_escalation() {
    use crate::model::Provider;
    let delivered = crate::test_support::fixture("resend", "delivered");
    let value: serde_json::Value = serde_json::from_str(&delivered).unwrap();
    let alone = value["data"]["to"][0].as_str().unwrap().to_owned();
    let several = delivered.replacen(
        &format!("\"{alone}\""),
        &format!("\"{alone}\", \"other@example.com\""),
        1,
    );
    let rule = Some(Escalation { limit: 3, days: 7 });
    let events = provider_events(Provider::Resend, &several);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| evidence(e, rule).is_empty()));
    assert_eq!(
        evidence(&provider_events(Provider::Resend, &delivered)[0], rule).len(),
        1
    );
}

#[test]
fn postmarks_subscribe_classification_of_a_reply_is_recorded_and_lifts_nothing() {
    use crate::model::Provider;
    let unsubscribe = crate::test_support::fixture("postmark", "subscription-change-unsubscribe");
    let reply = r#"{"RecordType":"Bounce","Type":"Subscribe","TypeCode":32,"MessageID":"reply-1","Email":"bounced-address@wildbit.com","BouncedAt":"2020-02-05T10:00:00Z","Description":"Subscribe request"}"#;
    let mut events = provider_events(Provider::Postmark, &unsubscribe);
    let subscribe = provider_events(Provider::Postmark, reply);
    assert_eq!(subscribe[0].kind, crate::model::EventKind::Subscribed);
    assert!(subscribe[0].weak_signal);
    assert!(evidence(&subscribe[0], None).is_empty());
    events.extend(subscribe);
    assert_eq!(
        verdicts(&events)["bounced-address@wildbit.com"].reasons,
        vec!["unsubscribe"]
    );
}

#[test]
fn mailgun_failures_that_are_not_the_recipients_suppress_nobody() {
    use crate::model::Provider;
    let permanent = crate::test_support::fixture("mailgun", "failed-permanent");
    let without_code = |reason: &str| {
        permanent
            .replace(r#""reason": "bounce""#, &format!(r#""reason": "{reason}""#))
            .replace(r#""code": 550"#, r#""code": 0"#)
            .replace("5.1.1 The email", "The email")
    };
    let suppressed = |body: &str| {
        verdicts(&provider_events(Provider::Mailgun, body))
            .get("invalid@example.com")
            .is_some_and(|v| v.suppressed)
    };
    for reason in ["old", "espblock", "generic", "OLD"] {
        let body = without_code(reason);
        assert!(!suppressed(&body), "{reason}");
        let events = provider_events(Provider::Mailgun, &body);
        assert_eq!(
            events[0].kind,
            crate::model::EventKind::Bounced,
            "recorded as it came"
        );
        // With a 5xx from the receiving server, it is the recipient's bounce after all.
        let with_code = body.replace(r#""code": 0"#, r#""code": 550"#);
        assert!(suppressed(&with_code), "{reason} with 550");
    }
    for reason in ["bounce", "hardfail", "suppress-bounce"] {
        assert!(suppressed(&without_code(reason)), "{reason}");
    }
    let no_reason = without_code("bounce").replace(r#""reason": "bounce","#, "");
    assert!(suppressed(&no_reason), "no reason at all");
}

#[test]
#[cfg(feature = "cli")]
fn postmarks_manual_suppressions_are_manual_in_the_webhook_and_the_import_alike() {
    use crate::model::Provider;
    use crate::suppression::import::{parse_export, ImportFormat, ImportOptions};
    let deactivated = crate::test_support::fixture("postmark", "bounce-manually-deactivated");
    let verdict = &verdicts(&provider_events(Provider::Postmark, &deactivated))["deactivated@example.com"];
    assert_eq!(verdict.reasons, vec!["manual"]);
    assert!(verdict.details[0].evidence.provider_evidence);
    for (origin, reason) in [
        ("Customer", "manual"),
        ("Admin", "manual"),
        ("Recipient", "unsubscribe"),
    ] {
        let change = crate::test_support::fixture("postmark", "subscription-change-unsubscribe")
            .replace(r#""Origin": "Recipient""#, &format!(r#""Origin": "{origin}""#));
        let events = provider_events(Provider::Postmark, &change);
        assert_eq!(
            events[0].kind,
            crate::model::EventKind::Unsubscribed,
            "the kind (and so the key) is unchanged"
        );
        assert_eq!(
            verdicts(&events)["bounced-address@wildbit.com"].reasons,
            vec![reason],
            "webhook, {origin}"
        );
        let export = format!(
            "EmailAddress,SuppressionReason,Origin,CreatedAt\nbounced-address@wildbit.com,ManualSuppression,{origin},2020-02-01T10:53:34Z\n"
        );
        let parsed = parse_export(
            ImportFormat::Postmark,
            export.as_bytes(),
            &ImportOptions::default(),
        )
        .unwrap();
        let mut record = Record::new("bounced-address@wildbit.com");
        record.apply(&crate::suppression::import::entry_evidence(
            ImportFormat::Postmark,
            &parsed.entries[0],
            "ops",
        ));
        assert_eq!(record.verdict().reasons, vec![reason], "import, {origin}");
    }
}

#[test]
fn a_lift_without_its_own_time_is_dated_at_the_start_of_its_receive_day() {
    // SendPulse's resubscribe without a timestamp, received at 15:00, does not lift an
    // unsubscribe of 09:00 that day: an uncertain time falls toward suppressing.
    let received = Timestamp::parse_rfc3339("2026-11-24T15:00:00Z").unwrap();
    let nine = Timestamp::parse_rfc3339("2026-11-24T09:00:00Z")
        .unwrap()
        .unix_seconds();
    let unsubscribe = sendpulse_events(&format!(
        r#"[{{"event":"unsubscribed","email":"{ADDRESS}","message_id":9,"timestamp":{nine}}}]"#
    ));
    let resubscribe = sendpulse::decode(
        format!(r#"[{{"event":"resubscribed","email":"{ADDRESS}"}}]"#).as_bytes(),
        received,
    )
    .unwrap()
    .events;
    let lift = &evidence(&resubscribe[0], None)[0];
    assert_eq!(lift.at.to_rfc3339(), "2026-11-24T00:00:00.000Z");
    let mut events = unsubscribe.clone();
    events.extend(resubscribe.clone());
    assert_eq!(verdict_of(&events, None).reasons, vec!["unsubscribe"]);
    // An unsubscribe of the day before is lifted.
    let day_before = nine - 86_400;
    let mut earlier = sendpulse_events(&format!(
        r#"[{{"event":"unsubscribed","email":"{ADDRESS}","message_id":9,"timestamp":{day_before}}}]"#
    ));
    earlier.extend(resubscribe);
    assert!(!verdict_of(&earlier, None).suppressed);
}
