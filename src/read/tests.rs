//! The read models against the in-memory store: what is stored is what the timelines show.

use super::source::{EventReads, RecipientRows};
use super::*;
use crate::base::deadline::Deadline;
use crate::model::Provider;
use crate::store::{EventStore, MemoryStore, SuppressionStore};
use crate::suppression::evidence::evidence_of;
use crate::test_support::{received, ses_fixture};

const MESSAGE: &str = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";

/// Stores SES bodies as the pipeline does: the events, then their suppression evidence.
async fn store_ses(store: &MemoryStore, bodies: &[String]) {
    for body in bodies {
        let events = crate::providers::decode(Provider::Ses, body.as_bytes(), received())
            .expect("decodes")
            .events;
        let evidence = evidence_of(&events, None);
        store.put_events(events, Deadline::none()).await.expect("stored");
        store
            .record_evidence(evidence, Deadline::none())
            .await
            .expect("recorded");
    }
}

/// A delivery to two recipients: two events sharing one raw event (`raw_in`).
fn delivery_to_two() -> String {
    ses_fixture("event-delivery").replace(
        "\"recipients\": [\n\"recipient@example.com\"",
        "\"recipients\": [\n\"recipient@example.com\",\n\"second@example.com\"",
    )
}

async fn seeded() -> MemoryStore {
    let store = MemoryStore::default();
    store_ses(
        &store,
        &[
            ses_fixture("event-send").to_owned(),
            delivery_to_two(),
            ses_fixture("event-open").to_owned(),
            ses_fixture("event-bounce").to_owned(),
        ],
    )
    .await;
    store
}

#[tokio::test]
async fn a_message_timeline_holds_every_recipient_oldest_first_each_with_its_raw_event() {
    let store = seeded().await;
    let sharing = store
        .items()
        .into_iter()
        .filter(|(_, item)| crate::store::item::raw_holder(item).is_some())
        .count();
    assert_eq!(
        sharing, 1,
        "one of the two deliveries keeps its raw event in the other's item"
    );
    let events = message_timeline(&store, MESSAGE).await.unwrap();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.event.as_str(), e.recipient.as_str()))
        .collect();
    assert_eq!(events.len(), 5, "{kinds:?}");
    assert!(events.windows(2).all(|w| w[0].sk() <= w[1].sk()), "oldest first");
    let second = events
        .iter()
        .find(|e| e.recipient == "second@example.com")
        .expect("the second recipient");
    assert_eq!(second.event, "delivered");
    assert_eq!(second.message, MESSAGE);
    assert_eq!(second.provider, "ses");
    let raw = second.attribute("raw");
    assert!(
        raw.contains("second@example.com") && raw.contains("\"eventType\""),
        "the shared raw event is given to every recipient it names"
    );
    assert!(events.iter().all(|e| !e.attribute("raw").is_empty()));
}

#[tokio::test]
async fn a_recipient_timeline_is_that_address_alone_with_its_verdict() {
    let store = seeded().await;
    let timeline = recipient_timeline(&store, "recipient@example.com", None, true, true)
        .await
        .unwrap();
    assert_eq!(timeline.address, "recipient@example.com");
    let kinds: Vec<&str> = timeline.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(timeline
        .events
        .iter()
        .all(|e| e.recipient == "recipient@example.com"));
    let verdict = timeline.verdict.expect("a hard bounce leaves a record");
    assert!(verdict.suppressed);
    assert_eq!(verdict.reasons, vec!["hard_bounce"]);

    let second = recipient_timeline(&store, "second@example.com", None, true, true)
        .await
        .unwrap();
    assert_eq!(second.events.len(), 1);
    assert!(second.events[0].attribute("raw").contains("second@example.com"));
    assert_eq!(second.verdict, None, "a delivery leaves no record");

    let nobody = recipient_timeline(&store, "nobody@example.com", None, true, true)
        .await
        .unwrap();
    assert!(nobody.events.is_empty() && nobody.verdict.is_none());
}

#[tokio::test]
async fn since_keeps_the_later_events_and_rows_come_in_the_order_asked() {
    let store = seeded().await;
    let all = recipient_timeline(&store, "recipient@example.com", None, false, false)
        .await
        .unwrap();
    let third = all.events[2].sk().to_owned();
    let later = recipient_timeline(&store, "recipient@example.com", Some(&third), false, false)
        .await
        .unwrap();
    assert_eq!(later.events, all.events[2..].to_vec());
    let newest = store
        .recipient_rows(&RecipientRows {
            address: "recipient@example.com".into(),
            limit: Some(2),
            newest_first: true,
            ..RecipientRows::default()
        })
        .await
        .unwrap();
    let newest: Vec<String> = newest
        .iter()
        .map(|row| super::source::text(row, "sk").to_owned())
        .collect();
    assert_eq!(
        newest,
        vec![all.events[3].sk().to_owned(), all.events[2].sk().to_owned()]
    );
}

#[tokio::test]
async fn messages_group_with_their_strongest_outcome_and_a_filter_never_hides_it() {
    let store = seeded().await;
    let timeline = recipient_timeline(&store, "recipient@example.com", None, false, false)
        .await
        .unwrap();
    let groups = group(timeline.events.clone(), |_| true);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].message, MESSAGE);
    assert_eq!(groups[0].outcome, Some("bounced"));
    assert!(groups[0].opened && !groups[0].clicked);
    assert!(
        groups[0].events.windows(2).all(|w| w[0].sk() >= w[1].sk()),
        "newest first"
    );
    let only_opens = group(timeline.events, |e| e.event == "opened");
    assert_eq!(only_opens[0].events.len(), 1);
    assert_eq!(only_opens[0].outcome, Some("bounced"));
    assert_eq!(strongest(["delivered", "deferred", "opened"]), Some("deferred"));
    assert_eq!(strongest(["opened", "clicked"]), None);
}

#[tokio::test]
async fn one_event_reads_back_by_key_and_kept_bodies_are_no_message() {
    let store = seeded().await;
    let events = message_timeline(&store, MESSAGE).await.unwrap();
    let second = events
        .iter()
        .find(|e| e.recipient == "second@example.com")
        .unwrap();
    let read = timeline::event(&store, &second.key)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(&read, second);
    let absent = (MESSAGE.to_owned(), "2000-01-01T00:00:00.000Z#sent#0".to_owned());
    assert_eq!(timeline::event(&store, &absent).await.unwrap(), None);
    for pk in ["quarantine#2026-11-24#x", "token#abc", "mx#gmail.com"] {
        assert!(message_timeline(&store, pk).await.unwrap().is_empty(), "{pk}");
        let key = (pk.to_owned(), "x".to_owned());
        assert_eq!(timeline::event(&store, &key).await.unwrap(), None, "{pk}");
    }
}

#[tokio::test]
async fn the_verdict_list_pages_through_every_suppressed_address_once_with_its_filters() {
    let store = MemoryStore::default();
    let mut bodies = Vec::new();
    for i in 0..5 {
        bodies.push(
            ses_fixture("event-bounce").replace("recipient@example.com", &format!("bounced{i}@example.com")),
        );
    }
    for i in 0..2 {
        bodies.push(
            ses_fixture("event-complaint")
                .replace("recipient@example.com", &format!("complained{i}@example.com")),
        );
    }
    bodies.push(ses_fixture("event-delivery").replace("recipient@example.com", "delivered@example.com"));
    store_ses(&store, &bodies).await;
    assert_eq!(store.suppressions().len(), 7, "a delivery leaves no record");

    let all = VerdictFilters::default();
    let (mut seen, mut after, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = suppressed_page(&store, &all, after.as_deref(), 3).await.unwrap();
        assert!(page.verdicts.len() <= 3);
        assert!(page.verdicts.windows(2).all(|w| w[0].address < w[1].address));
        seen.extend(page.verdicts.into_iter().map(|v| v.address));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "7 records, 3 a page");
    let mut expected: Vec<String> = (0..5)
        .map(|i| format!("bounced{i}@example.com"))
        .chain((0..2).map(|i| format!("complained{i}@example.com")))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);

    let complaints = VerdictFilters {
        reason: Some("complaint".to_owned()),
        since: None,
    };
    let page = suppressed_page(&store, &complaints, None, 100).await.unwrap();
    let addresses: Vec<&str> = page.verdicts.iter().map(|v| v.address.as_str()).collect();
    assert_eq!(addresses, ["complained0@example.com", "complained1@example.com"]);
    assert!(page.next.is_none());

    let later = VerdictFilters {
        reason: None,
        since: Some("2999-01-01T00:00:00.000Z".to_owned()),
    };
    assert!(suppressed_page(&store, &later, None, 100)
        .await
        .unwrap()
        .verdicts
        .is_empty());
}

#[tokio::test]
async fn the_quarantine_listing_names_each_kept_body_once_with_its_error_and_size() {
    use crate::store::{Kept, QuarantineStore, QuarantinedBody};
    let store = seeded().await;
    let big = vec![b'x'; 900_000];
    let bodies = vec![
        QuarantinedBody {
            provider: Provider::SendGrid,
            body: b"not json",
            error: "the body is not valid JSON",
            received_at: received(),
            kept: Kept::Body,
        },
        QuarantinedBody {
            provider: Provider::Mailgun,
            body: &big,
            error: "bad event",
            received_at: received(),
            kept: Kept::Event { index: Some(3) },
        },
    ];
    store.quarantine(bodies.clone(), Deadline::none()).await.unwrap();
    // Kept again (a retry): still one row each.
    store.quarantine(bodies, Deadline::none()).await.unwrap();
    let rows = quarantine::listing(&store).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (mailgun, sendgrid) = (&rows[0], &rows[1]);
    assert!(mailgun.key.starts_with("mailgun/") && sendgrid.key.starts_with("sendgrid/"));
    assert_eq!((sendgrid.bytes, sendgrid.kept, sendgrid.parts), (8, "body", 1));
    assert_eq!(sendgrid.error, "the body is not valid JSON");
    assert_eq!((mailgun.bytes, mailgun.kept), (900_000, "event"));
    assert!(mailgun.parts > 1, "a large body is kept in parts");
    assert!(rows
        .iter()
        .all(|r| r.complete && r.received_at == received().to_rfc3339()));
    assert!(
        serde_json::to_string(&rows).unwrap().find("xxxx").is_none(),
        "never the bodies"
    );
}
