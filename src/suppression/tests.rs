//! Every row of the rules table, through the real decoders, and order independence: every
//! permutation of a sequence, with repeats, gives the same verdict.

use proptest::prelude::*;

use super::evidence::{coalesce, evidence, Escalation, Evidence};
use super::record::{Record, Verdict};
use crate::model::{NormalizedEvent, Timestamp};
use crate::providers::{sendgrid, sendpulse, ses};

pub(super) const ADDRESS: &str = "jane@example.com";

pub(super) fn received() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap()
}

fn sendgrid_events(json: &str) -> Vec<NormalizedEvent> {
    sendgrid::decode(json.as_bytes(), received()).unwrap().events
}

pub(super) fn sendpulse_events(json: &str) -> Vec<NormalizedEvent> {
    sendpulse::decode(json.as_bytes(), received()).unwrap().events
}

fn ses_events(json: &str) -> Vec<NormalizedEvent> {
    ses::decode(json, received()).unwrap().events
}

pub(super) fn verdict_of(events: &[NormalizedEvent], escalation: Option<Escalation>) -> Verdict {
    let mut record = Record::new(ADDRESS);
    for e in coalesce(events.iter().flat_map(|e| evidence(e, escalation))) {
        assert_eq!(e.address, ADDRESS);
        record.apply(&e);
    }
    record.verdict()
}

fn sg(event: &str, t: i64, extra: &str) -> String {
    format!(
        r#"{{"event":"{event}","email":"Jane@Example.com","timestamp":{t},"sg_message_id":"m{t}.filter1"{extra}}}"#
    )
}

fn batch(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

#[test]
fn a_permanent_bounce_suppresses_from_every_provider() {
    let sendgrid = sendgrid_events(&batch(&[sg("bounce", 100, r#","type":"bounce""#)]));
    assert_eq!(verdict_of(&sendgrid, None).reasons, vec!["hard_bounce"]);
    let ses = ses_events(
        &crate::test_support::ses_fixture("event-bounce").replace("recipient@example.com", ADDRESS),
    );
    assert_eq!(verdict_of(&ses, None).reasons, vec!["hard_bounce"]);
    for (event, code) in [("hard_bounces", "550"), ("undelivered", "550")] {
        let json = format!(
            r#"[{{"event":"{event}","email":"{ADDRESS}","message_id":1,"timestamp":100,"smtp_server_response_code":"{code}"}}]"#
        );
        assert_eq!(
            verdict_of(&sendpulse_events(&json), None).reasons,
            vec!["hard_bounce"],
            "{event}"
        );
    }
}

#[test]
fn transient_and_undetermined_bounces_and_deferrals_never_suppress() {
    let events = sendgrid_events(&batch(&[
        sg("bounce", 100, r#","type":"blocked""#),
        sg("blocked", 101, ""),
        sg("deferred", 102, r#","attempt":"1""#),
        sg("bounce", 103, ""),
    ]));
    assert!(!verdict_of(&events, None).suppressed);
    let soft = format!(r#"[{{"event":"soft_bounces","email":"{ADDRESS}","message_id":1,"timestamp":100}}]"#);
    assert!(!verdict_of(&sendpulse_events(&soft), None).suppressed);
}

#[test]
fn provider_refusals_suppress_with_their_reason_as_provider_evidence() {
    for (reason, expected) in [
        ("Bounced Address", "hard_bounce"),
        ("Spam Reporting Address", "complaint"),
        ("Unsubscribed Address", "unsubscribe"),
    ] {
        let events = sendgrid_events(&batch(&[sg("dropped", 100, &format!(r#","reason":"{reason}""#))]));
        let verdict = verdict_of(&events, None);
        assert_eq!(verdict.reasons, vec![expected], "{reason}");
        assert!(verdict.details[0].evidence.provider_evidence);
    }
    let other = sendgrid_events(&batch(&[sg(
        "dropped",
        100,
        r#","reason":"Invalid SMTPAPI header""#,
    )]));
    assert!(!verdict_of(&other, None).suppressed);
}

#[test]
fn complaints_suppress_and_not_spam_never_does() {
    let complaint = sendgrid_events(&batch(&[sg("spamreport", 100, "")]));
    assert_eq!(verdict_of(&complaint, None).reasons, vec!["complaint"]);
    let spam_by_user =
        format!(r#"[{{"event":"spam_by_user","email":"{ADDRESS}","message_id":1,"timestamp":100}}]"#);
    assert_eq!(
        verdict_of(&sendpulse_events(&spam_by_user), None).reasons,
        vec!["complaint"]
    );
    let not_spam = crate::test_support::ses_fixture("event-complaint")
        .replace("recipient@example.com", ADDRESS)
        .replace("\"abuse\"", "\"not-spam\"");
    assert!(!verdict_of(&ses_events(&not_spam), None).suppressed);
}

#[test]
fn a_complaint_about_a_message_with_several_recipients_at_one_domain_is_ambiguous() {
    let message = r#"{"eventType":"Complaint","mail":{"messageId":"m","timestamp":"2020-01-01T00:00:00Z",
        "destination":["jane@example.com","john@example.com","x@other.org"]},
        "complaint":{"timestamp":"2020-01-01T01:00:00Z","complainedRecipients":[{"emailAddress":"jane@example.com"}],
        "complaintFeedbackType":"abuse"}}"#;
    let verdict = verdict_of(&ses_events(message), None);
    assert_eq!(verdict.reasons, vec!["complaint"]);
    assert!(verdict.details[0].evidence.ambiguous);
    let alone = message.replace("\"john@example.com\",", "");
    assert!(
        !verdict_of(&ses_events(&alone), None).details[0]
            .evidence
            .ambiguous
    );
}

#[test]
fn global_unsubscribes_suppress_and_scoped_ones_do_not() {
    let unsubscribe = sendgrid_events(&batch(&[sg("unsubscribe", 100, "")]));
    assert_eq!(verdict_of(&unsubscribe, None).reasons, vec!["unsubscribe"]);
    let sendpulse = format!(r#"[{{"event":"unsubscribed","email":"{ADDRESS}"}}]"#);
    assert_eq!(
        verdict_of(&sendpulse_events(&sendpulse), None).reasons,
        vec!["unsubscribe"]
    );
    let ses =
        crate::test_support::ses_fixture("event-subscription").replace("recipient@example.com", ADDRESS);
    let verdict = verdict_of(&ses_events(&ses), None);
    assert_eq!(verdict.reasons, vec!["unsubscribe"]);

    let group = sendgrid_events(&batch(&[sg("group_unsubscribe", 100, r#","asm_group_id":10"#)]));
    let verdict = verdict_of(&group, None);
    assert!(!verdict.suppressed);
    assert_eq!(verdict.scoped_unsubscribes[0].scope, "group:10");
    let topic = r#"{"eventType":"Subscription","mail":{"messageId":"m","timestamp":"2022-01-12T01:00:00Z","destination":["jane@example.com"]},
        "subscription":{"contactList":"L","timestamp":"2022-01-12T01:00:17.910Z","source":"UnsubscribeHeader",
        "newTopicPreferences":{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"News","subscriptionStatus":"OptOut"}]},
        "oldTopicPreferences":{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"News","subscriptionStatus":"OptIn"}]}}}"#;
    let verdict = verdict_of(&ses_events(topic), None);
    assert!(!verdict.suppressed);
    assert_eq!(verdict.scoped_unsubscribes[0].scope, "topic:News");
}

#[test]
fn a_resubscribe_lifts_only_an_older_unsubscribe_of_its_scope() {
    let newer = sendgrid_events(&batch(&[
        sg("unsubscribe", 100, ""),
        sg("bounce", 50, r#","type":"bounce""#),
    ]));
    let resubscribe =
        format!(r#"[{{"event":"resubscribed","email":"{ADDRESS}","message_id":9,"timestamp":200}}]"#);
    let mut events = newer.clone();
    events.extend(sendpulse_events(&resubscribe));
    let verdict = verdict_of(&events, None);
    assert_eq!(
        verdict.reasons,
        vec!["hard_bounce"],
        "the bounce stays; the older unsubscribe is lifted"
    );

    let older = format!(r#"[{{"event":"resubscribed","email":"{ADDRESS}","message_id":9,"timestamp":10}}]"#);
    let mut events = newer;
    events.extend(sendpulse_events(&older));
    assert_eq!(
        verdict_of(&events, None).reasons,
        vec!["hard_bounce", "unsubscribe"]
    );

    let group = sendgrid_events(&batch(&[
        sg("group_unsubscribe", 100, r#","asm_group_id":10"#),
        sg("group_resubscribe", 200, r#","asm_group_id":10"#),
        sg("group_unsubscribe", 150, r#","asm_group_id":11"#),
        sg("unsubscribe", 50, ""),
    ]));
    let verdict = verdict_of(&group, None);
    let scopes: Vec<&str> = verdict
        .scoped_unsubscribes
        .iter()
        .map(|s| s.scope.as_str())
        .collect();
    assert_eq!(scopes, vec!["group:11"]);
    assert_eq!(
        verdict.reasons,
        vec!["unsubscribe"],
        "a group resubscribe never lifts a global unsubscribe"
    );
}

#[test]
fn later_deliveries_opens_and_clicks_lift_nothing() {
    let events = sendgrid_events(&batch(&[
        sg("bounce", 100, r#","type":"bounce""#),
        sg("spamreport", 101, ""),
        sg("delivered", 200, ""),
        sg("open", 201, ""),
        sg("click", 202, r#","url":"https://x.io""#),
    ]));
    assert_eq!(
        verdict_of(&events, None).reasons,
        vec!["hard_bounce", "complaint"]
    );
}

#[test]
fn soft_bounce_escalation_is_off_by_default_and_ends_with_a_delivery() {
    let escalation = Some(Escalation { limit: 3, days: 7 });
    let bounces: Vec<String> = (0..3)
        .map(|i| sg("bounce", 1_700_000_000 + i * 3600, r#","type":"blocked""#))
        .collect();
    let events = sendgrid_events(&batch(&bounces));
    assert!(!verdict_of(&events, None).suppressed, "off by default");
    assert_eq!(verdict_of(&events, escalation).reasons, vec!["soft_bounce_limit"]);
    let mut two = events.clone();
    two.pop();
    assert!(!verdict_of(&two, escalation).suppressed);
    let spread: Vec<String> = (0..3)
        .map(|i| sg("bounce", 1_700_000_000 + i * 5 * 86_400, r#","type":"blocked""#))
        .collect();
    assert!(
        !verdict_of(&sendgrid_events(&batch(&spread)), escalation).suppressed,
        "not within 7 days"
    );
    let mut delivered = events.clone();
    delivered.extend(sendgrid_events(&batch(&[sg(
        "delivered",
        1_700_000_000 + 4 * 3600,
        "",
    )])));
    assert!(
        !verdict_of(&delivered, escalation).suppressed,
        "a later delivery ends it"
    );
    let mut delivered_before = events;
    delivered_before.extend(sendgrid_events(&batch(&[sg("delivered", 1_600_000_000, "")])));
    assert!(verdict_of(&delivered_before, escalation).suppressed);
}

#[test]
fn events_without_a_recipient_or_evidence_cost_nothing() {
    let events = sendgrid_events(&batch(&[
        r#"{"event":"bounce","type":"bounce","email":"","timestamp":1}"#.to_owned(),
        sg("delivered", 100, ""),
        sg("open", 100, ""),
    ]));
    assert!(events.iter().all(|e| evidence(e, None).is_empty()));
}

/// A small sequence covering every kind of slot, with one tie of equal times.
fn sequence() -> Vec<NormalizedEvent> {
    let mut events = sendgrid_events(&batch(&[
        sg("bounce", 100, r#","type":"blocked""#),
        sg("unsubscribe", 120, ""),
        sg("spamreport", 120, ""),
        sg("group_unsubscribe", 130, r#","asm_group_id":7"#),
        sg("group_resubscribe", 140, r#","asm_group_id":7"#),
        sg("dropped", 150, r#","reason":"Bounced Address""#),
        sg("bounce", 160, r#","type":"bounce""#),
        sg("delivered", 170, ""),
    ]));
    events.extend(sendpulse_events(&format!(
        r#"[{{"event":"resubscribed","email":"{ADDRESS}","message_id":3,"timestamp":125}},
            {{"event":"unsubscribed","email":"{ADDRESS}","message_id":4,"timestamp":125}}]"#
    )));
    events
}

fn record_of(order: &[Evidence]) -> Record {
    Record::of(ADDRESS, order)
}

proptest! {
    #[test]
    fn any_order_and_any_repeats_give_the_same_record_and_verdict(
        seed in any::<u64>(),
        repeats in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let escalation = Some(Escalation { limit: 2, days: 1 });
        let all: Vec<Evidence> = sequence().iter().flat_map(|e| evidence(e, escalation)).collect();
        let reference = record_of(&all);
        let mut shuffled = all.clone();
        shuffled.extend(repeats.iter().map(|i| i.get(&all).clone()));
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let record = record_of(&shuffled);
        prop_assert_eq!(&record.slots, &reference.slots);
        prop_assert_eq!(record.verdict(), reference.verdict());
        // Coalescing first (as one request does) lands on the same verdict.
        prop_assert_eq!(record_of(&coalesce(shuffled)).verdict(), reference.verdict());
    }

    /// The bounded soft-bounce count gives the verdict the whole history would, whatever the
    /// order, for bounces that arrive within the window of each other.
    #[test]
    fn the_bounded_escalation_agrees_with_the_whole_history(
        times in prop::collection::vec(0i64..(6 * 86_400), 1..40),
        delivery in prop::option::of(0i64..(6 * 86_400)),
        limit in 1u32..5,
        seed in any::<u64>(),
    ) {
        let rule = Escalation { limit, days: 7 };
        let start = 1_700_000_000i64;
        let mut bodies: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#"{{"event":"soft_bounces","email":"{ADDRESS}","message_id":{i},"timestamp":{}}}"#, start + t))
            .collect();
        if let Some(d) = delivery {
            bodies.push(format!(r#"{{"event":"delivered","email":"{ADDRESS}","message_id":999,"timestamp":{}}}"#, start + d));
        }
        let mut evidence_list: Vec<Evidence> = bodies
            .iter()
            .flat_map(|b| sendpulse_events(&format!("[{b}]")))
            .flat_map(|e| evidence(&e, Some(rule)))
            .collect();
        fastrand::Rng::with_seed(seed).shuffle(&mut evidence_list);
        let verdict = record_of(&evidence_list).verdict();
        // The whole history: `limit` bounces within 7 days, all after the delivery.
        let mut after: Vec<i64> = times.iter().copied().filter(|t| delivery.is_none_or(|d| *t > d)).collect();
        after.sort_unstable();
        let expected = after
            .windows(limit as usize)
            .any(|w| w[w.len() - 1] - w[0] <= 7 * 86_400);
        prop_assert_eq!(verdict.reasons.contains(&"soft_bounce_limit"), expected, "{:?}", verdict);
    }
}

#[test]
fn five_hundred_transient_bounces_leave_a_small_record() {
    let rule = Escalation { limit: 3, days: 7 };
    let mut record = Record::new(ADDRESS);
    let mut order: Vec<i64> = (0..500).collect();
    fastrand::Rng::with_seed(3).shuffle(&mut order);
    for i in order {
        let body = format!(
            r#"[{{"event":"soft_bounces","email":"{ADDRESS}","message_id":{i},"timestamp":{}}}]"#,
            1_700_000_000 + i * 3_600
        );
        for e in sendpulse_events(&body)
            .iter()
            .flat_map(|e| evidence(e, Some(rule)))
        {
            record.apply(&e);
        }
    }
    assert!(record.soft_bounces.len() <= 9, "{}", record.soft_bounces.len());
    let size = serde_json::to_string(&(&record.slots, &record.soft_bounces))
        .unwrap()
        .len();
    assert!(size < 4096, "{size} bytes");
    assert_eq!(record.verdict().reasons, vec!["soft_bounce_limit"]);
    let window = &record.slots["soft_bounce_limit"];
    assert_eq!(
        window.at,
        Timestamp::from_millis((1_700_000_000 + 499 * 3_600) * 1000)
            .unwrap()
            .to_rfc3339()
    );
}

#[test]
fn the_escalation_verdict_needs_no_configuration_to_read() {
    let rule = Escalation { limit: 2, days: 7 };
    let events = sendgrid_events(&batch(&[
        sg("bounce", 1_700_000_000, r#","type":"blocked""#),
        sg("bounce", 1_700_003_600, r#","type":"blocked""#),
    ]));
    let mut record = Record::default();
    for e in coalesce(events.iter().flat_map(|e| evidence(e, Some(rule)))) {
        record.apply(&e);
    }
    // A reader knows nothing of the rule: the record says it.
    assert_eq!(record.verdict().reasons, vec!["soft_bounce_limit"]);
    assert!(record.slots["soft_bounce_limit"].window_start.is_some());
}

#[test]
fn an_event_without_its_own_time_is_evidence_when_it_was_received() {
    // SendPulse's unsubscribe carries no time: received at 15:00, it is later than a resubscribe
    // at 09:00 of the same day, though its key is pinned to the day.
    let received = Timestamp::parse_rfc3339("2026-11-24T15:00:00Z").unwrap();
    let unsubscribe = sendpulse::decode(
        format!(r#"[{{"event":"unsubscribed","email":"{ADDRESS}"}}]"#).as_bytes(),
        received,
    )
    .unwrap()
    .events;
    let nine = Timestamp::parse_rfc3339("2026-11-24T09:00:00Z")
        .unwrap()
        .unix_seconds();
    let resubscribe = sendpulse_events(&format!(
        r#"[{{"event":"resubscribed","email":"{ADDRESS}","message_id":9,"timestamp":{nine}}}]"#
    ));
    let mut events = unsubscribe.clone();
    events.extend(resubscribe);
    assert_eq!(verdict_of(&events, None).reasons, vec!["unsubscribe"]);
    assert_eq!(
        verdict_of(&events, None).details[0].evidence.at,
        "2026-11-24T15:00:00.000Z"
    );
    // An operator's removal at 10:00 does not lift the unsubscribe that came at 15:00 either.
    let mut record = record_of(&coalesce(events.iter().flat_map(|e| evidence(e, None))));
    record.apply(&Evidence {
        address: ADDRESS.into(),
        mark: super::Mark::Removed(super::Reason::Unsubscribe),
        at: Timestamp::parse_rfc3339("2026-11-24T10:00:00Z").unwrap(),
        key: "operator#ops".into(),
        provider: None,
        event: "remove".into(),
        message_id: None,
        provider_evidence: false,
        ambiguous: false,
        note: Some("asked by phone".into()),
        by: Some("ops".into()),
    });
    assert_eq!(record.verdict().reasons, vec!["unsubscribe"]);
    // The same unsubscribe retried later that day is the same item, dated later.
    let retry = sendpulse::decode(
        format!(r#"[{{"event":"unsubscribed","email":"{ADDRESS}"}}]"#).as_bytes(),
        Timestamp::parse_rfc3339("2026-11-24T18:00:00Z").unwrap(),
    )
    .unwrap()
    .events;
    assert_eq!(
        crate::model::ItemKey::of(&retry[0]),
        crate::model::ItemKey::of(&unsubscribe[0])
    );
    let retried = evidence(&retry[0], None);
    assert!(retried[0].at > evidence(&unsubscribe[0], None)[0].at);
}

#[test]
fn an_unsubscribe_credited_to_several_destinations_is_ambiguous_and_honoured() {
    let message = format!(
        r#"{{"eventType":"Subscription","mail":{{"messageId":"m","timestamp":"2022-01-12T01:00:00Z","destination":["{ADDRESS}","cc@other.org"]}},
        "subscription":{{"timestamp":"2022-01-12T01:00:17.910Z","source":"UnsubscribeHeader","newTopicPreferences":{{"unsubscribeAll":true}}}}}}"#
    );
    let events = ses_events(&message);
    assert_eq!(events.len(), 2);
    let verdict = verdict_of(&events[..1], None);
    assert_eq!(verdict.reasons, vec!["unsubscribe"]);
    assert!(verdict.details[0].evidence.ambiguous);
    let alone = message.replace(r#","cc@other.org""#, "");
    assert!(
        !verdict_of(&ses_events(&alone), None).details[0]
            .evidence
            .ambiguous
    );
}

#[test]
fn the_reference_sequence_has_the_expected_verdict() {
    let verdict = verdict_of(&sequence(), None);
    assert_eq!(verdict.reasons, vec!["hard_bounce", "complaint", "unsubscribe"]);
    assert!(verdict.scoped_unsubscribes.is_empty());
}
